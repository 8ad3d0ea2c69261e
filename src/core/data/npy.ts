/**
 * Reader for NumPy's .npy format (version 1–3): little- and big-endian float16/32/64, integer and
 * bool arrays, C or Fortran order. Small enough to write by hand: the format is a magic string, a
 * header length, a Python-literal header dict and the raw data. .npz archives (zip) are opened with
 * fflate.
 */
import { unzipSync, UnzipFileInfo } from 'fflate';
import { crcMatches, zipDirectory, ZipEntry } from './zip';

export interface NpyArray {
  shape: number[];
  dtype: string;
  /** Values in C (row-major) order. */
  data: Float64Array;
}

const MAGIC = '\x93NUMPY';

interface DtypeReader {
  size: number;
  read: (view: DataView, offset: number, little: boolean) => number;
}

/** IEEE 754 half precision (numpy float16) from its 16 bits. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const READERS: Record<string, DtypeReader> = {
  f2: { size: 2, read: (v, o, le) => halfToNumber(v.getUint16(o, le)) },
  f4: { size: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, read: (v, o, le) => v.getFloat64(o, le) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  b1: { size: 1, read: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) }, // numpy reads any non-zero byte as True
  u2: { size: 2, read: (v, o, le) => v.getUint16(o, le) },
  i2: { size: 2, read: (v, o, le) => v.getInt16(o, le) },
  u4: { size: 4, read: (v, o, le) => v.getUint32(o, le) },
  i4: { size: 4, read: (v, o, le) => v.getInt32(o, le) },
  i8: { size: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { size: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

export function parseNpy(bytes: Buffer, file: string): NpyArray {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== MAGIC) {
    throw new Error(`${file}: not a .npy file (missing \\x93NUMPY magic)`);
  }
  const [major, minor] = [bytes[6], bytes[7]];
  if (major < 1 || major > 3 || minor !== 0)
    throw new Error(`${file}: .npy format version ${major}.${minor} is not one numpy writes (1.0, 2.0 or 3.0)`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new Error(`${file}: truncated .npy header (${bytes.length} bytes)`);
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  if (headerStart + headerLength > bytes.length) {
    throw new Error(
      `${file}: truncated .npy header (declares ${headerLength} bytes, the file has ${bytes.length - headerStart} after the preamble)`,
    );
  }
  const header = bytes.toString(major >= 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLength);
  const parsed = parseNpyHeader(header);
  if (typeof parsed === 'string')
    throw new Error(`${file}: unreadable .npy header (${parsed}): ${JSON.stringify(header.trim().slice(0, 120))}`);
  const descr = /^([<>|=])([a-z])(\d+)$/.exec(parsed.descr);
  const [, order, kind, bytesPer] = descr ?? ['', '', parsed.descr, ''];
  const dtype = `${kind}${bytesPer}`;
  const reader = READERS[dtype];
  if (!reader) throw new Error(`${file}: dtype '${parsed.descr}' is not supported (use float16, float32, float64, integers or bool)`);
  const shape = parsed.shape;
  const fortranOrder = parsed.fortranOrder;
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart < count * reader.size) {
    throw new Error(`${file}: truncated .npy data (${bytes.length - dataStart} bytes for ${count} × ${reader.size})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * reader.size);
  const little = order !== '>';
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, i * reader.size, little);
  return { shape, dtype, data: fortranOrder ? fortranToC(data, shape) : data };
}

/**
 * The header dict, parsed as strictly as numpy does (ast.literal_eval, then exactly the keys descr,
 * fortran_order and shape): quoted strings without escapes, True/False, a tuple of non-negative
 * decimal integers, Python whitespace between tokens, a trailing comma. Anything else — stray bytes in
 * the padding, a missing comma, a fourth key — is refused (a message), as numpy refuses it.
 */
export function parseNpyHeader(text: string): { descr: string; fortranOrder: boolean; shape: number[] } | string {
  const tokens = text.match(/'[^'\\\n]*'|"[^"\\\n]*"|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|True|False|[{}():,]|[ \t\n\r\f]+|[^]/g) ?? [];
  const t = tokens.filter((x) => !/^[ \t\n\r\f]+$/.test(x));
  let i = 0;
  const expect = (v: string) => (t[i] === v ? (i++, true) : false);
  const fields = new Map<string, string | boolean | number[]>();
  if (!expect('{')) return 'not a dict';
  while (t[i] !== '}') {
    const key = t[i++];
    if (!key || !/^['"]/.test(key) || !expect(':')) return 'expected a quoted key and a colon';
    const v = t[i];
    const name = key.slice(1, -1);
    if (v === 'True' || v === 'False') {
      fields.set(name, v === 'True');
      i++;
    } else if (v && /^['"]/.test(v)) {
      fields.set(name, v.slice(1, -1));
      i++;
    } else if (expect('(')) {
      const dims: number[] = [];
      while (t[i] !== ')') {
        if (!t[i] || !/^(0|[1-9]\d*)$/.test(t[i])) return `a shape dimension '${t[i] ?? ''}' that is not a size`;
        dims.push(Number(t[i++]));
        if (!expect(',') && t[i] !== ')') return 'expected a comma in the shape';
      }
      i++;
      if (dims.length === 1 && t[i - 2] !== ',') return 'a one-dimensional shape without its comma';
      fields.set(name, dims);
    } else return `an unexpected value ${JSON.stringify(v ?? '')}`;
    if (!expect(',') && t[i] !== '}') return 'expected a comma or }';
  }
  if (i + 1 !== t.length) return 'bytes after the dict';
  const [descr, fortranOrder, shape] = [fields.get('descr'), fields.get('fortran_order'), fields.get('shape')];
  if (fields.size !== 3 || typeof descr !== 'string' || typeof fortranOrder !== 'boolean' || !Array.isArray(shape))
    return "the keys must be exactly 'descr', 'fortran_order' and 'shape'";
  if (!shape.every(Number.isSafeInteger)) return 'a shape dimension that is not a size';
  return { descr, fortranOrder, shape };
}

function fortranToC(data: Float64Array, shape: number[]): Float64Array {
  const out = new Float64Array(data.length);
  const n = shape.length;
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    let stride = 1;
    for (let k = 0; k < n; k++) {
      f += idx[k] * stride;
      stride *= shape[k];
    }
    out[c] = data[f];
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Encodes a float32 little-endian C-order .npy (for tests and exports). */
export function encodeNpyFloat32(data: ArrayLike<number>, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write(MAGIC, 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], i * 4);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/**
 * The arrays of a .npz archive (numpy.savez / savez_compressed: a zip of .npy files, stored or
 * deflated; unzipped with fflate), by name without ".npy".
 */
export function parseNpz(bytes: Buffer, file: string): Map<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  let directory: Map<string, ZipEntry>;
  try {
    directory = zipDirectory(bytes);
    entries = unzipSync(bytes, { filter: (f) => checkMemberSize(f, directory.get(f.name)) });
  } catch (err) {
    throw new Error(`${file}: not a readable .npz (zip) archive (${(err as Error).message})`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(entries)) {
    const key = name.slice(0, -4);
    const entry = directory.get(name)!;
    if (data.length !== entry.size || !crcMatches(entry, data))
      throw new Error(`${file}:${key}: the member's data does not match its CRC-32 or size in the archive (damaged .npz)`);
    out.set(key, parseNpy(Buffer.from(data.buffer, data.byteOffset, data.byteLength), `${file}:${key}`));
  }
  if (out.size === 0) throw new Error(`${file}: the .npz archive holds no .npy arrays`);
  return out;
}

/** The most bytes one .npz member may decompress to. */
export const MAX_NPZ_MEMBER_BYTES = 2 ** 31;

/** A member's declared size checked before fflate allocates it: against the limit and what its bytes can hold. */
function checkMemberSize(f: UnzipFileInfo, entry: ZipEntry | undefined): boolean {
  if (!entry) throw new Error(`member ${f.name} is not in the archive's directory`);
  if (!f.name.endsWith('.npy'))
    throw new Error(`member ${JSON.stringify(f.name.slice(0, 80))} is not a .npy array (numpy.savez writes only those)`);
  const most = f.compression === 0 ? f.size : 2 * 1032 * f.size + 65536;
  if (f.originalSize > MAX_NPZ_MEMBER_BYTES || f.originalSize > most)
    throw new Error(
      `member ${f.name} declares ${f.originalSize} bytes but holds ${f.size} ${f.compression === 0 ? 'stored' : 'compressed'}`,
    );
  return true;
}

/** Names a prediction or mask is commonly saved under, in order of preference. */
const NPZ_PREFERRED = ['pred', 'prob', 'probs', 'probabilities', 'logits', 'mask', 'label', 'labels', 'seg', 'arr_0'];

/** The one array of a .npz a file-level reader should use: the only one, or a conventionally named one. */
export function pickNpzArray(arrays: Map<string, NpyArray>, file: string): { key: string; array: NpyArray } {
  if (arrays.size === 1) {
    const [[key, array]] = [...arrays];
    return { key, array };
  }
  for (const key of NPZ_PREFERRED) {
    const array = arrays.get(key);
    if (array) return { key, array };
  }
  throw new Error(
    `${file}: ${arrays.size} arrays (${[...arrays.keys()].join(', ')}); save one, or name it one of ${NPZ_PREFERRED.join(', ')}`,
  );
}
