/**
 * Softmax cross-entropy (multiclass mode): `crossEntropy` (index targets) and
 * `categoricalCrossEntropy` (one-hot or soft targets). One formula serves both, PyTorch's
 * `CrossEntropyLoss` with class weights w, label smoothing ε and C classes:
 *   ℓᵢ = (1−ε)·(−Σ_c w_c·y_ic·log p_ic) + (ε/C)·(−Σ_c w_c·log p_ic)   (the ε term on labelled pixels)
 *   loss = Σᵢ ℓᵢ / Σᵢ Σ_c w_c·y_ic          (= Σᵢ w[yᵢ], PyTorch's weighted mean)
 * Pixels whose target is the ignore index (or an all-zero row) contribute to neither sum.
 * Note: for probability targets PyTorch itself divides by the pixel count, not by Σw; SegLab keeps the
 * index form's Σw[y] so the one-hot and index forms of the same target give the same loss.
 */
import * as tf from '@tensorflow/tfjs';
import { channelWeights, classTargets, labelledPixels, softmaxLogProbs, weightedMean } from './soft';
import { defineLoss, LossInput, MULTICLASS_MODE, OptionsOf, OptionSpec } from './types';

/** Class-weighted, label-smoothed softmax CE per pixel, plus the per-pixel denominator Σ_c w_c·y_ic. */
export function softmaxCrossEntropyTerms(
  input: LossInput,
  classWeights: number | number[] | null,
  labelSmoothing: number,
  pixelWeights?: tf.Tensor,
): { loss: tf.Tensor; norm: tf.Tensor } {
  const c = input.pred.shape[3];
  const logp = softmaxLogProbs(input.pred, input.fromLogits);
  const y = classTargets(input);
  const w = classWeights === null ? 1 : channelWeights(classWeights, c, 'classWeights');
  const wLogp = tf.mul(logp, w);
  let loss = tf.neg(tf.sum(tf.mul(y, wLogp), -1, true));
  if (labelSmoothing > 0) {
    const smooth = tf.mul(tf.neg(tf.sum(wLogp, -1, true)), labelledPixels(y));
    loss = tf.add(tf.mul(loss, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing / c));
  }
  let norm = tf.sum(tf.mul(y, tf.mul(tf.onesLike(y), w)), -1, true);
  if (pixelWeights) {
    loss = tf.mul(loss, pixelWeights);
    norm = tf.mul(norm, pixelWeights);
  }
  return { loss, norm };
}

const ceOptions = {
  classWeights: { type: 'number[]', default: null, nullable: true, description: 'one weight per class (PyTorch weight=)' },
  labelSmoothing: { type: 'number', default: 0, min: 0, max: 1, description: 'ε, PyTorch label_smoothing' },
} as const satisfies Record<string, OptionSpec>;

function ceLoss(input: LossInput, o: OptionsOf<typeof ceOptions>): tf.Scalar {
  const { loss, norm } = softmaxCrossEntropyTerms(input, o.classWeights, o.labelSmoothing);
  return weightedMean(loss, norm);
}

export const crossEntropy = defineLoss({
  name: 'crossEntropy',
  summary: 'Softmax cross-entropy with integer class targets.',
  reference:
    "PyTorch CrossEntropyLoss(weight, ignore_index, label_smoothing), reduction='mean' (divides by Σ w[y] " + 'over non-ignored pixels).',
  modes: [MULTICLASS_MODE],
  options: {
    ...ceOptions,
    ignoreIndex: { type: 'number', default: -100, description: 'target value whose pixels are ignored' },
  },
  // Index targets outside [0, C) one-hot to zero rows, so the ignore index drops out of both sums;
  // computeLoss rejects any other out-of-range index before it gets here.
  fn: ceLoss,
});

export const categoricalCrossEntropy = defineLoss({
  name: 'categoricalCrossEntropy',
  summary: 'Softmax cross-entropy with one-hot (or soft) class targets.',
  reference:
    'PyTorch CrossEntropyLoss with class weights and label smoothing; mean divides by Σᵢ Σ_c w_c·y_ic ' +
    '(= Σ w[y] for one-hot targets, the same value as crossEntropy on the class indices).',
  modes: [MULTICLASS_MODE],
  options: ceOptions,
  fn: ceLoss,
});
