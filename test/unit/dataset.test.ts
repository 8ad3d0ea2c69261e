/** Training data: folder pairing and its errors, builtin:shapes, batches and augmentation. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jpeg from 'jpeg-js';
import { BatchSampler, computeNormalization, splitSamples } from '../../src/core/data/batches';
import { asBinaryMask, readArrayFile } from '../../src/core/data/arrayFile';
import { DatasetError, loadFolderDataset } from '../../src/core/data/dataset';
import { encodePng8 } from '../../src/core/data/png';
import { generateShapes } from '../../src/core/data/shapes';
import { assertClose, ISBI } from './helpers';

let dir: string;
const file = (...p: string[]) => path.join(dir, ...p);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-data-'));
  fs.mkdirSync(file('img'));
  fs.mkdirSync(file('mask'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('folder datasets', () => {
  it('one rule for masks in training and in eval: all-255 is all foreground, all-0 all background, 0/1/2 rejected by both', () => {
    const masks: Record<string, number[]> = { full: [255, 255, 255, 255], none: [0, 0, 0, 0], both: [0, 255, 255, 0] };
    for (const [name, values] of Object.entries(masks)) {
      fs.writeFileSync(file('img', `${name}.png`), encodePng8([10, 20, 30, 40], 2, 2));
      fs.writeFileSync(file('mask', `${name}.png`), encodePng8(values, 2, 2));
    }
    const d = loadFolderDataset(file('img'), file('mask'));
    const byName: Record<string, number[]> = Object.fromEntries(d.samples.map((s) => [s.name, Array.from(s.mask)]));
    for (const name of Object.keys(masks)) {
      assert.deepStrictEqual(
        Array.from(asBinaryMask(readArrayFile(file('mask', `${name}.png`)))),
        byName[name],
        `eval reads ${name} alike`,
      );
    }
    assert.deepStrictEqual(byName, { both: [0, 1, 1, 0], full: [1, 1, 1, 1], none: [0, 0, 0, 0] });
    fs.writeFileSync(file('mask', 'both.png'), encodePng8([0, 1, 2, 0], 2, 2));
    assert.throws(() => loadFolderDataset(file('img'), file('mask')), /both\.png: mask is not binary \(values 0, 1, 2\)/);
    assert.throws(() => asBinaryMask(readArrayFile(file('mask', 'both.png'))), /both\.png: ground truth is not binary \(values 0, 1, 2\)/);
  });

  it('reports every problem before training, each naming its file', () => {
    fs.writeFileSync(file('img', 'a.png'), encodePng8([0, 50, 100, 150], 2, 2));
    fs.writeFileSync(file('mask', 'a.png'), encodePng8([0, 255, 0, 255], 2, 2)); // fine
    fs.writeFileSync(file('img', 'lonely.png'), encodePng8([0, 0, 0, 0], 2, 2)); // no mask
    fs.writeFileSync(file('img', 'b.png'), encodePng8([0, 0, 0, 0, 0, 0], 3, 2));
    fs.writeFileSync(file('mask', 'b.png'), encodePng8([0, 0, 0, 0], 2, 2)); // size mismatch
    fs.writeFileSync(file('img', 'c.png'), encodePng8([0, 0, 0, 0], 2, 2));
    fs.writeFileSync(file('mask', 'c.png'), encodePng8([0, 1, 2, 3], 2, 2)); // not binary
    fs.writeFileSync(file('img', 'd.png'), Buffer.from('not a png at all'));
    fs.writeFileSync(file('mask', 'd.png'), encodePng8([0, 0, 0, 0], 2, 2)); // corrupt image
    fs.writeFileSync(file('mask', 'orphan.png'), encodePng8([0, 0, 0, 0], 2, 2)); // no image
    let error: DatasetError | undefined;
    try {
      loadFolderDataset(file('img'), file('mask'));
    } catch (err) {
      error = err as DatasetError;
    }
    assert.ok(error instanceof DatasetError);
    const p = error.problems.join('\n');
    assert.strictEqual(error.problems.length, 5, p);
    assert.ok(p.includes(`${file('img', 'lonely.png')}: no mask with the same name`), p);
    assert.ok(p.includes(`${file('mask', 'orphan.png')}: no image with the same name`), p);
    assert.ok(p.includes(`size mismatch: ${file('img', 'b.png')} is 3×2 but ${file('mask', 'b.png')} is 2×2`), p);
    assert.ok(p.includes(`${file('mask', 'c.png')}: mask is not binary (values 0, 1, 2, 3)`), p);
    assert.ok(p.includes(`${file('img', 'd.png')}: not a PNG file`), p);
  });

  it('reads JPEG images, mixes gray and RGB as RGB, and honours the foreground value', () => {
    const rgba = Buffer.alloc(4 * 4 * 4, 200);
    for (let i = 0; i < 16; i++) rgba[4 * i] = 10 * i; // red varies: a colour image
    fs.writeFileSync(file('img', 'a.jpg'), jpeg.encode({ data: rgba, width: 4, height: 4 }, 95).data);
    fs.writeFileSync(file('img', 'b.png'), encodePng8(new Array(16).fill(128), 4, 4));
    fs.writeFileSync(
      file('mask', 'a.png'),
      encodePng8(
        new Array(16).fill(0).map((_, i) => (i < 4 ? 0 : 255)),
        4,
        4,
      ),
    );
    fs.writeFileSync(file('mask', 'b.png'), encodePng8(new Array(16).fill(255), 4, 4));
    const d = loadFolderDataset(file('img'), file('mask'), { foreground: 0 });
    assert.strictEqual(d.channels, 3);
    assert.deepStrictEqual(
      d.samples.map((s) => s.name),
      ['a', 'b'],
    );
    assert.deepStrictEqual(Array.from(d.samples[0].mask.slice(0, 6)), [1, 1, 1, 1, 0, 0]);
    assertClose(d.samples[1].image[0], 128 / 255, 1e-6);
    assert.strictEqual(d.samples[1].image.length, 16 * 3);
  });

  it('ISBI 2012: 24 pairs of 512×512, membranes (value 0) as foreground cover 17–27 %', function () {
    if (!fs.existsSync(ISBI)) this.skip();
    const d = loadFolderDataset(path.join(ISBI, 'image'), path.join(ISBI, 'label'), { foreground: 0 });
    assert.strictEqual(d.samples.length, 24);
    for (const s of d.samples) {
      const share = s.mask.reduce((a, v) => a + v, 0) / s.mask.length;
      assert.ok(share > 0.17 && share < 0.28, `${s.name}: ${share}`);
    }
  });
});

describe('builtin:shapes', () => {
  it('is deterministic for a seed and different for another', () => {
    const a = generateShapes({ count: 3, size: 32, seed: 5 });
    const b = generateShapes({ count: 3, size: 32, seed: 5 });
    const c = generateShapes({ count: 3, size: 32, seed: 6 });
    assert.deepStrictEqual(a.samples[2].image, b.samples[2].image);
    assert.deepStrictEqual(a.samples[2].mask, b.samples[2].mask);
    assert.notDeepStrictEqual(a.samples[2].mask, c.samples[2].mask);
  });

  it('foregroundFraction steers the class balance; classes 3 labels ellipses and polygons', () => {
    const share = (f: number) => {
      const d = generateShapes({ count: 20, size: 64, seed: 1, foregroundFraction: f });
      return d.samples.reduce((a, s) => a + s.mask.reduce((x, v) => x + (v ? 1 : 0), 0), 0) / (20 * 64 * 64);
    };
    const low = share(0.08);
    const high = share(0.4);
    assert.ok(low > 0.05 && low < 0.2, `low ${low}`);
    assert.ok(high > 0.35 && high < 0.6, `high ${high}`);
    const three = generateShapes({ count: 4, size: 32, seed: 1, classes: 3 });
    assert.deepStrictEqual([...new Set(three.samples.flatMap((s) => Array.from(s.mask)))].sort(), [0, 1, 2]);
  });
});

describe('batches', () => {
  it('the same seed gives the same batches; augmentation keeps image and mask aligned', () => {
    // Each sample's mask is exactly (image > 0.5), so any misaligned flip/rotation would break it.
    const d = generateShapes({ count: 6, size: 32, seed: 3 });
    for (const s of d.samples) for (let i = 0; i < s.mask.length; i++) s.image[i] = s.mask[i] ? 0.9 : 0.1;
    const norm = { mean: [0], std: [1] };
    const spec = { crop: 16, randomCrop: true, flips: true, rotate90: true };
    const a = new BatchSampler(d.samples, 1, norm, spec, 11);
    const b = new BatchSampler(d.samples, 1, norm, spec, 11);
    for (let k = 0; k < 5; k++) {
      const x = a.next(4);
      const y = b.next(4);
      assert.deepStrictEqual(x.x, y.x);
      assert.deepStrictEqual(x.names, y.names);
      for (let i = 0; i < x.y.length; i++) assert.strictEqual(x.y[i], x.x[i] > 0.5 ? 1 : 0);
    }
  });

  it('normalisation is the per-channel mean and std; the split is deterministic and disjoint', () => {
    const d = generateShapes({ count: 10, size: 16, seed: 1 });
    const n = computeNormalization(d.samples, 1);
    const all = d.samples.flatMap((s) => Array.from(s.image));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    assertClose(n.mean[0], mean, 1e-9);
    const s1 = splitSamples(d.samples, 3, 4);
    const s2 = splitSamples(d.samples, 3, 4);
    assert.deepStrictEqual(
      s1.val.map((s) => s.name),
      s2.val.map((s) => s.name),
    );
    assert.strictEqual(s1.val.length, 3);
    assert.ok(s1.train.every((s) => !s1.val.includes(s)));
  });
});
