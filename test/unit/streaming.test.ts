/**
 * Folder datasets read from disk as training needs them (issue 23): a bounded cache of samples kept as
 * decoded, a worker thread decoding the next batch's files, and results that do not depend on either.
 * References: the in-memory reading of the same files (loadFolderDataset, every sample as float32),
 * numpy over Pillow's decoding of the ISBI PNGs (/usr/bin/python3), and LRU order worked by hand.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { BatchSampler, computeNormalization, normalizationOf } from '../../src/core/data/batches';
import { loadFolderDataset, openDataset } from '../../src/core/data/dataset';
import { FolderSource, SampleCache } from '../../src/core/data/folderSource';
import { encodePng8 } from '../../src/core/data/png';
import { RawSample } from '../../src/core/data/source';
import { trainRun, TrainEvent } from '../../src/core/train/trainer';
import { assertClose, assertReadAheadBatches, ISBI, tinyExperiment } from './helpers';

let dir: string;
const file = (...p: string[]) => path.join(dir, ...p);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-stream-'));
  fs.mkdirSync(file('img'));
  fs.mkdirSync(file('mask'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `count` 32×32 pairs: a bright square on a ramp, its mask the square (0/255). */
function writePairs(count: number, size = 32): void {
  for (let i = 0; i < count; i++) {
    const img: number[] = [];
    const mask: number[] = [];
    for (let p = 0; p < size * size; p++) {
      const [x, y] = [p % size, Math.floor(p / size)];
      const inside = x >= 4 + (i % 9) && x < 16 + (i % 9) && y >= 6 && y < 20;
      img.push(inside ? 200 - i : (7 * x + 3 * y + i) % 120);
      mask.push(inside ? 255 : 0);
    }
    fs.writeFileSync(file('img', `p${i}.png`), encodePng8(img, size, size));
    fs.writeFileSync(file('mask', `p${i}.png`), encodePng8(mask, size, size));
  }
}

function png16(values: number[], width: number, height: number): Buffer {
  const png = new PNG({ width, height, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const data = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => data.writeUInt16LE(v, 2 * i)); // pngjs takes 16-bit input in host order
  png.data = data;
  return PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

const raw = (bytes: number): RawSample => ({ image: new Uint8Array(bytes), maxValue: 255, channels: 1, mask: new Uint8Array(0) });

describe('sample cache (least recently used, within a byte budget)', () => {
  it('evicts the least recently used; a read counts as use; a sample over the budget is not kept', () => {
    const c = new SampleCache(300);
    assert.ok(c.put(1, raw(100)) && c.put(2, raw(100)) && c.put(3, raw(100)));
    assert.strictEqual(c.bytes, 300);
    c.get(1); // order now 2, 3, 1
    c.put(4, raw(100)); // evicts 2
    assert.deepStrictEqual(
      [1, 2, 3, 4].map((i) => c.has(i)),
      [true, false, true, true],
    );
    c.put(5, raw(150)); // evicts 3 and 1 (oldest first) to make room
    assert.deepStrictEqual(
      [1, 3, 4, 5].map((i) => c.has(i)),
      [false, false, true, true],
    );
    assert.strictEqual(c.bytes, 250);
    assert.strictEqual(c.put(6, raw(301)), false);
    assert.ok(!c.has(6) && c.bytes === 250);
    assert.strictEqual(new SampleCache(0).put(1, raw(1)), false);
  });
});

describe('folder datasets read from disk as training needs them', () => {
  it('8- and 16-bit images stay 8- and 16-bit until a batch is built; the batch scales them as before', () => {
    fs.writeFileSync(file('img', 'a.png'), encodePng8([0, 51, 102, 255], 2, 2));
    fs.writeFileSync(file('img', 'b.png'), png16([0, 13107, 65535, 32768], 2, 2));
    for (const n of ['a', 'b']) fs.writeFileSync(file('mask', `${n}.png`), encodePng8([0, 255, 255, 0], 2, 2));
    const src = openDataset(file('img'), file('mask'));
    assert.ok(src.raw(0).image instanceof Uint8Array);
    assert.ok(src.raw(1).image instanceof Uint16Array);
    const norm = { mean: [0], std: [1] };
    const b = new BatchSampler(
      { source: src, indices: [0, 1] },
      1,
      norm,
      { crop: null, randomCrop: false, flips: false, rotate90: false },
      1,
    );
    const batch = b.next(2);
    const byName = Object.fromEntries(batch.names.map((n, k) => [n, Array.from(batch.x.subarray(4 * k, 4 * k + 4))]));
    const f = Math.fround;
    assert.deepStrictEqual(byName.a, [0, f(51 / 255), f(102 / 255), 1]);
    assert.deepStrictEqual(byName.b, [0, f(13107 / 65535), 1, f(32768 / 65535)]);
    src.dispose();
  });

  it('with no cache, batches read ahead by the worker thread equal batches from memory, step by step', async () => {
    writePairs(10);
    const memory = loadFolderDataset(file('img'), file('mask'));
    const norm = computeNormalization(memory.samples, 1);
    const spec = { crop: 16, randomCrop: true, flips: true, rotate90: true };
    const src = openDataset(file('img'), file('mask'), { cacheMB: 0 }) as FolderSource;
    await assertReadAheadBatches(src, memory.samples, { norm, spec, seed: 5, steps: 6, size: 4 });
    assert.strictEqual(src.cacheBytes, 0);
    assert.strictEqual(src.counts.cacheHits, 0);
    assert.ok(src.counts.prefetched >= 20, `prefetched ${src.counts.prefetched}, decoded here ${src.counts.decodedHere}`);
    src.dispose();
  });

  it('a script that only awaits the read-ahead keeps running until it arrives (the thread is referenced while busy)', () => {
    writePairs(4);
    const script = `
      const { openDataset } = require(${JSON.stringify(path.join(__dirname, '../../src/core/data/dataset'))});
      const src = openDataset(${JSON.stringify(file('img'))}, ${JSON.stringify(file('mask'))}, { cacheMB: 0 });
      src.prefetch([0, 1, 2, 3]);
      src.ready([0, 1, 2, 3]).then(() => {
        for (let i = 0; i < 4; i++) src.raw(i);
        console.log(JSON.stringify(src.counts));
      });`; // no dispose: an idle thread must not keep the process alive either
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout), { cacheHits: 0, prefetched: 4, decodedHere: 0 });
  });

  it('without a worker thread (its script missing) every sample is decoded when the batch is built, to the same values', async () => {
    writePairs(6);
    const memory = loadFolderDataset(file('img'), file('mask'));
    const opened = openDataset(file('img'), file('mask'), { cacheMB: 0 }) as FolderSource;
    const src = new FolderSource({
      files: opened.files,
      items: opened.items,
      stats: opened.stats,
      channels: 1,
      classes: 2,
      source: 'test',
      options: {},
      cache: new SampleCache(0),
      workerFile: file('no-such-worker.js'),
    });
    src.prefetch([0, 1, 2]);
    await src.ready([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 200)); // the failed thread reports its error
    src.prefetch([3, 4]);
    await src.ready([3, 4]);
    for (let i = 0; i < 6; i++) assert.deepStrictEqual(src.raw(i).mask, memory.samples[i].mask);
    assert.strictEqual(src.counts.prefetched, 0);
    assert.strictEqual(src.counts.decodedHere, 6);
    src.dispose();
    opened.dispose();
  });

  it('the cache keeps what fits when the dataset is checked, and serves it without reading the file again', () => {
    writePairs(8); // 32·32 image + 32·32 mask bytes = 2 KiB each
    const src = openDataset(file('img'), file('mask'), { cacheMB: (3 * 2048) / 2 ** 20 }) as FolderSource;
    assert.strictEqual(src.cacheBytes, 3 * 2048);
    fs.rmSync(file('img', 'p0.png'));
    fs.rmSync(file('img', 'p7.png'));
    assert.ok(src.raw(0).image instanceof Uint8Array); // cached when checked
    assert.throws(() => src.raw(7), /p7\.png: .*read again during training/); // not cached: read again, and gone
    assert.deepStrictEqual(src.counts, { cacheHits: 1, prefetched: 0, decodedHere: 0 });
  });

  it('a file that changes after the check is named when a batch needs it', () => {
    writePairs(4);
    const src = openDataset(file('img'), file('mask'), { cacheMB: 0 });
    fs.writeFileSync(file('img', 'p1.png'), encodePng8(new Array(16 * 16).fill(9), 16, 16));
    assert.throws(() => src.raw(1), /size mismatch: .*p1\.png is 16×16 but .*p1\.png is 32×32 \(read again during training/);
    fs.writeFileSync(file('img', 'p2.png'), encodePng8(new Array(16 * 16).fill(9), 16, 16));
    fs.writeFileSync(file('mask', 'p2.png'), encodePng8(new Array(16 * 16).fill(0), 16, 16));
    assert.throws(() => src.raw(2), /p2\.png: changed after the dataset was checked \(was 32×32×1, now 16×16×1\)/);
    fs.writeFileSync(
      file('mask', 'p3.png'),
      encodePng8(
        new Array(32 * 32).fill(7).map((v, i) => (i % 2 ? v : 3)),
        32,
        32,
      ),
    );
    assert.throws(() => src.raw(3), /p3\.png: mask is not binary .*read again during training/);
    src.dispose();
  });

  it('a gray image in an RGB dataset counts for every channel of the normalisation, as numpy over Pillow’s RGB conversion', () => {
    fs.writeFileSync(file('img', 'g.png'), encodePng8([0, 60, 120, 255], 2, 2));
    fs.writeFileSync(file('img', 'c.png'), encodePng8([10, 20, 30, 40, 50, 60, 70, 80, 90, 200, 150, 100], 2, 2, 3));
    for (const n of ['g', 'c']) fs.writeFileSync(file('mask', `${n}.png`), encodePng8([0, 255, 255, 0], 2, 2));
    const src = openDataset(file('img'), file('mask'));
    assert.strictEqual(src.channels, 3);
    const n = normalizationOf(src, [0, 1]);
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys,numpy as np\nfrom PIL import Image\n' +
          'a=np.stack([np.asarray(Image.open(f).convert("RGB"),dtype=np.float32)/np.float32(255) for f in sys.argv[1:]]).astype(np.float64)\n' +
          'print(*a.mean(axis=(0,1,2)), *a.std(axis=(0,1,2)))',
        file('img', 'g.png'),
        file('img', 'c.png'),
      ],
      { encoding: 'utf8' },
    );
    assert.strictEqual(py.status, 0, py.stderr);
    const v = py.stdout.trim().split(/\s+/).map(Number);
    for (let c = 0; c < 3; c++) {
      assertClose(n.mean[c], v[c], 1e-9, 0, `mean ${c}`);
      assertClose(n.std[c], v[3 + c], 1e-7, 0, `std ${c}`);
    }
    src.dispose();
  });

  it('ISBI: the normalisation from per-image sums equals numpy over Pillow’s pixels (/usr/bin/python3)', function () {
    if (!fs.existsSync(ISBI)) this.skip();
    const src = openDataset(path.join(ISBI, 'image'), path.join(ISBI, 'label'), { foreground: 0, cacheMB: 0 });
    const n = normalizationOf(
      src,
      src.items.map((_, i) => i),
    );
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys,glob,numpy as np\nfrom PIL import Image\n' +
          'a=np.stack([np.asarray(Image.open(f),dtype=np.float32)/np.float32(255) for f in sorted(glob.glob(sys.argv[1]+"/*.png"))]).astype(np.float64)\n' +
          'print(a.mean(), a.std())',
        path.join(ISBI, 'image'),
      ],
      { encoding: 'utf8' },
    );
    assert.strictEqual(py.status, 0, py.stderr);
    const [mean, std] = py.stdout.trim().split(/\s+/).map(Number);
    assertClose(n.mean[0], mean, 1e-9, 0, 'mean');
    assertClose(n.std[0], std, 1e-7, 0, 'std');
    src.dispose();
  });
});

describe('training on a folder dataset', () => {
  let runsDir: string;
  beforeEach(() => (runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-stream-runs-'))));
  afterEach(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  it('gives the same losses and metrics with no cache (every sample read from disk) as with all of it in memory', async () => {
    writePairs(12);
    const losses = [];
    for (const cacheMB of [0, 64]) {
      const events: TrainEvent[] = [];
      const config = tinyExperiment(runsDir, {
        dataset: { images: file('img'), masks: file('mask'), cacheMB },
        crop: 16,
        epochs: 2,
        stepsPerEpoch: 3,
        validation: { count: 2 },
      });
      const summary = await trainRun({ config, runName: `cache-${cacheMB}`, emit: (e) => events.push(e) });
      assert.strictEqual(summary.status, 'done', summary.reason);
      const derived = JSON.parse(fs.readFileSync(path.join(runsDir, summary.id, 'config.json'), 'utf8')).derived;
      assert.strictEqual(derived.cacheMB, cacheMB);
      losses.push(
        events
          .filter((e) => e.type === 'batch' || e.type === 'epoch')
          .map((e) => JSON.stringify('record' in e ? e.record.val : [e.loss, e.data])),
      );
    }
    assert.deepStrictEqual(losses[0], losses[1]);
  });

  it('a file that changes during the run ends it failed, naming the file (cacheMB 0: every batch reads from disk)', async () => {
    writePairs(6);
    const config = tinyExperiment(runsDir, {
      dataset: { images: file('img'), masks: file('mask'), cacheMB: 0 },
      crop: 16,
      epochs: 3,
      stepsPerEpoch: 2,
      validation: { count: 1 },
    });
    const damage = () => {
      for (let i = 0; i < 6; i++)
        fs.writeFileSync(
          file('mask', `p${i}.png`),
          encodePng8(
            new Array(32 * 32).fill(0).map((_, k) => k % 3),
            32,
            32,
          ),
        );
    };
    const summary = await trainRun({ config, lossOverride: (epoch, step, loss) => (epoch === 1 && step === 1 && damage(), loss) });
    assert.strictEqual(summary.status, 'failed');
    assert.match(summary.reason ?? '', /p\d\.png: mask is not binary \(values 0, 1, 2\).*read again during training/);
    assert.strictEqual(summary.epochsCompleted, 0);
  });
});
