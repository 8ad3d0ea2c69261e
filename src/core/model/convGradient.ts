/**
 * A Conv2D gradient built only from kernels the wasm backend has. tfjs-backend-wasm 4.22 lacks
 * `Conv2DBackpropFilter`, so training a convolutional model on wasm fails without this. Valid for
 * stride 1, dilation 1, 'same' padding and odd square kernels — the only convolutions SegLab's U-Net
 * uses (3×3 and the 1×1 head); anything else is refused with a clear error.
 *
 *   dW = transpose( conv2d( xᵀ [Cin,H,W,N], dyᵀ [H,W,N,Cout] as the filter, padding (k−1)/2 ) )
 *        — the correlation of x with dy over the batch and positions, one output per kernel tap;
 *   dx = conv2d( dy, W flipped in both spatial axes with in/out channels swapped, 'same' ).
 */
import * as tf from '@tensorflow/tfjs';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | unknown;
  dilations?: number | [number, number];
  dataFormat?: string;
}

const pair = (v: number | [number, number] | undefined): [number, number] => (Array.isArray(v) ? v : [v ?? 1, v ?? 1]);

/** The gradient function; exported for the test that compares it with the cpu backend's kernels. */
export function conv2dGradient(dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D, attrs: Conv2DAttrs) {
  const [kh, kw, , ] = filter.shape;
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  const supported =
    sh === 1 && sw === 1 && dh === 1 && dw === 1 && kh === kw && kh % 2 === 1 && (attrs.pad === 'same' || kh === 1) &&
    (attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC');
  if (!supported) {
    throw new Error(
      `wasm Conv2D gradient: only stride-1 'same' odd square kernels are supported, got ${kh}×${kw} stride ${sh}×${sw} ` +
        `pad ${String(attrs.pad)} (use the cpu or tensorflow backend for this model)`,
    );
  }
  const p = (kh - 1) / 2;
  return {
    x: () => {
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      return tf.conv2d(dy, flipped, 1, 'same');
    },
    filter: () => {
      const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, H, W, N]
      const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, N, Cout]
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
      const dwT = tf.conv2d(xt, dyt, 1, pad); // [Cin, kh, kw, Cout]
      return tf.transpose(dwT, [1, 2, 0, 3]);
    },
  };
}

/** The last two axes swapped (a real Transpose, not a matMul flag). */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.transpose(t, perm);
}

/** a·b with optional transposes done explicitly before a flag-free matMul. */
function product(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  return tf.matMul(ta ? swapLast(a) : a, tb ? swapLast(b) : b);
}

/**
 * The BatchMatMul gradient with explicit transposes. tfjs's own gradient multiplies with the
 * transposeA/transposeB flags, and wasm's matMul takes a slow path for them: about 55 ms for a
 * [32768,24]ᵀ·[32768,48] product that takes 12 ms as Transpose + plain matMul (measured here), which
 * is 13 % of a U-Net training step (its up-convolutions are matMuls). Same values as PyTorch's and
 * tfjs's rules: for C = op(A)·op(B), dA and dB are the four cases below. Equal-rank inputs without
 * batch broadcasting only; anything else keeps the original gradient.
 */
export function matMulGradient(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) {
  if (!transposeA && !transposeB) return { a: () => product(dy, b, false, true), b: () => product(a, dy, true, false) };
  if (!transposeA && transposeB) return { a: () => product(dy, b, false, false), b: () => product(dy, a, true, false) };
  if (transposeA && !transposeB) return { a: () => product(b, dy, false, true), b: () => product(a, dy, false, false) };
  return { a: () => product(b, dy, true, true), b: () => product(dy, a, true, true) };
}

let registered = false;

/**
 * Replaces tfjs's Conv2D and BatchMatMul gradients for every backend of this process (done once,
 * when wasm is chosen).
 */
export function registerWasmConvGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as tf.Tensor4D[];
      return conv2dGradient(dy as tf.Tensor4D, x, filter, attrs as unknown as Conv2DAttrs);
    },
  });
  const original = tf.getGradient('BatchMatMul');
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
      if (!sameBatch && original) return original.gradFunc(dy, saved, attrs);
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      return matMulGradient(dy as tf.Tensor, a, b, transposeA, transposeB);
    },
  });
}
