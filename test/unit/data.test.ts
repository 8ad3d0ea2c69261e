/** File decoding: .npy as numpy writes it, 8/16-bit PNGs, and the errors for bad files. */
import * as assert from 'assert';
import * as zlib from 'zlib';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { asBinaryMask, asPredictionValues, readArrayFile } from '../../src/core/data/arrayFile';
import { encodeNpyFloat32, parseNpy } from '../../src/core/data/npy';
import { FilePair, pairFolders } from '../../src/core/data/pairs';
import { decodePng, encodePng8 } from '../../src/core/data/png';
import { ROOT } from './helpers';

const reference = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference.json'), 'utf8'));

describe('.npy reading (files written by numpy.save)', () => {
  for (const f of reference.npy as { name: string; b64: string; shape: number[]; values: number[] }[]) {
    it(f.name, () => {
      const a = parseNpy(Buffer.from(f.b64, 'base64'), 'x.npy');
      assert.deepStrictEqual(a.shape, f.shape);
      assert.deepStrictEqual(Array.from(a.data), f.values);
    });
  }

  it('round-trips its own float32 writer and rejects non-npy bytes by file name', () => {
    const a = parseNpy(encodeNpyFloat32([1.5, -2, 0.25], [3, 1]), 'y.npy');
    assert.deepStrictEqual(a.shape, [3, 1]);
    assert.deepStrictEqual(Array.from(a.data), [1.5, -2, 0.25]);
    assert.throws(() => parseNpy(Buffer.from('hello world'), 'bad.npy'), /bad\.npy: not a \.npy file/);
    assert.throws(() => parseNpy(encodeNpyFloat32([1, 2, 3], [3]).subarray(0, 130), 'cut.npy'), /cut\.npy: truncated \.npy data/);
    // a lying header: a negative or fractional dimension, a version-2 preamble cut short, a header past the end
    const withShape = (shape: string) => {
      const good = encodeNpyFloat32([1, 2, 3, 4], [2, 2]);
      const header = good.toString('latin1', 10, 10 + good.readUInt16LE(8)).replace('(2, 2)', shape);
      const out = Buffer.alloc(10 + header.length + 16);
      good.copy(out, 0, 0, 8);
      out.writeUInt16LE(header.length, 8);
      out.write(header, 10, 'latin1');
      return out;
    };
    assert.throws(
      () => parseNpy(withShape('(-1, 2)'), 'neg.npy'),
      /neg\.npy: unreadable \.npy header \(a shape dimension '-1' that is not a size\)/,
    );
    assert.throws(
      () => parseNpy(withShape('(2.5, 2)'), 'half.npy'),
      /half\.npy: unreadable \.npy header \(a shape dimension '2\.5' that is not a size\)/,
    );
    const v2 = Buffer.from('\x93NUMPY\x02\x00\x10\x00\x00', 'latin1');
    assert.throws(() => parseNpy(v2, 'v2.npy'), /v2\.npy: truncated \.npy header \(11 bytes\)/);
    const long = Buffer.from(encodeNpyFloat32([1], [1]));
    long.writeUInt16LE(60000, 8);
    assert.throws(() => parseNpy(long, 'long.npy'), /long\.npy: truncated \.npy header \(declares 60000 bytes/);
  });
});

describe('PNG reading', () => {
  it('16-bit gray keeps its depth; probabilities scale by 65535', () => {
    const png = new PNG({ width: 3, height: 1, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const data = Buffer.alloc(6);
    [0, 32768, 65535].forEach((v, i) => data.writeUInt16LE(v, 2 * i)); // pngjs takes 16-bit input in host order
    png.data = data;
    const bytes = PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const img = decodePng(bytes, 'p16.png');
    assert.strictEqual(img.bitDepth, 16);
    assert.deepStrictEqual(Array.from(img.data), [0, 32768, 65535]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-png-'));
    fs.writeFileSync(path.join(dir, 'p16.png'), bytes);
    const values = asPredictionValues(readArrayFile(path.join(dir, 'p16.png')));
    assert.deepStrictEqual(Array.from(values), [0, 32768 / 65535, 1]);
    fs.rmSync(dir, { recursive: true });
  });

  it('0/1 PNG masks stay 0/1 as predictions; 0/255 masks become 0/1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-png-'));
    fs.writeFileSync(path.join(dir, 'a.png'), encodePng8([0, 1, 1, 0], 2, 2));
    fs.writeFileSync(path.join(dir, 'b.png'), encodePng8([0, 255, 255, 0], 2, 2));
    assert.deepStrictEqual(Array.from(asPredictionValues(readArrayFile(path.join(dir, 'a.png')))), [0, 1, 1, 0]);
    assert.deepStrictEqual(Array.from(asBinaryMask(readArrayFile(path.join(dir, 'b.png')))), [0, 1, 1, 0]);
    assert.deepStrictEqual(Array.from(asBinaryMask(readArrayFile(path.join(dir, 'b.png')), 0)), [1, 0, 0, 1]);
    assert.throws(
      () => asBinaryMask(readArrayFile(path.join(dir, 'b.png')), 7),
      /b\.png: ground truth has no pixel of the foreground value 7/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('colour PNGs are read as RGB unless all channels agree', () => {
    const rgb = decodePng(encodePng8([10, 20, 30, 40, 50, 60], 2, 1, 3), 'rgb.png');
    assert.strictEqual(rgb.channels, 3);
    const gray = decodePng(encodePng8([9, 9, 9, 4, 4, 4], 2, 1, 3), 'gray-as-rgb.png');
    assert.strictEqual(gray.channels, 1);
    assert.deepStrictEqual(Array.from(gray.data), [9, 4]);
  });

  it('not a PNG / truncated: the error names the file', () => {
    assert.throws(() => decodePng(Buffer.from('GIF89a...'), 'x.png'), /x\.png: not a PNG file/);
    const cut = encodePng8(new Array(64).fill(3), 8, 8).subarray(0, 50);
    assert.throws(() => decodePng(cut, 'cut.png'), /cut\.png: corrupt or truncated PNG/);
  });

  it('a header that declares more pixels than the file can hold is refused before anything is allocated', () => {
    // A valid 1×1 PNG whose IHDR is rewritten to 30000×30000 with a correct CRC (zlib.crc32 of type + data).
    const png = Buffer.from(encodePng8([7], 1, 1));
    png.writeUInt32BE(30000, 16);
    png.writeUInt32BE(30000, 20);
    png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
    const before = process.memoryUsage().rss;
    assert.throws(
      () => decodePng(png, 'bomb.png'),
      /bomb\.png: the PNG declares 30000×30000 pixels \(858\.\d MB\) but holds 1 KB of compressed image data: corrupt or truncated/,
    );
    assert.ok(process.memoryUsage().rss - before < 2 ** 28, 'nothing image-sized was allocated');
    // with 300 KB of (unchecked) image data the size is plausible, and the pixel limit speaks
    png.writeUInt32BE(20000, 16);
    png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
    const idat = Buffer.alloc(12 + 300 * 1024);
    idat.writeUInt32BE(300 * 1024, 0);
    idat.write('IDAT', 4, 'latin1');
    const wide = Buffer.concat([png.subarray(0, 33), idat, png.subarray(png.length - 12)]);
    assert.throws(
      () => decodePng(wide, 'wide.png'),
      /wide\.png: the PNG declares 20000×30000 pixels, more than SegLab reads \(134217728 pixels/,
    );
    // the bound leaves room for what compresses best: an all-zero mask (pngjs, deflate level 9)
    const zeros = decodePng(
      PNG.sync.write(Object.assign(new PNG({ width: 2048, height: 2048 }), { data: Buffer.alloc(2048 * 2048 * 4) }), { deflateLevel: 9 }),
      'empty.png',
    );
    assert.strictEqual(zeros.width, 2048);
  });
});

describe('pairing folders by name', () => {
  it('pairs across extensions in natural order, reports duplicates', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-pairs-'));
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    for (const n of ['10', '2', '1']) {
      fs.writeFileSync(path.join(dir, 'a', `${n}.npy`), '');
      fs.writeFileSync(path.join(dir, 'b', `${n}.png`), '');
    }
    fs.writeFileSync(path.join(dir, 'a', 'notes.txt'), '');
    const pairs = pairFolders(path.join(dir, 'a'), path.join(dir, 'b'), ['.png', '.npy'], { a: 'prediction', b: 'mask' });
    assert.deepStrictEqual(
      pairs.map((p) => p.name),
      ['1', '2', '10'],
    );
    fs.writeFileSync(path.join(dir, 'a', '2.png'), '');
    assert.throws(
      () => pairFolders(path.join(dir, 'a'), path.join(dir, 'b'), ['.png', '.npy'], { a: 'prediction', b: 'mask' }),
      /'2\.(npy|png)' and '2\.(npy|png)' have the same name; keep one/,
    );
    assert.throws(
      () => pairFolders(path.join(dir, 'nope'), path.join(dir, 'b'), ['.png'], { a: 'prediction', b: 'mask' }),
      /nope: cannot read the prediction folder \(no such folder\)/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it("SegLab's own predict outputs pair by name: <name>_prob before <name>_mask; names that pair as they are stay", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-suffix-'));
    const [a, b] = [path.join(dir, 'pred'), path.join(dir, 'gt')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    for (const f of ['1_prob.png', '1_mask.png', '2_mask.png', '3.png', '3_prob.png', 'x_mask.png']) fs.writeFileSync(path.join(a, f), '');
    for (const f of ['1.png', '2.png', '3.png', 'x_mask.png']) fs.writeFileSync(path.join(b, f), '');
    const pairs = pairFolders(a, b, ['.png'], { a: 'prediction', b: 'ground-truth' });
    assert.deepStrictEqual(
      pairs.map((p) => [p.name, path.basename(p.a), path.basename(p.b)]),
      [
        ['1', '1_prob.png', '1.png'],
        ['2', '2_mask.png', '2.png'],
        ['3', '3.png', '3.png'],
        ['x_mask', 'x_mask.png', 'x_mask.png'],
      ],
    );
    fs.writeFileSync(path.join(a, '4_prob.png'), '');
    assert.throws(
      () => pairFolders(a, b, ['.png'], { a: 'prediction', b: 'ground-truth' }),
      /unpaired files: prediction files without a ground-truth file in .*: 4_prob\.png/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('follows symbolic links to files; a link to a folder, to nothing or in a loop is an error naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-links-'));
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(dir, 'real.npy'), '');
    fs.symlinkSync(path.join(dir, 'real.npy'), path.join(a, '1.npy'));
    fs.writeFileSync(path.join(b, '1.png'), '');
    const pair = (): FilePair[] => pairFolders(a, b, ['.png', '.npy'], { a: 'prediction', b: 'mask' });
    assert.deepStrictEqual(
      pair().map((p) => p.a),
      [path.join(a, '1.npy')],
    );
    fs.writeFileSync(path.join(b, '2.png'), '');
    fs.symlinkSync(path.join(dir, 'gone.npy'), path.join(a, '2.npy'));
    assert.throws(pair, /a\/2\.npy: cannot follow the symbolic link \(ENOENT: its target does not exist\)/);
    fs.rmSync(path.join(a, '2.npy'));
    fs.symlinkSync(path.join(a, '2.npy'), path.join(a, '2.npy'));
    assert.throws(pair, /a\/2\.npy: cannot follow the symbolic link \(ELOOP: it is a loop of links\)/);
    fs.rmSync(path.join(a, '2.npy'));
    fs.symlinkSync(b, path.join(a, '2.npy'));
    assert.throws(pair, /a\/2\.npy: the symbolic link points to a folder \(EISDIR\), not a file/);
    fs.rmSync(dir, { recursive: true });
  });
});
