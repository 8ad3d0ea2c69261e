/**
 * TIFF reading through the `tiff` package (image-js, maintained by Zakodium; pure JavaScript, MIT):
 * single and multi-page files, 8/16-bit unsigned and 32/64-bit float samples, gray or RGB (an alpha
 * channel is dropped), uncompressed, LZW or Deflate, strips or tiles. Chosen over `utif` (no release
 * since 2020, no float support) and `geotiff` (asynchronous, built for geospatial rasters and much
 * larger). PackBits and CCITT compression, palette images and signed or 32-bit integer samples are
 * refused with the file and page named.
 *
 * A multi-page TIFF is a stack: microscopy volumes and the ISBI 2012 challenge's train-volume.tif /
 * train-labels.tif ship that way; page i of an image stack pairs with page i of a mask stack.
 */
import * as path from 'path';
import { decode } from 'tiff';
import { libraryFailure } from './png';
import { readBytes } from './readBytes';
import { scanTiff, scanTiffPageCount, TiffFormatError } from './tiffScan';

export const TIFF_EXTENSIONS = ['.tif', '.tiff'] as const;

export interface TiffPage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved samples as stored. */
  data: Uint8Array | Uint16Array | Float32Array | Float64Array;
  /** Integer samples: the largest representable value (255, 65535); float samples: undefined. */
  maxValue?: number;
}

export function isTiff(file: string): boolean {
  return /\.tiff?$/i.test(file);
}

function describeFailure(err: unknown): string {
  const m = (err as Error).message ?? String(err);
  if (err instanceof TiffFormatError) return m;
  if (/unsupported/i.test(m)) return m.replace(/^.*?unsupported/i, 'unsupported');
  return `corrupt or unsupported TIFF (${libraryFailure(err)})`;
}

/** Every page of a TIFF file (or only `pages`), decoded; errors name the file and the page. */
export function readTiffPages(file: string, pages?: number[]): TiffPage[] {
  return decodeTiff(readBytes(file), file, pages);
}

/**
 * The one page of a TIFF held in `bytes` (tiffPages.ts builds them from a stack's page), decoded with
 * the same checks as a file; errors name `where` (the stack and the page).
 */
export function decodeTiffBytes(bytes: Uint8Array, where: string): TiffPage {
  try {
    return decodeTiff(bytes, where)[0];
  } catch (err) {
    // The one-page TIFF's scan counts its only page as page 1; `where` already names the real one.
    throw new Error((err as Error).message.replace(/\bpage 1(: | (?=declares|starts))/, ''));
  }
}

function decodeTiff(bytes: Uint8Array, file: string, pages?: number[]): TiffPage[] {
  let ifds: ReturnType<typeof decode>;
  try {
    scanTiff(bytes, { pages, decode: true });
    ifds = decode(bytes, pages ? { pages } : undefined);
  } catch (err) {
    throw new Error(`${file}: ${describeFailure(err)}`);
  }
  if (ifds.length === 0) throw new Error(`${file}: the TIFF has no pages`);
  return ifds.map((ifd, page) => {
    const where = ifds.length > 1 ? `${file} (page ${(pages?.[page] ?? page) + 1} of ${ifds.length})` : file;
    if (ifd.type === 3) throw new Error(`${where}: palette-colour TIFF is not supported (save it as gray or RGB)`);
    const samples = ifd.samplesPerPixel;
    const extra = ifd.alpha ? 1 : 0;
    const colour = samples - extra;
    if (colour !== 1 && colour !== 3)
      throw new Error(`${where}: ${samples} samples per pixel; expected gray (1) or RGB (3), with or without alpha`);
    const data = ifd.data;
    const pixels = ifd.width * ifd.height;
    if (data.length !== pixels * samples) throw new Error(`${where}: ${data.length} samples for ${ifd.width}×${ifd.height}×${samples}`);
    let out = data;
    if (extra) {
      const Ctor = data.constructor as new (n: number) => typeof data;
      out = new Ctor(pixels * colour);
      for (let i = 0; i < pixels; i++) for (let c = 0; c < colour; c++) out[i * colour + c] = data[i * samples + c];
    }
    const maxValue = ifd.bitsPerSample === 1 ? 1 : out instanceof Uint8Array ? 255 : out instanceof Uint16Array ? 65535 : undefined;
    return { width: ifd.width, height: ifd.height, channels: colour as 1 | 3, data: out, maxValue };
  });
}

/** Number of pages, without decoding pixels. */
export function tiffPageCount(file: string): number {
  try {
    return scanTiffPageCount(readBytes(file));
  } catch (err) {
    throw new Error(`${file}: ${describeFailure(err)}`);
  }
}

/** A single-page TIFF; a stack is an error that says how stacks are used. */
export function readTiffImage(file: string): TiffPage {
  const n = tiffPageCount(file);
  if (n > 1)
    throw new Error(`${file}: a ${n}-page TIFF stack; give the stack file itself as the images/masks (or --pred/--gt) to use its pages`);
  return readTiffPages(file)[0];
}

/** The name of page i (0-based) of an n-page stack: `<stack file stem>_p<i+1>`, zero-padded (train-volume_p01). */
export function stackPageName(file: string, i: number, n: number): string {
  const stem = path.basename(file).replace(/\.tiff?$/i, '');
  return `${stem}_p${String(i + 1).padStart(String(n).length, '0')}`;
}
