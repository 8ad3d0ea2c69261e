/** Metrics against hand-derived values: confusion scores, empty-mask conventions, Hausdorff/HD95. */
import * as assert from 'assert';
import { aggregateMetrics, computeClassMetrics, computeMetrics } from '../../src/core/metrics/evaluate';
import { maskBoundary, percentile } from '../../src/core/metrics/hausdorff';
import { bettiNumbers } from '../../src/core/metrics/regions';
import { clDiceScore, skeletonize } from '../../src/core/metrics/skeleton';
import { errorsByBoundaryDistance } from '../../src/core/metrics/boundaryDistance';
import { nanMean, nanStd } from '../../src/core/metrics/scores';
import { boundaryDistances, distanceTransform } from '../../src/core/common/edt';
import { assertAllClose, assertClose } from './helpers';

/** A [h, w] mask with the listed [row, col] pixels set. */
function mask(h: number, w: number, pixels: [number, number][]): Uint8Array {
  const m = new Uint8Array(h * w);
  for (const [y, x] of pixels) m[y * w + x] = 1;
  return m;
}

describe('metrics: overlap scores', () => {
  it('2×4 example: TP 1, FP 1, FN 0, TN 6', () => {
    const m = computeMetrics([1, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0], [2, 4]);
    assert.deepStrictEqual([m.tp, m.fp, m.fn, m.tn], [1, 1, 0, 6]);
    assertClose(m.dice, 2 / 3, 1e-15);
    assertClose(m.iou, 1 / 2, 1e-15);
    assertClose(m.precision, 1 / 2, 1e-15);
    assert.strictEqual(m.recall, 1);
    assertClose(m.specificity, 6 / 7, 1e-15);
    assertClose(m.accuracy, 7 / 8, 1e-15);
    // MCC = (1·6 − 1·0)/√(2·1·7·6) = 6/√84; balanced accuracy = (1 + 6/7)/2 = 13/14.
    assertClose(m.mcc, 6 / Math.sqrt(84), 1e-15);
    assertClose(m.balancedAccuracy, 13 / 14, 1e-15);
  });

  it('MCC with a zero denominator: agreement takes the empty convention, a blank prediction of a present object is 0 (scikit-learn)', () => {
    const empty = [0, 0, 0, 0];
    assert.strictEqual(computeMetrics(empty, empty, [2, 2]).mcc, 1, 'both empty, convention one');
    assert.strictEqual(computeMetrics(empty, empty, [2, 2], { empty: 'zero' }).mcc, 0);
    assert.ok(Number.isNaN(computeMetrics(empty, empty, [2, 2], { empty: 'nan' }).mcc));
    // Nothing predicted, one target pixel: TP = FP = 0, so (TP+FP) = 0; scikit-learn's matthews_corrcoef gives 0.
    const blank = computeMetrics(empty, [0, 1, 0, 0], [2, 2]);
    assert.strictEqual(blank.mcc, 0);
    // Its balanced accuracy: recall 0, specificity 1 → 0.5 (scikit-learn: the mean of the two classes' recalls).
    assert.strictEqual(blank.balancedAccuracy, 0.5);
  });

  it('probabilities are thresholded with p ≥ t (a tie is foreground); logits at 0', () => {
    const target = [1, 1, 0, 0];
    const m = computeMetrics([0.5, 0.49, 0.51, 0.2], target, [2, 2]);
    assert.deepStrictEqual([m.tp, m.fp, m.fn, m.tn], [1, 1, 1, 1]);
    const t = computeMetrics([0.5, 0.49, 0.51, 0.2], target, [2, 2], { threshold: 0.3 });
    assert.deepStrictEqual([t.tp, t.fp, t.fn, t.tn], [2, 1, 0, 1]);
    const l = computeMetrics([0, -0.01, 3, -3], target, [2, 2], { fromLogits: true });
    assert.deepStrictEqual([l.tp, l.fp, l.fn, l.tn], [1, 1, 1, 1]);
  });

  it('both masks empty: Dice/IoU follow the convention (1, 0 or NaN); HD is NaN or 0', () => {
    const empty = [0, 0, 0, 0];
    assert.strictEqual(computeMetrics(empty, empty, [2, 2]).dice, 1);
    assert.strictEqual(computeMetrics(empty, empty, [2, 2], { empty: 'zero' }).iou, 0);
    assert.ok(Number.isNaN(computeMetrics(empty, empty, [2, 2], { empty: 'nan' }).dice));
    assert.ok(Number.isNaN(computeMetrics(empty, empty, [2, 2]).hd95));
    assert.strictEqual(computeMetrics(empty, empty, [2, 2], { hdBothEmpty: 'zero' }).hd, 0);
    assert.strictEqual(computeMetrics(empty, empty, [2, 2]).accuracy, 1);
  });

  it('NSD and ASSD by hand, and with empty masks: one empty → NSD 0, ASSD ∞; both → NaN (or 1 and 0 with hdBothEmpty zero)', () => {
    // 1×6 strip: prediction pixels 0–1, target pixels 0–3. In a one-row image every foreground pixel's
    // 4-neighbourhood leaves the image, so all are boundary: prediction {0, 1}, target {0, 1, 2, 3}.
    // Distances pred→target: 0, 0; target→pred: 0, 0, 1, 2. NSD at τ = 1: (2 + 3)/6; at τ = 2: 6/6.
    // ASSD = (0 + 0 + 0 + 0 + 1 + 2)/6.
    const pred = [1, 1, 0, 0, 0, 0];
    const gt = [1, 1, 1, 1, 0, 0];
    const m = computeMetrics(pred, gt, [1, 6]);
    assert.strictEqual(m.nsd, 5 / 6);
    assert.strictEqual(m.assd, 0.5);
    assert.strictEqual(computeMetrics(pred, gt, [1, 6], { nsdTolerance: 2 }).nsd, 1);
    const none = [0, 0, 0, 0, 0, 0];
    const one = computeMetrics(none, gt, [1, 6]);
    assert.deepStrictEqual([one.nsd, one.assd], [0, Infinity]);
    const both = computeMetrics(none, none, [1, 6]);
    assert.ok(Number.isNaN(both.nsd) && Number.isNaN(both.assd));
    const zero = computeMetrics(none, none, [1, 6], { hdBothEmpty: 'zero' });
    assert.deepStrictEqual([zero.nsd, zero.assd], [1, 0]);
    assert.throws(() => computeMetrics(pred, gt, [1, 6], { nsdTolerance: -1 }), /nsdTolerance: -1 is not a finite number ≥ 0/);
  });

  it('Betti numbers by hand: a ring is one component with one hole; a diagonal chain closes it (8-connected foreground)', () => {
    // 5×5: a square ring of foreground around the centre pixel → β0 = 1, β1 = 1
    const ring = Uint8Array.from('0000001110010100111000000', (c) => Number(c));
    assert.deepStrictEqual(bettiNumbers(ring, [5, 5]), { b0: 1, b1: 1 });
    // the ring cut on one side: no hole; two separate dots: two components, no hole
    const cut = Uint8Array.from('0000001110010000111000000', (c) => Number(c));
    assert.deepStrictEqual(bettiNumbers(cut, [5, 5]), { b0: 1, b1: 0 });
    // a diamond of diagonal neighbours encloses its centre: one 8-connected component, one hole
    const diamond = Uint8Array.from('0010001010001000000000000', (c) => Number(c));
    assert.deepStrictEqual(bettiNumbers(diamond, [5, 5]), { b0: 1, b1: 1 });
    const m = computeMetrics(cut, ring, [5, 5]);
    assert.deepStrictEqual([m.betti0Error, m.betti1Error], [0, 1], 'the cut ring lost the hole');
  });

  it('one mask empty: Dice 0, HD and HD95 Infinity', () => {
    const m = computeMetrics([0, 0, 0, 0], [0, 1, 0, 0], [2, 2]);
    assert.strictEqual(m.dice, 0);
    assert.strictEqual(m.hd, Infinity);
    assert.strictEqual(m.hd95, Infinity);
    assert.strictEqual(m.precision, 1, 'no predicted foreground: precision by the empty convention');
  });

  it('full masks: Dice 1, HD 0 (boundary is the image frame)', () => {
    const full = new Array(12).fill(1);
    const m = computeMetrics(full, full, [3, 4]);
    assert.strictEqual(m.dice, 1);
    assert.strictEqual(m.hd, 0);
    assert.strictEqual(m.specificity, 1, 'TN + FP = 0 → empty convention');
  });

  it('rejects NaN and wrong sizes, naming them', () => {
    assert.throws(() => computeMetrics([0, NaN], [0, 1], [1, 2]), /prediction value 1 is NaN/);
    assert.throws(() => computeMetrics([0, 1, 1], [0, 1], [1, 2]), /prediction has 3 pixels, shape 1×2 needs 2/);
    assert.throws(() => computeMetrics([0, 1], [0, 1], [1, 2], { empty: 'skip' as 'nan' }), /empty: 'skip'/);
  });

  it('per-class metrics of label maps', () => {
    const pred = [0, 1, 1, 2];
    const target = [0, 1, 2, 2];
    const [c0, c1, c2] = computeClassMetrics(pred, target, [2, 2], 3);
    assert.strictEqual(c0.dice, 1);
    assertClose(c1.dice, 2 / 3, 1e-15); // TP 1, FP 1
    assertClose(c2.dice, 2 / 3, 1e-15); // TP 1, FN 1
    assert.strictEqual(computeClassMetrics(pred, target, [2, 2], 3, { firstClass: 1 }).length, 2);
  });

  it('aggregation: NaN-skipping means and pooled counts', () => {
    const a = computeMetrics([1, 0], [1, 0], [1, 2]);
    const b = computeMetrics([1, 1], [1, 0], [1, 2]);
    const e = computeMetrics([0, 0], [0, 0], [1, 2], { empty: 'nan' });
    const agg = aggregateMetrics([a, b, e]);
    assertClose(agg.mean.dice, (1 + 2 / 3) / 2, 1e-15);
    assert.strictEqual(agg.skipped.dice, 1);
    assert.deepStrictEqual([agg.pooled.tp, agg.pooled.fp], [2, 1]);
    assertClose(agg.pooled.dice, 4 / 5, 1e-15);
    assert.ok(Number.isNaN(nanMean([NaN])));
    assertClose(nanStd([1, 3, NaN]), Math.SQRT2, 1e-15);
  });
});

describe('metrics: skeletons (Zhang & Suen 1984) and clDice (Shit et al. 2021), by hand', () => {
  const bar = mask(
    5,
    9,
    [1, 2, 3].flatMap((y) => [1, 2, 3, 4, 5, 6, 7].map((x) => [y, x] as [number, number])),
  );
  const row = (y: number, xs: number[], h = 5, w = 9) =>
    mask(
      h,
      w,
      xs.map((x) => [y, x] as [number, number]),
    );

  it('a 3×7 bar thins to the middle of its middle row: (2,2)…(2,5), sub-iteration by sub-iteration as the paper rules give', () => {
    // pass 1 removes the bottom row, the right column and the top-left corner; pass 2 the top row, (2,1)
    // and (2,6); then every pixel left has B ≤ 1 or A = 2 and stays.
    assert.deepStrictEqual(Array.from(skeletonize(bar, [5, 9])), Array.from(row(2, [2, 3, 4, 5])));
  });

  it("a one-pixel line is its own skeleton; a 2×2 block thins to nothing (a property of the paper's rules)", () => {
    const line = row(2, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepStrictEqual(Array.from(skeletonize(line, [5, 9])), Array.from(line));
    const block = mask(4, 4, [
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
    ]);
    assert.strictEqual(
      skeletonize(block, [4, 4]).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('clDice: a thick bar over a thin true line scores 1 where Dice is 0.5; a gap of one in nine costs 2·(8/9)/(1 + 8/9)', () => {
    const truth = row(2, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepStrictEqual(clDiceScore(bar, truth, [5, 9]), { clDice: 1, tprec: 1, tsens: 1 });
    assertClose(computeMetrics(bar, truth, [5, 9]).dice, (2 * 7) / (21 + 7), 1e-12);
    const full = row(2, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const gap = row(2, [0, 1, 2, 3, 5, 6, 7, 8]);
    assertClose(computeMetrics(gap, full, [5, 9]).clDice, (2 * (8 / 9)) / (1 + 8 / 9), 1e-12);
    assert.strictEqual(computeMetrics(row(1, [1, 2, 3, 4, 5, 6, 7]), truth, [5, 9]).clDice, 0); // shifted by a row: nothing inside
  });

  it('empty masks follow the empty convention: both empty 1 (one) or NaN (nan); an empty prediction of a line 0; two full masks 1', () => {
    const none = new Uint8Array(45);
    assert.strictEqual(computeMetrics(none, none, [5, 9]).clDice, 1);
    assert.ok(Number.isNaN(computeMetrics(none, none, [5, 9], { empty: 'nan' }).clDice));
    assert.strictEqual(computeMetrics(none, row(2, [1, 2, 3]), [5, 9]).clDice, 0);
    const full = new Uint8Array(45).fill(1); // its skeleton lies inside both masks: Tprec = Tsens = 1
    assert.strictEqual(computeMetrics(full, full, [5, 9]).clDice, 1);
    assert.ok(
      skeletonize(full, [5, 9]).some((v) => v === 1),
      'a full image keeps a skeleton (pixels outside are background)',
    );
  });
});

describe('errors by distance to the true boundary, by hand', () => {
  it('a 1×7 row: distances 2 1 | 1 2 1 | 1 2 across a 3-pixel object; a one-pixel shift puts both errors in (0, 1]', () => {
    const truth = Uint8Array.from([0, 0, 1, 1, 1, 0, 0]);
    assert.deepStrictEqual(Array.from(boundaryDistances(truth, [1, 7])), [2, 1, 1, 2, 1, 1, 2]);
    const pred = Uint8Array.from([0, 1, 1, 1, 0, 0, 0]);
    const bins = errorsByBoundaryDistance(pred, truth, [1, 7]);
    assert.deepStrictEqual(
      bins.map((b) => [b.from, b.to, b.pixels, b.falsePositives, b.falseNegatives]),
      [
        [0, 1, 4, 1, 1],
        [1, 2, 3, 0, 0],
        [2, 4, 0, 0, 0],
        [4, 8, 0, 0, 0],
        [8, 16, 0, 0, 0],
        [16, Infinity, 0, 0, 0],
      ],
    );
    assert.deepStrictEqual([bins[0].errorRate, bins[1].errorRate], [0.5, 0]);
    assert.ok(Number.isNaN(bins[2].errorRate), 'an empty bin has no rate');
  });

  it('diagonal neighbours are at √2 (bin (1, 2]); a truth without foreground puts every pixel at ∞', () => {
    const truth = new Uint8Array(9);
    truth[4] = 1; // the centre of 3×3
    assertAllClose(boundaryDistances(truth, [3, 3]), [Math.SQRT2, 1, Math.SQRT2, 1, 1, 1, Math.SQRT2, 1, Math.SQRT2], 1e-12);
    const none = errorsByBoundaryDistance(Uint8Array.from([1, 0, 0, 0]), new Uint8Array(4), [2, 2], [1, 2]);
    assert.deepStrictEqual(
      none.map((b) => [b.to, b.pixels, b.falsePositives]),
      [
        [1, 0, 0],
        [2, 0, 0],
        [Infinity, 4, 1],
      ],
    );
  });
});

describe('metrics: Hausdorff distance', () => {
  it('two single pixels 3 rows and 4 columns apart: HD = HD95 = 5', () => {
    const m = computeMetrics(mask(10, 10, [[1, 1]]), mask(10, 10, [[4, 5]]), [10, 10]);
    assert.strictEqual(m.hd, 5);
    assert.strictEqual(m.hd95, 5);
  });

  it('directed percentiles with linear interpolation, by hand', () => {
    // A = pixels (0,0) and (0,4) in a 1×5 row... boundary of A is both pixels; B = (0,0).
    // d(A→B) = [0, 4]; d(B→A) = [0]. P95(A→B) = 0 + 0.95·4 = 3.8; HD95 = max(3.8, 0) = 3.8; HD = 4.
    const a = mask(1, 5, [
      [0, 0],
      [0, 4],
    ]);
    const b = mask(1, 5, [[0, 0]]);
    const m = computeMetrics(a, b, [1, 5]);
    assert.strictEqual(m.hd, 4);
    assertClose(m.hd95, 3.8, 1e-15);
    // Pooled: [0, 4, 0] → sorted [0, 0, 4], rank 0.95·2 = 1.9 → 0 + 0.9·4 = 3.6.
    assertClose(computeMetrics(a, b, [1, 5], { hdMode: 'pooled' }).hd95, 3.6, 1e-15);
    assertClose(computeMetrics(a, b, [1, 5], { hdPercentile: 50 }).hd95, 2, 1e-15);
  });

  it('boundary is the mask minus its 4-connected erosion (image edge counts as outside)', () => {
    const square = mask(
      5,
      5,
      [1, 2, 3].flatMap((y) => [1, 2, 3].map((x) => [y, x] as [number, number])),
    );
    const b = maskBoundary(square, [5, 5]);
    assert.strictEqual(
      b.reduce((s, v) => s + v, 0),
      8,
      'a 3×3 square has 8 boundary pixels',
    );
    assert.strictEqual(b[2 * 5 + 2], 0, 'centre is interior');
    const full = maskBoundary(new Uint8Array(9).fill(1), [3, 3]);
    assert.deepStrictEqual(Array.from(full), [1, 1, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('spacing scales distances per axis', () => {
    const m = computeMetrics(mask(10, 10, [[1, 1]]), mask(10, 10, [[4, 5]]), [10, 10], { spacing: [2, 0.5] });
    assertClose(m.hd, Math.hypot(3 * 2, 4 * 0.5), 1e-12);
  });

  it('percentile matches numpy on a small list', () => {
    // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8
    assertClose(percentile(Float64Array.from([10, 2, 4, 1, 3]), 95), 8.8, 1e-12);
  });
});

describe('distance transform', () => {
  it('equals brute force on random masks', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [h, w, density] of [
      [17, 23, 0.05],
      [1, 30, 0.1],
      [30, 1, 0.1],
      [12, 12, 0.5],
    ] as const) {
      const m = Uint8Array.from({ length: h * w }, () => (rand() < density ? 1 : 0));
      m[0] = 1;
      const brute = Array.from({ length: h * w }, (_, i) => {
        let best = Infinity;
        for (let j = 0; j < h * w; j++) {
          if (m[j]) best = Math.min(best, Math.hypot(Math.floor(i / w) - Math.floor(j / w), (i % w) - (j % w)));
        }
        return best;
      });
      assertAllClose(distanceTransform(m, [h, w]), brute, 1e-12, 1e-12, `${h}×${w}`);
    }
  });

  it('is Infinity everywhere without feature pixels', () => {
    assert.ok(distanceTransform(new Uint8Array(6), [2, 3]).every((v) => v === Infinity));
  });
});
