/**
 * Losses, metrics, the EDT and the U-Net weight map against values computed by PyTorch, torchvision
 * and SciPy (test/fixtures/make_reference.py → reference.json), on every backend available here
 * (webgpu on the adapter Dawn finds; skipped with the reason where none).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkLossShape, computeLoss, computeLossWithTensorsAsync, ignoreIndexOf, lossGradient } from '../../src/core/losses/compute';
import { FUSED_LOSSES, fusedLossValue } from '../../src/core/losses/fused';
import { compileLoss } from '../../src/core/losses/registry';
import { LossMode } from '../../src/core/losses/types';
import { computeMetrics } from '../../src/core/metrics/evaluate';
import { distanceTransform } from '../../src/core/common/edt';
import { addImage, emptyBins, reliabilityDiagram } from '../../src/core/metrics/calibration';
import { unetWeightMap } from '../../src/core/weightmap/unetWeightMap';
import { assertAllClose, assertClose, ROOT, suiteOnBackend } from './helpers';

interface LossCase {
  name: string;
  loss: string;
  /** The library (or, where none is installable here, the documented formula) that computed `expected`. */
  source: string;
  options: Record<string, unknown>;
  expected: number;
  mode: LossMode;
  shape: number[];
  pred: number[];
  target: number[];
  fromLogits: boolean;
  /** d loss / d pred (NHWC) from PyTorch autograd, where the case carries it. */
  gradient?: number[];
}

const reference = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference.json'), 'utf8'));

for (const backend of ['cpu', 'wasm', 'webgpu']) {
  describe(`losses vs reference values (tensor definitions, ${backend} backend; the library behind each in brackets)`, function () {
    suiteOnBackend(this, backend);
    for (const c of reference.losses as LossCase[]) {
      it(`${c.loss}: ${c.name} [${c.source}]`, async () => {
        if (backend === 'webgpu' && compileLoss(c.loss, c.options).terms.some((t) => t.definition.readsPrediction)) {
          // a loss that thresholds the prediction on the CPU cannot run on webgpu in Node: a named error
          await assert.rejects(computeLossWithTensorsAsync(compileLoss(c.loss, c.options), c), /wasm or cpu backend/);
          return;
        }
        const value = await computeLossWithTensorsAsync(compileLoss(c.loss, c.options), c);
        // float32 arithmetic against float64 references.
        assertClose(value, c.expected, 2e-5, 2e-6, c.name);
      });
    }
  });
}

describe('losses vs PyTorch reference values (computeLoss: fused kernels where they apply)', () => {
  const cases = reference.losses as LossCase[];
  for (const c of cases) {
    it(`${c.loss}: ${c.name}`, () => {
      assertClose(computeLoss(c.loss, c, c.options), c.expected, 2e-5, 2e-6, c.name);
    });
  }
  for (const c of cases.filter((x) => x.gradient)) {
    it(`${c.loss}: ${c.name}: the gradient equals PyTorch autograd's`, () => {
      assertAllClose(lossGradient(c.loss, c, c.options), c.gradient!, 1e-4, 1e-7, `${c.name} gradient`);
    });
  }
  it('the fused kernels evaluate every fixture of bce, bceWithLogits, crossEntropy and dice without options they lack', () => {
    const covered = cases.filter((c) => (FUSED_LOSSES as readonly string[]).includes(c.loss));
    const used = covered.filter((c) => {
      const loss = compileLoss(c.loss, c.options);
      const value = fusedLossValue(loss, checkLossShape(c, ignoreIndexOf(loss)));
      if (value !== null) assertClose(value, c.expected, 2e-5, 2e-6, `fused ${c.name}`);
      return value !== null;
    });
    // Cases the kernels hand to the tensor path: class weights, CE label smoothing, squared Dice.
    const expectedFallbacks = covered.filter(
      (c) => c.options.classWeights != null || (c.options.labelSmoothing && c.loss !== 'bceWithLogits') || c.options.squaredDenominator,
    );
    assert.ok(used.length >= 8, `only ${used.length} fixtures used the fused kernels`);
    assert.strictEqual(used.length + expectedFallbacks.length, covered.length, 'fixtures neither fused nor an expected fallback');
  });
});

describe('metrics vs SciPy (MONAI procedure: HD, HD95, NSD, ASSD) and scikit-learn (MCC, balanced accuracy)', () => {
  reference.metrics.forEach(
    (
      c: { shape: [number, number]; spacing: [number, number]; pred: number[]; target: number[]; expected: Record<string, number> },
      i: number,
    ) => {
      it(`case ${i}: ${c.shape.join('×')}, spacing ${c.spacing.join('×')}`, () => {
        const m = computeMetrics(c.pred, c.target, c.shape, { spacing: c.spacing });
        for (const key of ['tp', 'fp', 'fn', 'tn']) assert.strictEqual(m[key as 'tp'], c.expected[key], key);
        for (const key of ['dice', 'iou', 'precision', 'recall', 'specificity', 'accuracy', 'mcc', 'balancedAccuracy', 'hd', 'hd95']) {
          assertClose(m[key as 'dice'], c.expected[key], 1e-12, 1e-12, key);
        }
        const pooled = computeMetrics(c.pred, c.target, c.shape, { spacing: c.spacing, hdMode: 'pooled' });
        assertClose(pooled.hd95, c.expected.hd95Pooled, 1e-12, 1e-12, 'pooled hd95');
        assertClose(m.nsd, c.expected.nsd, 1e-12, 1e-12, 'nsd (tolerance 1)');
        assertClose(m.assd, c.expected.assd, 1e-12, 1e-12, 'assd');
        const wider = computeMetrics(c.pred, c.target, c.shape, { spacing: c.spacing, nsdTolerance: 2 });
        assertClose(wider.nsd, c.expected.nsdTolerance2, 1e-12, 1e-12, 'nsd (tolerance 2)');
        // blobs do not separate the background: one true region, so V_Info is 0/0 (null in the JSON)
        assertClose(m.vRand, c.expected.vRand, 1e-12, 1e-12, 'vRand');
        assert.ok(c.expected.vInfo === null && Number.isNaN(m.vInfo), `vInfo ${m.vInfo}`);
        assert.deepStrictEqual([m.betti0Error, m.betti1Error], [c.expected.betti0Error, c.expected.betti1Error], 'Betti errors');
        assertClose(m.clDice, c.expected.clDice, 1e-12, 1e-12, 'clDice');
      });
    },
  );
});

interface CalibrationCase {
  name: string;
  bins: number;
  prob: number[];
  target: number[];
  expected: { counts: number[]; fraction: number[]; meanProb: number[]; ece: number; brier: number };
}

describe(`calibration vs ${reference.calibration.source}`, () => {
  for (const c of reference.calibration.cases as CalibrationCase[]) {
    it(c.name, () => {
      const d = reliabilityDiagram(addImage(emptyBins(c.bins), c.prob, c.target));
      assert.deepStrictEqual(
        d.bars.map((b) => b.count),
        c.expected.counts,
        'pixels per bin (edge values in the lower bin)',
      );
      const filled = d.bars.filter((b) => b.count > 0);
      assertAllClose(
        filled.map((b) => b.fraction!),
        c.expected.fraction,
        1e-12,
        1e-12,
        'fraction of positives',
      );
      assertAllClose(
        filled.map((b) => b.meanProb!),
        c.expected.meanProb,
        1e-12,
        1e-12,
        'mean probability',
      );
      assertClose(d.ece, c.expected.ece, 1e-12, 1e-12, 'ECE');
      assertClose(d.brier, c.expected.brier, 1e-12, 1e-12, 'Brier');
    });
  }
});

describe(`ISBI 2012 region scores and Betti errors vs ${reference.regions.source}`, () => {
  for (const c of reference.regions.cases as {
    name: string;
    shape: [number, number];
    pred: number[];
    target: number[];
    expected: { vRand: number; vInfo: number; betti0Error: number; betti1Error: number; clDice: number };
    perfect: { vRand: number; vInfo: number };
  }[]) {
    it(`membrane maps: ${c.name}`, () => {
      const m = computeMetrics(c.pred, c.target, c.shape);
      assertClose(m.vRand, c.expected.vRand, 1e-12, 1e-12, 'vRand');
      assertClose(m.vInfo, c.expected.vInfo, 1e-12, 1e-12, 'vInfo');
      assert.deepStrictEqual([m.betti0Error, m.betti1Error], [c.expected.betti0Error, c.expected.betti1Error], 'Betti errors');
      assertClose(m.clDice, c.expected.clDice, 1e-12, 1e-12, 'clDice');
      const same = computeMetrics(c.target, c.target, c.shape);
      assertClose(same.vRand, c.perfect.vRand, 1e-12, 1e-12, 'vRand of the truth itself');
      assertClose(same.vInfo, c.perfect.vInfo, 1e-12, 1e-12, 'vInfo of the truth itself');
    });
  }
});

describe('distance transform vs scipy.ndimage.distance_transform_edt', () => {
  const e = reference.edt;
  it('isotropic', () => {
    assertAllClose(distanceTransform(e.mask, e.shape), e.distance, 1e-12, 1e-12, 'edt');
  });
  it('anisotropic spacing (2, 0.5)', () => {
    assertAllClose(distanceTransform(e.mask, e.shape, [2, 0.5]), e.distanceSpacing_2_05, 1e-12, 1e-12, 'edt');
  });
});

describe('U-Net weight map vs a SciPy implementation of Ronneberger et al. eq. 2', () => {
  const wm = reference.weightMap;
  it(`border term on background pixels (${wm.objects} objects)`, () => {
    assertAllClose(unetWeightMap(wm.mask, wm.shape), wm.background, 1e-6, 1e-6, 'w');
  });
  it('border term everywhere', () => {
    assertAllClose(unetWeightMap(wm.mask, wm.shape, { borderOn: 'everywhere' }), wm.everywhere, 1e-6, 1e-6, 'w');
  });
});
