/**
 * Shared tensor helpers for the losses (as smp's `_functional`): stable log-probabilities,
 * activations, one-hot targets, soft confusion counts, the BCE terms, per-channel weights and
 * weighted reductions. Everything here is differentiable with respect to the prediction and
 * produces no NaN or Infinity for finite inputs (including |logit| = 100 and p ∈ {0, 1}).
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, LossInput, MULTICLASS_MODE } from './types';

/** PyTorch's `BCELoss` clamps each log term at −100; SegLab uses the same floor everywhere. */
export const LOG_FLOOR = -100;
/** Probabilities are clamped to [EPS, 1 − EPS] before `logit(p)` (|logit| ≤ 16.1). */
export const PROB_EPS = 1e-7;

/** log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), finite for every finite x. */
export function stableSoftplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** The smallest normal float32, 2^−126. */
const SMALLEST_NORMAL = 2 ** -126;

/** Below this probability the floored log's gradient is taken as 0 (log p < −69 there). */
const GRADIENT_MIN_P = 1e-30;

/**
 * log(p) floored at −100 (p = 0 gives −100, not −∞), with gradient 1/p, or 0 for p ≤ 1e-30 so that
 * p = 0 back-propagates no 0·∞. A custom gradient, because tfjs has no gradient for the comparison
 * that selects the floor.
 */
export const flooredLog = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
  save([p]);
  const positive = tf.greater(p, 0);
  // A subnormal p (< 2^−126) is scaled by 2^24 before the log and the shift subtracted after: GPUs'
  // log (WGSL) need not handle subnormals (Mesa's llvmpipe gives log(3.8e-44) = −88.0, not −99.98).
  // A GPU that flushes subnormals to zero treats such p as 0 (log floored at −100).
  const subnormal = tf.less(p, SMALLEST_NORMAL);
  const scaled = tf.where(subnormal, tf.mul(p, 2 ** 24), p);
  const safe = tf.where(positive, scaled, tf.onesLike(p));
  const log = tf.sub(tf.log(safe), tf.where(subnormal, tf.fill(p.shape, 24 * Math.LN2), tf.zerosLike(p)));
  const value = tf.where(positive, tf.maximum(log, LOG_FLOOR), tf.fill(p.shape, LOG_FLOOR));
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const x = saved[0];
    const usable = tf.greater(x, GRADIENT_MIN_P);
    return tf.mul(dy, tf.where(usable, tf.reciprocal(tf.where(usable, x, tf.onesLike(x))), tf.zerosLike(x)));
  };
  return { value, gradFunc };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (p: tf.Tensor) => tf.Tensor;

/** log σ(x) and log(1 − σ(x)) for sigmoid outputs: stable from logits, floored from probabilities. */
export function sigmoidLogProbs(pred: tf.Tensor, fromLogits: boolean): { logP: tf.Tensor; log1mP: tf.Tensor } {
  if (fromLogits) {
    return { logP: tf.neg(stableSoftplus(tf.neg(pred))), log1mP: tf.neg(stableSoftplus(pred)) };
  }
  return { logP: flooredLog(pred), log1mP: flooredLog(tf.sub(1, pred)) };
}

/** log-softmax over the channel axis (from logits) or floored log of the given probabilities. */
export function softmaxLogProbs(pred: tf.Tensor, fromLogits: boolean): tf.Tensor {
  return fromLogits ? tf.logSoftmax(pred, -1) : flooredLog(pred);
}

/** Probabilities: sigmoid (binary, multilabel) or softmax over channels (multiclass). */
export function probabilities(input: LossInput): tf.Tensor4D {
  if (!input.fromLogits) return input.pred;
  return input.mode === MULTICLASS_MODE ? tf.softmax(input.pred, -1) : tf.sigmoid(input.pred);
}

/**
 * Scores for margin losses (hinge, Lovász hinge): logits as given, or logit(p) from probabilities,
 * so a loss takes the same value whichever form of the same model output it receives.
 */
export function marginScores(pred: tf.Tensor, fromLogits: boolean): tf.Tensor {
  if (fromLogits) return pred;
  const p = tf.clipByValue(pred, PROB_EPS, 1 - PROB_EPS);
  return tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
}

/**
 * Class-probability targets [N,H,W,C] for multiclass mode: one-hot of an index target [N,H,W,1]
 * (indices outside [0, C) — the ignore index — give an all-zero row), or the target itself when it
 * already has C channels. Binary and multilabel targets are returned unchanged.
 */
export function classTargets(input: LossInput): tf.Tensor4D {
  const { pred, target, mode } = input;
  const c = pred.shape[3];
  if (mode !== MULTICLASS_MODE || target.shape[3] === c) return target;
  const [n, h, w] = target.shape;
  const indices = tf.cast(tf.reshape(target, [n * h * w]), 'int32');
  return tf.reshape(tf.cast(tf.oneHot(indices, c), 'float32'), [n, h, w, c]);
}

/** 1 where a pixel carries a target (its class row sums to > 0), else 0; shape [N,H,W,1]. */
export function labelledPixels(y: tf.Tensor4D): tf.Tensor4D {
  return tf.cast(tf.greater(tf.sum(y, -1, true), 0), 'float32') as tf.Tensor4D;
}

/** Soft confusion sums per class (shape [C]) or per image and class (shape [N, C]). */
export interface SoftCounts {
  tp: tf.Tensor;
  /** Σp (or Σp² with `squared`). */
  sumPred: tf.Tensor;
  /** Σy (or Σy² with `squared`). */
  sumTarget: tf.Tensor;
}

export function softCounts(p: tf.Tensor4D, y: tf.Tensor4D, perImage: boolean, squared = false): SoftCounts {
  const axes = perImage ? [1, 2] : [0, 1, 2];
  return {
    tp: tf.sum(tf.mul(p, y), axes),
    sumPred: tf.sum(squared ? tf.square(p) : p, axes),
    sumTarget: tf.sum(squared ? tf.square(y) : y, axes),
  };
}

/** Σ values / Σ weights, 0 when the weights sum to 0 (nothing to average). */
export function weightedMean(values: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  const total = tf.sum(weights);
  return tf.where(tf.greater(total, 0), tf.div(tf.sum(values), tf.maximum(total, 1e-30)), tf.scalar(0)) as tf.Scalar;
}

/**
 * Elementwise −[a·y·log p + b·(1−y)·log(1−p)], a and b scalars or broadcastable tensors.
 * From logits with sp = softplus(x): −log(1−σ(x)) = sp and −log σ(x) = sp − x, so
 *   ℓ = a·y·(sp − x) + b·(1−y)·sp   (= max(x,0) − x·y + log(1+e^−|x|) when a = b = 1),
 * one exp and one log1p per element.
 */
export function bceTerms(
  pred: tf.Tensor,
  y: tf.Tensor,
  fromLogits: boolean,
  a: number | tf.Tensor = 1,
  b: number | tf.Tensor = 1,
): tf.Tensor {
  if (fromLogits) {
    const sp = stableSoftplus(pred);
    if (a === 1 && b === 1) return tf.sub(sp, tf.mul(pred, y));
    return tf.add(tf.mul(tf.mul(y, tf.sub(sp, pred)), a), tf.mul(tf.mul(tf.sub(1, y), sp), b));
  }
  const { logP, log1mP } = sigmoidLogProbs(pred, false);
  const pos = tf.mul(tf.mul(y, logP), a);
  const neg = tf.mul(tf.mul(tf.sub(1, y), log1mP), b);
  return tf.neg(tf.add(pos, neg));
}

/** A per-channel weight (number or one number per channel) as a tensor broadcasting over NHWC. */
export function channelWeights(value: number | number[], channels: number, what: string): number | tf.Tensor {
  if (typeof value === 'number') return value;
  if (value.length !== channels) {
    throw new Error(`${what}: expected ${channels} values (one per channel), got ${value.length}`);
  }
  return tf.tensor1d(value);
}

/** Reduces an elementwise loss as PyTorch's reduction='mean' does with per-element weights w: mean(w·ℓ),
 * or as Σ(w·ℓ)/Σw with `normalize: 'weights'`. */
export function reduceWeighted(loss: tf.Tensor, w: tf.Tensor, normalize: string): tf.Scalar {
  const weighted = tf.mul(loss, w);
  return normalize === 'weights' ? weightedMean(weighted, tf.mul(tf.onesLike(loss), w)) : tf.mean(weighted);
}

/** A user-supplied weight map as a tensor broadcasting against the prediction [N,H,W,C]. */
export function weightMapTensor(weights: Float32Array | number[], shape: number[], what: string): tf.Tensor4D {
  const [n, h, w, c] = shape;
  if (weights.length === n * h * w * c) return tf.tensor4d(weights, [n, h, w, c]);
  if (weights.length === n * h * w) return tf.tensor4d(weights, [n, h, w, 1]);
  throw new Error(`${what}: expected ${n * h * w} (N·H·W) or ${n * h * w * c} (N·H·W·C) weights, got ${weights.length}`);
}

/** Keeps channels 1.. of the last axis when the background is excluded (multiclass/multilabel only). */
export function selectChannels(t: tf.Tensor4D, input: LossInput, includeBackground: boolean): tf.Tensor4D {
  if (includeBackground || input.mode === BINARY_MODE) return t;
  const c = t.shape[3];
  if (c < 2) throw new Error('includeBackground: false needs at least 2 channels');
  return tf.slice(t, [0, 0, 0, 1], [-1, -1, -1, c - 1]);
}
