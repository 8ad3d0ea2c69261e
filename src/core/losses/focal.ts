/**
 * Focal loss (Lin et al. 2017).
 * - binary / multilabel: torchvision.ops.sigmoid_focal_loss, mean reduction:
 *     ce = BCE(x, y); p_t = p·y + (1−p)(1−y); ℓ = α_t·ce·(1−p_t)^γ, α_t = α·y + (1−α)(1−y)
 *   α defaults to 0.25; α = null disables the α_t factor.
 * - multiclass: softmax focal loss ℓᵢ = −Σ_c α_c·y_ic·(1−p_ic)^γ·log p_ic, mean over labelled pixels;
 *   α is null (no class weighting, the default) or one weight per class.
 */
import * as tf from '@tensorflow/tfjs';
import { bceTerms, channelWeights, classTargets, labelledPixels, probabilities, softmaxLogProbs, weightedMean } from './soft';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE, MULTILABEL_MODE, OptionSpec } from './types';

function sigmoidFocalTerms(input: LossInput, alpha: number | null, gamma: number): tf.Tensor {
  const y = input.target;
  const p = probabilities(input);
  const ce = bceTerms(input.pred, y, input.fromLogits);
  const pT = tf.add(tf.mul(p, y), tf.mul(tf.sub(1, p), tf.sub(1, y)));
  let loss = tf.mul(ce, tf.pow(tf.sub(1, pT), gamma));
  if (alpha !== null) {
    const alphaT = tf.add(tf.mul(y, alpha), tf.mul(tf.sub(1, y), 1 - alpha));
    loss = tf.mul(loss, alphaT);
  }
  return loss;
}

/** The binary/multilabel α (a number or null) of the options; a list is an error there. */
function sigmoidAlpha(mode: LossInput['mode'], alpha: number | number[] | null | undefined): number | null {
  if (Array.isArray(alpha)) throw new Error('focal.alpha: in binary/multilabel mode alpha is one number in [0,1] or null');
  return alpha === undefined ? focalOptions.alpha.defaultByMode[mode] : alpha;
}

function softmaxFocal(input: LossInput, alpha: number[] | null, gamma: number): tf.Scalar {
  const logp = softmaxLogProbs(input.pred, input.fromLogits);
  const p = tf.exp(logp);
  const y = classTargets(input);
  let perClass = tf.mul(tf.mul(y, tf.pow(tf.sub(1, p), gamma)), logp);
  if (alpha !== null) perClass = tf.mul(perClass, channelWeights(alpha, input.pred.shape[3], 'focal.alpha'));
  const loss = tf.neg(tf.sum(perClass, -1, true));
  return weightedMean(loss, labelledPixels(y));
}

const focalOptions = {
  alpha: {
    type: 'number[]',
    default: undefined,
    defaultByMode: { binary: 0.25, multilabel: 0.25, multiclass: null },
    nullable: true,
    description: 'binary/multilabel: α ∈ [0,1], null disables; multiclass: one weight per class, or null',
  },
  gamma: { type: 'number', default: 2, min: 0, description: 'focusing exponent γ' },
} as const satisfies Record<string, OptionSpec>;

export const focal = defineLoss({
  name: 'focal',
  summary: 'Focal loss: cross-entropy down-weighted on well-classified pixels by (1−p_t)^γ.',
  reference:
    'binary/multilabel: torchvision.ops.sigmoid_focal_loss (alpha 0.25, gamma 2, mean); multiclass: softmax ' +
    'focal loss of Lin et al. 2017 with optional per-class alpha, mean over labelled pixels.',
  modes: [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE],
  options: focalOptions,
  pixelTerms: (input, o) => sigmoidFocalTerms(input, sigmoidAlpha(input.mode, o.alpha), o.gamma),
  fn: (input, o) => {
    const gamma = o.gamma;
    if (input.mode === MULTICLASS_MODE) {
      if (typeof o.alpha === 'number') {
        throw new Error('focal.alpha: in multiclass mode give one weight per class (a list) or null');
      }
      return softmaxFocal(input, o.alpha ?? null, gamma);
    }
    return tf.mean(sigmoidFocalTerms(input, sigmoidAlpha(input.mode, o.alpha), gamma)) as tf.Scalar;
  },
});
