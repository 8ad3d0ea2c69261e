/**
 * TIFF input, on files written by an independent writer: Pillow (Debian's python3-pil through
 * /usr/bin/python3), single and multi-page, 8/16-bit and float, gray and RGB, uncompressed, LZW and
 * Deflate. The acceptance case: the ISBI slices from ../shared, written into multi-page stacks, give
 * the same training samples and the same evaluation as the PNG folders.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readArrayFile } from '../../src/core/data/arrayFile';
import { computeNormalization } from '../../src/core/data/batches';
import { loadFolderDataset, openDataset } from '../../src/core/data/dataset';
import { FolderSource } from '../../src/core/data/folderSource';
import { indexTiffStack, pageRef, readStackPage } from '../../src/core/data/tiffPages';
import { readRawImage } from '../../src/core/data/image';
import { readTiffPages } from '../../src/core/data/tiff';
import { evaluateFolders } from '../../src/core/metrics/evaluateFolders';
import { assertReadAheadBatches } from './helpers';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';
const ISBI = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'isbi2012-membrane');

/** Runs a Pillow script with `out` bound to the output folder. */
function pillow(out: string, script: string): void {
  const r = spawnSync(PYTHON, ['-c', `import sys, numpy as np\nfrom PIL import Image\nout = sys.argv[1]\n${script}`, out], {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`${PYTHON} with Pillow and numpy failed (apt-get install python3-pil python3-numpy): ${r.stderr || r.error}`);
}

describe('TIFF input (files written by Pillow)', () => {
  let dir: string;
  before(function () {
    this.timeout(60000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-tiff-'));
    pillow(
      dir,
      `
import os
g = (np.arange(12 * 10).reshape(10, 12) * 2).astype(np.uint8)          # 10 rows × 12 columns
Image.fromarray(g).save(os.path.join(out, 'gray8.tif'))
Image.fromarray(g).save(os.path.join(out, 'gray8_lzw.tif'), compression='tiff_lzw')
Image.fromarray(g).save(os.path.join(out, 'gray8_deflate.tiff'), compression='tiff_adobe_deflate')
Image.fromarray(g).save(os.path.join(out, 'gray8_packbits.tif'), compression='packbits')
g16 = (np.arange(120).reshape(10, 12) * 500).astype(np.uint16)
Image.fromarray(g16).save(os.path.join(out, 'gray16.tif'))
f = (np.arange(120).reshape(10, 12) / 7.0 - 3).astype(np.float32)
Image.fromarray(f, mode='F').save(os.path.join(out, 'float32.tif'))
rgb = np.stack([g, 255 - g, g // 2], axis=2)
Image.fromarray(rgb).save(os.path.join(out, 'rgb8.tif'), compression='tiff_lzw')
Image.fromarray(np.dstack([rgb, np.full((10, 12), 7, np.uint8)]), mode='RGBA').save(os.path.join(out, 'rgba8.tif'))
pages = [Image.fromarray(((np.arange(120).reshape(10, 12) + k) % 7 == 0).astype(np.uint8) * 255) for k in range(3)]
pages[0].save(os.path.join(out, 'stack.tif'), save_all=True, append_images=pages[1:], compression='tiff_deflate')
be = [Image.frombytes('I;16B', (12, 10), (np.arange(120).reshape(10, 12) * 300 + k).astype('>u2').tobytes()) for k in range(3)]
be[0].save(os.path.join(out, 'stack_be16.tif'), save_all=True, append_images=be[1:])  # big-endian (MM) 16-bit
`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads 8-bit gray uncompressed, LZW and Deflate to the same values Pillow wrote', () => {
    const expected = Array.from({ length: 120 }, (_, i) => (i * 2) % 256);
    for (const f of ['gray8.tif', 'gray8_lzw.tif', 'gray8_deflate.tiff']) {
      const raw = readRawImage(path.join(dir, f));
      assert.deepStrictEqual([raw.width, raw.height, raw.channels, raw.maxValue], [12, 10, 1, 255], f);
      assert.deepStrictEqual(Array.from(raw.data), expected, f);
    }
  });

  it('16-bit keeps its range (65535), float32 its values, RGB its channels; alpha is dropped', () => {
    const g16 = readRawImage(path.join(dir, 'gray16.tif'));
    assert.strictEqual(g16.maxValue, 65535);
    assert.deepStrictEqual(Array.from(g16.data.slice(0, 4)), [0, 500, 1000, 1500]);
    const f = readArrayFile(path.join(dir, 'float32.tif'));
    assert.deepStrictEqual(f.shape, [10, 12]);
    assert.strictEqual(f.maxValue, undefined);
    assert.deepStrictEqual(
      Array.from(f.values.slice(0, 3)),
      [0, 1, 2].map((i) => Math.fround(i / 7 - 3)),
    );
    const rgb = readRawImage(path.join(dir, 'rgb8.tif'));
    assert.strictEqual(rgb.channels, 3);
    assert.deepStrictEqual(Array.from(rgb.data.slice(3, 6)), [2, 253, 1]); // pixel 1: g = 2
    // An alpha channel is dropped: the RGBA file reads as the same RGB values.
    const rgba = readRawImage(path.join(dir, 'rgba8.tif'));
    assert.strictEqual(rgba.channels, 3);
    assert.deepStrictEqual(Array.from(rgba.data), Array.from(rgb.data));
  });

  it('refuses what it cannot read with the file named: PackBits; a stack where one image is expected', () => {
    assert.throws(
      () => readRawImage(path.join(dir, 'gray8_packbits.tif')),
      (e: Error) => e.message.startsWith(path.join(dir, 'gray8_packbits.tif')) && /unsupported/i.test(e.message),
    );
    assert.throws(() => readRawImage(path.join(dir, 'stack.tif')), /stack\.tif: a 3-page TIFF stack; give the stack file itself/);
  });

  it('a multi-page stack reads page by page', () => {
    const pages = readTiffPages(path.join(dir, 'stack.tif'));
    assert.strictEqual(pages.length, 3);
    pages.forEach((p, k) => {
      const expected = Array.from({ length: 120 }, (_, i) => ((i + k) % 7 === 0 ? 255 : 0));
      assert.deepStrictEqual(Array.from(p.data), expected, `page ${k + 1}`);
    });
  });

  it('a stack read one page at a time (as streamed datasets read it) equals the whole-file read: Deflate 8-bit, big-endian 16-bit', () => {
    for (const f of ['stack.tif', 'stack_be16.tif']) {
      const file = path.join(dir, f);
      const index = indexTiffStack(file);
      assert.strictEqual(index.ifds.length, 3, f);
      assert.deepStrictEqual(
        index.ifds.map((_, p) => readStackPage(pageRef(index, p))),
        readTiffPages(file),
        f,
      );
    }
    const be = readStackPage(pageRef(indexTiffStack(path.join(dir, 'stack_be16.tif')), 2));
    assert.strictEqual(fs.readFileSync(path.join(dir, 'stack_be16.tif')).toString('latin1', 0, 2), 'MM');
    assert.deepStrictEqual([be.maxValue, ...Array.from(be.data.slice(0, 3))], [65535, 2, 302, 602]); // as Pillow wrote page 3
  });

  it('a tiled stack (tifffile: 16×16 tiles, partial at the edges, Deflate and uncompressed) reads as numpy wrote it, whole and page by page', () => {
    // Pillow writes no tiled TIFFs; tifffile (Debian's python3-tifffile) does.
    const r = spawnSync(
      PYTHON,
      [
        '-c',
        `import sys, numpy as np, tifffile
a = (np.arange(3 * 40 * 36).reshape(3, 40, 36) * 37 % 65536).astype(np.uint16)
tifffile.imwrite(sys.argv[1] + '/tiled_deflate.tif', a, tile=(16, 16), compression='zlib', photometric='minisblack')
tifffile.imwrite(sys.argv[1] + '/tiled.tif', a, tile=(16, 16), photometric='minisblack')`,
        dir,
      ],
      { encoding: 'utf8' },
    );
    assert.strictEqual(r.status, 0, `tifffile (apt-get install python3-tifffile): ${r.stderr}`);
    const expected = (k: number) => Array.from({ length: 40 * 36 }, (_, i) => ((k * 40 * 36 + i) * 37) % 65536);
    for (const f of ['tiled_deflate.tif', 'tiled.tif']) {
      const file = path.join(dir, f);
      const whole = readTiffPages(file);
      const index = indexTiffStack(file);
      assert.strictEqual(index.ifds.length, 3, f);
      index.ifds.forEach((_, k) => {
        const page = readStackPage(pageRef(index, k));
        assert.deepStrictEqual([page.width, page.height, page.maxValue], [36, 40, 65535], `${f} page ${k + 1}`);
        assert.deepStrictEqual(Array.from(page.data), expected(k), `${f} page ${k + 1}`);
        assert.deepStrictEqual(page, whole[k], `${f} page ${k + 1}`);
      });
    }
  });

  describe('ISBI 2012 as multi-page TIFF stacks (the challenge ships train-volume.tif / train-labels.tif)', () => {
    let stacks: string;
    before(function () {
      if (!fs.existsSync(ISBI)) this.skip(); // ../shared is beside the repository in CI
      this.timeout(120000);
      stacks = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-isbi-tiff-'));
      // Pages in the PNG folders' natural order (0, 1, …, 23); the "predictions" are each slice's
      // neighbour's label (a plausible, imperfect segmentation), as PNGs and as a stack.
      pillow(
        stacks,
        `
import os
src = ${JSON.stringify(ISBI)}
names = sorted((f[:-4] for f in os.listdir(os.path.join(src, 'image'))), key=int)
imgs = [Image.open(os.path.join(src, 'image', n + '.png')) for n in names]
labs = [Image.open(os.path.join(src, 'label', n + '.png')) for n in names]
imgs[0].save(os.path.join(out, 'train-volume.tif'), save_all=True, append_images=imgs[1:])
labs[0].save(os.path.join(out, 'train-labels.tif'), save_all=True, append_images=labs[1:], compression='tiff_lzw')
preds = labs[1:] + labs[:1]
preds[0].save(os.path.join(out, 'pred.tif'), save_all=True, append_images=preds[1:], compression='tiff_adobe_deflate')
os.mkdir(os.path.join(out, 'pred'))
for n, p in zip(names, preds): p.save(os.path.join(out, 'pred', n + '.png'))
`,
      );
    });
    after(() => stacks && fs.rmSync(stacks, { recursive: true, force: true }));

    it('the stacks give the same training samples as the PNG folders, page i with slice i', function () {
      this.timeout(60000);
      const png = loadFolderDataset(path.join(ISBI, 'image'), path.join(ISBI, 'label'), { foreground: 0 });
      const tif = loadFolderDataset(path.join(stacks, 'train-volume.tif'), path.join(stacks, 'train-labels.tif'), { foreground: 0 });
      assert.strictEqual(tif.samples.length, 24);
      assert.strictEqual(tif.samples[0].name, 'train-volume_p01');
      tif.samples.forEach((s, i) => {
        assert.deepStrictEqual(s.image, png.samples[i].image, `image ${i}`);
        assert.deepStrictEqual(s.mask, png.samples[i].mask, `mask ${i}`);
      });
    });

    it('streamed with no cache: batches read ahead from the stacks by the decoding thread equal batches from the PNG folders', async function () {
      this.timeout(60000);
      const png = loadFolderDataset(path.join(ISBI, 'image'), path.join(ISBI, 'label'), { foreground: 0 });
      const norm = computeNormalization(png.samples, 1);
      const spec = { crop: 64, randomCrop: true, flips: true, rotate90: true };
      const src = openDataset(path.join(stacks, 'train-volume.tif'), path.join(stacks, 'train-labels.tif'), {
        foreground: 0,
        cacheMB: 0,
      }) as FolderSource;
      assert.strictEqual(src.items[3].name, 'train-volume_p04');
      assert.strictEqual(src.items[3].file, `${path.join(stacks, 'train-volume.tif')} (page 4 of 24)`);
      await assertReadAheadBatches(src, png.samples, { norm, spec, seed: 3, steps: 4, size: 4, names: false });
      assert.strictEqual(src.cacheBytes, 0);
      assert.ok(src.counts.prefetched >= 12, `prefetched ${src.counts.prefetched}, decoded here ${src.counts.decodedHere}`);
      src.dispose();
    });

    it("eval of a prediction stack against the label stack gives the PNG folders' metrics", function () {
      this.timeout(60000);
      const fromPng = evaluateFolders(path.join(stacks, 'pred'), path.join(ISBI, 'label'), { foreground: 0 });
      const fromTif = evaluateFolders(path.join(stacks, 'pred.tif'), path.join(stacks, 'train-labels.tif'), { foreground: 0 });
      assert.strictEqual(fromTif.images.length, 24);
      assert.deepStrictEqual(fromTif.aggregate, fromPng.aggregate);
      fromTif.images.forEach((r, i) => {
        const p = fromPng.images[i];
        for (const k of ['dice', 'iou', 'hd', 'hd95', 'tp', 'fp', 'fn', 'tn'] as const) assert.strictEqual(r[k], p[k], `${r.name} ${k}`);
      });
      const dice = fromTif.aggregate.mean.dice;
      assert.ok(dice > 0.2 && dice < 0.9, `neighbouring slices agree only partly (Dice ${dice})`);
    });

    it('a stack against a folder, or stacks of different lengths, are refused with both named', () => {
      assert.throws(
        () => evaluateFolders(path.join(stacks, 'pred.tif'), path.join(ISBI, 'label')),
        /pred\.tif is a file but .*label is not: give two folders \(paired by file name\) or two TIFF stacks/,
      );
      assert.throws(
        () => loadFolderDataset(path.join(dir, 'stack.tif'), path.join(stacks, 'train-labels.tif')),
        /stack\.tif has 3 pages but .*train-labels\.tif has 24/,
      );
    });
  });
});
