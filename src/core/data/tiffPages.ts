/**
 * A multi-page TIFF read one page at a time, so that a stack of thousands of slices trains within
 * the dataset cache instead of being held whole. `indexTiffStack` walks the chain of pages (IFDs)
 * with positioned reads — the header and each IFD's entries, nothing else — checking every offset
 * against the file's length and refusing loops. `readStackPage` reads one page's IFD, the tag values
 * it points to and its strips or tiles, lays them out as a one-page TIFF in memory and hands that to
 * the same checks and decoder as a whole file (tiff.ts: tiffScan's structure and size checks, then
 * the `tiff` package), so a page read this way gives the same pixels and the same named errors as
 * reading the whole file, with memory for one page.
 *
 * Written here: the `tiff` package decodes only from one buffer holding the whole file.
 */
import * as fs from 'fs';
import { MAX_INPUT_FILE_BYTES, openRegularFile } from './readBytes';
import { decodeTiffBytes, TiffPage } from './tiff';
import { MAX_TIFF_PAGES, TiffFormatError, TIFF_TYPE_SIZES } from './tiffScan';

/**
 * The most bytes of tag values one page may hold outside its IFD: 16 MiB (the strip offsets and byte
 * counts of an 11585-row page, one row per strip, take 93 KB; of 16 × 16 tiles at MAX_TIFF_PAGE_PIXELS, 4 MiB).
 */
export const MAX_TAG_BYTES = 2 ** 24;

/** Where a stack's pages start: the file, its byte order and each page's IFD offset. */
export interface TiffStackIndex {
  file: string;
  bytes: number;
  little: boolean;
  ifds: number[];
}

function fail(problem: string): never {
  throw new TiffFormatError(`corrupt TIFF: ${problem}`);
}

/** An open file read at offsets, every read checked against the length it had when opened. */
class PositionedFile {
  readonly fd: number;
  readonly size: number;

  constructor(readonly file: string) {
    ({ fd: this.fd, size: this.size } = openRegularFile(file));
  }

  /** `length` bytes at `at`; `what` names them when they would lie past the end (nothing to read: no check). */
  read(at: number, length: number, what: string): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    if (at + length > this.size) fail(`${what} at byte ${at} (${length} bytes) lies past the end of the ${this.size}-byte file`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, done, length - done, at + done);
      if (n === 0) fail(`the file ended at byte ${at + done} while reading ${what} (it was ${this.size} bytes when opened)`);
      done += n;
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function withFile<T>(file: string, f: (pf: PositionedFile) => T): T {
  const pf = new PositionedFile(file);
  try {
    return f(pf);
  } catch (err) {
    if (err instanceof TiffFormatError) throw new Error(`${file}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code !== undefined) throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
    throw err;
  } finally {
    pf.close();
  }
}

function header(pf: PositionedFile): { little: boolean; first: number } {
  if (pf.size < 8) fail(`${pf.size} bytes, too short for a TIFF header`);
  const h = pf.read(0, 8, 'the header');
  const order = String.fromCharCode(h[0], h[1]);
  if (order !== 'II' && order !== 'MM') throw new TiffFormatError('not a TIFF file (no II/MM byte order mark)');
  const little = order === 'II';
  const magic = view(h).getUint16(2, little);
  if (magic === 43) throw new TiffFormatError('unsupported BigTIFF (save as a classic TIFF, under 4 GB)');
  if (magic !== 42) throw new TiffFormatError(`not a TIFF file (magic number ${magic}, expected 42)`);
  return { little, first: view(h).getUint32(4, little) };
}

/** Every page's IFD offset, in order: a loop, an offset past the end or more than MAX_TIFF_PAGES pages is an error. */
export function indexTiffStack(file: string): TiffStackIndex {
  return withFile(file, (pf) => {
    const { little, first } = header(pf);
    const seen = new Set<number>();
    const ifds: number[] = [];
    for (let at = first; at !== 0;) {
      if (seen.has(at)) fail(`the chain of pages loops back to page ${ifds.indexOf(at) + 1} (byte ${at})`);
      if (ifds.length >= MAX_TIFF_PAGES)
        throw new TiffFormatError(`more than ${MAX_TIFF_PAGES} pages, more than SegLab reads from one stack`);
      const n = view(pf.read(at, 2, `page ${ifds.length + 1}`)).getUint16(0, little);
      const next = pf.read(at + 2 + 12 * n, 4, `the end of page ${ifds.length + 1}'s ${n} tags`);
      seen.add(at);
      ifds.push(at);
      at = view(next).getUint32(0, little);
    }
    if (ifds.length === 0) fail('the TIFF has no pages');
    return { file, bytes: pf.size, little, ifds };
  });
}

interface RawEntry {
  tag: number;
  type: number;
  count: number;
  /** The 4 bytes of the value field as stored (a value, or the offset of the values). */
  field: Uint8Array;
  /** Values stored elsewhere: their bytes, copied from the file. */
  data?: Uint8Array;
}

/** The most bytes read for one page: the file's length, and at most what reading the whole file may take. */
const budget = (pf: PositionedFile) => Math.min(pf.size, MAX_INPUT_FILE_BYTES);

/** The first SHORT or LONG value of tag `tag`, or `fallback`. */
function first(entries: RawEntry[], tag: number, little: boolean, fallback?: number): number | undefined {
  const e = entries.find((x) => x.tag === tag);
  return e ? entryValues(e, little)?.[0] : fallback;
}

/** Bytes one uncompressed strip or tile of the page holds (a page without byte counts), if its tags say. */
function segmentBound(entries: RawEntry[], tiled: boolean, little: boolean): number | undefined {
  const width = first(entries, 256, little);
  const height = first(entries, 257, little);
  const samples = first(entries, 277, little, 1);
  const bits = first(entries, 258, little, 1);
  if (!width || !height || !samples || !bits) return undefined;
  const [w, h] = tiled
    ? [first(entries, 322, little), first(entries, 323, little)]
    : [width, Math.min(height, first(entries, 278, little, height) ?? height)];
  return w && h ? Math.ceil((w * samples * bits) / 8) * h : undefined;
}

/** SHORT or LONG values of an entry (inline or copied), for the strip and tile tags. */
function entryValues(e: RawEntry, little: boolean): number[] | undefined {
  if (e.type !== 3 && e.type !== 4) return undefined;
  const src = view(e.data ?? e.field);
  return Array.from({ length: e.count }, (_, i) => (e.type === 3 ? src.getUint16(2 * i, little) : src.getUint32(4 * i, little)));
}

/** One page of an indexed stack: what a worker thread needs to read it (plain data, no file handle). */
export interface TiffPageRef {
  file: string;
  /** The file's length when it was indexed (a changed file is refused). */
  bytes: number;
  little: boolean;
  ifd: number;
  /** 0-based, and the stack's page count (for messages). */
  page: number;
  pages: number;
}

export function pageRef(index: TiffStackIndex, page: number): TiffPageRef {
  return { file: index.file, bytes: index.bytes, little: index.little, ifd: index.ifds[page], page, pages: index.ifds.length };
}

/** How a page is named in messages: `stack.tif (page 3 of 30)`. */
export const pageWhere = (ref: TiffPageRef) => `${ref.file} (page ${ref.page + 1} of ${ref.pages})`;

/**
 * One page of a stack, decoded: its IFD, out-of-line tag values and segments copied into a one-page
 * TIFF and decoded as a file would be. At most the file's length (and MAX_INPUT_FILE_BYTES) is read
 * for one page; tags and segments that together declare more are refused before anything is allocated.
 */
export function readStackPage(ref: TiffPageRef): TiffPage {
  const bytes = withFile(ref.file, (pf) => {
    if (pf.size !== ref.bytes) fail(`the file changed after it was indexed (${ref.bytes} bytes, now ${pf.size})`);
    return onePageTiff(pf, ref.ifd, ref.little, ref.page);
  });
  return decodeTiffBytes(bytes, pageWhere(ref));
}

function readEntries(pf: PositionedFile, at: number, little: boolean, page: number): RawEntry[] {
  const n = view(pf.read(at, 2, `page ${page + 1}`)).getUint16(0, little);
  const block = pf.read(at + 2, 12 * n, `page ${page + 1}'s ${n} tags`);
  const v = view(block);
  let outOfLine = 0;
  const entries: RawEntry[] = [];
  for (let i = 0; i < n; i++) {
    const o = 12 * i;
    const e: RawEntry = {
      tag: v.getUint16(o, little),
      type: v.getUint16(o + 2, little),
      count: v.getUint32(o + 4, little),
      field: block.subarray(o + 8, o + 12),
    };
    const size = e.type === 13 ? 4 : TIFF_TYPE_SIZES[e.type];
    const length = size === undefined ? 0 : size * e.count; // undefined types: left for the scan to name
    if (length > 4) {
      const offset = v.getUint32(o + 8, little);
      outOfLine += length;
      if (outOfLine > MAX_TAG_BYTES)
        fail(`page ${page + 1}'s tags declare ${outOfLine} bytes of values, more than SegLab reads (${MAX_TAG_BYTES})`);
      e.data = pf.read(offset, length, `page ${page + 1}: tag ${e.tag}'s ${e.count} values`);
    }
    entries.push(e);
  }
  return entries;
}

function onePageTiff(pf: PositionedFile, at: number, little: boolean, page: number): Uint8Array {
  const entries = readEntries(pf, at, little, page);
  const tiled = entries.some((e) => e.tag === 322 || e.tag === 324);
  const offsetsEntry = entries.find((e) => e.tag === (tiled ? 324 : 273));
  const counts = entries.find((e) => e.tag === (tiled ? 325 : 279));
  const offsets = offsetsEntry && entryValues(offsetsEntry, little);
  const sizes = counts && entryValues(counts, little);
  // Segments: each copied from the file, as many bytes as its count says (without counts, as many as
  // its rows can need, from the page's sizes). What does not fit the page is left for the scan to name.
  const segments: Uint8Array[] = [];
  if (offsets) {
    const most = sizes ? undefined : segmentBound(entries, tiled, little);
    let total = 0;
    for (let i = 0; i < offsets.length; i++) {
      // (fewer counts than offsets: the rest copied empty, and the scan names the shortfall)
      const length = sizes ? (sizes[i] ?? 0) : Math.min(most ?? pf.size, Math.max(0, pf.size - offsets[i]));
      total += length;
      if (total > budget(pf) + (most ?? 0))
        fail(`page ${page + 1}'s ${tiled ? 'tiles' : 'strips'} declare more bytes than the ${pf.size}-byte file holds`);
      segments.push(pf.read(offsets[i], length, `page ${page + 1}: ${tiled ? 'tile' : 'strip'} ${i + 1}`));
    }
  }
  // Layout: header, the IFD (entries in their order, next = 0), out-of-line values, segments.
  const ifdBytes = 2 + 12 * entries.length + 4;
  const offsetsLength = offsets ? 4 * offsets.length : 0;
  let size = 8 + ifdBytes;
  const placed = entries.map((e) => {
    const length = e === offsetsEntry ? offsetsLength : (e.data?.length ?? 0);
    if (length <= 4) return 0;
    const p = size + (size & 1); // word boundary, as TIFF asks
    size = p + length;
    return p;
  });
  const segmentAt = segments.map((s) => {
    const p = size;
    size += s.length;
    return p;
  });
  const out = new Uint8Array(size);
  const dv = view(out);
  out[0] = out[1] = little ? 0x49 : 0x4d;
  dv.setUint16(2, 42, little);
  dv.setUint32(4, 8, little);
  dv.setUint16(8, entries.length, little);
  entries.forEach((e, i) => {
    const o = 10 + 12 * i;
    dv.setUint16(o, e.tag, little);
    if (e === offsetsEntry && offsets) {
      // Rewritten as LONGs: the segments' new places (a SHORT could not hold them).
      dv.setUint16(o + 2, 4, little);
      dv.setUint32(o + 4, offsets.length, little);
      const target = offsets.length === 1 ? o + 8 : placed[i];
      if (offsets.length > 1) dv.setUint32(o + 8, placed[i], little);
      segmentAt.forEach((p, k) => dv.setUint32(target + 4 * k, p, little));
      return;
    }
    dv.setUint16(o + 2, e.type, little);
    dv.setUint32(o + 4, e.count, little);
    if (e.data) {
      dv.setUint32(o + 8, placed[i], little);
      out.set(e.data, placed[i]);
    } else out.set(e.field, o + 8);
  });
  segments.forEach((s, k) => out.set(s, segmentAt[k]));
  return out;
}
