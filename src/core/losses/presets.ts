/**
 * Losses that are another loss with the defaults (or a transform) of a paper:
 *   focalTversky = the `tversky` loss with Abraham & Khan 2019's settings: α 0.3 on false positives,
 *                  β 0.7 on false negatives, exponent γ 0.75 (their 1/γ with γ = 4/3), smooth 1 (their code).
 *   penaltyGDice = L_GD / (1 + k·(1 − L_GD)), L_GD the `generalizedDice` loss, k 2.5 (SegLoss
 *                  PenaltyGDiceLoss): the penalty shrinks the loss of a good segmentation less than a
 *                  bad one's, so false positives and negatives weigh more near the optimum.
 */
import * as tf from '@tensorflow/tfjs';
import { generalizedDice, tversky } from './overlap';
import { defineLoss } from './types';

export const focalTversky = defineLoss({
  name: 'focalTversky',
  summary: 'Focal Tversky loss: tversky with α 0.3 (FP), β 0.7 (FN), exponent γ 0.75, smooth 1.',
  reference: 'Abraham & Khan 2019 (ISBI): (1 − TI)^(1/γ), γ = 4/3, TI = TP/(TP + 0.7·FN + 0.3·FP), smooth 1; smp TverskyLoss form.',
  modes: tversky.modes,
  options: {
    ...tversky.options,
    smooth: { ...tversky.options.smooth, default: 1 },
    alpha: { ...tversky.options.alpha, default: 0.3 },
    beta: { ...tversky.options.beta, default: 0.7 },
    gamma: { ...tversky.options.gamma, default: 0.75 },
  },
  fn: (input, o) => tversky.fn(input, o),
});

export const penaltyGDice = defineLoss({
  name: 'penaltyGDice',
  summary: 'Penalised generalized Dice: L_GD / (1 + k·(1 − L_GD)).',
  reference: 'SegLoss PenaltyGDiceLoss (k 2.5) on the generalizedDice loss (its options, MONAI defaults).',
  modes: generalizedDice.modes,
  options: {
    ...generalizedDice.options,
    k: { type: 'number', default: 2.5, min: 0, description: 'penalty k' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const gd = generalizedDice.fn(input, o);
      return tf.div(gd, tf.add(1, tf.mul(o.k, tf.sub(1, gd)))) as tf.Scalar;
    }),
});
