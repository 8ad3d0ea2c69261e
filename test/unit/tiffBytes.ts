/**
 * A minimal little-endian TIFF writer for hostile-input tests: each page is a list of tags (SHORT or
 * LONG values) and its strip bytes, laid out as the TIFF 6.0 baseline describes (header, IFDs, data).
 * Tests then edit the bytes (a loop in the IFD chain, a lying count) to make the damaged variants.
 */
export interface TiffTestPage {
  width: number;
  height: number;
  /** Strip bytes, one buffer per strip (uncompressed unless `compression` says otherwise). */
  strips: Uint8Array[];
  bits?: number;
  samples?: number;
  sampleFormat?: number;
  rowsPerStrip?: number;
  compression?: number;
  /** Extra tags: [tag, type (3 SHORT, 4 LONG), values]. */
  extra?: [number, 3 | 4, number[]][];
}

export function tiffBytes(pages: TiffTestPage[]): Buffer {
  const chunks: Buffer[] = [];
  let size = 8;
  const put = (b: Buffer): number => {
    const at = size;
    chunks.push(b);
    size += b.length;
    return at;
  };
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  const starts: number[] = [];
  const links: number[] = [];
  for (const page of pages) {
    const stripOffsets = page.strips.map((s) => put(Buffer.from(s)));
    if (size % 2) put(Buffer.alloc(1));
    const tags: [number, 3 | 4, number[]][] = [
      [256, 4, [page.width]],
      [257, 4, [page.height]],
      [258, 3, new Array(page.samples ?? 1).fill(page.bits ?? 8)],
      [259, 3, [page.compression ?? 1]],
      [262, 3, [(page.samples ?? 1) === 3 ? 2 : 1]],
      [273, 4, stripOffsets],
      [277, 3, [page.samples ?? 1]],
      [278, 4, [page.rowsPerStrip ?? page.height]],
      [279, 4, page.strips.map((s) => s.length)],
      [339, 3, [page.sampleFormat ?? 1]],
      ...(page.extra ?? []),
    ];
    tags.sort((a, b) => a[0] - b[0]);
    const outOfLine = tags.map(([, type, values]) => {
      if (values.length * (type === 3 ? 2 : 4) <= 4) return -1;
      const b = Buffer.alloc(values.length * (type === 3 ? 2 : 4));
      values.forEach((v, i) => (type === 3 ? b.writeUInt16LE(v, 2 * i) : b.writeUInt32LE(v, 4 * i)));
      return put(b);
    });
    const ifd = Buffer.alloc(2 + 12 * tags.length + 4);
    ifd.writeUInt16LE(tags.length, 0);
    tags.forEach(([tag, type, values], i) => {
      const at = 2 + 12 * i;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(values.length, at + 4);
      if (outOfLine[i] >= 0) ifd.writeUInt32LE(outOfLine[i], at + 8);
      else values.forEach((v, k) => (type === 3 ? ifd.writeUInt16LE(v, at + 8 + 2 * k) : ifd.writeUInt32LE(v, at + 8)));
    });
    const at = put(ifd);
    starts.push(at);
    links.push(at + 2 + 12 * tags.length);
  }
  header.writeUInt32LE(starts[0], 4);
  const out = Buffer.concat([header, ...chunks]);
  for (let i = 0; i + 1 < starts.length; i++) out.writeUInt32LE(starts[i + 1], links[i]);
  return out;
}

/** The byte offset of the "next IFD" link of page `page` (0-based) of a tiffBytes file. */
export function nextIfdLink(bytes: Buffer, page: number): number {
  let at = bytes.readUInt32LE(4);
  for (let p = 0; p < page; p++) at = bytes.readUInt32LE(at + 2 + 12 * bytes.readUInt16LE(at));
  return at + 2 + 12 * bytes.readUInt16LE(at);
}
