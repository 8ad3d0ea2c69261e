/**
 * SegLab's kernels as TensorFlow.js kernels of the wasm backend, so tfjs's own gradients (Conv2D →
 * Conv2DBackpropInput + Conv2DBackpropFilter, BatchMatMul → BatchMatMul) run on them and no
 * gradient is overridden for other backends. Every replacement handles the shapes a U-Net has and
 * hands anything else to tfjs's kernel.
 *
 * - Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter (kernels.c): stride 1, dilation 1, symmetric
 *   'same' padding, odd square kernels — every convolution of the U-Net. tfjs-backend-wasm 4.22 has no
 *   Conv2DBackpropFilter at all, and its Conv2DBackpropInput is slow; ours use every thread of the
 *   pool and, with 2-pixel × 12-channel register tiles, were also faster than XNNPACK on one thread
 *   (ISBI U-Net step 498 → 453 ms). The same kernels at every thread count: results do not depend on it.
 * - BatchMatMul (the up-convolution's products, batch 1): as 1×1 convolutions on the same kernels;
 *   a transposed A is the filter-gradient reduction, a transposed B is transposed (it is small).
 *   Other shapes: tfjs's matMul, with transpose flags applied as explicit transposes (its flagged
 *   path was ~5× slower: 55 vs 12 ms for [32768,24]ᵀ·[32768,48]).
 * - MaxPoolGrad for 2×2 stride-2 'valid' pooling, Concat and SplitV along the last axis (the skip
 *   connection and its gradient): plain copies on the heap. tfjs's wasm SplitV slices each part with
 *   a generic strided Slice; these three took 60 ms of a 486 ms ISBI step. (A JS loop for the bias
 *   gradients' Sum was slower than tfjs's kernel: 44 vs 32 ms a step.)
 */
import * as tf from '@tensorflow/tfjs';
import { ConvShape, convFilterGradient, convForward, convInputGradient } from './conv';

interface WasmTensorData {
  memoryOffset: number;
}
interface BackendWasm {
  dataIdMap: { get(dataId: unknown): WasmTensorData };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
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

/** Rows of a [rows, cols] matrix seen as an image of h × w pixels (w = 2 when it divides, for 2-pixel tiles). */
function rowsOf(count: number): { h: number; w: number } {
  return count % 2 === 0 ? { h: count / 2, w: 2 } : { h: count, w: 1 };
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

/** Registers the kernels (once per process; the wasm backend must be loaded). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const original = (name: string): KernelFunc | undefined =>
    tf.getKernel(name, 'wasm')?.kernelFunc as unknown as KernelFunc | undefined;
  const replace = (name: string, kernelFunc: KernelFunc) => {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };
  const tfConv2D = original('Conv2D');
  const tfTranspose = original('Transpose');
  const tfMatMul = original('BatchMatMul');
  const tfBackpropInput = original('Conv2DBackpropInput');
  if (!tfConv2D || !tfTranspose || !tfMatMul) throw new Error('the wasm backend must be loaded before registerWasmKernels');

  replace('Conv2D', (args) => {
    const { x, filter } = args.inputs;
    const s = supportedConv(x.shape, filter.shape, args.attrs);
    if (!s || x.dtype !== 'float32') return tfConv2D(args);
    const out = args.backend.makeOutput([s.n, s.h, s.w, s.cout], 'float32');
    convForward(heapView(args.backend, x), heapView(args.backend, filter), s, heapView(args.backend, out));
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
          `supported, got filter ${filterShape.join('×')} strides ${JSON.stringify(args.attrs.strides)} pad ${JSON.stringify(args.attrs.pad)} ` +
          `(use the cpu or tensorflow backend for this model)`,
      );
    }
    const out = args.backend.makeOutput(filterShape, 'float32');
    convFilterGradient(heapView(args.backend, x), heapView(args.backend, dy), s, heapView(args.backend, out));
    return out;
  });

  const tfSplitV = original('SplitV');
  replace('SplitV', (args) => {
    const { x } = args.inputs;
    const rank = x.shape.length;
    const axis = (args.attrs.axis as number) < 0 ? (args.attrs.axis as number) + rank : (args.attrs.axis as number);
    const sizes = args.attrs.numOrSizeSplits;
    const channels = x.shape[rank - 1];
    const lastAxisParts = Array.isArray(sizes) && axis === rank - 1 && x.dtype === 'float32' && sizes.every((v) => Number.isInteger(v) && v >= 0);
    if (!lastAxisParts || (sizes as number[]).reduce((a, b) => a + b, 0) !== channels) {
      if (!tfSplitV) throw new Error('wasm SplitV missing');
      return tfSplitV(args) as unknown as tf.TensorInfo;
    }
    const outs = (sizes as number[]).map((c) => args.backend.makeOutput([...x.shape.slice(0, -1), c], 'float32'));
    const src = heapView(args.backend, x);
    const pixels = src.length / channels;
    let offset = 0;
    outs.forEach((out, part) => {
      const c = (sizes as number[])[part];
      const dst = heapView(args.backend, out);
      for (let p = 0, i = offset, o = 0; p < pixels; p++, i += channels) {
        for (let k = 0; k < c; k++) dst[o++] = src[i + k];
      }
      offset += c;
    });
    return outs as unknown as tf.TensorInfo;
  });

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
    const out = tfMatMul({ inputs: { a: at, b: bt }, attrs: { ...args.attrs, transposeA: false, transposeB: false }, backend: args.backend });
    if (at !== a) args.backend.disposeData(at.dataId);
    if (bt !== b) args.backend.disposeData(bt.dataId);
    return out;
  });

  const tfMaxPoolGrad = original('MaxPoolGrad');
  replace('MaxPoolGrad', (args) => {
    const { dy, input } = args.inputs;
    const two = (v: unknown) => v === 2 || (Array.isArray(v) && v.length === 2 && v[0] === 2 && v[1] === 2);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
    const plain = two(filterSize) && two(strides) && (pad === 'valid' || pad === 0) && dimRoundingMode == null;
    if (!plain || input.shape.length !== 4 || input.dtype !== 'float32') {
      if (!tfMaxPoolGrad) throw new Error('wasm MaxPoolGrad missing');
      return tfMaxPoolGrad(args);
    }
    const [n, h, w, c] = input.shape;
    const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
    const dx = args.backend.makeOutput(input.shape, 'float32');
    const out = heapView(args.backend, dx);
    const x = heapView(args.backend, input);
    const g = heapView(args.backend, dy);
    out.fill(0);
    // The gradient goes to the first maximum of each window in row-major order (tfjs and PyTorch).
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const p00 = ((b * h + 2 * oy) * w + 2 * ox) * c;
          const p01 = p00 + c;
          const p10 = p00 + w * c;
          const p11 = p10 + c;
          const q = ((b * oh + oy) * ow + ox) * c;
          for (let k = 0; k < c; k++) {
            let at = p00 + k;
            let best = x[at];
            if (x[p01 + k] > best) {
              best = x[p01 + k];
              at = p01 + k;
            }
            if (x[p10 + k] > best) {
              best = x[p10 + k];
              at = p10 + k;
            }
            if (x[p11 + k] > best) at = p11 + k;
            out[at] = g[q + k];
          }
        }
      }
    }
    return dx;
  });

  const tfConcat = original('Concat');
  replace('Concat', (args) => {
    const parts = args.inputs as unknown as tf.TensorInfo[];
    const rank = parts[0]?.shape.length ?? 0;
    const axis = (args.attrs.axis as number) < 0 ? (args.attrs.axis as number) + rank : (args.attrs.axis as number);
    const sameLead = parts.every((t) => t.dtype === 'float32' && t.shape.length === rank && t.shape.slice(0, -1).every((d, i) => d === parts[0].shape[i]));
    if (!tfConcat || rank < 2 || axis !== rank - 1 || !sameLead || parts.some((t) => size(t.shape) === 0)) {
      if (!tfConcat) throw new Error('wasm Concat missing');
      return tfConcat(args);
    }
    const widths = parts.map((t) => t.shape[rank - 1]);
    const channels = widths.reduce((x, y) => x + y, 0);
    const out = args.backend.makeOutput([...parts[0].shape.slice(0, -1), channels], 'float32');
    const dst = heapView(args.backend, out);
    let offset = 0;
    parts.forEach((t, i) => {
      const src = heapView(args.backend, t);
      const c = widths[i];
      const pixels = src.length / c;
      for (let p = 0, o = offset, s = 0; p < pixels; p++, o += channels) {
        for (let k = 0; k < c; k++) dst[o + k] = src[s++];
      }
      offset += c;
    });
    return out;
  });
}
