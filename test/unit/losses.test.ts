/**
 * Losses against worked examples and values derived by hand, the sigmoid/softmax equivalence, numerical
 * stability at |logit| = 100, gradients, and option errors.
 */
import * as assert from 'assert';
import { ignoredLossOptions, lossForHead } from '../../src/core/config/config';
import { validateConfig } from '../../src/core/config/config';
import { initBackend } from '../../src/core/backend/backend';
import { computeLoss, computeLossWithTensors, lossGradient } from '../../src/core/losses/compute';
import { LOSS_ALIASES } from '../../src/core/losses/aliases';
import { compileLoss, describeDefault, getLoss, lossDefinitions, lossNames } from '../../src/core/losses/registry';
import { LossMode } from '../../src/core/losses/types';
import { lossMap } from '../../src/core/losses/lossMap';
import { binarize } from '../../src/core/metrics/confusion';
import { assertAllClose, assertClose, sigmoid } from './helpers';

const bin = (pred: number[], target: number[], fromLogits = false, shape = [1, 1, pred.length, 1]) => ({
  pred,
  target,
  shape,
  fromLogits,
  mode: 'binary' as LossMode,
});

describe('losses: worked examples and hand-derived values', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('BCE of the seed article: 2×2 sigmoid outputs against the identity label is 0.6622', () => {
    const v = computeLoss('bce', bin([0.656, 0.5859, 0.6172, 0.6802], [1, 0, 0, 1], false, [1, 2, 2, 1]));
    // −¼[ln .656 + ln(1−.5859) + ln(1−.6172) + ln .6802] = 0.66221
    assertClose(v, 0.66221, 0, 5e-5);
  });

  it('bce clamps log at −100 like PyTorch BCELoss: p = 0 for a positive costs exactly 100', () => {
    assertClose(computeLoss('bce', bin([0, 1], [1, 1])), 50, 1e-6);
  });

  it('bceWithLogits at logit 0 is ln 2 whatever the target', () => {
    assertClose(computeLoss('bceWithLogits', bin([0, 0], [0, 1], true)), Math.LN2, 1e-6);
  });

  it('balancedBce with β = 0.25: ¼·(−ln 0.8) on a positive and ¾·(−ln 0.8) on a negative', () => {
    const v = computeLoss('balancedBce', bin([0.8, 0.2], [1, 0]), { beta: 0.25 });
    assertClose(v, (0.25 * -Math.log(0.8) + 0.75 * -Math.log(0.8)) / 2, 1e-6);
  });

  it('crossEntropy: logits (0, ln 3) with class 1 give −ln(3/4)', () => {
    const v = computeLoss('crossEntropy', { pred: [0, Math.log(3)], target: [1], shape: [1, 1, 1, 2], fromLogits: true });
    assertClose(v, -Math.log(0.75), 1e-6);
  });

  it('crossEntropy with every pixel ignored is 0, not NaN', () => {
    const v = computeLoss('crossEntropy', { pred: [1, 2, 3, 4], target: [-100, -100], shape: [1, 1, 2, 2], fromLogits: true });
    assert.strictEqual(v, 0);
  });

  it('focal at logit 0, y = 1: α·(1−½)²·ln 2 = 0.25·0.25·ln 2', () => {
    assertClose(computeLoss('focal', bin([0], [1], true)), 0.0625 * Math.LN2, 1e-6);
  });

  it('focal with γ = 0 and α = null is BCE', () => {
    const data = bin([2, -1, 0.5, -3], [1, 0, 0, 1], true);
    assertClose(computeLoss('focal', data, { gamma: 0, alpha: null }), computeLoss('bceWithLogits', data), 1e-6);
  });

  it('hinge on logit 0.5: 0.5 for y = 1, 1.5 for y = 0; squared: 0.25 and 2.25', () => {
    assertClose(computeLoss('hinge', bin([0.5], [1], true)), 0.5, 1e-6);
    assertClose(computeLoss('hinge', bin([0.5], [0], true)), 1.5, 1e-6);
    assertClose(computeLoss('squaredHinge', bin([0.5, 0.5], [1, 0], true)), (0.25 + 2.25) / 2, 1e-6);
  });

  it('dice with s = 0: p = (1,1,0,0), y = (1,0,0,0) gives 1 − 2/3', () => {
    assertClose(computeLoss('dice', bin([1, 1, 0, 0], [1, 0, 0, 0]), { smooth: 0 }), 1 / 3, 1e-6);
  });

  it('dice squaredDenominator: p = (0.5, 0.5), y = (1, 0), s = 0 gives 1 − 1/(0.5 + 1)', () => {
    assertClose(computeLoss('dice', bin([0.5, 0.5], [1, 0]), { smooth: 0, squaredDenominator: true }), 1 / 3, 1e-6);
  });

  it('dice of an empty target: formula 1 − s/(Σp + s); emptyTarget zero gives 0; all-empty gives 0', () => {
    const data = bin([0.5, 0.5, 0, 0], [0, 0, 0, 0]);
    assertClose(computeLoss('dice', data, { smooth: 1 }), 1 - 1 / (1 + 1), 1e-6);
    assert.strictEqual(computeLoss('dice', data, { smooth: 1, emptyTarget: 'zero' }), 0);
    assertClose(computeLoss('dice', bin([0, 0], [0, 0])), 0, 0, 1e-6);
    assert.ok(Number.isFinite(computeLoss('dice', bin([0, 0], [0, 0]), { smooth: 0 })));
  });

  it('dice of a full mask predicted perfectly is 0', () => {
    assertClose(computeLoss('dice', bin([1, 1, 1], [1, 1, 1]), { smooth: 0 }), 0, 0, 1e-7);
  });

  it('generalizedDice (Sudre 2017, MONAI weights 1/(Σy)²) by hand: equal class sizes 0.2, unequal 10/30.4, an absent class 0.45', () => {
    // One 2×2 image, two classes, probabilities of class 1 per pixel p1 = (0.9, 0.2, 0.6, 0.1), p0 = 1 − p1.
    const p1 = [0.9, 0.2, 0.6, 0.1];
    const pred = p1.flatMap((p) => [1 - p, p]);
    const shape = [1, 2, 2, 2];
    // y1 = (1,0,1,0): I1 = 1.5, Σp1 = 1.8, Σy1 = 2; I0 = 1.7, Σp0 = 2.2, Σy0 = 2; w = ¼ each:
    // 1 − 2(0.25·1.5 + 0.25·1.7)/(0.25·3.8 + 0.25·4.2) = 1 − 1.6/2 = 0.2.
    assertClose(computeLoss('generalizedDice', { pred, target: [1, 0, 1, 0], shape }, { smooth: 0 }), 0.2, 1e-6);
    // y1 = (1,0,0,0): w1 = 1, w0 = 1/9; I1 = 0.9, Σp1 = 1.8; I0 = 2.1, Σp0 = 2.2, Σy0 = 3:
    // 1 − 2(0.9 + 2.1/9)/(2.8 + 5.2/9) = 1 − 20.4/30.4 = 10/30.4.
    assertClose(computeLoss('generalizedDice', { pred, target: [1, 0, 0, 0], shape }, { smooth: 0 }), 10 / 30.4, 1e-6);
    // uniform weights are the pooled (not class-averaged) Dice: 1 − 2(0.9 + 2.1)/(2.8 + 5.2) = 0.25.
    assertClose(computeLoss('generalizedDice', { pred, target: [1, 0, 0, 0], shape }, { smooth: 0, weighting: 'uniform' }), 0.25, 1e-6);
    // Class 1 absent: its weight ∞ becomes the largest finite one (w0 = 1/16):
    // 1 − 2(2.2/16)/((2.2 + 4)/16 + 1.8/16) = 1 − 4.4/8 = 0.45.
    assertClose(computeLoss('generalizedDice', { pred, target: [0, 0, 0, 0], shape }, { smooth: 0 }), 0.45, 1e-6);
    // perImage (default, MONAI batch=False) averages per image; batch-wide pools the counts.
    const two = { pred: [...pred, ...pred], target: [1, 0, 1, 0, 1, 0, 0, 0], shape: [2, 2, 2, 2] };
    assertClose(computeLoss('generalizedDice', two, { smooth: 0 }), (0.2 + 10 / 30.4) / 2, 1e-6);
    // Pooled: I1 = 2.4, Σp1 = 3.6, Σy1 = 3 (w 1/9); I0 = 3.8, Σp0 = 4.4, Σy0 = 5 (w 1/25).
    const pooled = 1 - (2 * (2.4 / 9 + 3.8 / 25)) / (6.6 / 9 + 9.4 / 25);
    assertClose(computeLoss('generalizedDice', two, { smooth: 0, perImage: false }), pooled, 1e-6);
  });

  it('jaccard with s = 0: p = (1,1,0,0), y = (1,0,0,0) gives 1 − 1/2', () => {
    assertClose(computeLoss('jaccard', bin([1, 1, 0, 0], [1, 0, 0, 0]), { smooth: 0 }), 0.5, 1e-6);
  });

  it('tversky α = β = 0.5 equals dice when s = 0, and differs when s > 0 (smp ≥ 0.4 vs MONAI)', () => {
    const data = bin([0.9, 0.6, 0.2, 0.1, 0.7], [1, 0, 1, 0, 1]);
    assertClose(computeLoss('tversky', data, { smooth: 0 }), computeLoss('dice', data, { smooth: 0 }), 1e-6);
    assert.ok(Math.abs(computeLoss('tversky', data, { smooth: 1 }) - computeLoss('dice', data, { smooth: 1 })) > 1e-3);
  });

  it('tversky with α = 1, β = 0 ignores false negatives: 1 − TP/(TP + FP)', () => {
    // TP = 0.9, FP = 0.6 (the 0.2 on a positive is a FN and weighs nothing)
    const v = computeLoss('tversky', bin([0.9, 0.6, 0, 0], [1, 0, 1, 0]), { smooth: 0, alpha: 1, beta: 0 });
    assertClose(v, 1 - 0.9 / 1.5, 1e-6);
  });

  it('lovaszHinge: logits (0, 0) vs (1, 0) is 1 in either tie order; a margin-satisfying prediction is 0', () => {
    assertClose(computeLoss('lovaszHinge', bin([0, 0], [1, 0], true)), 1, 1e-6);
    assertClose(computeLoss('lovaszHinge', bin([2, -1], [1, 0], true)), 0, 0, 1e-7);
  });

  it('lovaszSoftmax of a perfect one-hot prediction is 0', () => {
    const v = computeLoss('lovaszSoftmax', { pred: [1, 0, 0, 1], target: [0, 1], shape: [1, 1, 2, 2] });
    assertClose(v, 0, 0, 1e-7);
  });

  it('weightedBce with all weights 1 is bce; normalize weights with w ∈ {1,3} is the weighted average', () => {
    const data = bin([0.8, 0.3], [1, 0]);
    assertClose(computeLoss('weightedBce', data, { weights: [1, 1] }), computeLoss('bce', data), 1e-6);
    const l1 = -Math.log(0.8);
    const l2 = -Math.log(0.7);
    assertClose(computeLoss('weightedBce', data, { weights: [1, 3], normalize: 'weights' }), (l1 + 3 * l2) / 4, 1e-6);
    assertClose(computeLoss('weightedBce', data, { weights: [1, 3] }), (l1 + 3 * l2) / 2, 1e-6);
  });

  it('compound losses are weighted sums of their terms, with per-term options', () => {
    const data = bin([0.9, 0.6, 0.2, 0.1], [1, 0, 1, 0]);
    const b = computeLoss('bce', data);
    const d = computeLoss('dice', data, { smooth: 1 });
    assertClose(computeLoss('bce+dice', data, { 'dice.smooth': 1 }), b + d, 1e-6);
    assertClose(computeLoss('0.5*bce + 2*dice', data, { smooth: 1 }), 0.5 * b + 2 * d, 1e-6);
  });
});

describe("smp/MONAI class names as aliases, with their classes' defaults", () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('MONAI DiceLoss averages per image (batch=False); SegLab dice pools the batch (smp): 1/6 vs 1/3 by hand', () => {
    // Image A: p = (1,1,0,0), y = (1,0,0,0) → 1 − 2/3; image B: nothing predicted, nothing there → 0.
    const data = { pred: [1, 1, 0, 0, 0, 0, 0, 0], target: [1, 0, 0, 0, 0, 0, 0, 0], shape: [2, 2, 2, 1] };
    assertClose(computeLoss('DiceLoss', data), (1 - 2 / 3 + 0) / 2, 1e-5);
    assertClose(computeLoss('dice', data), 1 - 2 / 3, 1e-5); // I = 1, Σp = 2, Σy = 1 over the batch
    const t = compileLoss('DiceLoss').terms;
    assert.deepStrictEqual(
      t.map((x) => [x.definition.name, x.options.perImage, x.options.smooth]),
      [['dice', true, 1e-5]],
    );
  });

  it('DiceCELoss is dice (as DiceLoss) + cross-entropy; with one channel BCE with logits, as MONAI', () => {
    const logits = [2, -1, 0.5, -3];
    const binary = { pred: logits, target: [1, 0, 0, 0], shape: [1, 2, 2, 1], fromLogits: true };
    const diceMonai = computeLoss('dice', binary, { perImage: true, smooth: 1e-5 });
    assertClose(computeLoss('DiceCELoss', binary), diceMonai + computeLoss('bceWithLogits', binary), 1e-6);
    const two = { pred: logits.flatMap((z) => [0, z]), target: [1, 0, 0, 0], shape: [1, 2, 2, 2], fromLogits: true };
    const expected = computeLoss('dice', two, { perImage: true, smooth: 1e-5 }) + computeLoss('crossEntropy', two);
    assertClose(computeLoss('DiceCELoss', two), expected, 1e-6);
    assert.deepStrictEqual(
      compileLoss('0.5*DiceCELoss', {}, 'multiclass').terms.map((x) => [x.weight, x.definition.name]),
      [
        [0.5, 'dice'],
        [0.5, 'crossEntropy'],
      ],
    );
  });

  it('FocalLoss has no α (smp and MONAI default alpha=None): at logit 0, y = 1 it is (1 − ½)²·ln 2', () => {
    const value = computeLoss('FocalLoss', { pred: [0], target: [1], shape: [1, 1, 1, 1], fromLogits: true });
    assertClose(value, 0.25 * Math.LN2, 1e-6);
    assertClose(computeLoss('focal', { pred: [0], target: [1], shape: [1, 1, 1, 1], fromLogits: true }), 0.25 * 0.25 * Math.LN2, 1e-6);
  });

  it('every alias compiles to its documented terms and defaults', () => {
    const summary = (name: string, mode?: LossMode) =>
      compileLoss(name, {}, mode).terms.map((x) => {
        const defaults = LOSS_ALIASES[name].defaults[x.definition.name] ?? {};
        return [x.definition.name, Object.keys(defaults).every((k) => JSON.stringify(x.options[k]) === JSON.stringify(defaults[k]))];
      });
    assert.deepStrictEqual(summary('TverskyLoss'), [['tversky', true]]);
    assert.deepStrictEqual(compileLoss('TverskyLoss').terms[0].options.smooth, 0);
    assert.deepStrictEqual(summary('LovaszLoss'), [['lovaszHinge', true]]);
    assert.deepStrictEqual(summary('LovaszLoss', 'multiclass'), [['lovaszSoftmax', true]]);
    assert.deepStrictEqual(summary('JaccardLoss'), [['jaccard', true]]);
    assert.deepStrictEqual(summary('SoftBCEWithLogitsLoss'), [['bceWithLogits', true]]);
    assert.deepStrictEqual(summary('GeneralizedDiceLoss'), [['generalizedDice', true]]);
    assert.deepStrictEqual(summary('DiceFocalLoss'), [
      ['dice', true],
      ['focal', true],
    ]);
    assert.strictEqual(compileLoss('DiceFocalLoss').terms[1].options.alpha, null);
  });

  it('options the user gives win over the alias defaults; an option addressed to a compound alias names the terms', () => {
    assert.strictEqual(compileLoss('DiceLoss', { perImage: false }).terms[0].options.perImage, false);
    assert.strictEqual(compileLoss('DiceLoss', { 'DiceLoss.smooth': 1 }).terms[0].options.smooth, 1);
    assert.strictEqual(compileLoss('DiceCELoss', { 'dice.smooth': 0.5 }).terms[0].options.smooth, 0.5);
    assert.throws(
      () => compileLoss('DiceCELoss', { 'DiceCELoss.smooth': 1 }),
      /DiceCELoss is dice \+ bceWithLogits; address one term:.*dice\.smooth or bceWithLogits\.smooth/,
    );
    assert.throws(() => compileLoss('DiceLos'), /'DiceLos' is not a loss\. Did you mean 'DiceLoss'\?/);
  });

  it('monai: and smp: choose a library where the classes differ: TverskyLoss per image with smooth 1e-5 (MONAI) or batch-wide with 0 (smp)', () => {
    // Image A: p = (1,1,0,0), y = (1,0,0,0): TP 1, FP 1, FN 0 → Tversky (α = β = ½) 1 − 1/1.5 = 1/3;
    // image B: nothing predicted, nothing there. MONAI: per image, smooth 1e-5 → B scores 1 − 1e-5/1e-5 = 0,
    // the mean 1/6 (MONAI's TverskyLoss with α = β = ½ is its DiceLoss). smp: the batch sums → 1/3.
    const data = { pred: [1, 1, 0, 0, 0, 0, 0, 0], target: [1, 0, 0, 0, 0, 0, 0, 0], shape: [2, 2, 2, 1] };
    assertClose(computeLoss('monai:TverskyLoss', data), 1 / 6, 1e-5);
    assertClose(computeLoss('smp:TverskyLoss', data), 1 / 3, 1e-5);
    assertClose(computeLoss('TverskyLoss', data), 1 / 3, 1e-5, 1e-6, 'the bare name follows smp, as seglab losses --list says');
    assertClose(computeLoss('smp:DiceLoss', data), 1 / 3, 1e-5);
    assertClose(computeLoss('monai:DiceLoss', data), computeLoss('DiceLoss', data), 1e-7);
    // every other alias takes the prefix of a library it belongs to, also inside compounds
    assertClose(computeLoss('0.5*monai:DiceCELoss+smp:FocalLoss', data), computeLoss('0.5*DiceCELoss+FocalLoss', data), 1e-7);
    assert.throws(
      () => compileLoss('monai:MCCLoss'),
      /'monai:MCCLoss': MONAI has no loss class 'MCCLoss' that SegLab knows \(MCCLoss is smp's: write MCCLoss\)/,
    );
  });

  it('includeBackground: false on a one-channel head is ignored and said so (MONAI warns the same)', () => {
    assert.deepStrictEqual(ignoredLossOptions({ loss: { name: 'DiceLoss', options: { includeBackground: false } } }, 'sigmoid1'), [
      'loss option includeBackground: false is ignored by the sigmoid1 head (one output channel, the foreground; MONAI ignores it too)',
    ]);
    assert.deepStrictEqual(ignoredLossOptions({ loss: { name: 'DiceLoss', options: { includeBackground: false } } }, 'softmax2'), []);
    assert.deepStrictEqual(ignoredLossOptions({ loss: 'dice' }, 'sigmoid1'), []);
    // and ignored it is: the same value with or without it
    const data = { pred: [0.2, 0.7, 0.9, 0.1], target: [0, 1, 1, 0], shape: [1, 2, 2, 1] };
    assert.strictEqual(computeLoss('dice', data, { includeBackground: false }), computeLoss('dice', data));
  });
});

describe('unary transforms in the loss grammar: log1p(L), logcosh(L)', () => {
  before(async () => {
    await initBackend('wasm');
  });
  const probs = [0.9, 0.2, 0.6, 0.05, 0.7, 0.4, 0.1, 0.85, 0.3];
  const mask = [1, 0, 1, 0, 1, 0, 0, 1, 0];
  const image = { pred: probs, target: mask, shape: [1, 3, 3, 1] };

  it('log1p(bce) at p = ½ is ln(1 + ln 2), by hand, on the fused path and the tensor path', () => {
    const data = bin([0.5, 0.5], [1, 0]);
    assertClose(computeLoss('log1p(bce)', data), Math.log1p(Math.LN2), 1e-6);
    assertClose(computeLossWithTensors(compileLoss('log1p(bce)'), data), Math.log1p(Math.LN2), 1e-6);
    // weighted and summed with a plain term: 0.5·ln(1 + ln 2) + ln 2
    assertClose(computeLoss('0.5 * log1p(bce) + bce', data), 0.5 * Math.log1p(Math.LN2) + Math.LN2, 1e-6);
  });

  it('log1p(hausdorffDT) is MONAI LogHausdorffDTLoss and logcosh(dice) is logCoshDice (both fixture-checked), value and gradient', () => {
    for (const [written, registered, options] of [
      ['log1p(hausdorffDT)', 'logHausdorffDT', {}],
      ['logcosh(dice)', 'logCoshDice', { smooth: 1 }], // logCoshDice's smooth defaults to 1, dice's (smp) to 0
    ] as const) {
      assertClose(computeLoss(written, image, options), computeLoss(registered, image), 1e-5, 0, written);
      assertAllClose(lossGradient(written, image, options), lossGradient(registered, image), 1e-5, 1e-7, written);
    }
  });

  it('logcosh stays finite where cosh overflows float32: logcosh(bce) at BCE = 100 is 100 − ln 2', () => {
    assertClose(computeLoss('logcosh(bce)', bin([0], [1])), 100 - Math.LN2, 1e-6);
    assertClose(computeLossWithTensors(compileLoss('logcosh(bce)'), bin([0], [1])), 100 - Math.LN2, 1e-6);
  });

  it('options address the wrapped loss by its name; the softmax head maps the name inside the transform', () => {
    const t = compileLoss('bce+logcosh(dice)', { 'dice.smooth': 0 }).terms;
    assert.deepStrictEqual(
      t.map((x) => [x.transform, x.definition.name, x.options.smooth]),
      [
        [undefined, 'bce', undefined],
        ['logcosh', 'dice', 0],
      ],
    );
    const mapped = lossForHead({ loss: '2*log1p(bce)+logcosh(dice)' }, 'softmax2');
    assert.strictEqual(mapped.expression, '2*log1p(crossEntropy)+logcosh(dice)');
    assert.strictEqual(mapped.options['dice.includeBackground'], false);
  });

  it('a transform around a one-loss alias keeps it; around a two-loss alias, or an unknown function, is named', () => {
    assert.deepStrictEqual(
      compileLoss('log1p(HausdorffDTLoss)').terms.map((x) => [x.transform, x.definition.name]),
      [['log1p', 'hausdorffDT']],
    );
    assert.throws(() => compileLoss('log1p(DiceCELoss)'), /log1p\(\) wraps one loss; DiceCELoss is dice \+ bceWithLogits/);
    assert.throws(() => compileLoss('exp(dice)'), /cannot read term 'exp\(dice\)'/);
    assert.throws(() => compileLoss('log1p(dice'), /cannot read term/);
  });
});

describe("the loss map: each pixel's loss where the loss is a mean of pixel terms, dL/dp everywhere", () => {
  before(async () => {
    await initBackend('wasm');
  });
  const p = [0.9, 0.2, 0.6, 0.05, 0.7, 0.4, 0.1, 0.85, 0.3, 0.5, 0.99, 0.01];
  const y = [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0];

  it('every loss with pixel terms: their mean is the loss, on probabilities and on logits, options set', () => {
    const withTerms = lossDefinitions().filter((d) => d.pixelTerms);
    assert.deepStrictEqual(
      withTerms.map((d) => d.name),
      ['bce', 'bceWithLogits', 'balancedBce', 'focal', 'hinge', 'squaredHinge', 'distancePenalizedCE'],
    );
    const options: Record<string, Record<string, unknown>> = {
      bce: { beta: 2 },
      bceWithLogits: { posWeight: 3, labelSmoothing: 0.1 },
      focal: { alpha: 0.4, gamma: 1.5 },
    };
    for (const fromLogits of [false, true]) {
      const pred = fromLogits ? p.map((v) => Math.log(v / (1 - v))) : p;
      for (const d of withTerms) {
        const data = { pred, target: y, shape: [1, 3, 4, 1], fromLogits, mode: 'binary' as LossMode };
        const map = lossMap(d.name, fromLogits ? p : pred, y, [3, 4], options[d.name] ?? {});
        assert.ok(map.pixelLoss, d.name);
        const mean = map.pixelLoss.reduce((a, b) => a + b, 0) / map.pixelLoss.length;
        assertClose(mean, computeLoss(d.name, data, options[d.name] ?? {}), 1e-5, 1e-7, `${d.name} fromLogits ${fromLogits}`);
      }
    }
  });

  it('bce by hand: −ln p on the object, −ln(1 − p) off it; dL/dp = −1/(N·p) and 1/(N·(1 − p))', () => {
    const map = lossMap('bce', p, y, [3, 4]);
    assertAllClose(
      map.pixelLoss!,
      p.map((v, i) => (y[i] ? -Math.log(v) : -Math.log(1 - v))),
      1e-5,
      1e-7,
    );
    assertAllClose(
      map.gradient,
      p.map((v, i) => (y[i] ? -1 / (12 * v) : 1 / (12 * (1 - v)))),
      1e-4,
      1e-7,
    );
  });

  it('a weighted compound of pixel losses adds their maps; Dice, topK or a transform have none, and say why', () => {
    const both = lossMap('bce+0.5*focal', p, y, [3, 4]);
    const [b, f] = [lossMap('bce', p, y, [3, 4]).pixelLoss!, lossMap('focal', p, y, [3, 4]).pixelLoss!];
    assertAllClose(
      both.pixelLoss!,
      Array.from(b, (v, i) => v + 0.5 * f[i]),
      1e-5,
      1e-7,
    );
    assertClose(both.value, computeLoss('bce+0.5*focal', { pred: p, target: y, shape: [1, 3, 4, 1] }), 1e-5);
    const dice = lossMap('bce+dice', p, y, [3, 4]);
    assert.strictEqual(dice.pixelLoss, null);
    assert.match(dice.noPixelLoss!, /^dice is not a mean of per-pixel terms/);
    assertAllClose(dice.gradient, lossGradient('bce+dice', { pred: p, target: y, shape: [1, 3, 4, 1] }), 1e-6, 1e-9);
    assert.match(lossMap('topK', p, y, [3, 4]).noPixelLoss!, /^topK is not/);
    assert.match(lossMap('log1p(bce)', p, y, [3, 4]).noPixelLoss!, /^log1p\(bce\) is not/);
    assert.throws(() => lossMap('crossEntropy', p, y, [3, 4]), /'crossEntropy' has no one-channel form.*bce for crossEntropy/);
  });
});

describe('sigmoid-1 and softmax-2 heads are equivalent', () => {
  const z0 = [-3, 0.4, 2, -100, 100, 7.5, 0];
  const z1 = [1, -0.2, 2, 100, -100, -1, 0];
  const y = [1, 0, 1, 1, 1, 0, 0];
  const n = z0.length;

  it('softmax(z0, z1)[1] equals σ(z1 − z0) and CE equals BCE on z1 − z0', () => {
    const pairs = z0.flatMap((a, i) => [a, z1[i]]);
    const ce = computeLoss('crossEntropy', { pred: pairs, target: y, shape: [1, 1, n, 2], fromLogits: true });
    const bce = computeLoss(
      'bceWithLogits',
      bin(
        z1.map((b, i) => b - z0[i]),
        y,
        true,
      ),
    );
    assertClose(ce, bce, 1e-6);
    // The softmax pair's foreground probability is σ(z1 − z0): Dice on it through the tensor path
    // (tf.softmax over two channels) equals the fused binary Dice on z1 − z0 (the kernel's sigmoid).
    const softmaxDice = computeLossWithTensors(compileLoss('dice', { includeBackground: false }), {
      pred: pairs,
      target: y,
      shape: [1, 1, n, 2],
      fromLogits: true,
    });
    const sigmoidDice = computeLoss(
      'dice',
      bin(
        z1.map((b, i) => b - z0[i]),
        y,
        true,
      ),
    );
    assertClose(softmaxDice, sigmoidDice, 1e-6);
  });

  it('thresholding logits at 0 equals thresholding the sigmoid at 0.5, ties included', () => {
    const logits = [-2, -1e-3, 0, 1e-3, 3, -0, 100, -100];
    const byLogit = binarize(logits, 0.5, true);
    const byProb = binarize(logits.map(sigmoid), 0.5);
    assert.deepStrictEqual(Array.from(byLogit), Array.from(byProb));
    assert.strictEqual(byLogit[2], 1, 'logit 0 (p = 0.5) is foreground');
  });
});

describe('numerical stability at |logit| = 100', () => {
  const logits = [100, -100, 100, -100, 0, 50];
  const target = [1, 0, 0, 1, 1, 0];
  for (const def of lossDefinitions()) {
    for (const [mode, fromLogits] of def.modes.flatMap(
      (m) =>
        [
          [m, true],
          [m, false],
        ] as [LossMode, boolean][],
    )) {
      it(`${def.name} (${mode}, ${fromLogits ? 'logits' : 'probabilities 0 and 1'}): finite value and gradient`, () => {
        const c = mode === 'binary' ? 1 : 2;
        let pred = mode === 'binary' ? logits : logits.flatMap((x) => [x, -x]);
        // σ(±100) and softmax of (100, −100) are exactly 1 and 0 in float32.
        if (!fromLogits) pred = mode === 'multiclass' ? logits.flatMap((x) => [sigmoid(2 * x), sigmoid(-2 * x)]) : pred.map(sigmoid);
        const tgt = mode === 'multiclass' ? target : mode === 'multilabel' ? target.flatMap((t) => [t, 1 - t]) : target;
        const data = { pred, target: tgt, shape: [1, 2, 3, c], fromLogits, mode };
        const options = def.requires?.includes('weights') ? { weights: [1, 2, 3, 4, 5, 6] } : {};
        const v = computeLoss(def.name, data, options);
        assert.ok(Number.isFinite(v), `${def.name} = ${v}`);
        const g = lossGradient(def.name, data, options);
        assert.ok(g.every(Number.isFinite), `${def.name} gradient ${g}`);
      });
    }
  }

  it('bceWithLogits at x = ±100 equals the exact value 100 for the wrong class and e^−100 for the right one', () => {
    assertClose(computeLoss('bceWithLogits', bin([100], [0], true)), 100, 1e-7);
    assertClose(computeLoss('bceWithLogits', bin([100], [1], true)), 0, 0, 1e-30);
  });
});

describe('every loss and mode: the gradient agrees with central finite differences of the value', () => {
  // The |logit| = 100 tests above check finiteness only; here a wrong gradient (sign, scale, a dropped
  // term) fails. Moderate, well-separated logits keep the non-smooth losses (hinge, Lovász) inside one
  // linear piece for ±ε.
  const eps = 1e-3;
  const logits = (count: number) => Array.from({ length: count }, (_, i) => 2 * Math.sin(1.7 * i + 0.3)); // no two alike
  for (const def of lossDefinitions()) {
    for (const mode of def.modes) {
      it(`${def.name} (${mode})`, () => {
        const c = mode === 'binary' ? 1 : (def.classes ?? 3);
        const pixels = 6;
        const pred = logits(pixels * c);
        const cls = [0, 1, 2, 1, 0, 2].map((k) => k % c);
        const target =
          mode === 'binary'
            ? [1, 0, 1, 1, 0, 0]
            : mode === 'multiclass'
              ? cls.flatMap((k) => Array.from({ length: c }, (_, j) => (j === k ? 1 : 0)))
              : cls.flatMap((k) => [k === 0 ? 1 : 0, k !== 1 ? 1 : 0, k === 2 ? 1 : 0]);
        const data = { pred, target, shape: [1, 2, 3, c], fromLogits: true, mode };
        const options = def.requires?.includes('weights') ? { weights: Array.from({ length: pixels * c }, (_, i) => 1 + (i % 3)) } : {};
        const g = lossGradient(def.name, data, options);
        for (let i = 0; i < pred.length; i++) {
          const plus = pred.slice();
          const minus = pred.slice();
          plus[i] += eps;
          minus[i] -= eps;
          const fd =
            (computeLoss(def.name, { ...data, pred: plus }, options) - computeLoss(def.name, { ...data, pred: minus }, options)) /
            (2 * eps);
          assert.ok(
            Math.abs(g[i] - fd) <= 2e-4 + 1e-2 * Math.abs(fd),
            `${def.name} (${mode}) ∂/∂pred[${i}]: gradient ${g[i]}, finite differences ${fd}`,
          );
        }
      });
    }
  }
});

describe('gradients', () => {
  it('bceWithLogits: d/dx = (σ(x) − y)/n', () => {
    const x = [-2, 0.3, 1.5, 4];
    const y = [1, 0, 1, 0];
    assertAllClose(
      lossGradient('bceWithLogits', bin(x, y, true)),
      x.map((v, i) => (sigmoid(v) - y[i]) / 4),
      1e-5,
      1e-7,
    );
  });

  it('crossEntropy: d/dz = (softmax(z) − onehot(y))/n', () => {
    const z = [0.2, -1, 1.5, 0.3, 2, -0.5];
    const y = [2, 0];
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      const row = z.slice(3 * i, 3 * i + 3);
      const s = row.reduce((a, b) => a + Math.exp(b), 0);
      row.forEach((v, k) => expected.push((Math.exp(v) / s - (k === y[i] ? 1 : 0)) / 2));
    }
    assertAllClose(lossGradient('crossEntropy', { pred: z, target: y, shape: [1, 1, 2, 3], fromLogits: true }), expected, 1e-5, 1e-7);
  });

  // Central differences of the float32 loss: step 1e-2, so agreement to ~1e-3 is what float32 allows.
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['dice', { smooth: 1 }, false],
    ['jaccard', {}, true],
    ['tversky', { alpha: 0.3, beta: 0.7, gamma: 2 }, true],
    ['focal', {}, true],
    ['lovaszHinge', {}, true],
    ['squaredHinge', {}, true],
  ];
  for (const [name, options, fromLogits] of cases) {
    it(`${name}: matches central finite differences`, () => {
      const pred = fromLogits ? [-1.3, 0.4, 2.1, -0.2, 0.9, -2.4] : [0.2, 0.7, 0.45, 0.9, 0.05, 0.6];
      const target = [1, 0, 1, 1, 0, 0];
      const data = bin(pred, target, fromLogits, [1, 2, 3, 1]);
      const g = lossGradient(name, data, options);
      const h = 1e-2;
      pred.forEach((_, i) => {
        const up = pred.slice();
        const down = pred.slice();
        up[i] += h;
        down[i] -= h;
        const fd = (computeLoss(name, { ...data, pred: up }, options) - computeLoss(name, { ...data, pred: down }, options)) / (2 * h);
        assertClose(g[i], fd, 2e-2, 2e-4, `${name} d/dp[${i}]`);
      });
    });
  }
});

describe('loss names, options and input errors', () => {
  it('lists the registered losses', () => {
    for (const name of [
      'bce',
      'bceWithLogits',
      'balancedBce',
      'weightedBce',
      'crossEntropy',
      'categoricalCrossEntropy',
      'focal',
      'hinge',
      'squaredHinge',
      'dice',
      'jaccard',
      'tversky',
      'lovaszHinge',
      'lovaszSoftmax',
      'unetWeighted',
    ]) {
      assert.ok(lossNames().includes(name), name);
    }
  });

  it('every loss documents its formula convention and every option', () => {
    for (const d of lossDefinitions()) {
      assert.ok(d.reference.length > 20, d.name);
      for (const [k, spec] of Object.entries(d.options)) assert.ok(spec.description.length > 3, `${d.name}.${k}`);
    }
  });

  it('a misspelt loss or option gets a suggestion', () => {
    assert.throws(() => compileLoss('dise'), /'dise' is not a loss\. Did you mean 'dice'\?/);
    assert.throws(() => compileLoss('dice', { smoth: 1 }), /dice: 'smoth' is not an option\. Did you mean 'smooth'\?/);
    assert.throws(() => compileLoss('bce+dice', { 'dcie.smooth': 1 }), /'dcie' is not a term of 'bce\+dice'\. Did you mean 'dice'\?/);
  });

  it('a term weight beyond float range is refused, in a loss and in a config', () => {
    assert.throws(() => compileLoss('1e400*bce'), /loss '1e400\*bce': the weight 1e400 of 'bce' is beyond float range/);
    assert.throws(
      () => validateConfig({ name: 'x', dataset: { builtin: 'shapes' }, loss: '0.5*dice + 1e999*bce' }),
      /the weight 1e999 of 'bce' is beyond float range/,
    );
    assert.strictEqual(compileLoss('1e-3*bce+dice').terms[0].weight, 1e-3);
  });

  it("Object.prototype's names are not options (a user's key never reaches a loss through the prototype)", () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      assert.throws(() => compileLoss('dice', JSON.parse(`{"${key}": 1}`)), new RegExp(`dice: '${key}' is not an option`));
      assert.throws(() => compileLoss('bce+dice', JSON.parse(`{"${key}": 1}`)), new RegExp(`option '${key}' belongs to no term`));
    }
  });

  it('option values are checked', () => {
    assert.throws(() => compileLoss('dice', { smooth: 'a lot' }), /dice\.smooth: expected a number, got "a lot"/);
    assert.throws(() => compileLoss('bceWithLogits', { labelSmoothing: 2 }), /above the maximum 1/);
    assert.throws(() => compileLoss('dice', { emptyTarget: 'skip' }), /expected one of formula, zero/);
    assert.throws(() => compileLoss('weightedBce'), /option 'weights' is required/);
  });

  it('bad arrays name the value and the problem', () => {
    assert.throws(() => computeLoss('bce', bin([0.5, NaN], [1, 0])), /pred\[1\] = NaN is NaN/);
    assert.throws(() => computeLoss('bce', bin([0.5, 1.5], [1, 0])), /pred\[1\] = 1.5 is not a probability/);
    assert.throws(() => computeLoss('bce', bin([0.5, 0.5], [1, 2])), /target\[1\] = 2 is not in \[0, 1\]/);
    assert.throws(() => computeLoss('bce', { pred: [0.5], target: [1], shape: [1, 1, 2, 1] }), /pred has 1 values, shape 1×1×2×1 needs 2/);
    assert.throws(
      () => computeLoss('crossEntropy', { pred: [1, 2], target: [5], shape: [1, 1, 1, 2], fromLogits: true }),
      /target\[0\] = 5 is not a class index in \[0, 1\] or the ignore index -100/,
    );
    assert.throws(() => computeLoss('crossEntropy', bin([0.5], [1])), /does not support binary mode/);
  });

  it('categoricalCrossEntropy on one-hot targets equals crossEntropy on the indices, with class weights', () => {
    const pred = [0.3, -1, 2, 1, 0.5, -0.5];
    const options = { classWeights: [1, 4, 0.5] };
    const a = computeLoss('crossEntropy', { pred, target: [1, 2], shape: [1, 1, 2, 3], fromLogits: true }, options);
    const b = computeLoss('categoricalCrossEntropy', { pred, target: [0, 1, 0, 0, 0, 1], shape: [1, 1, 2, 3], fromLogits: true }, options);
    assertClose(a, b, 1e-6);
  });

  it('a loss takes the same value from logits and from their probabilities', () => {
    const x = [-2.5, -0.3, 0.1, 1.7, 3.2, -4];
    const y = [0, 1, 0, 1, 1, 0];
    for (const name of ['bce', 'bceWithLogits', 'focal', 'hinge', 'dice', 'jaccard', 'tversky', 'lovaszHinge']) {
      const a = computeLoss(name, bin(x, y, true));
      const b = computeLoss(name, bin(x.map(sigmoid), y, false));
      assertClose(a, b, 1e-4, 1e-5, name);
    }
  });
});

/**
 * A loss on two-channel logits [0, x] (the foreground probability σ(x)), mapped for the softmax2 head
 * as a config maps it, equals the loss on the one-channel logits x.
 */
function assertSoftmax2EqualsSigmoid1(name: string, x: number[], y: number[], [h, w]: [number, number]): void {
  const mapped = lossForHead({ loss: name }, 'softmax2');
  const binary = computeLoss(name, { pred: x, target: y, shape: [1, h, w, 1], fromLogits: true });
  const twoChannel = computeLoss(
    mapped.expression,
    { pred: x.flatMap((v) => [0, v]), target: y, shape: [1, h, w, 2], fromLogits: true, mode: 'multiclass' },
    mapped.options,
  );
  assertClose(twoChannel, binary, 1e-6, 1e-7, name);
}

describe('worked examples where a default matters', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('dice: the default smoothing s = 1e-5 (MONAI smooth_nr = smooth_dr): empty prediction, one target pixel → 1 − s/(1 + s)', () => {
    // Σp = 0, Σy = 1, I = 0: loss = 1 − (0 + s)/(0 + 1 + s) = 0.999990000099999 for s = 1e-5 (0.9999000 for 1e-4).
    const data = { pred: [0, 0, 0, 0], target: [0, 1, 0, 0], shape: [1, 2, 2, 1] };
    const expected = 1 - 1e-5 / (1 + 1e-5);
    assertClose(computeLoss('dice', data), expected, 0, 1e-7, 'fused path');
    assertClose(computeLossWithTensors(compileLoss('dice'), data), expected, 0, 1e-7, 'tensor path');
  });

  it('unetWeighted: w = class balance + border term, by hand on a 1×3 strip with two objects and a one-pixel gap', () => {
    // target [1, 0, 1], probabilities [0.8, 0.3, 0.6]; defaults w0 = 10, σ = 5, balanced classes, border on
    // background. Foreground weight n_bg/n_fg = 1/2; the gap: 1 + 10·exp(−(1 + 1)²/(2·5²)) = 10.2311635.
    // mean(w·ℓ) = (0.5·(−ln 0.8) + 10.2311635·(−ln 0.7) + 0.5·(−ln 0.6))/3 = 1.3387280808 (Python, math.log);
    // Σ(w·ℓ)/Σw = 0.3575928937. Without the map (w = 1) it would be 0.3635347.
    const data = { pred: [0.8, 0.3, 0.6], target: [1, 0, 1], shape: [1, 1, 3, 1] };
    assertClose(computeLoss('unetWeighted', data), 1.3387280808142137, 1e-6);
    assertClose(computeLoss('unetWeighted', data, { normalize: 'weights' }), 0.3575928936804967, 1e-6);
    // One number is every class's weight: with w0 = 0 (no border term) w = 2 everywhere, so the loss is
    // 2 · mean(ℓ) = 2 · 0.3635347 (it was taken as 'balanced' before: 1.3387 − the border's share).
    assertClose(computeLoss('unetWeighted', data, { classWeights: 2, w0: 0 }), 2 * computeLoss('bce', data), 1e-6);
  });

  it('mcc: the softmax2 head (foreground channel, as loss.byHead maps it) equals the sigmoid head on the same probabilities', () => {
    // Two-channel logits [0, x] give the foreground probability σ(x): the binary loss on x.
    const x = [-2.5, -0.3, 0.1, 1.7, 3.2, -4];
    const y = [0, 1, 0, 1, 1, 0];
    const binary = computeLoss('mcc', bin(x, y, true));
    const mapped = lossForHead({ loss: 'mcc' }, 'softmax2');
    assert.deepStrictEqual(mapped.options, { includeBackground: false });
    const twoChannel = computeLoss(
      mapped.expression,
      { pred: x.flatMap((v) => [0, v]), target: y, shape: [1, 1, 6, 2], fromLogits: true, mode: 'multiclass' },
      mapped.options,
    );
    assertClose(twoChannel, binary, 1e-6);
    // By hand, 1 − MCC of the hard counts when the probabilities are 0/1: TP 2, TN 2, FP 1, FN 1, eps 0.
    const hard = computeLoss('mcc', { pred: [1, 1, 0, 0, 1, 0], target: [1, 1, 0, 0, 0, 1], shape: [1, 1, 6, 1] }, { eps: 0 });
    assertClose(hard, 1 - (2 * 2 - 1 * 1) / Math.sqrt(3 * 3 * 3 * 3), 1e-6);
  });

  it('boundary-based losses: the softmax2 head (as lossForHead maps them) equals the sigmoid head on the same probabilities', () => {
    // A 4×5 image with a 2×2 object; two-channel logits [0, x] give the foreground probability σ(x).
    const y = [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const x = y.map((v, i) => (v ? 1 : -1) * (0.5 + ((i * 7) % 5) / 3));
    for (const name of ['boundary', 'hausdorffDT', 'logHausdorffDT', 'distancePenalizedCE'])
      assertSoftmax2EqualsSigmoid1(name, x, y, [4, 5]);
  });

  it("boundary: p·φ by hand, and a mask filling the image has no boundary (φ = 0, not SciPy's distance to a phantom pixel)", () => {
    // 1×3 strip, object at the middle pixel: φ = [1, 0, 1] (outside d = 1; inside −(1 − 1) = 0). p = [0.2, 0.9, 0.4].
    assertClose(computeLoss('boundary', { pred: [0.2, 0.9, 0.4], target: [0, 1, 0], shape: [1, 1, 3, 1] }), (0.2 + 0.4) / 3, 1e-6);
    // 1×4 strip, object [1, 1, 0, 0]: φ = [−1, 0, 1, 2]; p = 0.5 everywhere → 0.5·2/4.
    assertClose(computeLoss('boundary', { pred: [0.5, 0.5, 0.5, 0.5], target: [1, 1, 0, 0], shape: [1, 1, 4, 1] }), 0.25, 1e-6);
    assert.strictEqual(computeLoss('boundary', { pred: [0.3, 0.6, 0.9], target: [1, 1, 1], shape: [1, 1, 3, 1] }), 0);
    assert.strictEqual(computeLoss('boundary', { pred: [0.3, 0.6, 0.9], target: [0, 0, 0], shape: [1, 1, 3, 1] }), 0);
  });

  it("distancePenalizedCE applies its penalty (SegLoss's DisPenalizedCE computes Φ and returns the plain CE mean)", () => {
    // 1×4 strip, object [1, 1, 0, 0]: distances inside [2, 1], outside [1, 2] → Φ = [0, 1, 1, 0] (1 next to
    // the boundary); weights 1 + Φ = [1, 2, 2, 1]; probabilities 0.5: every BCE term is ln 2 → mean 1.5·ln 2.
    const data = { pred: [0.5, 0.5, 0.5, 0.5], target: [1, 1, 0, 0], shape: [1, 1, 4, 1] };
    assertClose(computeLoss('distancePenalizedCE', data), 1.5 * Math.LN2, 1e-6);
    assertClose(computeLoss('bce', data), Math.LN2, 1e-6, 1e-7, 'the plain mean SegLoss returns');
  });

  it('topK: the mean of the largest k % of the BCE terms; a tie at the cut shares its gradient (by hand)', () => {
    // y = 0 everywhere, p = [0.5, 0.5, 0.5, 0.9]: terms ln 2 (three ties) and −ln 0.1; k = 50 % → 2 pixels:
    // (−ln 0.1 + ln 2)/2. ∂/∂p of −ln(1 − p) is 1/(1 − p): 10/2 = 5 for p = 0.9; each tie gets a third of
    // the one remaining place: 2·(1/3)/2 = 1/3.
    const data = { pred: [0.5, 0.5, 0.5, 0.9], target: [0, 0, 0, 0], shape: [1, 1, 4, 1] };
    assertClose(computeLoss('topK', data, { k: 50 }), (-Math.log(0.1) + Math.LN2) / 2, 1e-6);
    assertAllClose(lossGradient('topK', data, { k: 50 }), [1 / 3, 1 / 3, 1 / 3, 5], 1e-5, 1e-6);
    // at least one pixel: k = 1 % of 4 pixels keeps the largest
    assertClose(computeLoss('topK', data, { k: 1 }), -Math.log(0.1), 1e-6);
  });

  it('topK, focalTversky, unifiedFocal, expLog: the softmax2 head (as lossForHead maps them) equals the sigmoid head on the same probabilities', () => {
    const x = [-2.5, -0.3, 0.1, 1.7, 3.2, -4, 0.8, -1.1];
    const y = [0, 1, 0, 1, 1, 0, 0, 1];
    for (const name of ['topK', 'focalTversky', 'unifiedFocal', 'expLog']) assertSoftmax2EqualsSigmoid1(name, x, y, [2, 4]);
  });

  it("clDice on a one-channel output scores that channel (MONAI's [:, 1:] slice leaves nothing and returns 0); softmax2 equals it", () => {
    // A vertical line of foreground in a 5×5 target; a prediction that misses it entirely scores badly,
    // one that matches it scores 0: by hand, the skeleton of a one-pixel line is the line itself, so
    // Tprec = Tsens = (5 + 1)/(5 + 1) = 1 for the match, and for the miss Tsens = (0 + 1)/(5 + 1).
    const y = Array.from({ length: 25 }, (_, i) => (i % 5 === 2 ? 1 : 0));
    const miss = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const shape = [1, 5, 5, 1];
    assertClose(computeLoss('clDice', { pred: y, target: y, shape }), 0, 1e-6, 1e-7, 'perfect');
    const tprec = 1 / 6;
    const tsens = 1 / 6;
    assertClose(computeLoss('clDice', { pred: miss, target: y, shape }), 1 - (2 * tprec * tsens) / (tprec + tsens), 1e-6, 1e-7, 'miss');
    const x = y.map((v, i) => (v ? 2 : -2) + Math.sin(i));
    const binary = computeLoss('diceClDice', { pred: x, target: y, shape, fromLogits: true });
    assert.ok(binary > 0.05, `diceClDice on one channel is not the constant 0 (${binary})`);
    const twoChannel = computeLoss('diceClDice', {
      pred: x.flatMap((v) => [0, v]),
      target: y,
      shape: [1, 5, 5, 2],
      fromLogits: true,
      mode: 'multiclass',
    });
    assertClose(twoChannel, binary, 1e-6, 1e-7, 'softmax2');
  });

  it('focal: alpha defaults to 0.25 in binary mode (torchvision) and to none in multiclass, and the library says so', () => {
    // One pixel, logit 0, y = 1: p_t = 0.5, CE = ln 2, (1 − p_t)^γ = 0.25 with γ = 2, α_t = 0.25 → 0.0625·ln 2.
    assertClose(computeLoss('focal', { pred: [0], target: [1], shape: [1, 1, 1, 1], fromLogits: true }), 0.0625 * Math.LN2, 1e-6);
    // Two classes, equal logits, class 1: p_t = 0.5, no α → 0.25·ln 2.
    assertClose(computeLoss('focal', { pred: [0, 0], target: [1], shape: [1, 1, 1, 2], fromLogits: true }), 0.25 * Math.LN2, 1e-6);
    assert.strictEqual(describeDefault(getLoss('focal').options.alpha), '0.25 (binary, multilabel), null (multiclass)');
    assert.strictEqual(describeDefault(getLoss('focal').options.gamma), '2');
  });
});
