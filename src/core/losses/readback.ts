import * as tf from '@tensorflow/tfjs';

/**
 * Runs `fn` in a tidy scope and reads its result back. The data is read outside the scope on purpose:
 * `tf.tidy` walks whatever its function returns looking for tensors, and walking a typed array of
 * millions of numbers costs seconds (measured: 2 M floats, 0.5–2 s on wasm, against 5 ms to read).
 * A synchronous read: the webgpu backend cannot do one in Node (use `readTidyAsync` there).
 */
export function readTidy<T extends tf.DataType = 'float32'>(fn: () => tf.Tensor): tf.DataTypeMap[T] {
  if (tf.getBackend() === 'webgpu') {
    throw new Error(
      'a synchronous read of a tensor is not possible on the webgpu backend ' +
        'in Node; use the async API (computeLossAsync, lossGradientAsync)',
    );
  }
  const t = tf.tidy(fn);
  try {
    return t.dataSync() as tf.DataTypeMap[T];
  } finally {
    t.dispose();
  }
}

/** `readTidy` with an asynchronous read: works on every backend, WebGPU included. */
export async function readTidyAsync<T extends tf.DataType = 'float32'>(fn: () => tf.Tensor): Promise<tf.DataTypeMap[T]> {
  const t = tf.tidy(fn);
  try {
    return (await t.data()) as tf.DataTypeMap[T];
  } finally {
    t.dispose();
  }
}
