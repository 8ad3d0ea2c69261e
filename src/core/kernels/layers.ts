/**
 * The per-element layers around a U-Net's convolutions on the kernel pool (kernels.c, "layer helper
 * kernels"): bias add, per-channel sums (the bias gradient), channel concat and split (the skip
 * connections) and the 2×2 max-pool gradient. Arrays are [pixels, channels] (NHWC); inputs may be
 * views into another heap (tfjs's wasm memory) and are copied into the pool's memory: each function
 * is one bulk copy in, the SIMD kernel, one bulk copy out, all on this thread. These kernels are
 * memory-bound: run on two threads they were slower (channel sums of 8×128²×16: 0.7 ms on one thread,
 * 1.2 ms on two, whose second half of the data had to cross to the other core's cache). Sums are
 * added in fixed chunks in order, as the loss kernels do.
 */
import { KernelPool, kernelPool } from './pool';

function copyOut(pool: KernelPool, offset: number, out: Float32Array): Float32Array {
  out.set(pool.f32(offset, out.length));
  return out;
}

function checkChannels(name: string, length: number, channels: number): number {
  if (!Number.isInteger(channels) || channels < 1 || length % channels !== 0) {
    throw new Error(`${name}: ${length} values are not whole pixels of ${channels} channels`);
  }
  return length / channels;
}

/** y[p, c] = x[p, c] + bias[c]. */
export function biasAdd(
  x: Float32Array,
  bias: Float32Array,
  out: Float32Array = new Float32Array(x.length),
  pool = kernelPool(),
): Float32Array {
  const pixels = checkChannels('biasAdd', x.length, bias.length);
  pool.resetScratch();
  const xs = pool.copyIn(x);
  const b = pool.copyIn(bias);
  const y = pool.alloc(x.length);
  pool.call('bias_add', xs, b, y, bias.length, 0, pixels);
  return copyOut(pool, y, out);
}

/** Σ over pixels of x[p, c], per channel (float32 within runs of 64 pixels, float64 beyond). */
export function channelSums(x: Float32Array, channels: number, pool = kernelPool()): Float64Array {
  const pixels = checkChannels('channelSums', x.length, channels);
  pool.resetScratch();
  const xs = pool.copyIn(x);
  const chunk = pool.call('sum_chunk');
  const chunks = Math.ceil(pixels / chunk);
  const out = pool.alloc(2 * chunks * channels); // float64
  pool.call('channel_sum_chunks', xs, out, pixels, channels, 0, chunks);
  const parts = new Float64Array(pool.memory.buffer, out, chunks * channels);
  const sums = new Float64Array(channels);
  for (let i = 0; i < chunks; i++) for (let c = 0; c < channels; c++) sums[c] += parts[i * channels + c];
  return sums;
}

/** The parts [pixels, widths[i]] side by side along the channel axis: [pixels, Σ widths]. */
export function concatChannels(parts: Float32Array[], widths: number[], out?: Float32Array, pool = kernelPool()): Float32Array {
  if (parts.length !== widths.length || parts.length === 0) throw new Error('concatChannels: one width per part');
  const pixels = checkChannels('concatChannels', parts[0].length, widths[0]);
  parts.forEach((p, i) => {
    if (checkChannels('concatChannels', p.length, widths[i]) !== pixels) throw new Error('concatChannels: parts differ in pixel count');
  });
  const channels = widths.reduce((a, b) => a + b, 0);
  pool.resetScratch();
  const offsets = parts.map((p) => pool.copyIn(p));
  const y = pool.alloc(pixels * channels);
  let at = 0;
  offsets.forEach((src, i) => {
    pool.call('copy_channels', src, widths[i], 0, y, channels, at, widths[i], 0, pixels);
    at += widths[i];
  });
  return copyOut(pool, y, out ?? new Float32Array(pixels * channels));
}

/** x [pixels, Σ sizes] cut along the channel axis into parts [pixels, sizes[i]] (written to `outs`). */
export function splitChannels(x: Float32Array, sizes: number[], outs: Float32Array[], pool = kernelPool()): Float32Array[] {
  const channels = sizes.reduce((a, b) => a + b, 0);
  const pixels = checkChannels('splitChannels', x.length, channels);
  if (outs.length !== sizes.length || outs.some((o, i) => o.length !== pixels * sizes[i]))
    throw new Error('splitChannels: one output of the right size per part');
  pool.resetScratch();
  const xs = pool.copyIn(x);
  const parts = sizes.map((c) => pool.alloc(pixels * c));
  let at = 0;
  parts.forEach((dst, i) => {
    pool.call('copy_channels', xs, channels, at, dst, sizes[i], 0, sizes[i], 0, pixels);
    at += sizes[i];
  });
  parts.forEach((dst, i) => copyOut(pool, dst, outs[i]));
  return outs;
}

/**
 * The gradient of 2×2 stride-2 'valid' max pooling: dy [n, h/2, w/2, c] goes to the first maximum
 * of each window of x [n, h, w, c] in row-major order (as tfjs and PyTorch); everything else is 0.
 */
export function maxPoolGrad2(
  x: Float32Array,
  dy: Float32Array,
  shape: [number, number, number, number],
  out?: Float32Array,
  pool = kernelPool(),
): Float32Array {
  const [n, h, w, c] = shape;
  const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
  if (x.length !== n * h * w * c || dy.length !== n * oh * ow * c)
    throw new Error(`maxPoolGrad2: x or dy does not match shape ${shape.join('×')}`);
  pool.resetScratch();
  const xs = pool.copyIn(x);
  const g = pool.copyIn(dy);
  const dx = pool.alloc(x.length);
  if (h % 2 === 1 || w % 2 === 1) pool.f32(dx, x.length).fill(0); // rows/columns no window covers
  pool.call('max_pool_grad2', xs, g, dx, h, w, c, 0, n * oh);
  return copyOut(pool, dx, out ?? new Float32Array(x.length));
}

/** The geometry of a pooling window: size, stride, the padding before the first row and column, the output size. */
export interface PoolGeometry {
  filter: [number, number];
  stride: [number, number];
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

/**
 * The gradient of any 2-D max pooling (window, stride, padding): each dy [n, outH, outW, c] goes to
 * the first maximum of its window of x [n, h, w, c] in row-major order, padding skipped, NaN counted
 * as the maximum (PyTorch's rule, and tfjs-cpu's). In JavaScript: tfjs-wasm's own MaxPoolGrad loses
 * gradient for non-square windows (a 3×1 'same' window sent dy to the first row only, tfjs 4.22), and
 * the morphological pooling of clDice needs 3×1, 1×3 and 3×3 windows.
 */
export function maxPoolGradGeneral(
  x: Float32Array,
  dy: Float32Array,
  shape: [number, number, number, number],
  g: PoolGeometry,
): Float32Array {
  const [n, h, w, c] = shape;
  const { filter, stride, padTop, padLeft, outHeight, outWidth } = g;
  if (x.length !== n * h * w * c || dy.length !== n * outHeight * outWidth * c)
    throw new Error(`maxPoolGradGeneral: x or dy does not match shape ${shape.join('×')} → ${outHeight}×${outWidth}`);
  const dx = new Float64Array(x.length); // summed in float64, rounded once (as tfjs-cpu)
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -1;
          let max = -Infinity;
          for (let fy = 0; fy < filter[0]; fy++) {
            const y = oy * stride[0] - padTop + fy;
            if (y < 0 || y >= h) continue;
            for (let fx = 0; fx < filter[1]; fx++) {
              const xx = ox * stride[1] - padLeft + fx;
              if (xx < 0 || xx >= w) continue;
              const i = ((b * h + y) * w + xx) * c + ch;
              if (best < 0 || x[i] > max || (Number.isNaN(x[i]) && !Number.isNaN(max))) {
                best = i;
                max = x[i];
              }
            }
          }
          if (best >= 0) dx[best] += dy[((b * outHeight + oy) * outWidth + ox) * c + ch];
        }
      }
    }
  }
  return Float32Array.from(dx);
}

/** Σ over `chunks` float64 rows of `width` at `offset` in the pool's memory, added in order. */
function addChunks(pool: KernelPool, offset: number, chunks: number, width: number): Float64Array {
  const parts = new Float64Array(pool.memory.buffer, offset, chunks * width);
  const sums = new Float64Array(width);
  for (let i = 0; i < chunks; i++) for (let c = 0; c < width; c++) sums[c] += parts[i * width + c];
  return sums;
}

/** Batch statistics of one channel-last batch: the float32 mean and the biased variance, per channel. */
export interface BatchMoments {
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * Batch normalisation in training of x [pixels, channels] (as tfjs-layers' BatchNormalization with
 * `training: true`): per channel the mean m and the biased variance v over every pixel, then
 * y = (x − m)·γ/√(v + ε) + β, written to `out`. The variance is Σ(x − m)²/pixels, a second pass
 * about the float32 mean (corrected by the float64 remainder Σ(x − m)/pixels), not E[x²] − m².
 */
export function batchNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  out: Float32Array = new Float32Array(x.length),
  pool = kernelPool(),
): BatchMoments {
  const channels = gamma.length;
  const pixels = checkChannels('batchNormForward', x.length, channels);
  if (beta.length !== channels || out.length !== x.length) throw new Error('batchNormForward: γ, β and the output must match x');
  pool.resetScratch();
  const xs = pool.copyIn(x);
  const chunks = Math.ceil(pixels / pool.call('sum_chunk'));
  const parts = pool.alloc(2 * chunks * channels); // float64
  pool.call('channel_sum_chunks', xs, parts, pixels, channels, 0, chunks);
  const sums = addChunks(pool, parts, chunks, channels);
  const mean = new Float32Array(channels);
  for (let c = 0; c < channels; c++) mean[c] = sums[c] / pixels;
  const center = pool.copyIn(mean);
  pool.call('channel_sq_dev_chunks', xs, center, parts, pixels, channels, 0, chunks);
  const squares = addChunks(pool, parts, chunks, channels);
  const variance = new Float32Array(channels);
  const scale = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const rest = sums[c] / pixels - mean[c]; // the float64 mean minus its float32 rounding
    const v = Math.max(0, squares[c] / pixels - rest * rest);
    variance[c] = v;
    scale[c] = gamma[c] / Math.sqrt(v + epsilon);
    offset[c] = beta[c] - rest * scale[c];
  }
  const [s, o, y] = [pool.copyIn(scale), pool.copyIn(offset), pool.alloc(x.length)];
  pool.call('channel_affine', xs, center, s, o, y, channels, 0, pixels);
  copyOut(pool, y, out);
  return { mean, variance };
}

/**
 * The gradient of batchNormForward for dy: with x̂ = (x − m)/√(v + ε) and M pixels,
 * dβ = Σdy, dγ = Σdy·x̂, dx = γ/√(v + ε)·(dy − dβ/M − x̂·dγ/M) (Ioffe & Szegedy 2015, the batch
 * statistics differentiated as PyTorch and tfjs do). `mean` and `variance` are the forward's.
 */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  moments: BatchMoments,
  gamma: Float32Array,
  epsilon: number,
  dx: Float32Array = new Float32Array(x.length),
  pool = kernelPool(),
): { dgamma: Float32Array; dbeta: Float32Array } {
  const channels = gamma.length;
  const pixels = checkChannels('batchNormBackward', x.length, channels);
  if (dy.length !== x.length || dx.length !== x.length || moments.mean.length !== channels || moments.variance.length !== channels)
    throw new Error('batchNormBackward: dy, dx, the mean and the variance must match x and γ');
  pool.resetScratch();
  const [g, xs, center] = [pool.copyIn(dy), pool.copyIn(x), pool.copyIn(moments.mean)];
  const chunks = Math.ceil(pixels / pool.call('sum_chunk'));
  const parts = pool.alloc(4 * chunks * channels); // float64, two sums per channel
  pool.call('bn_grad_chunks', g, xs, center, parts, pixels, channels, 0, chunks);
  const sums = addChunks(pool, parts, chunks, 2 * channels);
  const [a, b, d] = [new Float32Array(channels), new Float32Array(channels), new Float32Array(channels)];
  const [dgamma, dbeta] = [new Float32Array(channels), new Float32Array(channels)];
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(moments.variance[c] + epsilon);
    const [sumDy, sumDyXc] = [sums[c], sums[channels + c]];
    dbeta[c] = sumDy;
    dgamma[c] = sumDyXc * invStd;
    a[c] = gamma[c] * invStd;
    b[c] = (-gamma[c] * invStd * invStd * invStd * sumDyXc) / pixels;
    d[c] = (-gamma[c] * invStd * sumDy) / pixels;
  }
  const out = pool.alloc(x.length);
  pool.call('bn_input_grad', g, xs, center, pool.copyIn(a), pool.copyIn(b), pool.copyIn(d), out, channels, 0, pixels);
  copyOut(pool, out, dx);
  return { dgamma, dbeta };
}
