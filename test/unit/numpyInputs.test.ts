/**
 * What PyTorch users save, written by numpy itself (Debian's python3-numpy via /usr/bin/python3):
 * .npy in every layout a segmentation output comes in ([H,W], [1,1,H,W], [1,2,H,W], [H,W,2]),
 * float16/32/64, integers and bool, and .npz archives (savez and savez_compressed), evaluated with
 * `seglab eval`'s core against the same ground truth. The expected metrics are counted by hand.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { binaryPrediction, readArrayFile } from '../../src/core/data/arrayFile';
import { halfToNumber } from '../../src/core/data/npy';
import { evaluateFolders } from '../../src/core/metrics/evaluateFolders';
import { classNames, datasetFacts } from '../../src/cli/evalCommand';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

function numpy(out: string, script: string): void {
  const r = spawnSync(PYTHON, ['-c', `import sys, os, numpy as np\nout = sys.argv[1]\n${script}`, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} with numpy failed (apt-get install python3-numpy): ${r.stderr || r.error}`);
}

describe('numpy inputs: layouts, dtypes, .npz (files written by numpy)', () => {
  let dir: string;
  // Ground truth: a 20×30 image whose left half (columns 0–14) is foreground: 300 pixels. Every
  // prediction below says foreground on columns 0–19: TP 300, FP 100, FN 0, TN 200 → Dice 600/700.
  const DICE = 600 / 700;
  before(function () {
    this.timeout(60000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-numpy-'));
    numpy(
      dir,
      `
gt = np.zeros((20, 30), np.uint8); gt[:, :15] = 255
p = np.zeros((20, 30)); p[:, :20] = 0.9; p[:, 20:] = 0.1          # foreground probability
z = np.log(p / (1 - p))                                       # its logit
def case(name, arr, gtname=None):
    d = os.path.join(out, name); os.makedirs(os.path.join(d, 'pred')); os.makedirs(os.path.join(d, 'gt'))
    from PIL import Image
    Image.fromarray(gt).save(os.path.join(d, 'gt', 'a.png'))
    if name.startswith('npz'):
        (np.savez_compressed if 'compressed' in name else np.savez)(os.path.join(d, 'pred', 'a.npz'), **arr)
    else:
        np.save(os.path.join(d, 'pred', 'a.npy'), arr)
case('hw_float16', p.astype(np.float16))
case('nchw1_float32', p[None, None].astype(np.float32))
case('nchw2_probs', np.stack([1 - p, p])[None].astype(np.float32))
case('nchw2_logits', np.stack([np.full_like(z, 3), z + 3])[None].astype(np.float64))   # softmax is shift-invariant: only z1 − z0 counts
case('hwc2_probs', np.stack([1 - p, p], axis=2).astype(np.float32))
case('chw1_bool', (p > 0.5)[None])
case('hw_int64_labels', (p > 0.5).astype(np.int64))
case('npz_single', {'arr_0': p.astype(np.float32)})
case('npz_compressed_named', {'logits': z[None, None].astype(np.float32), 'image': np.zeros((20, 30), np.float32)})
# Multi-class: ground truth class 1 on columns 0–9, class 2 on 10–19, background 20–29; the
# prediction moves the 1|2 border to column 12 (as a label map, and as 3-channel logits).
mc = os.path.join(out, 'multiclass'); os.makedirs(os.path.join(mc, 'gt')); os.makedirs(os.path.join(mc, 'labels')); os.makedirs(os.path.join(mc, 'logits'))
g3 = np.zeros((20, 30), np.uint8); g3[:, :10] = 1; g3[:, 10:20] = 2
p3 = np.zeros((20, 30), np.int32); p3[:, :12] = 1; p3[:, 12:20] = 2
from PIL import Image
Image.fromarray(g3).save(os.path.join(mc, 'gt', 'a.png'))
np.save(os.path.join(mc, 'labels', 'a.npy'), p3)
onehot = np.stack([(p3 == c) for c in range(3)]).astype(np.float32) * 4 - 2 + np.random.default_rng(0).normal(0, 0.1, (3, 20, 30)).astype(np.float32)
np.save(os.path.join(mc, 'logits', 'a.npy'), onehot[None])
np.save(os.path.join(out, 'ambiguous.npy'), np.zeros((8, 8, 8), np.float32))
np.save(os.path.join(out, 'half.npy'), np.array([0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 2 ** -14 - 2 ** -24, np.inf, -np.inf], np.float16))
np.save(os.path.join(out, 'three.npy'), np.zeros((1, 3, 20, 30), np.float32))
`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const evaluate = (name: string, options = {}) => evaluateFolders(path.join(dir, name, 'pred'), path.join(dir, name, 'gt'), options);

  it('float16 decodes exactly (numpy wrote 0, 1, −2, ½, 65504, the smallest normal and subnormal, the largest subnormal, ±∞)', () => {
    const a = readArrayFile(path.join(dir, 'half.npy'));
    assert.deepStrictEqual(Array.from(a.values), [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 2 ** -14 - 2 ** -24, Infinity, -Infinity]);
    assert.strictEqual(halfToNumber(0x7e00), NaN);
  });

  for (const name of ['hw_float16', 'nchw1_float32', 'nchw2_probs', 'hwc2_probs', 'chw1_bool', 'hw_int64_labels', 'npz_single']) {
    it(`${name}: Dice 600/700 (TP 300, FP 100, FN 0)`, () => {
      const r = evaluate(name).images[0];
      assert.deepStrictEqual([r.tp, r.fp, r.fn, r.tn], [300, 100, 0, 200]);
      assert.ok(Math.abs(r.dice - DICE) < 1e-12);
    });
  }

  it('logits with --from-logits: two channels as z1 − z0 (softmax at ½ = logit difference at 0), one channel as stored', () => {
    for (const name of ['nchw2_logits', 'npz_compressed_named']) {
      const r = evaluate(name, { fromLogits: true }).images[0];
      assert.deepStrictEqual([r.tp, r.fp, r.fn, r.tn], [300, 100, 0, 200], name);
    }
    // The .npz holds two arrays; the one named "logits" is the prediction, and the file says so.
    assert.match(evaluate('npz_compressed_named', { fromLogits: true }).images[0].pred, /a\.npz:logits$/);
  });

  it('multi-class (--classes): per class one-vs-rest, the image scores the mean of the foreground classes', () => {
    // class 1: predicted 240 px, true 200, TP 200 → Dice 400/440; class 2: predicted 160, true 200,
    // TP 160 → Dice 320/360; background: 200 of 200 → 1.
    for (const pred of ['labels', 'logits']) {
      const r = evaluateFolders(path.join(dir, 'multiclass', pred), path.join(dir, 'multiclass', 'gt'), {
        classes: ['background', 'cell', 'membrane'],
      });
      const image = r.images[0];
      assert.deepStrictEqual(
        image.classes!.map((c) => [c.name, c.tp, c.fp, c.fn]),
        [
          ['background', 200, 0, 0],
          ['cell', 200, 40, 0],
          ['membrane', 160, 0, 40],
        ],
        pred,
      );
      assert.ok(Math.abs(image.dice - (400 / 440 + 320 / 360) / 2) < 1e-12);
      assert.deepStrictEqual(
        r.perClass!.map((c) => c.name),
        ['background', 'cell', 'membrane'],
      );
      assert.ok(Math.abs(r.perClass![2].mean.dice - 320 / 360) < 1e-12);
    }
    assert.throws(
      () => evaluateFolders(path.join(dir, 'multiclass', 'labels'), path.join(dir, 'multiclass', 'gt'), { classes: ['bg', 'cell'] }),
      /labels\/a\.npy: prediction \(a one-channel label map\) value 2 at flat index 12 is not a class index 0…1/,
    );
    // Named in an experiment config (dataset.classes + dataset.classNames), as `seglab eval --config` reads them.
    const config = path.join(dir, 'mc.experiment.json');
    const dataset = { images: 'img', masks: 'gt', classes: 3, classNames: ['background', 'cell', 'membrane'] };
    fs.writeFileSync(config, JSON.stringify({ dataset, head: 'softmaxN' }));
    assert.deepStrictEqual(datasetFacts(config), { classes: ['background', 'cell', 'membrane'] });
    fs.writeFileSync(config, JSON.stringify({ dataset: { ...dataset, classNames: ['bg', 'cell'] }, head: 'softmaxN' }));
    assert.throws(() => datasetFacts(config), /dataset\.classNames: names 2 classes but dataset\.classes is 3/);
    fs.writeFileSync(config, JSON.stringify({ dataset: { images: 'img', masks: 'gt', foreground: 0 } }));
    assert.deepStrictEqual(datasetFacts(config), { foreground: 0 });
    assert.deepStrictEqual(classNames('3'), ['background', 'class1', 'class2']);
    assert.deepStrictEqual(classNames('bg, cell ,membrane'), ['bg', 'cell', 'membrane']);
    assert.throws(() => classNames('bg,bg'), /names a class twice/);
  });

  it('an ambiguous shape asks for --channels-first/--channels-last; three channels against binary truth are refused', () => {
    const amb = readArrayFile(path.join(dir, 'ambiguous.npy'));
    assert.throws(
      () => binaryPrediction(amb, undefined, false),
      /ambiguous\.npy: shape \[8, 8, 8\] could hold channels first or last; say which with --channels-first/,
    );
    assert.strictEqual(binaryPrediction({ ...amb, shape: [1, 8, 8], values: new Float64Array(64) }, 'first', false).h, 8);
    assert.throws(
      () => binaryPrediction(readArrayFile(path.join(dir, 'three.npy')), undefined, false),
      /three\.npy: 3 channels; a binary ground truth needs 1 channel or 2/,
    );
  });
});
