/**
 * TensorBoard event files (`events.out.tfevents.<seconds>.<host>`), written by SegLab itself: the
 * format is small and fixed (TFRecord framing around three protobuf messages), so a hand-written
 * encoder of the few fields used here replaces a protobuf library and TensorFlow's writer.
 *
 * TFRecord framing, per record: uint64 length (little-endian), uint32 masked CRC-32C of those 8
 * bytes, the data, uint32 masked CRC-32C of the data; mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8.
 * The messages (tensorboard/compat/proto/event.proto and summary.proto), with their field numbers:
 *   Event         { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary       { repeated Value value = 1; }
 *   Summary.Value { string tag = 1; float simple_value = 2; Image image = 4; }
 *   Summary.Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 * The first record of a file is an Event with file_version "brain.Event:2"; scalars keep ∞ and NaN
 * (float32 holds them, TensorBoard shows them).
 */

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses. */
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(16 + data.length);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ---- protobuf wire format: just what the messages above need ----
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(bytes.length)]), bytes]);
}
function varintField(field: number, value: number | bigint): Buffer {
  return Buffer.from([...key(field, 0), ...varint(value)]);
}
function doubleField(field: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([Buffer.from(key(field, 1)), b]);
}
function floatField(field: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return Buffer.concat([Buffer.from(key(field, 5)), b]);
}

export interface ImageValue {
  /** PNG bytes. */
  png: Uint8Array;
  width: number;
  height: number;
  /** 1 gray, 3 RGB, 4 RGBA. */
  colorspace: number;
}

export type SummaryValue = { tag: string; scalar: number } | { tag: string; image: ImageValue };

function encodeValue(v: SummaryValue): Buffer {
  const tag = lengthDelimited(1, Buffer.from(v.tag, 'utf8'));
  if ('scalar' in v) return Buffer.concat([tag, floatField(2, v.scalar)]);
  const image = Buffer.concat([
    varintField(1, v.image.height),
    varintField(2, v.image.width),
    varintField(3, v.image.colorspace),
    lengthDelimited(4, v.image.png),
  ]);
  return Buffer.concat([tag, lengthDelimited(4, image)]);
}

/** An Event with a Summary of `values` at `step`. */
export function summaryEvent(wallTimeSeconds: number, step: number, values: SummaryValue[]): Buffer {
  const summary = Buffer.concat(values.map((v) => lengthDelimited(1, encodeValue(v))));
  return Buffer.concat([doubleField(1, wallTimeSeconds), varintField(2, step), lengthDelimited(5, summary)]);
}

/** The Event that opens every event file. */
export function fileVersionEvent(wallTimeSeconds: number): Buffer {
  return Buffer.concat([doubleField(1, wallTimeSeconds), lengthDelimited(3, Buffer.from('brain.Event:2', 'utf8'))]);
}

/** `events.out.tfevents.<seconds>.<host>`, the name TensorBoard looks for. */
export function eventFileName(wallTimeSeconds: number, host: string): string {
  return `events.out.tfevents.${Math.floor(wallTimeSeconds)}.${host.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
