/**
 * A structural check of a JPEG before jpeg-js decodes it: the markers from SOI to EOI walked with every
 * segment length checked against the file, one frame header with its size within the limit, a scan,
 * and the end marker. jpeg-js decodes a truncated file (the missing part as gray) or a damaged header
 * without a word where libjpeg (Pillow) refuses; this check refuses those first. A JPEG carries no
 * checksum, so damage inside the compressed scan data itself cannot be detected by any decoder.
 */

/** The most pixels SegLab decodes from one JPEG (as for PNG and TIFF). */
export const MAX_JPEG_PIXELS = 2 ** 27;

/** Frame types jpeg-js decodes: baseline, extended sequential and progressive Huffman. */
const SUPPORTED_FRAMES = new Set([0xc0, 0xc1, 0xc2]);

export function checkJpegStructure(b: Uint8Array, file: string): void {
  const fail = (why: string): never => {
    throw new Error(`${file}: corrupt or truncated JPEG (${why})`);
  };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) fail('no start-of-image marker');
  let frames = 0;
  let scans = 0;
  let progressive = false;
  let components: number[] = [];
  const scanned = new Set<number>();
  for (let at = 2; ;) {
    if (at >= b.length) fail('no end-of-image marker: the file is cut short');
    if (b[at] !== 0xff) fail(`a marker expected at byte ${at}`);
    while (b[at] === 0xff && at < b.length) at++; // fill bytes
    const marker = b[at++];
    if (marker === 0xd9) break; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd8 || marker === 0x00 || at + 2 > b.length)
      fail(`an unexpected marker 0xFF${(marker ?? 0).toString(16).toUpperCase()} at byte ${at - 1}`);
    const length = (b[at] << 8) | b[at + 1];
    if (length < 2 || at + length > b.length) fail(`a segment of ${length} bytes at byte ${at} runs past the end of the file`);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (!SUPPORTED_FRAMES.has(marker))
        throw new Error(`${file}: unsupported JPEG coding (frame type 0xFF${marker.toString(16).toUpperCase()}: lossless or arithmetic)`);
      if (length < 8) fail('a frame header too short for its size');
      const [height, width] = [(b[at + 3] << 8) | b[at + 4], (b[at + 5] << 8) | b[at + 6]];
      if (height === 0 || width === 0) fail(`the frame declares ${width}×${height} pixels`);
      const n = b[at + 7];
      if (length !== 8 + 3 * n || n === 0) fail(`a frame header of ${length} bytes for ${n} components`);
      components = Array.from({ length: n }, (_, k) => b[at + 8 + 3 * k]);
      progressive = marker === 0xc2;
      if (width * height > MAX_JPEG_PIXELS)
        throw new Error(`${file}: the JPEG declares ${width}×${height} pixels, more than SegLab reads (${MAX_JPEG_PIXELS} pixels)`);
      frames++;
    }
    at += length;
    if (marker === 0xda) {
      if (frames !== 1) fail(frames === 0 ? 'a scan before the frame header' : 'more than one frame header');
      checkScanComponents(b, at - length, components, progressive ? null : scanned, fail);
      scans++;
      // Entropy-coded data: up to the next marker that is not a stuffed zero or a restart marker.
      while (at + 1 < b.length && !(b[at] === 0xff && b[at + 1] !== 0 && !(b[at + 1] >= 0xd0 && b[at + 1] <= 0xd7))) at++;
      if (at + 1 >= b.length) fail('no end-of-image marker: the file is cut short');
    }
  }
  if (scans === 0) fail('no image data (no scan)');
  if (!progressive && scanned.size !== components.length) fail(`${components.length - scanned.size} component(s) without a scan`);
}

/**
 * A scan header's components: each one of the frame's; in a sequential (not progressive) JPEG each
 * component is in exactly one scan (`scanned` collects them), as libjpeg requires.
 */
function checkScanComponents(
  b: Uint8Array,
  at: number,
  components: number[],
  scanned: Set<number> | null,
  fail: (why: string) => never,
): void {
  const length = (b[at] << 8) | b[at + 1];
  const n = b[at + 2];
  if (n === 0 || length !== 6 + 2 * n) fail(`a scan header of ${length} bytes for ${n} components`);
  for (let k = 0; k < n; k++) {
    const id = b[at + 3 + 2 * k];
    if (!components.includes(id)) fail(`a scan of component ${id}, which the frame does not have`);
    if (scanned && scanned.has(id)) fail(`component ${id} in two scans of a sequential JPEG`);
    scanned?.add(id);
  }
}
