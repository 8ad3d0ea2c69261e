/**
 * A structural check of a TIFF file before the `tiff` package decodes it. The package trusts the file:
 * an IFD chain that loops makes it spin forever, a tag that declares 4 G values allocates them, a page
 * with fewer strips than rows leaves the missing rows as zeros, a tile list that is too short reads the
 * file's header as pixels, a Deflate or LZW strip may expand without bound, signed samples are read as
 * unsigned and planar (separate-plane) RGB is read as interleaved. This scan walks the file once, with
 * every offset and count checked against the file's length, and throws a message naming the problem;
 * what passes it decodes within the sizes the file declares.
 *
 * Written here rather than taken from a library: no maintained JavaScript TIFF reader checks these.
 */
import * as zlib from 'zlib';

/** The most pixels SegLab decodes from one image or one page (e.g. 11585×11585), as for PNG. */
export const MAX_TIFF_PAGE_PIXELS = 2 ** 27;
/** The most pages of one TIFF stack. */
export const MAX_TIFF_PAGES = 65536;
/** The most pixels of all pages of a stack together (2 GB as 8-bit samples). */
export const MAX_TIFF_STACK_PIXELS = 2 ** 31;

/** Bytes per value of each TIFF field type (13, IFD, is left out: refused where a tag SegLab uses has it). */
export const TIFF_TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
};

export interface TiffSegment {
  offset: number;
  bytes: number;
  /** Bytes the segment must decode to (rows × row bytes; whole tiles), and the most it may. */
  need: number;
  most: number;
}

export interface TiffPageLayout {
  width: number;
  height: number;
  bits: number;
  samples: number;
  sampleFormat: number;
  compression: number;
  segments: TiffSegment[];
}

/** A problem the scan found, worded for the user (the caller prefixes the file). */
export class TiffFormatError extends Error {}

class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }
}

/** One IFD entry: its type, its count and, for SHORT and LONG entries, its values. */
interface Entry {
  type: number;
  count: number;
  values: number[];
}

type Fields = Map<number, Entry>;

function fail(problem: string): never {
  throw new TiffFormatError(`corrupt TIFF: ${problem}`);
}

/** One IFD entry, its values range-checked (SHORT and LONG values read; others only located). */
function readEntry(r: Reader, at: number, page: number): [number, Entry] {
  const tag = r.u16(at);
  const type = r.u16(at + 2);
  const count = r.u32(at + 4);
  const size = TIFF_TYPE_SIZES[type];
  if (type === 0 || type > 13) fail(`page ${page + 1}: tag ${tag} has type ${type}, which TIFF does not define`);
  if (size === undefined) return [tag, { type, count, values: [] }]; // the IFD type (13): refused where the tag is used
  const length = size * count;
  const where = length > 4 ? r.u32(at + 8) : at + 8;
  if (where + length > r.bytes.length)
    fail(`page ${page + 1}: tag ${tag} declares ${count} values at byte ${where}, past the end of the ${r.bytes.length}-byte file`);
  if (type !== 3 && type !== 4) return [tag, { type, count, values: [] }];
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) values[i] = type === 3 ? r.u16(where + 2 * i) : r.u32(where + 4 * i);
  return [tag, { type, count, values }];
}

/** The offsets of every IFD, in order; a loop or an offset past the end is an error. */
function ifdOffsets(r: Reader, first: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let at = first; at !== 0;) {
    if (seen.has(at)) fail(`the chain of pages loops back to page ${out.indexOf(at) + 1} (byte ${at})`);
    if (at + 2 > r.bytes.length) fail(`page ${out.length + 1} starts at byte ${at}, past the end of the ${r.bytes.length}-byte file`);
    const n = r.u16(at);
    if (at + 2 + 12 * n + 4 > r.bytes.length) fail(`page ${out.length + 1} declares ${n} tags, past the end of the file`);
    if (out.length >= MAX_TIFF_PAGES) throw new TiffFormatError(`more than ${MAX_TIFF_PAGES} pages, more than SegLab reads from one stack`);
    seen.add(at);
    out.push(at);
    at = r.u32(at + 2 + 12 * n);
  }
  if (out.length === 0) fail('the TIFF has no pages');
  return out;
}

function readFields(r: Reader, at: number, page: number): Fields {
  const fields: Fields = new Map();
  const n = r.u16(at);
  for (let i = 0; i < n; i++) {
    const [tag, entry] = readEntry(r, at + 2 + 12 * i, page);
    fields.set(tag, entry);
  }
  return fields;
}

/** The SHORT or LONG values of a tag SegLab uses (undefined when absent); another type is an error. */
function list(fields: Fields, tag: number): number[] | undefined {
  const e = fields.get(tag);
  if (!e) return undefined;
  if (e.type !== 3 && e.type !== 4) fail(`tag ${tag} has type ${e.type}, not SHORT or LONG`);
  return e.values;
}

/** A tag with one value (`perSample`: one, or one per sample, all equal), or `fallback` when absent. */
function one(fields: Fields, tag: number, fallback?: number, perSample?: number): number {
  const v = list(fields, tag);
  if (v === undefined) {
    if (fallback === undefined) fail(`required tag ${tag} missing`);
    return fallback;
  }
  if (v.length !== 1 && !(perSample !== undefined && v.length === perSample && v.every((x) => x === v[0])))
    fail(
      `tag ${tag} holds ${v.length} values (${v.slice(0, 4).join(', ')}${v.length > 4 ? ', …' : ''}), ` +
        `expected ${perSample ? `1 or ${perSample} equal ones` : '1'}`,
    );
  return v[0];
}

/** Sample layout of a page: what SegLab refuses is named, what the decoder would misread is refused. */
function sampleLayout(fields: Fields): { bits: number; samples: number; sampleFormat: number } {
  const samples = one(fields, 277, 1);
  if (samples < 1) fail('SamplesPerPixel is 0');
  const bitsList = list(fields, 258);
  if (!bitsList)
    throw new TiffFormatError("unsupported 1-bit TIFF without a BitsPerSample tag (as Pillow saves mode '1'); save it as 8-bit");
  if (bitsList.length !== 1 && bitsList.length !== samples) fail(`${bitsList.length} BitsPerSample values for ${samples} samples`);
  const bits = bitsList[0];
  if (bitsList.some((b) => b !== bits)) throw new TiffFormatError(`unsupported mixed bits per sample (${bitsList.join(', ')})`);
  const sampleFormat = one(fields, 339, 1, samples);
  if (sampleFormat === 2) throw new TiffFormatError(`unsupported signed ${bits}-bit integer samples (save as unsigned 8/16-bit or float)`);
  if (sampleFormat === 3 ? bits !== 32 && bits !== 64 : sampleFormat !== 1 || ![1, 8, 16].includes(bits))
    throw new TiffFormatError(`unsupported ${sampleFormat === 3 ? 'float' : 'integer'} samples of ${bits} bits (format ${sampleFormat})`);
  const planar = one(fields, 284, 1);
  if (planar !== 1 && planar !== 2) fail(`PlanarConfiguration ${planar} (1 or 2)`);
  if (planar === 2) throw new TiffFormatError('unsupported planar configuration (separate planes); save the samples interleaved');
  checkPhotometric(fields, samples, bits);
  const predictor = one(fields, 317, 1);
  if (predictor !== 1 && !(predictor === 2 && (bits === 8 || bits === 16)))
    throw new TiffFormatError(`unsupported predictor ${predictor} for ${bits}-bit samples`);
  return { bits, samples, sampleFormat };
}

/** Photometric interpretation against the samples: gray (0, 1) has one colour sample, RGB (2) three. */
function checkPhotometric(fields: Fields, samples: number, bits: number): void {
  const photometric = one(fields, 262);
  // WhiteIsZero: readers disagree beyond 8 bits (the decoder inverts floats against 2^32 − 1, Pillow leaves 16-bit alone).
  if (photometric === 0 && bits > 8) throw new TiffFormatError(`unsupported WhiteIsZero ${bits}-bit samples (save as BlackIsZero)`);
  const extra = list(fields, 338)?.length ?? 0;
  const colour = samples - extra;
  if (photometric === 3) throw new TiffFormatError('palette-colour TIFF is not supported (save it as gray or RGB)');
  if (photometric > 3) throw new TiffFormatError(`unsupported photometric interpretation ${photometric} (use gray or RGB)`);
  if ((photometric === 2) !== (colour === 3) || colour < 1 || colour === 2 || colour > 3)
    fail(`photometric interpretation ${photometric} with ${colour} colour sample(s)`);
}

/** Strips or tiles of a page, with the bytes each must decode to. */
function pageSegments(fields: Fields, width: number, height: number, rowBits: (w: number) => number, compressed: boolean): TiffSegment[] {
  const tiled = fields.has(322) || fields.has(324);
  const offsets = list(fields, tiled ? 324 : 273) ?? [];
  const counts = list(fields, tiled ? 325 : 279);
  let sizes: { need: number; most: number }[];
  if (tiled) {
    const tw = one(fields, 322);
    const th = one(fields, 323);
    if (tw === 0 || th === 0) fail(`tiles of ${tw}×${th} pixels`);
    const tile = th * Math.ceil(rowBits(tw) / 8);
    sizes = new Array(Math.ceil(width / tw) * Math.ceil(height / th)).fill({ need: tile, most: tile });
  } else {
    const declared = one(fields, 278, height);
    if (declared === 0) fail('RowsPerStrip is 0');
    const rps = Math.min(declared, height);
    const row = Math.ceil(rowBits(width) / 8);
    sizes = Array.from({ length: Math.ceil(height / rps) }, (_, i) => ({ need: Math.min(rps, height - i * rps) * row, most: rps * row }));
  }
  if (offsets.length < sizes.length)
    fail(`${offsets.length} ${tiled ? 'tiles' : 'strips'} for ${sizes.length} (${width}×${height} pixels): rows would be missing`);
  if (!counts && compressed) fail(`no byte counts for compressed ${tiled ? 'tiles' : 'strips'}`);
  if (counts && counts.length < sizes.length) fail(`${counts.length} byte counts for ${sizes.length} ${tiled ? 'tiles' : 'strips'}`);
  return sizes.map((s, i) => ({ offset: offsets[i], bytes: counts ? counts[i] : s.need, ...s }));
}

const COMPRESSIONS: Record<number, string> = { 1: 'none', 5: 'LZW', 8: 'Deflate', 32946: 'Deflate' };

function pageLayout(r: Reader, at: number, page: number): TiffPageLayout {
  const fields = readFields(r, at, page);
  const width = one(fields, 256);
  const height = one(fields, 257);
  if (width === 0 || height === 0) fail(`page ${page + 1} declares ${width}×${height} pixels`);
  if (width * height > MAX_TIFF_PAGE_PIXELS)
    throw new TiffFormatError(
      `page ${page + 1} declares ${width}×${height} pixels, more than SegLab reads (${MAX_TIFF_PAGE_PIXELS} pixels, e.g. 11585×11585)`,
    );
  const { bits, samples, sampleFormat } = sampleLayout(fields);
  const compression = one(fields, 259, 1);
  if (!(compression in COMPRESSIONS)) {
    const name = compression === 32773 ? 'PackBits' : compression >= 2 && compression <= 4 ? 'CCITT' : String(compression);
    throw new TiffFormatError(`unsupported Compression: ${name}`);
  }
  const segments = pageSegments(fields, width, height, (w) => w * samples * bits, compression !== 1);
  for (const [i, s] of segments.entries()) {
    if (s.offset + s.bytes > r.bytes.length)
      fail(
        `page ${page + 1}: segment ${i + 1} declares bytes ` +
          `${s.offset}–${s.offset + s.bytes}, past the end of the ${r.bytes.length}-byte file`,
      );
    if (compression === 1 && s.bytes < s.need)
      fail(`page ${page + 1}: segment ${i + 1} holds ${s.bytes} bytes, fewer than the ${s.need} its rows need`);
  }
  return { width, height, bits, samples, sampleFormat, compression, segments };
}

/** How many bytes an LZW stream decodes to, stopping once it passes `most`: lengths only, no strings. */
export function lzwDecodedLength(data: Uint8Array, most: number): number {
  const lengths = new Uint16Array(4096).fill(1, 0, 256);
  let size = 258;
  let width = 9;
  let bits = 0;
  let value = 0;
  let at = 0;
  let total = 0;
  let previous = -1;
  let first = true;
  for (;;) {
    while (bits < width) {
      if (at >= data.length) return total;
      value = ((value << 8) | data[at++]) >>> 0;
      bits += 8;
    }
    const code = (value >>> (bits - width)) & ((1 << width) - 1);
    bits -= width;
    value &= (1 << bits) - 1;
    if (first && code !== 256) fail('an LZW strip that does not start with a Clear code (TIFF 6.0 requires one)');
    first = false;
    if (code === 257) return total;
    if (code === 256) {
      [size, width, previous] = [258, 9, -1];
      continue;
    }
    const length = code < size && code !== 256 ? lengths[code] : previous >= 0 && code === size ? lengths[previous] + 1 : -1;
    if (length < 0) fail(`LZW code ${code} before it is defined`);
    total += length;
    if (total > most) return total;
    if (previous >= 0) {
      if (size >= 4096) fail('LZW table overflow without a clear code');
      lengths[size] = lengths[previous] + 1;
      size++;
      if (size + 1 === 1 << width && width < 12) width++;
    }
    previous = code;
  }
}

/** Bytes a Deflate segment (zlib format, as TIFF requires) decodes to, checksum verified, at most `most` + 1. */
function inflatedLength(data: Uint8Array, most: number): number {
  const zlibHeader = data.length >= 2 && (data[0] & 15) === 8 && data[0] >> 4 <= 7 && ((data[0] << 8) | data[1]) % 31 === 0;
  if (!zlibHeader) fail('Deflate data without its zlib header');
  try {
    const out = zlib.inflateSync(data, { maxOutputLength: most + 1 });
    return out.length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return most + 1;
    fail(`Deflate data: ${(err as Error).message}`);
  }
}

function checkDecodedSizes(bytes: Uint8Array, layout: TiffPageLayout, page: number): void {
  if (layout.compression === 1) return;
  for (const [i, s] of layout.segments.entries()) {
    const data = bytes.subarray(s.offset, s.offset + s.bytes);
    const n = layout.compression === 5 ? lzwDecodedLength(data, s.most) : inflatedLength(data, s.most);
    if (n < s.need) fail(`page ${page + 1}: segment ${i + 1} decodes to ${n} bytes, fewer than the ${s.need} its rows need`);
    if (n > s.most) fail(`page ${page + 1}: segment ${i + 1} decodes to more than the ${s.most} bytes it may hold`);
  }
}

/**
 * Every page's layout (or those in `pages`), checked; throws an Error whose message names the problem
 * (the caller adds the file). `decode` also expands compressed segments to check their sizes.
 */
export function scanTiff(bytes: Uint8Array, options: { pages?: number[]; decode?: boolean } = {}): TiffPageLayout[] {
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for a TIFF header`);
  const order = String.fromCharCode(bytes[0], bytes[1]);
  if (order !== 'II' && order !== 'MM') throw new TiffFormatError('not a TIFF file (no II/MM byte order mark)');
  const r = new Reader(bytes, order === 'II');
  const magic = r.u16(2);
  if (magic === 43) throw new TiffFormatError('unsupported BigTIFF (save as a classic TIFF, under 4 GB)');
  if (magic !== 42) throw new TiffFormatError(`not a TIFF file (magic number ${magic}, expected 42)`);
  const offsets = ifdOffsets(r, r.u32(4));
  const wanted = options.pages ?? offsets.map((_, i) => i);
  const layouts: TiffPageLayout[] = [];
  let pixels = 0;
  for (const page of wanted) {
    if (page >= offsets.length) throw new TiffFormatError(`page ${page + 1} requested; the stack has ${offsets.length}`);
    const layout = pageLayout(r, offsets[page], page);
    pixels += layout.width * layout.height * layout.samples;
    if (pixels > MAX_TIFF_STACK_PIXELS)
      throw new TiffFormatError(`the pages hold more than ${MAX_TIFF_STACK_PIXELS} samples, more than SegLab reads`);
    if (options.decode) checkDecodedSizes(bytes, layout, page);
    layouts.push(layout);
  }
  return layouts;
}

/** The number of pages, every IFD offset checked and loops detected. */
export function scanTiffPageCount(bytes: Uint8Array): number {
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for a TIFF header`);
  const order = String.fromCharCode(bytes[0], bytes[1]);
  if (order !== 'II' && order !== 'MM') throw new TiffFormatError('not a TIFF file (no II/MM byte order mark)');
  const r = new Reader(bytes, order === 'II');
  if (r.u16(2) !== 42)
    throw new TiffFormatError(r.u16(2) === 43 ? 'unsupported BigTIFF (save as a classic TIFF, under 4 GB)' : 'not a TIFF file');
  return ifdOffsets(r, r.u32(4)).length;
}
