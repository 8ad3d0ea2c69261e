/**
 * What losses that compute maps on the CPU (the U-Net weight map, distance maps) read of the target:
 * a class index per pixel, from the host copy of the target when the caller gave one (a GPU tensor
 * cannot be read synchronously), else from the tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { readTidy } from './readback';
import { BINARY_MODE, LossInput } from './types';

/** Class index per pixel of every image: thresholded binary target, index target, or argmax of one-hot. */
export function targetClassMaps(input: LossInput, loss: string): Int32Array {
  const { target, mode } = input;
  if (!input.targetValues && tf.getBackend() === 'webgpu') {
    throw new Error(`${loss} computes its map on the CPU: on the webgpu backend give LossInput.targetValues (the target on the host)`);
  }
  const values = input.targetValues ?? readTidy(() => tf.clone(target));
  const c = target.shape[3];
  if (mode === BINARY_MODE) return Int32Array.from(values, (v) => (v >= 0.5 ? 1 : 0));
  if (c === 1) return Int32Array.from(values);
  const out = new Int32Array(values.length / c);
  for (let i = 0; i < out.length; i++) {
    let best = 0; // the first of equal maxima, as tf.argMax
    for (let k = 1; k < c; k++) if (values[i * c + k] > values[i * c + best]) best = k;
    out[i] = best;
  }
  return out;
}
