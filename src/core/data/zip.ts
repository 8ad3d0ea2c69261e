/**
 * The central directory of a zip archive (an .npz is one): each member's name, CRC-32 and sizes, zip64
 * sizes included (numpy writes members with force_zip64). fflate unzips but neither verifies a member's
 * CRC nor lets the caller see it, and it allocates the size an entry declares; SegLab reads the directory
 * itself to bound sizes before unzipping and to verify every member after.
 */
import { crc32 } from '../common/crc32';

export interface ZipEntry {
  crc: number;
  compressedSize: number;
  size: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

function endOfDirectory(b: Buffer): number {
  for (let at = b.length - 22; at >= Math.max(0, b.length - 22 - 65535); at--) if (b.readUInt32LE(at) === EOCD) return at;
  throw new Error('not a zip archive (no end-of-directory record)');
}

/** zip64 sizes from the extra field, for the fields the fixed header marks 0xFFFFFFFF. */
function zip64Sizes(b: Buffer, extra: number, end: number, entry: ZipEntry): void {
  for (let at = extra; at + 4 <= end;) {
    const [id, length] = [b.readUInt16LE(at), b.readUInt16LE(at + 2)];
    if (id === 1) {
      let p = at + 4;
      const next = (): number => {
        if (p + 8 > at + 4 + length) throw new Error('a zip64 field shorter than its sizes');
        const v = Number(b.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      return;
    }
    at += 4 + length;
  }
}

/** A member's local header: where the directory says, with the directory's name (as Python's zipfile checks). */
function checkLocalHeader(b: Buffer, at: number, name: string): void {
  if (at + 30 > b.length || b.readUInt32LE(at) !== 0x04034b50)
    throw new Error(`member ${JSON.stringify(name.slice(0, 80))}: no local header at byte ${at}`);
  const nameLength = b.readUInt16LE(at + 26);
  if (at + 30 + nameLength > b.length || b.toString('utf8', at + 30, at + 30 + nameLength) !== name)
    throw new Error(`member ${JSON.stringify(name.slice(0, 80))}: its local header names another file`);
}

/** Every member of the archive by name; a directory that runs past the file is an error. */
export function zipDirectory(b: Buffer): Map<string, ZipEntry> {
  const eocd = endOfDirectory(b);
  const count = b.readUInt16LE(eocd + 10);
  const [size, offset] = [b.readUInt32LE(eocd + 12), b.readUInt32LE(eocd + 16)];
  if (offset + size !== eocd && !(offset === 0xffffffff || size === 0xffffffff)) {
    // zip64 archives keep the real values in their own end records, which precede this one
    const zip64 = eocd >= 20 && b.readUInt32LE(eocd - 20) === 0x07064b50;
    if (!zip64) throw new Error(`the directory (${size} bytes at ${offset}) does not end where the end record is (${eocd})`);
  }
  let at = offset;
  const out = new Map<string, ZipEntry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > b.length || b.readUInt32LE(at) !== CENTRAL) throw new Error(`zip directory entry ${i + 1} is missing or damaged`);
    const [nameLength, extraLength, commentLength] = [b.readUInt16LE(at + 28), b.readUInt16LE(at + 30), b.readUInt16LE(at + 32)];
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > b.length) throw new Error(`zip directory entry ${i + 1} runs past the end of the file`);
    const name = b.toString('utf8', at + 46, at + 46 + nameLength);
    const [flags, method] = [b.readUInt16LE(at + 8), b.readUInt16LE(at + 10)];
    if (b[at + 6] > 63)
      throw new Error(
        `member ${JSON.stringify(name.slice(0, 80))} needs zip version ${b[at + 6] / 10} to extract (numpy writes 2.0 or 4.5)`,
      );
    if (flags & 0x61)
      throw new Error(`member ${JSON.stringify(name.slice(0, 80))} is encrypted or patched (flags 0x${flags.toString(16)})`);
    if (method !== 0 && method !== 8)
      throw new Error(`member ${JSON.stringify(name.slice(0, 80))} uses compression method ${method} (numpy writes stored or deflated)`);
    const entry = { crc: b.readUInt32LE(at + 16), compressedSize: b.readUInt32LE(at + 20), size: b.readUInt32LE(at + 24) };
    zip64Sizes(b, at + 46 + nameLength, at + 46 + nameLength + extraLength, entry);
    checkLocalHeader(b, b.readUInt32LE(at + 42), name);
    if (out.has(name)) throw new Error(`member ${JSON.stringify(name.slice(0, 80))} is in the directory twice`);
    out.set(name, entry);
    at = end;
  }
  return out;
}

/** Whether a member's bytes match the CRC-32 its directory entry records. */
export function crcMatches(entry: ZipEntry, data: Uint8Array): boolean {
  return crc32(data) === entry.crc;
}
