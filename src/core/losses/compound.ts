/**
 * Compound losses of a region and a distribution term, as their papers define them:
 *
 * `unifiedFocal` (Yeung et al. 2022; MONAI `AsymmetricUnifiedFocalLoss`): λ·L_aF + (1 − λ)·L_aFT on
 * two classes, background b and foreground f, probabilities clamped to [ε, 1 − ε], ε = 1e-7:
 *   L_aF  = mean over pixels of (1 − δ)·(1 − p_b)^γ·(−y_b ln p_b) + δ·(−y_f ln p_f)      (asymmetric focal:
 *           the background's loss focused, the foreground's kept whole)
 *   L_aFT = mean over images of [(1 − TI_b) + (1 − TI_f)^(1−γ)] / 2,
 *           TI_c = (TP_c + ε)/(TP_c + δ·FN_c + (1 − δ)·FP_c + ε)                       (asymmetric focal Tversky)
 *   defaults λ 0.5, γ 0.5, δ 0.7. MONAI writes the foreground term (1 − TI)·(1 − TI)^(−γ), NaN at TI = 1;
 *   the clamped probabilities keep TI < 1, where the two agree. A one-channel (sigmoid) output is the
 *   foreground probability p_f = p, p_b = 1 − p (MONAI one-hot encodes the prediction's values there).
 *
 * `expLog` (Wong et al. 2018; SegLoss `ExpLog_loss`): 0.8·(−ln Dice)^γ + 0.2·CE, γ 0.3, Dice the mean
 * soft Dice per image and class (SegLoss SoftDiceLoss: smooth 1, per image, background included),
 * clamped at 1e-6 before the log; CE the (optionally class-weighted) cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropyTerms } from './crossEntropy';
import { diceScore } from './overlap';
import { bceTerms, classTargets, probabilities, selectChannels, softCounts } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE } from './types';

const EPS = 1e-7;

/** Background and foreground probabilities and targets, each [N,H,W,1], of a one- or two-channel output. */
function twoClasses(input: LossInput): { pb: tf.Tensor4D; pf: tf.Tensor4D; yb: tf.Tensor4D; yf: tf.Tensor4D } {
  const clamp = (t: tf.Tensor) => tf.clipByValue(t, EPS, 1 - EPS) as tf.Tensor4D;
  if (input.mode === BINARY_MODE) {
    const y = input.target;
    // 1 − p in float32 loses what a logit of −100 says (σ(−x) keeps it): the background from −x
    const pb = input.fromLogits ? tf.sigmoid(tf.neg(input.pred)) : tf.sub(1, input.pred);
    return { pb: clamp(pb), pf: clamp(probabilities(input)), yb: tf.sub(1, y) as tf.Tensor4D, yf: y };
  }
  const p = clamp(probabilities(input));
  if (input.pred.shape[3] !== 2) throw new Error(`unifiedFocal is defined for two classes; the output has ${input.pred.shape[3]} channels`);
  const y = classTargets(input);
  const ch = (t: tf.Tensor4D, c: number) => tf.slice(t, [0, 0, 0, c], [-1, -1, -1, 1]) as tf.Tensor4D;
  return { pb: ch(p, 0), pf: ch(p, 1), yb: ch(y, 0), yf: ch(y, 1) };
}

/** TI per image of one class: (TP + ε)/(TP + δ·FN + (1 − δ)·FP + ε), shape [N]. */
function tverskyIndex(p: tf.Tensor4D, y: tf.Tensor4D, delta: number): tf.Tensor {
  const axes = [1, 2, 3];
  const tp = tf.sum(tf.mul(y, p), axes);
  const fn = tf.sum(tf.mul(y, tf.sub(1, p)), axes);
  const fp = tf.sum(tf.mul(tf.sub(1, y), p), axes);
  return tf.div(tf.add(tp, EPS), tf.add(tf.add(tf.add(tp, tf.mul(delta, fn)), tf.mul(1 - delta, fp)), EPS));
}

export const unifiedFocal = defineLoss({
  name: 'unifiedFocal',
  summary: 'Asymmetric unified focal loss: λ·asymmetric focal + (1 − λ)·asymmetric focal Tversky, two classes.',
  reference: 'Yeung et al. 2022 (CMIG); MONAI AsymmetricUnifiedFocalLoss (weight 0.5, gamma 0.5, delta 0.7, epsilon 1e-7).',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  classes: 2,
  options: {
    weight: { type: 'number', default: 0.5, min: 0, max: 1, description: 'λ: weight of the asymmetric focal term' },
    gamma: { type: 'number', default: 0.5, min: 0, max: 1, description: 'γ: focal parameter of both terms' },
    delta: { type: 'number', default: 0.7, min: 0, max: 1, description: 'δ: weight of false negatives / of the foreground' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const { pb, pf, yb, yf } = twoClasses(input);
      const back = tf.mul(1 - o.delta, tf.mul(tf.pow(tf.sub(1, pb), o.gamma), tf.neg(tf.mul(yb, tf.log(pb)))));
      const fore = tf.mul(o.delta, tf.neg(tf.mul(yf, tf.log(pf))));
      const focal = tf.mean(tf.add(back, fore));
      const backTversky = tf.sub(1, tverskyIndex(pb, yb, o.delta));
      const foreTversky = tf.pow(tf.sub(1, tverskyIndex(pf, yf, o.delta)), 1 - o.gamma);
      const tversky = tf.mean(tf.div(tf.add(backTversky, foreTversky), 2));
      return tf.add(tf.mul(o.weight, focal), tf.mul(1 - o.weight, tversky)) as tf.Scalar;
    }),
});

export const expLog = defineLoss({
  name: 'expLog',
  summary: 'Exponential logarithmic loss: 0.8·(−ln Dice)^γ + 0.2·cross-entropy.',
  reference: 'Wong et al. 2018 (MICCAI); SegLoss ExpLog_loss: gamma 0.3, Dice per image and class with smooth 1 (clamped at 1e-6).',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: {
    gamma: { type: 'number', default: 0.3, min: 0, description: 'γ: exponent of −ln Dice' },
    includeBackground: { type: 'boolean', default: true, description: 'multiclass: the background class in the Dice (SegLoss do_bg)' },
    classWeights: {
      type: 'number[]',
      default: null,
      nullable: true,
      description: 'cross-entropy class weights (multiclass; SegLoss WeightedCrossEntropyLoss weight=)',
    },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const p = selectChannels(probabilities(input), input, o.includeBackground);
      const y = selectChannels(classTargets(input), input, o.includeBackground);
      const dice = tf.mean(
        diceScore(softCounts(p, y, true), { smooth: 1, perImage: true, includeBackground: true, emptyTarget: 'formula' }),
      );
      const region = tf.pow(tf.neg(tf.log(tf.maximum(dice, 1e-6))), o.gamma);
      const ce =
        input.mode === MULTICLASS_MODE
          ? (() => {
              const { loss, norm } = softmaxCrossEntropyTerms(input, o.classWeights, 0);
              return tf.div(tf.sum(loss), tf.sum(norm));
            })()
          : tf.mean(bceTerms(input.pred, input.target, input.fromLogits));
      return tf.add(tf.mul(0.8, region), tf.mul(0.2, ce)) as tf.Scalar;
    }),
});
