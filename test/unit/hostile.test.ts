/**
 * Hostile and damaged files, one per problem found by trying them (issue 22): each must give an error
 * that names the file and the problem, quickly and without a large allocation. The undamaged baselines
 * are checked against Pillow (Debian's python3-pil through /usr/bin/python3), an independent reader.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { decode } from 'tiff';
import { readArrayFile } from '../../src/core/data/arrayFile';
import { loadFolderDataset } from '../../src/core/data/dataset';
import { readImage, readRawImage } from '../../src/core/data/image';
import { readTiffImage, readTiffPages, tiffPageCount } from '../../src/core/data/tiff';
import { lzwDecodedLength } from '../../src/core/data/tiffScan';
import { indexTiffStack, pageRef, readStackPage } from '../../src/core/data/tiffPages';
import { zipSync } from 'fflate';
import { crc32 } from '../../src/core/common/crc32';
import { encodeNpyFloat32 } from '../../src/core/data/npy';
import { decodePng, encodePng8 } from '../../src/core/data/png';
import { evaluateFolders } from '../../src/core/metrics/evaluateFolders';
import { ROOT } from './helpers';
import { nextIfdLink, tiffBytes, TiffTestPage } from './tiffBytes';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

function python(script: string, ...args: string[]): string {
  const r = spawnSync(PYTHON, ['-c', `import sys, numpy as np\nfrom PIL import Image\n${script}`, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} with Pillow and numpy failed (apt-get install python3-pil python3-numpy): ${r.stderr}`);
  return r.stdout;
}

const gray = (w: number, h: number) => Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 256);

/** A 6×4 gray page for tiffBytes, with `extra` replacing what it names. */
const page = (extra: Partial<TiffTestPage> = {}): TiffTestPage => ({ width: 6, height: 4, strips: [gray(6, 4)], ...extra });

/** A scratch folder made before a describe block's tests and removed after them; `write` puts a file in it. */
function scratchFolder(prefix: string): { readonly dir: string; write: (name: string, bytes: Buffer) => string } {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    write: (name, bytes) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      return f;
    },
  };
}

describe('hostile TIFF files', () => {
  const scratch = scratchFolder('seglab-hostile-');
  const { write } = scratch;

  it('the test writer makes files Pillow reads to the same values SegLab reads', () => {
    const f = write('ok.tif', tiffBytes([page({ rowsPerStrip: 2, strips: [gray(6, 4).slice(0, 12), gray(6, 4).slice(12)] })]));
    const pil = JSON.parse(python('print(np.asarray(Image.open(sys.argv[1])).ravel().tolist())', f));
    assert.deepStrictEqual(Array.from(readRawImage(f).data), pil);
    assert.deepStrictEqual(pil, Array.from(gray(6, 4)));
  });

  it('an IFD chain that loops is an error, not an endless loop (single page and stack)', () => {
    const one = tiffBytes([page()]);
    one.writeUInt32LE(one.readUInt32LE(4), nextIfdLink(one, 0));
    const f1 = write('loop1.tif', one);
    assert.throws(() => readTiffImage(f1), /loop1\.tif: corrupt TIFF: the chain of pages loops back to page 1/);
    assert.throws(() => tiffPageCount(f1), /loops back to page 1/);
    const stack = tiffBytes([page(), page(), page()]);
    stack.writeUInt32LE(stack.readUInt32LE(4), nextIfdLink(stack, 2));
    const f3 = write('loop3.tif', stack);
    assert.throws(() => readTiffPages(f3), /loop3\.tif: corrupt TIFF: the chain of pages loops back to page 1/);
    const past = tiffBytes([page()]);
    past.writeUInt32LE(past.length + 100, nextIfdLink(past, 0));
    assert.throws(() => readTiffPages(write('past.tif', past)), /page 2 starts at byte \d+, past the end/);
  });

  it('strips that hold fewer rows than declared are refused (they read as zeros before)', () => {
    const short = write('fewstrips.tif', tiffBytes([page({ rowsPerStrip: 2, strips: [gray(6, 4).slice(0, 12)] })]));
    assert.throws(() => readRawImage(short), /fewstrips\.tif: corrupt TIFF: 1 strips for 2 \(6×4 pixels\): rows would be missing/);
    const thin = write('thin.tif', tiffBytes([page({ strips: [gray(6, 4).slice(0, 20)] })]));
    assert.throws(() => readRawImage(thin), /segment 1 holds 20 bytes, fewer than the 24 its rows need/);
  });

  it('signed integers, separate colour planes and unknown predictors are refused, not misread', () => {
    const signed = write('int8.tif', tiffBytes([page({ sampleFormat: 2 })]));
    assert.throws(() => readRawImage(signed), /int8\.tif: unsupported signed 8-bit integer samples/);
    const planar = write('planar.tif', tiffBytes([page({ samples: 3, strips: [new Uint8Array(72)], extra: [[284, 3, [2]]] })]));
    assert.throws(() => readRawImage(planar), /planar\.tif: unsupported planar configuration/);
    const predictor = write('pred3.tif', tiffBytes([page({ extra: [[317, 3, [3]]] })]));
    assert.throws(() => readRawImage(predictor), /unsupported predictor 3/);
  });

  it('a tag declaring 2^30 values past the end of the file is refused before allocating', () => {
    const b = tiffBytes([page({ rowsPerStrip: 1, strips: [0, 1, 2, 3].map((r) => gray(6, 4).slice(6 * r, 6 * r + 6)) })]);
    const ifd = b.readUInt32LE(4);
    const n = b.readUInt16LE(ifd);
    for (let i = 0; i < n; i++) if (b.readUInt16LE(ifd + 2 + 12 * i) === 273) b.writeUInt32LE(2 ** 30, ifd + 2 + 12 * i + 4);
    assert.throws(() => readRawImage(write('count.tif', b)), /tag 273 declares 1073741824 values at byte \d+, past the end/);
  });

  it('a Deflate strip that expands beyond its rows, or fails its checksum, is refused', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(8 << 20));
    const f = write('bomb.tif', tiffBytes([page({ compression: 8, strips: [bomb] })]));
    assert.throws(() => readRawImage(f), /bomb\.tif: corrupt TIFF: page 1: segment 1 decodes to more than the 24 bytes/);
    const good = zlib.deflateSync(Buffer.from(gray(6, 4)));
    assert.deepStrictEqual(
      Array.from(readRawImage(write('deflate.tif', tiffBytes([page({ compression: 8, strips: [good] })]))).data),
      Array.from(gray(6, 4)),
    );
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff; // the Adler-32 checksum
    assert.throws(
      () => readRawImage(write('adler.tif', tiffBytes([page({ compression: 8, strips: [bad] })]))),
      /Deflate data: incorrect data check/,
    );
  });

  it('the LZW length pass agrees with the decoder on Pillow files, and catches short LZW strips', () => {
    const f = path.join(scratch.dir, 'lzw.tif');
    python(
      'rng = np.random.default_rng(5)\n' +
        'a = (rng.random((300, 300)) * rng.integers(1, 256, (300, 1))).astype(np.uint8)\n' +
        "Image.fromarray(a).save(sys.argv[1], compression='tiff_lzw')",
      f,
    );
    const bytes = fs.readFileSync(f);
    const ifd = decode(bytes)[0] as unknown as { stripOffsets: number[]; stripByteCounts: number[]; rowsPerStrip: number };
    const offsets = ifd.stripOffsets;
    const counts = ifd.stripByteCounts;
    for (let i = 0; i < offsets.length; i++) {
      const strip = bytes.subarray(offsets[i], offsets[i] + counts[i]);
      const rows = Math.min(ifd.rowsPerStrip, 300 - i * ifd.rowsPerStrip);
      assert.strictEqual(lzwDecodedLength(strip, 1e9), rows * 300, `strip ${i}`);
    }
    const rows = Math.min(ifd.rowsPerStrip, 300);
    const half = bytes.subarray(offsets[0], offsets[0] + Math.floor(counts[0] / 2));
    const cut = write('lzwcut.tif', tiffBytes([{ width: 300, height: rows, compression: 5, strips: [half] }]));
    assert.throws(
      () => readRawImage(cut),
      new RegExp(`lzwcut\\.tif: corrupt TIFF: page 1: segment 1 decodes to \\d+ bytes, fewer than the ${rows * 300}`),
    );
  });

  it('a float TIFF image holding NaN or ±Inf names the file and the pixel (training and predict read it)', () => {
    const f = path.join(scratch.dir, 'nan.tif');
    python("a = np.zeros((3, 5), np.float32); a[1, 2] = np.nan; a[2, 4] = np.inf\nImage.fromarray(a, mode='F').save(sys.argv[1])", f);
    assert.throws(() => readImage(f), /nan\.tif: the image holds NaN at row 1, column 2; image values must be finite/);
    const imgs = fs.mkdtempSync(path.join(scratch.dir, 'imgs-'));
    const masks = fs.mkdtempSync(path.join(scratch.dir, 'masks-'));
    fs.copyFileSync(f, path.join(imgs, 'a.tif'));
    python('Image.fromarray(np.zeros((3, 5), np.uint8)).save(sys.argv[1])', path.join(masks, 'a.png'));
    assert.throws(() => loadFolderDataset(imgs, masks), /a\.tif: the image holds NaN at row 1, column 2/);
    assert.ok(Number.isNaN(readArrayFile(f).values[7]), 'the array reader keeps NaN for the prediction checks');
  });

  it('a 1-bit TIFF reads as 0/1 with largest value 1; without its BitsPerSample tag (Pillow) it is named', () => {
    const f = write('bits1.tif', tiffBytes([{ width: 3, height: 2, bits: 1, strips: [Uint8Array.from([0b01000000, 0b11000000])] }]));
    const raw = readRawImage(f);
    assert.deepStrictEqual([raw.maxValue, Array.from(raw.data)], [1, [0, 1, 0, 1, 1, 0]]);
    const pil = path.join(scratch.dir, 'bilevel.tif');
    python("Image.fromarray(np.array([[0, 255, 0], [255, 255, 0]], np.uint8)).convert('1').save(sys.argv[1])", pil);
    assert.throws(() => readRawImage(pil), /bilevel\.tif: unsupported 1-bit TIFF without a BitsPerSample tag/);
  });
});

/** A PNG chunk with its CRC-32 (SegLab's crc32; pngjs's encoder below is the independent check of the result). */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

describe('hostile TIFF stacks read page by page (streamed stack datasets)', () => {
  const { write } = scratchFolder('seglab-hostile-pages-');
  const pages = (file: string) => {
    const index = indexTiffStack(file);
    return index.ifds.map((_, p) => readStackPage(pageRef(index, p)));
  };
  /** Offset of page `p`'s IFD entry for `tag` in a tiffBytes file. */
  const entryOf = (b: Buffer, p: number, tag: number) => {
    let at = b.readUInt32LE(4);
    for (let k = 0; k < p; k++) at = b.readUInt32LE(at + 2 + 12 * b.readUInt16LE(at));
    for (let i = 0; i < b.readUInt16LE(at); i++) if (b.readUInt16LE(at + 2 + 12 * i) === tag) return at + 2 + 12 * i;
    throw new Error(`no tag ${tag}`);
  };

  it('every page equals the whole-file read, also with strips of several rows and a page without byte counts', () => {
    const rows = [0, 1, 2, 3].map((r) => gray(6, 4).slice(6 * r, 6 * r + 6));
    const b = tiffBytes([
      page(),
      page({ rowsPerStrip: 1, strips: rows }),
      page({ rowsPerStrip: 3, strips: [gray(6, 4).slice(0, 18), gray(6, 4).slice(18)] }),
    ]);
    // Page 3 without StripByteCounts (allowed uncompressed): its tag renamed to one nobody reads.
    b.writeUInt16LE(65000, entryOf(b, 2, 279));
    const f = write('three.tif', b);
    const whole = readTiffPages(f);
    assert.deepStrictEqual(pages(f), whole);
    for (const p of whole) assert.deepStrictEqual(Array.from(p.data), Array.from(gray(6, 4)));
  });

  it('a loop in the chain of pages is found when the stack is indexed; an IFD past the end too', () => {
    const stack = tiffBytes([page(), page(), page()]);
    stack.writeUInt32LE(stack.readUInt32LE(4), nextIfdLink(stack, 2));
    assert.throws(() => indexTiffStack(write('loop.tif', stack)), /loop\.tif: corrupt TIFF: the chain of pages loops back to page 1/);
    const past = tiffBytes([page(), page()]);
    past.writeUInt32LE(past.length + 100, nextIfdLink(past, 1));
    assert.throws(
      () => indexTiffStack(write('past.tif', past)),
      /past\.tif: corrupt TIFF: page 3 at byte \d+ \(2 bytes\) lies past the end/,
    );
  });

  it('a page’s problems name the stack and that page (not the one-page copy’s "page 1")', () => {
    const b = tiffBytes([page(), page({ strips: [gray(6, 4).slice(0, 20)] }), page()]);
    const f = write('thin2.tif', b);
    const index = indexTiffStack(f);
    assert.deepStrictEqual(readStackPage(pageRef(index, 0)).width, 6);
    assert.throws(
      () => readStackPage(pageRef(index, 1)),
      (e: Error) => e.message === `${f} (page 2 of 3): corrupt TIFF: segment 1 holds 20 bytes, fewer than the 24 its rows need`,
    );
    // The whole-file reader says the same of that page.
    assert.throws(() => readTiffPages(f), /thin2\.tif: corrupt TIFF: page 2: segment 1 holds 20 bytes, fewer than the 24 its rows need/);
  });

  it('tags or strips declaring more than the file holds are refused before anything is allocated', () => {
    const rows = [0, 1, 2, 3].map((r) => gray(6, 4).slice(6 * r, 6 * r + 6));
    // 2^30 strip offsets (4 GiB of values): over the 16 MiB of tag values a page may hold.
    const count = tiffBytes([page(), page({ rowsPerStrip: 1, strips: rows })]);
    count.writeUInt32LE(2 ** 30, entryOf(count, 1, 273) + 4);
    const f1 = write('count.tif', count);
    assert.throws(
      () => pages(f1),
      /count\.tif: corrupt TIFF: page 2's tags declare 4294967296 bytes of values, more than SegLab reads \(16777216\)/,
    );
    // Four strips that each claim the whole file: overlapping reads past the file's length.
    const overlap = tiffBytes([page({ rowsPerStrip: 1, strips: rows })]);
    const counts = overlap.readUInt32LE(entryOf(overlap, 0, 279) + 8);
    for (let k = 0; k < 4; k++) overlap.writeUInt32LE(0, overlap.readUInt32LE(entryOf(overlap, 0, 273) + 8) + 4 * k);
    for (let k = 0; k < 4; k++) overlap.writeUInt32LE(overlap.length, counts + 4 * k);
    // Four strips and one byte count: named as the whole-file read names it, the other strips not read.
    const fewer = tiffBytes([page({ rowsPerStrip: 1, strips: rows })]);
    fewer.writeUInt32LE(1, entryOf(fewer, 0, 279) + 4);
    const f3 = write('fewer.tif', fewer);
    assert.throws(() => pages(f3), /fewer\.tif \(page 1 of 1\): corrupt TIFF: 1 byte counts for 4 strips/);
    assert.throws(() => readTiffPages(f3), /fewer\.tif: corrupt TIFF: 1 byte counts for 4 strips/);
    const f2 = write('overlap.tif', overlap);
    assert.throws(() => pages(f2), /overlap\.tif: corrupt TIFF: page 1's strips declare more bytes than the \d+-byte file holds/);
  });

  it('a stack that changes after it was indexed is named, not misread', () => {
    const f = write('changed.tif', tiffBytes([page(), page()]));
    const index = indexTiffStack(f);
    fs.appendFileSync(f, Buffer.alloc(10));
    assert.throws(() => readStackPage(pageRef(index, 1)), /changed\.tif: corrupt TIFF: the file changed after it was indexed/);
  });
});

describe('hostile PNG, npz and special files', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-hostile-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a PNG whose pixels changed but whose chunk CRC was repaired fails its zlib checksum (pngjs accepted it)', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(4, 0);
    ihdr.writeUInt32BE(2, 4);
    ihdr[8] = 8; // 8-bit gray, no interlace
    const raw = Buffer.from([0, 10, 20, 30, 40, 0, 50, 60, 70, 80]); // two rows, filter byte 0
    const png = (idat: Buffer) =>
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', ihdr),
        chunk('IDAT', idat),
        chunk('IEND', Buffer.alloc(0)),
      ]);
    const stored = zlib.deflateSync(raw, { level: 0 });
    assert.deepStrictEqual(Array.from(decodePng(png(stored), 'ok.png').data), [10, 20, 30, 40, 50, 60, 70, 80]);
    // pngjs's own encoder makes the same image, and it decodes alike: the hand-made chunks are well formed.
    assert.deepStrictEqual(
      decodePng(encodePng8([10, 20, 30, 40, 50, 60, 70, 80], 4, 2), 'pngjs.png').data,
      decodePng(png(stored), 'ok.png').data,
    );
    const changed = Buffer.from(stored);
    changed[2 + 5 + 2] = 99; // a stored block's literal: pixel (0, 1) becomes 99, the Adler-32 still says 20
    assert.throws(() => decodePng(png(changed), 'changed.png'), /changed\.png: corrupt or truncated PNG \(incorrect data check\)/);
  });

  it('an .npz member whose bytes fail their CRC-32, or that declares more bytes than it holds, is refused', () => {
    const f = path.join(dir, 'a.npz');
    python('np.savez(sys.argv[1], pred=np.arange(40, dtype=np.float32).reshape(5, 8) / 40)', f);
    assert.strictEqual(readArrayFile(f).values[39], Math.fround(39 / 40));
    const bytes = fs.readFileSync(f);
    const at = bytes.indexOf(Buffer.from(new Float32Array([39 / 40]).buffer));
    bytes[at] ^= 1;
    fs.writeFileSync(path.join(dir, 'crc.npz'), bytes);
    assert.throws(() => readArrayFile(path.join(dir, 'crc.npz')), /crc\.npz:pred: the member's data does not match its CRC-32 or size/);
    const zip = Buffer.from(zipSync({ 'pred.npy': new Uint8Array(encodeNpyFloat32([1, 2, 3], [3])) }, { level: 6 }));
    const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(0x7fffffff, cd + 24); // the central directory's uncompressed size
    fs.writeFileSync(path.join(dir, 'size.npz'), zip);
    assert.throws(
      () => readArrayFile(path.join(dir, 'size.npz')),
      /size\.npz: not a readable \.npz \(zip\) archive \(member pred\.npy declares 2147483647 bytes but holds \d+ compressed\)/,
    );
  });

  it('a device, a pipe or a folder where a file should be: named at once, nothing read', () => {
    assert.throws(() => readArrayFile('/dev/zero'), /^Error: \/dev\/zero: a character device, not a file$/);
    const fifo = path.join(dir, 'pipe.npy');
    assert.strictEqual(spawnSync('mkfifo', [fifo]).status, 0);
    assert.throws(() => readArrayFile(fifo), /pipe\.npy: a pipe \(FIFO\), not a file/);
    fs.mkdirSync(path.join(dir, 'folder.png'));
    assert.throws(() => readRawImage(path.join(dir, 'folder.png')), /folder\.png: a folder, not a file/);
  });
});

describe('prediction values that are not finite, and logits given as probabilities (eval)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-values-'));
    for (const sub of ['pred', 'gt']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, 'gt', 'a.png'), encodePng8([0, 255, 255, 0], 2, 2));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pred = (values: number[], shape: number[]) => fs.writeFileSync(path.join(dir, 'pred', 'a.npy'), npyFloat64(values, shape));
  const evaluate = (o: Parameters<typeof evaluateFolders>[2] = {}) => evaluateFolders(path.join(dir, 'pred'), path.join(dir, 'gt'), o);

  it('±Inf in probabilities is an error naming the index; as logits it is the sigmoid limit (1 and 0)', () => {
    pred([-1, Infinity, 2, -Infinity], [2, 2]);
    assert.throws(() => evaluate(), /a\.npy: \+Inf in predictions at flat index 1 \(probabilities must be finite; logits may be ±Inf/);
    const r = evaluate({ fromLogits: true });
    assert.deepStrictEqual([r.images[0].tp, r.images[0].fp, r.images[0].fn, r.images[0].tn], [2, 0, 0, 2]);
  });

  it('NaN in the channel that does not win is an error (two-channel and multi-class); ∞ − ∞ logits too', () => {
    // [C, H, W] = [2, 2, 2]: channel 1 wins everywhere; channel 0 holds a NaN at pixel 3.
    pred([0.1, 0.2, 0.3, NaN, 0.9, 0.8, 0.7, 0.6], [2, 2, 2]);
    assert.throws(() => evaluate({ layout: 'first' }), /a\.npy: NaN in predictions at pixel 3, channel 0/);
    fs.writeFileSync(path.join(dir, 'gt', 'a.png'), encodePng8([0, 1, 2, 0], 2, 2));
    // Pixel 0: channel 0 wins (0.9) and channel 1 is NaN; the argmax alone never looks at it.
    pred([0.9, 0.2, 0.1, 0.1, NaN, 0.7, 0.3, 0.8, 0.05, 0.1, 0.6, 0.1], [3, 2, 2]);
    assert.throws(() => evaluate({ classes: ['bg', 'a', 'b'], layout: 'first' }), /a\.npy: NaN in predictions at pixel 0, channel 1/);
    fs.writeFileSync(path.join(dir, 'gt', 'a.png'), encodePng8([0, 255, 255, 0], 2, 2));
    pred([0, 0, Infinity, 0, 1, 1, Infinity, 1], [2, 2, 2]);
    assert.throws(() => evaluate({ fromLogits: true, layout: 'first' }), /a\.npy: both logits at pixel 2 are \+Inf \(∞ − ∞ is undefined\)/);
  });

  it('values outside [0, 1] without --from-logits: evaluated as asked, with a warning in the result and on stderr', () => {
    pred([-2.5, 3, 0.5, -0.1], [2, 2]);
    const r = evaluate();
    assert.strictEqual(r.warnings?.length, 1);
    assert.match(
      r.warnings![0],
      /^1 of 1 prediction file\(s\) hold values outside \[0, 1\] \(from -2\.5 to 3; first .*a\.npy\): they look like logits/,
    );
    assert.strictEqual(evaluate({ fromLogits: true }).warnings, undefined);
    pred([0, 1, 0.5, 0.25], [2, 2]);
    assert.strictEqual(evaluate().warnings, undefined, 'probabilities: no warning');
    pred([-2.5, 3, 0.5, -0.1], [2, 2]);
    const cli = spawnSync(
      process.execPath,
      [path.join(ROOT, 'dist', 'cli.js'), 'eval', '--pred', path.join(dir, 'pred'), '--gt', path.join(dir, 'gt')],
      {
        encoding: 'utf8',
      },
    );
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.match(cli.stderr, /^warning: 1 of 1 prediction file\(s\) hold values outside \[0, 1\]/);
  });
});

/** A float64 little-endian C-order .npy (the format numpy.save writes for float64). */
function npyFloat64(values: number[], shape: number[]): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float64Array(values).buffer)]);
}
