/**
 * Region-overlap losses on soft predictions: `dice`, `jaccard`, `tversky`.
 *
 * Soft counts per class c: I = Σ p·y (= TP), Σp, Σy, FP = Σp − I, FN = Σy − I, summed over the whole
 * batch (segmentation_models_pytorch's default) or per image with `perImage` (MONAI's batch=False).
 * Probabilities come from sigmoid (binary, multilabel) or softmax over classes (multiclass).
 *   dice    = 1 − (2I + s)/(Σp + Σy + s)           (MONAI DiceLoss smooth_nr = smooth_dr = s;
 *                                                   smp ≤ 0.3.4); squaredDenominator: Σp² + Σy²
 *                                                   (MONAI squared_pred, Milletari et al. 2016)
 *   jaccard = 1 − (I + s)/(Σp + Σy − I + s)        (smp JaccardLoss with smooth = s)
 *   tversky = (mean over classes of 1 − (I + s)/(I + α·FP + β·FN + s))^γ  (Salehi et al. 2017;
 *                                                   smp TverskyLoss: α on FP, γ on the mean)
 * The loss is the mean over classes (and images with perImage). In multiclass and multilabel mode
 * `includeBackground: false` drops channel 0 (MONAI include_background).
 * Empty targets: `emptyTarget: 'formula'` keeps the formula (1 − s/(Σp + s), MONAI); 'zero' zeroes the
 * loss of a class absent from the target (smp).
 *   generalizedDice = 1 − (2 Σ_c w_c I_c + s)/(Σ_c w_c (Σp_c + Σy_c) + s), w_c = 1/(Σy_c)² (Sudre et
 *                   al. 2017; MONAI GeneralizedDiceLoss: w_type 'square' (or 'simple' 1/Σy, 'uniform'
 *                   1), a class absent from the target gets the largest finite weight of its image,
 *                   smooth_nr = smooth_dr = s, per image by default (MONAI batch=False), then the mean)
 */
import * as tf from '@tensorflow/tfjs';
import { classTargets, probabilities, selectChannels, SoftCounts, softCounts } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE, MULTILABEL_MODE, OptionsOf, OptionSpec } from './types';

const ALL_MODES = [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE] as const;

const commonOptions = {
  smooth: { type: 'number', default: 1e-5, min: 0, description: 'smoothing s added to numerator and denominator' },
  perImage: { type: 'boolean', default: false, description: 'average per-image scores instead of one batch-wide sum' },
  includeBackground: { type: 'boolean', default: true, description: 'multiclass/multilabel: keep channel 0' },
  emptyTarget: {
    type: 'string',
    default: 'formula',
    choices: ['formula', 'zero'],
    description: 'class absent from the target: keep the formula (MONAI) or zero its loss (smp)',
  },
} as const satisfies Record<string, OptionSpec>;

/** The options every overlap loss has; a score reads these and its own. */
type OverlapOptions = OptionsOf<typeof commonOptions>;
type Score<O extends OverlapOptions> = (c: SoftCounts, o: O) => tf.Tensor;

export function overlapLoss<O extends OverlapOptions>(input: LossInput, o: O, score: Score<O>, squared = false): tf.Scalar {
  const include = o.includeBackground;
  const p = selectChannels(probabilities(input), input, include);
  const y = selectChannels(classTargets(input), input, include);
  const counts = softCounts(p, y, o.perImage, squared);
  let loss = tf.sub(1, score(counts, o));
  if (o.emptyTarget === 'zero') {
    // Presence is decided on the plain target sum, also with a squared denominator.
    const present = squared ? softCounts(p, y, o.perImage).sumTarget : counts.sumTarget;
    loss = tf.mul(loss, tf.cast(tf.greater(present, 0), 'float32'));
  }
  return tf.mean(loss) as tf.Scalar;
}

/** A denominator that cannot be 0 even with s = 0 (0/0 becomes 0/ε, as smp's clamp_min(eps)). */
function safeDenominator(d: tf.Tensor): tf.Tensor {
  return tf.maximum(d, 1e-7);
}

export const diceScore: Score<OverlapOptions> = (c, o) => {
  const s = o.smooth;
  return tf.div(tf.add(tf.mul(c.tp, 2), s), safeDenominator(tf.add(tf.add(c.sumPred, c.sumTarget), s)));
};

export const jaccardScore: Score<OverlapOptions> = (c, o) => {
  const s = o.smooth;
  const union = tf.sub(tf.add(c.sumPred, c.sumTarget), c.tp);
  return tf.div(tf.add(c.tp, s), safeDenominator(tf.add(union, s)));
};

export const tverskyScore: Score<OverlapOptions & { readonly alpha: number; readonly beta: number }> = (c, o) => {
  const s = o.smooth;
  const fp = tf.sub(c.sumPred, c.tp);
  const fn = tf.sub(c.sumTarget, c.tp);
  const denom = tf.add(tf.add(tf.add(c.tp, tf.mul(fp, o.alpha)), tf.mul(fn, o.beta)), s);
  return tf.div(tf.add(c.tp, s), safeDenominator(denom));
};

export const dice = defineLoss({
  name: 'dice',
  summary: 'Soft Dice loss 1 − (2·Σpy + s)/(Σp + Σy + s).',
  reference: 'MONAI DiceLoss (smooth_nr = smooth_dr = s, squared_pred) / smp DiceLoss ≤ 0.3.4; batch-wide sums as smp.',
  modes: ALL_MODES,
  options: {
    ...commonOptions,
    squaredDenominator: { type: 'boolean', default: false, description: 'use Σp² + Σy² (MONAI squared_pred)' },
  },
  fn: (input, o) => overlapLoss(input, o, diceScore, o.squaredDenominator),
});

export const logCoshDice = defineLoss({
  name: 'logCoshDice',
  summary: 'ln cosh of the soft Dice loss: the Dice loss, smoothed where it is small (Jadon 2020).',
  reference: 'Jadon 2020 (a survey of segmentation losses): ln(cosh(L)), L the `dice` loss with its options; smooth 1 by default.',
  modes: ALL_MODES,
  options: { ...commonOptions, smooth: { ...commonOptions.smooth, default: 1 } },
  fn: (input, o) => tf.tidy(() => tf.log(tf.cosh(overlapLoss(input, o, diceScore))) as tf.Scalar),
});

export const generalizedDice = defineLoss({
  name: 'generalizedDice',
  summary: 'Generalized Dice loss 1 − (2Σ_c w_c·I_c + s)/(Σ_c w_c·(Σp_c + Σy_c) + s), w_c = 1/(Σy_c)².',
  reference: 'Sudre et al. 2017; MONAI GeneralizedDiceLoss (w_type, smooth_nr = smooth_dr = s, batch=False by default).',
  modes: ALL_MODES,
  options: {
    smooth: commonOptions.smooth,
    perImage: {
      type: 'boolean',
      default: true,
      description: 'one score per image, then the mean (MONAI batch=False); false: batch-wide sums',
    },
    includeBackground: commonOptions.includeBackground,
    weighting: {
      type: 'string',
      default: 'square',
      choices: ['square', 'simple', 'uniform'],
      description: "class weights: 1/(Σy)² ('square', Sudre), 1/Σy ('simple') or 1 ('uniform')",
    },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const include = o.includeBackground;
      const p = selectChannels(probabilities(input), input, include);
      const y = selectChannels(classTargets(input), input, include);
      const c = softCounts(p, y, o.perImage); // [N, C] per image, [C] batch-wide
      const weighting = o.weighting;
      let w: tf.Tensor =
        weighting === 'uniform' ? tf.onesLike(c.sumTarget) : tf.reciprocal(weighting === 'square' ? tf.square(c.sumTarget) : c.sumTarget);
      // A class absent from the target (weight ∞) gets the largest finite weight of its image (MONAI).
      const infinite = tf.isInf(w);
      const finite = tf.where(infinite, tf.zerosLike(w), w);
      const largest = tf.max(finite, -1, true);
      w = tf.where(infinite, tf.broadcastTo(largest, w.shape), finite);
      const s = o.smooth;
      const numerator = tf.add(tf.mul(tf.sum(tf.mul(w, c.tp), -1), 2), s);
      const denominator = tf.add(tf.sum(tf.mul(w, tf.add(c.sumPred, c.sumTarget)), -1), s);
      return tf.mean(tf.sub(1, tf.div(numerator, safeDenominator(denominator)))) as tf.Scalar;
    }),
});

export const jaccard = defineLoss({
  name: 'jaccard',
  summary: 'Soft Jaccard (IoU) loss 1 − (I + s)/(Σp + Σy − I + s).',
  reference: 'smp JaccardLoss (smooth = s); MONAI DiceLoss(jaccard=True) without squaring.',
  modes: ALL_MODES,
  options: commonOptions,
  fn: (input, o) => overlapLoss(input, o, jaccardScore),
});

export const tversky = defineLoss({
  name: 'tversky',
  summary: 'Tversky loss 1 − (TP + s)/(TP + α·FP + β·FN + s); α = β = 0.5 is Dice when s = 0.',
  reference: 'Salehi et al. 2017; smp TverskyLoss (alpha weights FP, beta FN, gamma the focal exponent).',
  modes: ALL_MODES,
  options: {
    ...commonOptions,
    alpha: { type: 'number', default: 0.5, min: 0, description: 'weight of false positives' },
    beta: { type: 'number', default: 0.5, min: 0, description: 'weight of false negatives' },
    gamma: { type: 'number', default: 1, min: 0, description: 'focal Tversky exponent applied to the loss' },
  },
  // smp's aggregate_loss: the exponent is applied to the class-averaged loss.
  fn: (input, o) => tf.pow(overlapLoss(input, o, tverskyScore), o.gamma) as tf.Scalar,
});
