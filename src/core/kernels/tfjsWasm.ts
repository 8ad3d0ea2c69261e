/**
 * SegLab's kernels as TensorFlow.js kernels of the wasm backend, so tfjs's own gradients (Conv2D →
 * Conv2DBackpropInput + Conv2DBackpropFilter, BatchMatMul → BatchMatMul) run on them and no
 * gradient is overridden for other backends.
 *
 * - Conv2DBackpropFilter: tfjs-backend-wasm 4.22 has none; ours (kernels.c) for stride 1,
 *   dilation 1, symmetric 'same' padding, odd square kernels — every convolution the U-Net has.
 * - Conv2D and Conv2DBackpropInput: ours when the pool has more than one thread (they then use every
 *   core); with one thread tfjs's XNNPACK convolution is as fast, so Conv2D stays tfjs's and the input
 *   gradient runs as tfjs's Conv2D of dy with the flipped filter (wasm's own Conv2DBackpropInput is
 *   slow). Other shapes go to tfjs's kernels.
 * - SplitV along the last axis (the gradient of the U-Net's skip concatenation): tfjs's wasm kernel
 *   slices each part with a generic strided Slice (≈ 60 ms per decoder level at 8×128²×32); here a
 *   plain copy of each pixel's channel run.
 * - BatchMatMul: tfjs's wasm matMul is ~5× slower with transposeA/transposeB set than a Transpose
 *   followed by a plain matMul (measured: 55 vs 12 ms for [32768,24]ᵀ·[32768,48]); the flags are
 *   applied as explicit transposes.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvShape, convFilterGradient, convForward, convInputGradient } from './conv';
import { kernelPool } from './pool';

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
  const tfReverse = original('Reverse');
  if (!tfConv2D || !tfTranspose || !tfMatMul || !tfReverse) throw new Error('the wasm backend must be loaded before registerWasmKernels');

  replace('Conv2D', (args) => {
    const { x, filter } = args.inputs;
    const s = supportedConv(x.shape, filter.shape, args.attrs);
    if (!s || kernelPool().threads === 1 || x.dtype !== 'float32') return tfConv2D(args);
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
    if (kernelPool().threads === 1) {
      // dx = conv2d(dy, filter flipped in both spatial axes with in/out channels swapped), on XNNPACK.
      const backend = args.backend;
      const flipped = tfReverse({ inputs: { x: filter }, attrs: { dims: [0, 1] }, backend });
      const swapped = tfTranspose({ inputs: { x: flipped }, attrs: { perm: [0, 1, 3, 2] }, backend });
      const dx = tfConv2D({ inputs: { x: dy, filter: swapped }, attrs: { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' }, backend });
      backend.disposeData(flipped.dataId);
      backend.disposeData(swapped.dataId);
      return dx;
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
}
