/**
 * PNG decoding through pngjs (pure JS, 8- and 16-bit, every colour type). Errors name the file.
 */
import { PNG } from 'pngjs';
import * as zlib from 'zlib';

export interface DecodedImage {
  width: number;
  height: number;
  /** Bits per sample of the file (1, 2, 4, 8 or 16); values are kept at that depth. */
  bitDepth: number;
  /** 1 (gray) or 3 (colour); alpha is dropped. */
  channels: 1 | 3;
  /** Row-major, interleaved channels, values 0 … 2^bitDepth − 1 (8 bits or fewer: one byte each). */
  data: Uint8Array | Uint16Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The most pixels SegLab decodes from one PNG (e.g. 11585×11585): pngjs holds them as RGBA. */
export const MAX_PNG_PIXELS = 2 ** 27;
/**
 * Deflate cannot expand more than about 1032:1 (a 258-byte match in 2 bits); an all-zero mask compressed
 * at zlib's level 9 comes close, so twice that, plus 64 KB for tiny images, is the bound used.
 */
const MAX_DEFLATE_RATIO = 2 * 1032;

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/**
 * The header's promises checked against the file before anything is allocated: a 4 KB file cannot
 * hold a 30000×30000 image (its compressed data would have to expand more than deflate can).
 */
function checkPngSize(bytes: Buffer, file: string): void {
  if (bytes.length < 33 || bytes.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error(`${file}: corrupt or truncated PNG (no IHDR chunk)`);
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const [bitDepth, colorType] = [bytes[24], bytes[25]];
  if (width === 0 || height === 0) throw new Error(`${file}: the PNG declares ${width}×${height} pixels`);
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 4;
  const raw = height * (1 + Math.ceil((width * samples * bitDepth) / 8));
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    if (bytes.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(bytes.subarray(at + 8, Math.min(at + 8 + length, bytes.length)));
    at += 12 + length;
  }
  const compressed = idat.reduce((n, b) => n + b.length, 0);
  if (raw > MAX_DEFLATE_RATIO * compressed + 65536) {
    throw new Error(
      `${file}: the PNG declares ${width}×${height} pixels (${formatBytes(raw)}) but holds ${formatBytes(compressed)} of ` +
        'compressed image data: corrupt or truncated',
    );
  }
  if (width * height > MAX_PNG_PIXELS) {
    throw new Error(
      `${file}: the PNG declares ${width}×${height} pixels, more than SegLab reads (${MAX_PNG_PIXELS} pixels, e.g. 11585×11585)`,
    );
  }
  checkImageData(Buffer.concat(idat), bytes[28] === 1 ? 2 * raw + 65536 : raw, file);
}

/**
 * The image data inflated once by zlib, which verifies its Adler-32 checksum (pngjs does not: a PNG whose
 * chunk CRCs were repaired after its pixels changed decoded without a word) and bounds its size.
 */
function checkImageData(idat: Buffer, most: number, file: string): void {
  try {
    zlib.inflateSync(idat, { maxOutputLength: most });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ERR_BUFFER_TOO_LARGE' ? `the image data expands past the ${most} bytes its header allows` : e.message;
    throw new Error(`${file}: corrupt or truncated PNG (${why})`);
  }
}

/**
 * What a library's exception says, for a user: its message when it is the library's own account of the
 * data, or "damaged data" when it is a crash inside the library (a TypeError or RangeError whose text
 * names the library's variables, not the file's problem).
 */
export function libraryFailure(err: unknown): string {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error))
    return 'damaged data';
  return err.message.slice(0, 200);
}

export function decodePng(bytes: Buffer, file: string): DecodedImage {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) {
    throw new Error(`${file}: not a PNG file (missing PNG signature)`);
  }
  checkPngSize(bytes, file);
  let png: PNG;
  try {
    png = PNG.sync.read(bytes, { skipRescale: true });
  } catch (err) {
    throw new Error(`${file}: corrupt or truncated PNG (${libraryFailure(err)})`);
  }
  const { width, height } = png;
  const src = png.data as unknown as ArrayLike<number>; // RGBA, 8-bit Buffer or 16-bit Uint16Array
  // Colour type bit 2 (value 2) marks RGB; palette images (3) decode to RGB too.
  const colour = (png as unknown as { colorType: number }).colorType & 2;
  let gray = true;
  if (colour) {
    for (let i = 0; i < width * height && gray; i++) {
      gray = src[4 * i] === src[4 * i + 1] && src[4 * i] === src[4 * i + 2];
    }
  }
  const channels = gray ? 1 : 3;
  const depth = (png as unknown as { depth: number }).depth;
  const data = depth <= 8 ? new Uint8Array(width * height * channels) : new Uint16Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < channels; c++) data[i * channels + c] = src[4 * i + c];
  }
  const paletted = (png as unknown as { colorType: number }).colorType === 3;
  return { width, height, bitDepth: paletted ? 8 : depth, channels, data };
}

/** Encodes an 8-bit gray or RGB image. */
export function encodePng8(data: ArrayLike<number>, width: number, height: number, channels: 1 | 3 = 1): Buffer {
  if (data.length !== width * height * channels) throw new Error(`encodePng8: ${data.length} values for ${width}×${height}×${channels}`);
  // Gray or RGB bytes as they are (pngjs packs them without an RGBA copy: 4× less memory for large images).
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
  const colorType = channels === 1 ? 0 : 2;
  const image = { width, height, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) } as unknown as PNG;
  return PNG.sync.write(image, { colorType, inputColorType: colorType, inputHasAlpha: false });
}
