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

let registered = false;

/** Replaces tfjs's Conv2D gradient for every backend of this process (done once, when wasm is chosen). */
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
}
