/**
 * Centerline Dice (Shit et al. 2021, CVPR; MONAI `SoftclDiceLoss`, `SoftDiceclDiceLoss`): topology
 * preservation for thin tubular structures such as membranes and vessels.
 *
 * The soft skeleton of a probability map iterates morphological operations written as pooling:
 * erosion = the minimum of a 3×1 and a 1×3 min-pool, dilation = a 3×3 max-pool (padding ignored),
 * opening = dilation of the erosion; skel = relu(x − open(x)), then `iterations` times: x = erode(x),
 * δ = relu(x − open(x)), skel += relu(δ − skel·δ). With S_p, S_y the skeletons of prediction and target,
 *   Tprec = (Σ S_p·y + s)/(Σ S_p + s),  Tsens = (Σ S_y·p + s)/(Σ S_y + s),
 *   clDice = 1 − 2·Tprec·Tsens/(Tprec + Tsens),
 * sums over the whole batch and the foreground channels. `diceClDice` = (1 − α)·Dice + α·clDice, the
 * Dice of the same sums with smooth 1 (MONAI's soft_dice).
 *
 * MONAI slices channels [:, 1:] to drop the background, so on a one-channel (sigmoid) output it sums
 * nothing and its clDice is 1 − 2·1·1/2 = 0 whatever the prediction. SegLab scores the one channel of
 * a binary output (it is the foreground) and channels 1… of a multiclass one, so both heads get the
 * same loss on the same probabilities.
 */
import * as tf from '@tensorflow/tfjs';
import { classTargets, probabilities, selectChannels } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE, OptionSpec } from './types';

const minPool = (x: tf.Tensor4D, size: [number, number]) => tf.neg(tf.maxPool(tf.neg(x) as tf.Tensor4D, size, 1, 'same')) as tf.Tensor4D;

function softErode(x: tf.Tensor4D): tf.Tensor4D {
  return tf.minimum(minPool(x, [3, 1]), minPool(x, [1, 3]));
}

function softDilate(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, [3, 3], 1, 'same');
}

const softOpen = (x: tf.Tensor4D) => softDilate(softErode(x));

/** The soft skeleton of a [N,H,W,C] map (each channel on its own). */
export function softSkeleton(x: tf.Tensor4D, iterations: number): tf.Tensor4D {
  let img = x;
  let skel = tf.relu(tf.sub(img, softOpen(img))) as tf.Tensor4D;
  for (let j = 0; j < iterations; j++) {
    img = softErode(img);
    const delta = tf.relu(tf.sub(img, softOpen(img)));
    skel = tf.add(skel, tf.relu(tf.sub(delta, tf.mul(skel, delta)))) as tf.Tensor4D;
  }
  return skel;
}

/** Probabilities and targets of the scored channels: binary its one channel, multiclass channels 1…. */
function foregroundChannels(input: LossInput): { p: tf.Tensor4D; y: tf.Tensor4D } {
  return { p: selectChannels(probabilities(input), input, false), y: selectChannels(classTargets(input), input, false) };
}

function clDiceOf(p: tf.Tensor4D, y: tf.Tensor4D, iterations: number, smooth: number): tf.Scalar {
  const skelP = softSkeleton(p, iterations);
  const skelY = softSkeleton(y, iterations);
  const tprec = tf.div(tf.add(tf.sum(tf.mul(skelP, y)), smooth), tf.add(tf.sum(skelP), smooth));
  const tsens = tf.div(tf.add(tf.sum(tf.mul(skelY, p)), smooth), tf.add(tf.sum(skelY), smooth));
  return tf.sub(1, tf.div(tf.mul(2, tf.mul(tprec, tsens)), tf.add(tprec, tsens))) as tf.Scalar;
}

const clDiceOptions = {
  iterations: { type: 'number', default: 3, min: 0, max: 50, description: 'skeleton iterations (MONAI iter_)' },
  smooth: { type: 'number', default: 1, min: 0, description: 'smoothing s in Tprec and Tsens' },
} as const satisfies Record<string, OptionSpec>;

export const clDice = defineLoss({
  name: 'clDice',
  spatial: true,
  summary: 'Soft centerline Dice: 1 − harmonic mean of topology precision and sensitivity of soft skeletons.',
  reference:
    'Shit et al. 2021; MONAI SoftclDiceLoss (iter_ 3, smooth 1; batch-wide sums), but on a one-channel output the ' +
    'channel itself (MONAI drops it and always returns 0).',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: clDiceOptions,
  fn: (input, o) =>
    tf.tidy(() => {
      if (!Number.isInteger(o.iterations)) throw new Error(`clDice.iterations: ${o.iterations} is not an integer`);
      const { p, y } = foregroundChannels(input);
      return clDiceOf(p, y, o.iterations, o.smooth);
    }),
});

export const diceClDice = defineLoss({
  name: 'diceClDice',
  spatial: true,
  summary: '(1 − α)·soft Dice + α·clDice.',
  reference: 'MONAI SoftDiceclDiceLoss (alpha 0.5, iter_ 3, smooth 1; its soft_dice: batch-wide, smooth 1), one channel kept as in clDice.',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: {
    ...clDiceOptions,
    alpha: { type: 'number', default: 0.5, min: 0, max: 1, description: 'weight α of clDice' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      if (!Number.isInteger(o.iterations)) throw new Error(`diceClDice.iterations: ${o.iterations} is not an integer`);
      const { p, y } = foregroundChannels(input);
      const dice = tf.sub(1, tf.div(tf.add(tf.mul(2, tf.sum(tf.mul(y, p))), 1), tf.add(tf.add(tf.sum(y), tf.sum(p)), 1)));
      return tf.add(tf.mul(1 - o.alpha, dice), tf.mul(o.alpha, clDiceOf(p, y, o.iterations, o.smooth))) as tf.Scalar;
    }),
});
