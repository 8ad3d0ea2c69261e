/**
 * Loss sums on plain arrays from the fused kernels in kernels.c: one pass over the data per loss
 * family, float64 accumulation, no tensors and no tape (evaluation only). Each function returns
 * null when an input value is out of range (a pred that is not finite / not a probability, a target
 * outside [0, 1] or an index that is neither a class nor the ignore index), so the caller can report
 * it with its full message.
 */
import { KernelPool, kernelPool } from './pool';

export interface ArraysInPool {
  pool: KernelPool;
  pred: number;
  target: number;
}

/** Copies pred and target into the pool's scratch memory (once for every term of a compound loss). */
export function copyToPool(pred: ArrayLike<number>, target: ArrayLike<number>, pool = kernelPool()): ArraysInPool {
  pool.resetScratch();
  const p = pool.alloc(pred.length);
  pool.f32(p, pred.length).set(pred);
  const t = pool.alloc(target.length);
  pool.f32(t, target.length).set(target);
  return { pool, pred: p, target: t };
}

function chunkSums(a: ArraysInPool, kernel: string, args: number[], items: number, stride: number): Float64Array | null {
  const chunks = Math.ceil(items / a.pool.call('loss_chunk'));
  const outFloats = 2 * chunks * stride; // float64 = two float32 slots
  const out = a.pool.alloc(outFloats);
  a.pool.parallel(kernel, [a.pred, a.target, out, ...args], chunks);
  return new Float64Array(a.pool.memory.buffer, out, chunks * stride).slice();
}

/**
 * Σ over elements of a·y'·(−log p) + b·(1−y')·(−log(1−p)), y' = y(1−ε)+ε/2 (binary cross-entropy
 * terms, from logits or probabilities with logs floored at −100).
 */
export function bceSum(a: ArraysInPool, count: number, fromLogits: boolean, posWeight: number, negWeight: number, eps: number): number | null {
  const out = chunkSums(a, 'bce_chunks', [count, fromLogits ? 1 : 0, posWeight, negWeight, eps], count, 2);
  if (!out) return null;
  let sum = 0;
  for (let i = 0; i < out.length; i += 2) {
    if (out[i + 1] !== 0) return null;
    sum += out[i];
  }
  return sum;
}

/** Σ −log p[target] and Σ (labelled pixels) for softmax cross-entropy over `channels` classes. */
export function softmaxCrossEntropySums(
  a: ArraysInPool,
  pixels: number,
  channels: number,
  fromLogits: boolean,
  indexTarget: boolean,
  ignoreIndex: number | undefined,
): { loss: number; norm: number } | null {
  const ignore = ignoreIndex === undefined ? NaN : ignoreIndex;
  const out = chunkSums(a, 'softmax_ce_chunks', [pixels, channels, fromLogits ? 1 : 0, indexTarget ? 1 : 0, ignore], pixels, 3);
  if (!out) return null;
  let loss = 0;
  let norm = 0;
  for (let i = 0; i < out.length; i += 3) {
    if (out[i + 2] !== 0) return null;
    loss += out[i];
    norm += out[i + 1];
  }
  return { loss, norm };
}

export interface OverlapSums {
  /** Per channel: Σ p·y, Σ p, Σ y. */
  tp: Float64Array;
  sumPred: Float64Array;
  sumTarget: Float64Array;
}

/**
 * Soft confusion sums per channel over `pixels` pixels starting at pixel `firstPixel` (softmax or
 * sigmoid probabilities from logits; probabilities as given).
 */
export function overlapSums(
  a: ArraysInPool,
  firstPixel: number,
  pixels: number,
  channels: number,
  fromLogits: boolean,
  softmax: boolean,
  indexTarget: boolean,
  ignoreIndex: number | undefined,
): OverlapSums | null {
  const stride = 2 + 3 * channels;
  const view: ArraysInPool = {
    pool: a.pool,
    pred: a.pred + 4 * firstPixel * channels,
    target: a.target + 4 * firstPixel * (indexTarget ? 1 : channels),
  };
  const ignore = ignoreIndex === undefined ? NaN : ignoreIndex;
  const out = chunkSums(view, 'overlap_chunks', [pixels, channels, fromLogits ? 1 : 0, softmax ? 1 : 0, indexTarget ? 1 : 0, ignore], pixels, stride);
  if (!out) return null;
  const sums: OverlapSums = { tp: new Float64Array(channels), sumPred: new Float64Array(channels), sumTarget: new Float64Array(channels) };
  for (let i = 0; i < out.length; i += stride) {
    if (out[i] !== 0) return null;
    for (let c = 0; c < channels; c++) {
      sums.tp[c] += out[i + 2 + 3 * c];
      sums.sumPred[c] += out[i + 3 + 3 * c];
      sums.sumTarget[c] += out[i + 4 + 3 * c];
    }
  }
  return sums;
}

/** Channels above this count go to the tensor path (the kernels keep one vector per channel). */
export const MAX_FUSED_CHANNELS = 16;
