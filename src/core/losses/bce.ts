/**
 * Binary cross-entropy family (binary and multilabel modes): `bce`, `bceWithLogits`, `balancedBce`,
 * `weightedBce`. All share one elementwise form
 *   ℓ = −[a · y · log p + b · (1 − y) · log(1 − p)]
 * with log p computed stably from logits (log σ(x) = −softplus(−x)) or floored at −100 from
 * probabilities (PyTorch `BCELoss`).
 */
import * as tf from '@tensorflow/tfjs';
import { bceTerms, channelWeights, reduceWeighted, weightMapTensor } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTILABEL_MODE } from './types';

const SIGMOID_MODES = [BINARY_MODE, MULTILABEL_MODE] as const;

/** bceWithLogits per pixel: pos_weight on the positive term, targets smoothed to y(1−ε)+ε/2. */
function bceWithLogitsTerms(input: LossInput, posWeight: number | number[], labelSmoothing: number): tf.Tensor {
  const eps = labelSmoothing;
  const y = eps > 0 ? tf.add(tf.mul(input.target, 1 - eps), eps / 2) : input.target;
  const a = channelWeights(posWeight, input.pred.shape[3], 'bceWithLogits.posWeight');
  return bceTerms(input.pred, y, input.fromLogits, a);
}

/** balancedBce per pixel: β on positives and 1 − β on negatives, β per image and channel when null. */
function balancedTerms(input: LossInput, givenBeta: number | null): tf.Tensor {
  const beta: number | tf.Tensor = givenBeta === null ? tf.sub(1, tf.mean(input.target, [1, 2], true)) : givenBeta;
  const negWeight = typeof beta === 'number' ? 1 - beta : tf.sub(1, beta);
  return bceTerms(input.pred, input.target, input.fromLogits, beta, negWeight);
}

export const bce = defineLoss({
  name: 'bce',
  summary: 'Binary cross-entropy on probabilities, optionally weighted by beta on positives.',
  reference:
    'PyTorch BCELoss (log terms clamped at −100), mean reduction; with beta: −β·y·log p − (1−y)·log(1−p) ' +
    '(β > 1 counters false negatives, β < 1 false positives).',
  modes: SIGMOID_MODES,
  options: {
    beta: { type: 'number', default: 1, min: 0, description: 'weight of the positive term' },
  },
  pixelTerms: (input, o) => bceTerms(input.pred, input.target, input.fromLogits, o.beta),
  fn: (input, o) => tf.mean(bceTerms(input.pred, input.target, input.fromLogits, o.beta)) as tf.Scalar,
});

export const bceWithLogits = defineLoss({
  name: 'bceWithLogits',
  summary: 'Binary cross-entropy on logits in the stable form max(x,0) − x·y + log(1+e^−|x|).',
  reference:
    'PyTorch BCEWithLogitsLoss (pos_weight multiplies the positive term, per channel when a list), mean ' +
    'reduction; labelSmoothing ε uses targets y(1−ε)+ε/2 as Keras/tf.losses.sigmoidCrossEntropy.',
  modes: SIGMOID_MODES,
  options: {
    posWeight: { type: 'number[]', default: 1, description: 'weight of positives: a number or one per channel' },
    labelSmoothing: { type: 'number', default: 0, min: 0, max: 1, description: 'ε: targets become y(1−ε)+ε/2' },
  },
  pixelTerms: (input, o) => bceWithLogitsTerms(input, o.posWeight, o.labelSmoothing),
  fn: (input, o) => tf.mean(bceWithLogitsTerms(input, o.posWeight, o.labelSmoothing)) as tf.Scalar,
});

export const balancedBce = defineLoss({
  name: 'balancedBce',
  summary: 'Class-balanced cross-entropy: β on positives, 1−β on negatives.',
  reference:
    '−β·y·log p − (1−β)(1−y)·log(1−p), mean reduction (Xie & Tu 2015, HED). Without beta, β is each ' +
    "image's fraction of negative pixels, per channel (HED's |Y−|/|Y|).",
  modes: SIGMOID_MODES,
  options: {
    beta: { type: 'number', default: null, nullable: true, min: 0, max: 1, description: 'β; null: per-image negative fraction' },
  },
  pixelTerms: (input, o) => balancedTerms(input, o.beta),
  fn: (input, o) => tf.mean(balancedTerms(input, o.beta)) as tf.Scalar,
});

export const weightedBce = defineLoss({
  name: 'weightedBce',
  summary: 'Binary cross-entropy with a per-pixel weight map.',
  reference:
    "PyTorch BCELoss(weight=w) / BCEWithLogitsLoss(weight=w), reduction='mean': mean(w·ℓ). With " +
    "normalize 'weights' the sum is divided by Σw instead (the weighted average).",
  modes: SIGMOID_MODES,
  requires: ['weights'],
  options: {
    weights: { type: 'weights', default: undefined, description: 'per-pixel weights, N·H·W or N·H·W·C values' },
    normalize: { type: 'string', default: 'mean', choices: ['mean', 'weights'], description: 'divide by the element count or by Σw' },
  },
  fn: (input, o) => {
    const w = weightMapTensor(o.weights, input.pred.shape, 'weightedBce.weights');
    return reduceWeighted(bceTerms(input.pred, input.target, input.fromLogits), w, o.normalize);
  },
});
