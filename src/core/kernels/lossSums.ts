/**
 * Loss sums on plain arrays from the fused kernels in kernels.c: one pass over the data per loss
 * family, summed in float32 over runs of 1,024 elements and the runs in float64, no tensors and no
 * tape (evaluation only). Each function returns null when an input value is out of range (a pred
 * that is not finite / not a probability, a target outside [0, 1] or an index that is neither a
 * class nor the ignore index), so the caller can report it with its full message.
 */
import { KernelPool, kernelPool } from './pool';

export interface ArraysInPool {
  pool: KernelPool;
  /** Byte offsets of pred and target in the pool's memory. */
  pred: number;
  target: number;
  /** The caller's arrays while they are not copied in yet (the first kernel copies them as it goes). */
  pending?: { pred: ArrayLike<number>; target: ArrayLike<number> };
}

/**
 * Room for pred and target in the pool's scratch memory (once for every term of a compound loss).
 * The copy happens in the first kernel that reads the whole arrays, one thread's part at a time, so
 * copying overlaps with the other threads' computing.
 */
export function reserveInPool(pred: ArrayLike<number>, target: ArrayLike<number>, pool = kernelPool()): ArraysInPool {
  pool.resetScratch();
  const p = pool.alloc(pred.length);
  const t = pool.alloc(target.length);
  return { pool, pred: p, target: t, pending: { pred, target } };
}

function copyRange(pool: KernelPool, offset: number, src: ArrayLike<number>, start: number, end: number): void {
  if (end <= start) return;
  const part = ArrayBuffer.isView(src) ? (src as Float32Array).subarray(start, end) : Array.prototype.slice.call(src, start, end);
  pool.f32(offset + 4 * start, end - start).set(part);
}

function copyAll(a: ArraysInPool): void {
  if (!a.pending) return;
  copyRange(a.pool, a.pred, a.pending.pred, 0, a.pending.pred.length);
  copyRange(a.pool, a.target, a.pending.target, 0, a.pending.target.length);
  a.pending = undefined;
}

/**
 * Runs a chunked loss kernel over `items` (elements or pixels) and returns its per-chunk sums. When
 * the arrays are still pending and `per` says how many pred and target values an item has, each
 * thread's part is copied just before that thread starts.
 */
function chunkSums(
  a: ArraysInPool,
  kernel: string,
  args: number[],
  items: number,
  stride: number,
  per?: { pred: number; target: number },
): Float64Array {
  const chunk = a.pool.call('loss_chunk');
  const chunks = Math.ceil(items / chunk);
  const out = a.pool.alloc(2 * chunks * stride); // float64 = two float32 slots
  const pending = a.pending;
  if (pending && per && pending.pred.length === items * per.pred && pending.target.length === items * per.target) {
    a.pending = undefined;
    a.pool.parallel(kernel, [a.pred, a.target, out, ...args], chunks, (first, last) => {
      const [i0, i1] = [first * chunk, Math.min(last * chunk, items)];
      copyRange(a.pool, a.pred, pending.pred, i0 * per.pred, i1 * per.pred);
      copyRange(a.pool, a.target, pending.target, i0 * per.target, i1 * per.target);
    });
  } else {
    copyAll(a);
    a.pool.parallel(kernel, [a.pred, a.target, out, ...args], chunks);
  }
  return new Float64Array(a.pool.memory.buffer, out, chunks * stride).slice();
}

/**
 * Σ over elements of a·y'·(−log p) + b·(1−y')·(−log(1−p)), y' = y(1−ε)+ε/2 (binary cross-entropy
 * terms, from logits or probabilities with logs floored at −100).
 */
export function bceSum(
  a: ArraysInPool,
  count: number,
  fromLogits: boolean,
  posWeight: number,
  negWeight: number,
  eps: number,
): number | null {
  const out = chunkSums(a, 'bce_chunks', [count, fromLogits ? 1 : 0, posWeight, negWeight, eps], count, 2, { pred: 1, target: 1 });
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
  const out = chunkSums(a, 'softmax_ce_chunks', [pixels, channels, fromLogits ? 1 : 0, indexTarget ? 1 : 0, ignore], pixels, 3, {
    pred: channels,
    target: indexTarget ? 1 : channels,
  });
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
  const ignore = ignoreIndex === undefined ? NaN : ignoreIndex;
  const args = [pixels, channels, fromLogits ? 1 : 0, softmax ? 1 : 0, indexTarget ? 1 : 0, ignore];
  const per = { pred: channels, target: indexTarget ? 1 : channels };
  let out: Float64Array;
  if (firstPixel === 0) out = chunkSums(a, 'overlap_chunks', args, pixels, stride, per);
  else {
    // Per-image sums: a view of the arrays from this image's first pixel, copied in already.
    copyAll(a);
    const view: ArraysInPool = { pool: a.pool, pred: a.pred + 4 * firstPixel * per.pred, target: a.target + 4 * firstPixel * per.target };
    out = chunkSums(view, 'overlap_chunks', args, pixels, stride);
  }
  const sums: OverlapSums = { tp: new Float64Array(channels), sumPred: new Float64Array(channels), sumTarget: new Float64Array(channels) };
  for (let i = 0; i < out.length; i += stride) {
    // The 1-channel kernel checks ranges as running extremes; a NaN input shows as a NaN sum.
    if (out[i] !== 0 || out.subarray(i + 2, i + stride).some(Number.isNaN)) return null;
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
