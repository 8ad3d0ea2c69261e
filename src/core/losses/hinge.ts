/**
 * Hinge losses on the margin t·s, t = 2y − 1 ∈ {−1, +1} and s the score (the logit; probabilities are
 * mapped back with logit(p)). Keras `hinge` / `squared_hinge` conventions, mean reduction:
 *   hinge = mean(max(0, 1 − t·s)),  squaredHinge = mean(max(0, 1 − t·s)²).
 */
import * as tf from '@tensorflow/tfjs';
import { marginScores } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTILABEL_MODE } from './types';

function hingeTerms(input: LossInput): tf.Tensor {
  const t = tf.sub(tf.mul(input.target, 2), 1);
  return tf.relu(tf.sub(1, tf.mul(t, marginScores(input.pred, input.fromLogits))));
}

export const hinge = defineLoss({
  name: 'hinge',
  summary: 'Hinge loss max(0, 1 − t·s) on signed targets t = 2y − 1.',
  reference: 'Keras hinge on logits (t = 2y−1), mean reduction.',
  modes: [BINARY_MODE, MULTILABEL_MODE],
  options: {},
  pixelTerms: (input: LossInput) => hingeTerms(input),
  fn: (input: LossInput) => tf.mean(hingeTerms(input)) as tf.Scalar,
});

export const squaredHinge = defineLoss({
  name: 'squaredHinge',
  summary: 'Squared hinge loss max(0, 1 − t·s)².',
  reference: 'Keras squared_hinge on logits (t = 2y−1), mean reduction.',
  modes: [BINARY_MODE, MULTILABEL_MODE],
  options: {},
  pixelTerms: (input: LossInput) => tf.square(hingeTerms(input)),
  fn: (input: LossInput) => tf.mean(tf.square(hingeTerms(input))) as tf.Scalar,
});
