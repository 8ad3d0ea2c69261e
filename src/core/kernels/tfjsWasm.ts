/**
 * SegLab's kernels as TensorFlow.js kernels of the wasm backend, so tfjs's own gradients (Conv2D →
 * Conv2DBackpropInput + Conv2DBackpropFilter, BatchMatMul → BatchMatMul) run on them and no
 * gradient is overridden for other backends. Every replacement handles the shapes a U-Net has and
 * hands anything else to tfjs's kernel.
 *
 * - Conv2D, FusedConv2D (linear, with or without a per-channel bias), Conv2DBackpropInput,
 *   Conv2DBackpropFilter (kernels.c): stride 1, dilation 1, symmetric 'same' padding, odd square
 *   kernels — every convolution of the U-Net. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at
 *   all, and its Conv2DBackpropInput is slow; ours use every thread of the pool with 2-pixel (rows) ×
 *   16-channel register tiles (every U-Net layer has a multiple of 16 channels; 12-channel tiles left
 *   16 = 12 + 4 at a third of the speed). The same kernels at every thread count: results do not
 *   depend on it.
 * - BatchMatMul (the up-convolution's products, batch 1): as 1×1 convolutions on the same kernels;
 *   a transposed A is the filter-gradient reduction, a transposed B is transposed (it is small).
 *   Other shapes: tfjs's matMul, with transpose flags applied as explicit transposes (its flagged
 *   path was ~5× slower: 55 vs 12 ms for [32768,24]ᵀ·[32768,48]).
 * - The layers around the convolutions (kernels/layers.ts, on the pool): MaxPoolGrad for 2×2
 *   stride-2 'valid' pooling (other windows in JavaScript: tfjs-wasm's loses gradient on non-square
 *   ones), Concat and SplitV along the last axis (the skip connections), Sum over
 *   every axis but the last (bias gradients; tfjs transposes first) and Add of a per-channel vector.
 *   In a 128² step (depth 3, 16 filters, batch 8, 2 threads) these took 140 ms as tfjs kernels or JS
 *   loops, ~40 ms here.
 * - Identity and Cast to the same dtype share the data (tfjs's wasm kernels copy it; 20 ms a step).
 * - Tile by whole-row copies (tfjs's batch-norm gradient tiles per-channel vectors to full size).
 * - SegLab's batch norm (model/batchNorm.ts) in training: its forward and its gradient, one kernel
 *   each (layers.ts); every other backend runs it as tfjs's ops.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvShape, convFilterGradient, convForward, convInputGradient } from './conv';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from './names';
import {
  batchNormBackward,
  batchNormForward,
  biasAdd,
  channelSums,
  concatChannels,
  maxPoolGrad2,
  maxPoolGradGeneral,
  splitChannels,
} from './layers';

interface WasmTensorData {
  memoryOffset: number;
}
interface BackendWasm {
  dataIdMap: { get(dataId: unknown): WasmTensorData };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
  incRef(dataId: unknown): void;
}
type Attrs = Record<string, unknown>;
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  attrs: Attrs;
  backend: BackendWasm;
}
type KernelFunc = (args: KernelArgs) => tf.TensorInfo;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A Float32Array view of a tensor in the wasm backend's heap (re-read after any allocation). */
function heapView(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  const { memoryOffset } = backend.dataIdMap.get(t.dataId);
  return new Float32Array(backend.wasm.HEAPU8.buffer, memoryOffset, size(t.shape));
}

/**
 * Rows of a [rows, cols] matrix seen as an image of h × w pixels: w the largest power of two up to 64
 * that divides the count, so the 2-pixel tiles run along long rows and the filter gradient's row
 * chunks stay in cache (w = 2 left [32768, 32]ᵀ·[32768, 64] at 11 GFLOP/s).
 */
function rowsOf(count: number): { h: number; w: number } {
  let w = 64;
  while (w > 1 && count % w !== 0) w /= 2;
  return { h: count / w, w };
}

/** The transpose of a small row-major [rows, cols] matrix. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

/**
 * The convolution geometry when our kernels handle it: NHWC, stride 1, dilation 1, odd square
 * kernel with symmetric padding (k−1)/2. Null otherwise.
 */
export function supportedConv(xShape: number[], filterShape: number[], attrs: Attrs): ConvShape | null {
  const [n, h, w, cin] = xShape;
  const [kh, kw, fin, cout] = filterShape;
  if (kh !== kw || kh % 2 !== 1 || fin !== cin) return null;
  const format = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
  if (!format || attrs.dimRoundingMode != null) return null;
  const pair = (v: unknown) => (Array.isArray(v) ? v : [v ?? 1, v ?? 1]);
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1) return null;
  const p = (kh - 1) / 2;
  const pad = attrs.pad;
  const symmetric = pad === 'same' || (pad === 'valid' && p === 0) || pad === p;
  if (!symmetric) return null;
  return { n, h, w, cin, cout, k: kh };
}

let registered = false;

/** The input `x` itself as the output (one more reference to its data, no copy). */
function shareData(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** A kernel tfjs's wasm backend registered (before SegLab replaced it). */
function original(name: string): KernelFunc | undefined {
  return tf.getKernel(name, 'wasm')?.kernelFunc as unknown as KernelFunc | undefined;
}

function replace(name: string, kernelFunc: KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** Registers the kernels (once per process; the wasm backend must be loaded). */
export function registerWasmKernels(): void {
  if (registered) return;
  if (!original('Conv2D') || !original('Transpose') || !original('BatchMatMul')) {
    throw new Error('the wasm backend must be loaded before registerWasmKernels');
  }
  registered = true;
  registerConvolutions();
  registerMatMul();
  registerSkipConnections();
  registerMaxPoolGrad();
  registerElementwise();
  registerBatchNorm();
}

/** Conv2D, FusedConv2D and both gradients (kernels.c through conv.ts). */
function registerConvolutions(): void {
  const tfConv2D = original('Conv2D')!;
  const tfBackpropInput = original('Conv2DBackpropInput');
  replace('Conv2D', (args) => {
    const { x, filter } = args.inputs;
    const s = supportedConv(x.shape, filter.shape, args.attrs);
    if (!s || x.dtype !== 'float32') return tfConv2D(args);
    const out = args.backend.makeOutput([s.n, s.h, s.w, s.cout], 'float32');
    convForward(heapView(args.backend, x), heapView(args.backend, filter), s, heapView(args.backend, out));
    return out;
  });

  // Conv2D + bias in one pass: what tf.fused.conv2d runs (SameConv2D calls it with a linear activation,
  // which tfjs fuses under gradients too; the ReLU is a layer of its own).
  const tfFusedConv2D = original('FusedConv2D');
  replace('FusedConv2D', (args) => {
    const { x, filter, bias } = args.inputs;
    const s = supportedConv(x.shape, filter.shape, args.attrs);
    const linear = args.attrs.activation === undefined || args.attrs.activation === 'linear';
    const perChannel =
      bias !== undefined && bias !== null && size(bias.shape) === filter.shape[3] && bias.shape.slice(0, -1).every((d) => d === 1);
    const plainBias = bias === undefined || bias === null || perChannel;
    if (!s || !linear || !plainBias || x.dtype !== 'float32' || args.inputs.preluActivationWeights) {
      if (!tfFusedConv2D) throw new Error('wasm FusedConv2D missing');
      return tfFusedConv2D(args);
    }
    const out = args.backend.makeOutput([s.n, s.h, s.w, s.cout], 'float32');
    const b = perChannel ? heapView(args.backend, bias) : undefined;
    convForward(heapView(args.backend, x), heapView(args.backend, filter), s, heapView(args.backend, out), undefined, b);
    return out;
  });

  replace('Conv2DBackpropInput', (args) => {
    const { dy, filter } = args.inputs;
    const inputShape = args.attrs.inputShape as number[];
    const s = supportedConv(inputShape, filter.shape, args.attrs);
    if (!s) {
      if (!tfBackpropInput) throw new Error('wasm Conv2DBackpropInput: unsupported convolution');
      return tfBackpropInput(args);
    }
    const out = args.backend.makeOutput(inputShape, 'float32');
    convInputGradient(heapView(args.backend, dy), heapView(args.backend, filter), s, heapView(args.backend, out));
    return out;
  });

  replace('Conv2DBackpropFilter', (args) => {
    const { x, dy } = args.inputs;
    const filterShape = args.attrs.filterShape as number[];
    const s = supportedConv(x.shape, filterShape, args.attrs);
    if (!s) {
      throw new Error(
        `wasm Conv2DBackpropFilter: only stride-1, dilation-1 convolutions with odd square kernels and 'same' padding are ` +
          `supported, got filter ${filterShape.join('×')} strides ` +
          `${JSON.stringify(args.attrs.strides)} pad ${JSON.stringify(args.attrs.pad)} ` +
          `(use the cpu or tensorflow backend for this model)`,
      );
    }
    const out = args.backend.makeOutput(filterShape, 'float32');
    convFilterGradient(heapView(args.backend, x), heapView(args.backend, dy), s, heapView(args.backend, out));
    return out;
  });
}

/** BatchMatMul of the up-convolution as 1×1 convolutions; other shapes through tfjs's matMul. */
function registerMatMul(): void {
  const tfTranspose = original('Transpose')!;
  const tfMatMul = original('BatchMatMul')!;
  replace('BatchMatMul', (args) => {
    const { a, b } = args.inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const single = (t: tf.TensorInfo) => t.shape.length === 2 || (t.shape.length === 3 && t.shape[0] === 1);
    if (single(a) && single(b) && a.dtype === 'float32' && b.dtype === 'float32' && !(transposeA && transposeB)) {
      const [ar, ac] = a.shape.slice(-2);
      const [br, bc] = b.shape.slice(-2);
      const m = transposeA ? ac : ar;
      const k = transposeA ? ar : ac;
      const n = transposeB ? br : bc;
      if (k === (transposeB ? bc : br)) {
        const outShape = a.shape.length === 3 ? [1, m, n] : [m, n];
        const out = args.backend.makeOutput(outShape, 'float32');
        const view = heapView(args.backend, out);
        const A = heapView(args.backend, a);
        const B = heapView(args.backend, b);
        if (transposeA) {
          // C = Aᵀ·B: Σ over the rows of A and B, the filter gradient of a 1×1 convolution.
          const rows = rowsOf(ar);
          convFilterGradient(A, B, { n: 1, h: rows.h, w: rows.w, cin: m, cout: n, k: 1 }, view);
        } else {
          const filter = transposeB ? transposed(B, br, bc) : B;
          const rows = rowsOf(m);
          convForward(A, filter, { n: 1, h: rows.h, w: rows.w, cin: k, cout: n, k: 1 }, view);
        }
        return out;
      }
    }
    if (!transposeA && !transposeB) return tfMatMul(args);
    const swap = (t: tf.TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      return tfTranspose({ inputs: { x: t }, attrs: { perm }, backend: args.backend });
    };
    const at = transposeA ? swap(a) : a;
    const bt = transposeB ? swap(b) : b;
    const out = tfMatMul({
      inputs: { a: at, b: bt },
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
      backend: args.backend,
    });
    if (at !== a) args.backend.disposeData(at.dataId);
    if (bt !== b) args.backend.disposeData(bt.dataId);
    return out;
  });
}

/** Max-pool gradients: SegLab's 2×2 stride-2 kernel, its JavaScript general case for other windows (layers.ts). */
function registerMaxPoolGrad(): void {
  const tfMaxPoolGrad = original('MaxPoolGrad');
  replace('MaxPoolGrad', (args) => {
    const { dy, input } = args.inputs;
    const two = (v: unknown) => v === 2 || (Array.isArray(v) && v.length === 2 && v[0] === 2 && v[1] === 2);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
    const plain = two(filterSize) && two(strides) && (pad === 'valid' || pad === 0) && dimRoundingMode == null;
    if (input.shape.length !== 4 || input.dtype !== 'float32') {
      if (!tfMaxPoolGrad) throw new Error('wasm MaxPoolGrad missing');
      return tfMaxPoolGrad(args);
    }
    if (!plain) {
      // tfjs-wasm's MaxPoolGrad loses gradient on non-square windows: SegLab's (layers.ts) instead
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        filterSize as [number, number] | number,
        strides as [number, number] | number,
        1,
        pad as 'same' | 'valid' | number,
        dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      );
      const geometry = {
        filter: [info.filterHeight, info.filterWidth] as [number, number],
        stride: [info.strideHeight, info.strideWidth] as [number, number],
        padTop: info.padInfo.top,
        padLeft: info.padInfo.left,
        outHeight: info.outHeight,
        outWidth: info.outWidth,
      };
      const shape = input.shape as [number, number, number, number];
      const grad = maxPoolGradGeneral(heapView(args.backend, input), heapView(args.backend, dy), shape, geometry);
      const out = args.backend.makeOutput(input.shape, 'float32');
      heapView(args.backend, out).set(grad);
      return out;
    }
    const [n, h, w, c] = input.shape;
    const dx = args.backend.makeOutput(input.shape, 'float32');
    maxPoolGrad2(heapView(args.backend, input), heapView(args.backend, dy), [n, h, w, c], heapView(args.backend, dx));
    return dx;
  });
}

/** The skip connections: channel Concat and SplitV (layers.ts). */
function registerSkipConnections(): void {
  const tfSplitV = original('SplitV');
  replace('SplitV', (args) => {
    const { x } = args.inputs;
    const rank = x.shape.length;
    const axis = (args.attrs.axis as number) < 0 ? (args.attrs.axis as number) + rank : (args.attrs.axis as number);
    const sizes = args.attrs.numOrSizeSplits;
    const channels = x.shape[rank - 1];
    const lastAxisParts =
      Array.isArray(sizes) && axis === rank - 1 && x.dtype === 'float32' && sizes.every((v) => Number.isInteger(v) && v >= 0);
    if (!lastAxisParts || (sizes as number[]).reduce((a, b) => a + b, 0) !== channels) {
      if (!tfSplitV) throw new Error('wasm SplitV missing');
      return tfSplitV(args) as unknown as tf.TensorInfo;
    }
    const outs = (sizes as number[]).map((c) => args.backend.makeOutput([...x.shape.slice(0, -1), c], 'float32'));
    splitChannels(
      heapView(args.backend, x),
      sizes as number[],
      outs.map((o) => heapView(args.backend, o)),
    );
    return outs as unknown as tf.TensorInfo;
  });

  const tfConcat = original('Concat');
  replace('Concat', (args) => {
    const parts = args.inputs as unknown as tf.TensorInfo[];
    const rank = parts[0]?.shape.length ?? 0;
    const axis = (args.attrs.axis as number) < 0 ? (args.attrs.axis as number) + rank : (args.attrs.axis as number);
    const sameLead = parts.every(
      (t) => t.dtype === 'float32' && t.shape.length === rank && t.shape.slice(0, -1).every((d, i) => d === parts[0].shape[i]),
    );
    if (!tfConcat || rank < 2 || axis !== rank - 1 || !sameLead || parts.some((t) => size(t.shape) === 0)) {
      if (!tfConcat) throw new Error('wasm Concat missing');
      return tfConcat(args);
    }
    const widths = parts.map((t) => t.shape[rank - 1]);
    const channels = widths.reduce((x, y) => x + y, 0);
    const out = args.backend.makeOutput([...parts[0].shape.slice(0, -1), channels], 'float32');
    concatChannels(
      parts.map((t) => heapView(args.backend, t)),
      widths,
      heapView(args.backend, out),
    );
    return out;
  });
}

/**
 * `out` = `src` (row-major, `shape`) tiled `reps` times along each axis: each output row (all axes but
 * the last) is its source row, repeated along the last axis. The values' bits are copied as 32-bit
 * words, so float32 and int32 tile alike.
 */
export function tileRows(src: Int32Array, shape: number[], reps: number[], out: Int32Array): void {
  const r = shape.length;
  const last = r === 0 ? 1 : shape[r - 1];
  const lead = shape.slice(0, -1);
  const outLead = lead.map((d, i) => d * reps[i]);
  const rowLength = last * (r === 0 ? 1 : reps[r - 1]);
  const rows = size(outLead);
  if (rows > 1 && lead.every((d) => d === 1)) {
    // One source row (a per-channel vector): write the first output row, then double what is written.
    for (let k = 0; k < rowLength; k += last) out.set(src.subarray(0, last), k);
    for (let done = rowLength; done < out.length; done *= 2) out.copyWithin(done, 0, Math.min(done, out.length - done));
    return;
  }
  const idx = new Array<number>(outLead.length).fill(0);
  for (let row = 0; row < rows; row++) {
    let s = 0;
    for (let k = 0; k < lead.length; k++) s = s * lead[k] + (idx[k] % lead[k]);
    const source = src.subarray(s * last, s * last + last);
    const base = row * rowLength;
    for (let k = 0; k < rowLength; k += last) out.set(source, base + k);
    for (let k = outLead.length - 1; k >= 0; k--) {
      if (++idx[k] < outLead[k]) break;
      idx[k] = 0;
    }
  }
}

/** Tile by rows; Identity and Cast share data; per-channel Add and the bias-gradient Sum (layers.ts). */
function registerElementwise(): void {
  // Tile (tfjs's batch-norm gradient broadcasts a per-channel vector to the activation's shape with
  // it): tfjs's wasm Tile computes every output index (455 ms for [1,1,1,32] → [4,256,256,32], 35 % of a
  // depth-4 step with batch norm); copying whole source rows takes a few ms.
  const tfTile = original('Tile');
  replace('Tile', (args) => {
    const { x } = args.inputs;
    const reps = args.attrs.reps as number[];
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !Array.isArray(reps) || reps.length !== x.shape.length) {
      if (!tfTile) throw new Error('wasm Tile missing');
      return tfTile(args);
    }
    const out = args.backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]),
      x.dtype,
    );
    const view = (t: tf.TensorInfo) =>
      new Int32Array(args.backend.wasm.HEAPU8.buffer, args.backend.dataIdMap.get(t.dataId).memoryOffset, size(t.shape));
    if (size(out.shape) > 0) tileRows(view(x), x.shape, reps, view(out));
    return out;
  });

  // Identity (also what Cast to the same dtype runs): share the data, as tfjs's cpu backend does,
  // instead of copying it (tensors are immutable; variables change by switching data).
  replace('Identity', (args) => shareData(args));

  // Cast to the dtype a tensor already has: share the data (tfjs's wasm Cast copies it).
  const tfCast = original('Cast');
  replace('Cast', (args) => {
    const { x } = args.inputs;
    if (args.attrs.dtype !== x.dtype || x.dtype === 'string') {
      if (!tfCast) throw new Error('wasm Cast missing');
      return tfCast(args);
    }
    return shareData(args);
  });

  // Add of a per-channel vector (the bias of every convolution): tfjs's wasm Add broadcasts through a
  // generic index path (10 ms for [8,128,128,16] + [16]).
  const tfAdd = original('Add');
  replace('Add', (args) => {
    const { a, b } = args.inputs;
    const channels = a.shape[a.shape.length - 1];
    const perChannel =
      a.dtype === 'float32' &&
      b.dtype === 'float32' &&
      a.shape.length >= 2 &&
      b.shape.length >= 1 &&
      b.shape.length <= a.shape.length &&
      b.shape[b.shape.length - 1] === channels &&
      b.shape.slice(0, -1).every((d) => d === 1) &&
      size(a.shape) > 0;
    if (!perChannel) {
      if (!tfAdd) throw new Error('wasm Add missing');
      return tfAdd(args);
    }
    const out = args.backend.makeOutput(a.shape, 'float32');
    biasAdd(heapView(args.backend, a), heapView(args.backend, b), heapView(args.backend, out));
    return out;
  });

  // Sum over every axis but the last (the bias gradients): per-channel sums on the kernel pool.
  // tfjs's wasm Sum transposes the input first so that the reduced axes are innermost (36 ms of a
  // 128² step).
  const tfSum = original('Sum');
  replace('Sum', (args) => {
    const { x } = args.inputs;
    const rank = x.shape.length;
    const raw = args.attrs.axis as number | number[];
    const axes = (Array.isArray(raw) ? raw : [raw]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') {
      if (!tfSum) throw new Error('wasm Sum missing');
      return tfSum(args);
    }
    const channels = x.shape[rank - 1];
    const shape = args.attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
    const out = args.backend.makeOutput(shape, 'float32');
    heapView(args.backend, out).set(channelSums(heapView(args.backend, x), channels));
    return out;
  });
}

/** The fused batch-norm training kernels of model/batchNorm.ts (layers.ts's batchNormForward/Backward). */
function registerBatchNorm(): void {
  const channelLast = (x: tf.TensorInfo, gamma: tf.TensorInfo) =>
    x.dtype === 'float32' && x.shape.length >= 2 && gamma.shape.length === 1 && x.shape[x.shape.length - 1] === gamma.shape[0];
  const vector = (backend: BackendWasm, values: Float32Array) => {
    const out = backend.makeOutput([values.length], 'float32');
    heapView(backend, out).set(values);
    return out;
  };
  replace(BATCH_NORM_TRAIN, ({ inputs, attrs, backend }) => {
    const { x, gamma, beta } = inputs;
    if (!channelLast(x, gamma))
      throw new Error(`${BATCH_NORM_TRAIN}: x ${x.shape.join('×')} does not end in γ's ${gamma.shape[0]} channels`);
    const y = backend.makeOutput(x.shape, 'float32');
    const moments = batchNormForward(
      heapView(backend, x),
      heapView(backend, gamma),
      heapView(backend, beta),
      attrs.epsilon as number,
      heapView(backend, y),
    );
    return [y, vector(backend, moments.mean), vector(backend, moments.variance)] as unknown as tf.TensorInfo;
  });
  replace(BATCH_NORM_GRAD, ({ inputs, attrs, backend }) => {
    const { dy, x, mean, variance, gamma } = inputs;
    if (!channelLast(x, gamma))
      throw new Error(`${BATCH_NORM_GRAD}: x ${x.shape.join('×')} does not end in γ's ${gamma.shape[0]} channels`);
    const dx = backend.makeOutput(x.shape, 'float32');
    const moments = { mean: heapView(backend, mean).slice(), variance: heapView(backend, variance).slice() };
    const { dgamma, dbeta } = batchNormBackward(
      heapView(backend, dy),
      heapView(backend, x),
      moments,
      heapView(backend, gamma).slice(),
      attrs.epsilon as number,
      heapView(backend, dx),
    );
    return [dx, vector(backend, dgamma), vector(backend, dbeta)] as unknown as tf.TensorInfo;
  });
}
