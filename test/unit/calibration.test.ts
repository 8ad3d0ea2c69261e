/**
 * Calibration: ECE, Brier and the reliability diagram by hand (scikit-learn's values are in
 * reference.test.ts), validation's per-image values for binary and multi-class heads against the same
 * functions on probabilities computed here with tf.softmax, and calibration.json in a trained run.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  addImage,
  binOf,
  brierScore,
  emptyBins,
  expectedCalibrationError,
  mergeBins,
  reliabilityDiagram,
} from '../../src/core/metrics/calibration';
import { generateShapes } from '../../src/core/data/shapes';
import { memorySource, SampleList } from '../../src/core/data/source';
import { normalizationOf } from '../../src/core/data/batches';
import { compileLoss } from '../../src/core/losses/registry';
import { buildUnet, Head } from '../../src/core/model/unet';
import { PredictContext, predictLogits, validate } from '../../src/core/train/predict';
import { trainRun } from '../../src/core/train/trainer';
import { readCalibration } from '../../src/core/runs/store';
import { assertClose, tinyExperiment } from './helpers';

describe('calibration by hand', () => {
  it('ECE and Brier of four pixels in 10 bins: (|1 − 0.2| + |2 − 1.8|)/4 = 0.25; Brier (0.01 + 0.81 + 0.01 + 0.01)/4 = 0.21', () => {
    const bins = addImage(emptyBins(10), [0.1, 0.1, 0.9, 0.9], [0, 1, 1, 1]);
    assert.deepStrictEqual(bins.count, [2, 0, 0, 0, 0, 0, 0, 0, 2, 0], '0.1 sits on an edge: the lower bin; 0.9 too');
    assertClose(expectedCalibrationError(bins), 0.25, 1e-12, 1e-15);
    assertClose(brierScore(bins), 0.21, 1e-12, 1e-15);
  });
  it('a probability on an edge goes to the lower bin; 0 to the first, 1 to the last', () => {
    assert.deepStrictEqual(
      [0, 0.05, 0.1, 0.1000001, 0.5, 1].map((p) => binOf(p, 10)),
      [0, 0, 0, 1, 4, 9],
    );
  });
  it('pooling two images equals adding both at once; no pixels or a NaN probability give NaN, not 0', () => {
    const a = addImage(emptyBins(), [0.2, 0.7, 0.95], [0, 1, 1]);
    const b = addImage(emptyBins(), [0.4, 0.01], [1, 0]);
    const both = addImage(emptyBins(), [0.2, 0.7, 0.95, 0.4, 0.01], [0, 1, 1, 1, 0]);
    assert.deepStrictEqual(reliabilityDiagram(mergeBins(a, b)), reliabilityDiagram(both));
    assert.ok(Number.isNaN(expectedCalibrationError(emptyBins())));
    assert.ok(Number.isNaN(brierScore(addImage(emptyBins(), [0.5, NaN], [1, 0]))));
  });
});

describe('calibration in validation', () => {
  async function check(head: Head, classes: number) {
    const data = generateShapes({ count: 3, size: 16, seed: 5, classes: classes === 3 ? 3 : 2 });
    const source = memorySource(data);
    const val = new SampleList(source, [0, 1, 2]);
    const ctx: PredictContext = { head, channels: 1, classes, norm: normalizationOf(source, [0, 1, 2]), multiple: 4, threshold: 0.5 };
    const model = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head, classes, seed: 3 });
    const loss = compileLoss(head === 'sigmoid1' ? 'bce' : 'crossEntropy', {});
    try {
      const result = await validate(model, val, loss, ctx, 0);
      let pixels = 0;
      for (let i = 0; i < 3; i++) {
        const s = val.at(i)!;
        const logits = await predictLogits(model, s, ctx);
        const c = logits.shape[3];
        const probs = tf.tidy(() => (head === 'sigmoid1' ? tf.sigmoid(logits) : tf.softmax(logits, -1)));
        const p = (await probs.data()) as Float32Array;
        probs.dispose();
        logits.dispose();
        const perClass: ReturnType<typeof emptyBins>[] = [];
        for (let k = head === 'sigmoid1' ? 0 : 1; k < c; k++) {
          const label = head === 'sigmoid1' ? 1 : k;
          const prob = Array.from({ length: s.mask.length }, (_, j) => p[j * c + k]);
          perClass.push(
            addImage(
              emptyBins(),
              prob,
              Array.from(s.mask, (m) => (m === label ? 1 : 0)),
            ),
          );
        }
        pixels += s.mask.length * perClass.length;
        const mean = (f: (b: ReturnType<typeof emptyBins>) => number) => perClass.map(f).reduce((x, y) => x + y) / perClass.length;
        assertClose(result.perImage[i].metrics.ece, mean(expectedCalibrationError), 1e-6, 1e-7, `${head} image ${i} ECE`);
        assertClose(result.perImage[i].metrics.brier, mean(brierScore), 1e-6, 1e-7, `${head} image ${i} Brier`);
      }
      assert.strictEqual(result.reliability.total, pixels, 'the pooled diagram holds every pixel of every foreground class');
    } finally {
      model.dispose();
    }
  }
  it('sigmoid1: the foreground probability against the mask', () => check('sigmoid1', 2));
  it('softmax2: the foreground channel of the softmax', () => check('softmax2', 2));
  it('softmaxN (3 classes): each foreground class one-vs-rest, the image value their mean', () => check('softmaxN', 3));
});

describe('calibration.json', () => {
  let runsDir: string;
  before(() => (runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-calibration-'))));
  after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  it('a trained run holds the diagram of its last validation: every validation pixel, ECE/Brier as pooled from the bars', async () => {
    const summary = await trainRun({ config: tinyExperiment(runsDir, { epochs: 2, stepsPerEpoch: 2, batchSize: 2 }) });
    const dir = path.join(runsDir, summary.id);
    const c = readCalibration(dir)!;
    assert.strictEqual(c.epoch, 2);
    assert.strictEqual(c.head, summary.head);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.strictEqual(c.pixels, config.derived.valImages.length * config.dataset.size ** 2);
    assert.strictEqual(
      c.bars.reduce((a, b) => a + b.count, 0),
      c.pixels,
    );
    const gap = c.bars.reduce((a, b) => a + (b.count ? b.count * Math.abs(b.fraction! - b.meanProb!) : 0), 0) / c.pixels;
    assertClose(c.ece, gap, 1e-9, 1e-12, 'ECE = Σ n_b/N |fraction − mean probability|');
    assert.ok(Number.isFinite(summary.final!.ece) && Number.isFinite(summary.final!.brier), 'per-image means in summary.json');
  });

  it('a damaged or hostile calibration.json is an error naming the field', () => {
    const dir = fs.mkdtempSync(path.join(runsDir, 'bad-'));
    assert.strictEqual(readCalibration(dir), null, 'no file: null (runs from before calibration.json)');
    const write = (v: unknown) => fs.writeFileSync(path.join(dir, 'calibration.json'), JSON.stringify(v));
    const good = {
      epoch: 1,
      head: 'sigmoid1',
      bars: [{ lo: 0, hi: 1, count: 2, meanProb: 0.5, fraction: 0.5 }],
      ece: 0,
      brier: 0.25,
      pixels: 2,
    };
    write(good);
    assert.deepStrictEqual(readCalibration(dir), good);
    write({ ...good, bars: [{ ...good.bars[0], fraction: 2 }] });
    assert.throws(() => readCalibration(dir), /bars\[0\]\.meanProb\/fraction/);
    write({ ...good, bars: { length: 1e9 } });
    assert.throws(() => readCalibration(dir), /bars is missing/);
    write({ ...good, ece: 'NaN' });
    assert.strictEqual(Number.isNaN(readCalibration(dir)!.ece), true, '"NaN" (encodeJson) reads back as NaN');
    fs.writeFileSync(path.join(dir, 'calibration.json'), '{"epoch":');
    assert.throws(() => readCalibration(dir), /not valid JSON/);
  });
});
