/**
 * The custom tfjs kernels SegLab's layers call (tf.engine().runKernel) where the active backend
 * registers them (kernels/tfjsWasm.ts does for wasm), with tfjs's own ops elsewhere. Names and
 * contracts only: this module imports nothing, so model/ can name a kernel without loading a backend.
 */

/** Batch norm in training: inputs {x, gamma, beta}, attrs {epsilon} → [y, mean, variance] (biased, per channel). */
export const BATCH_NORM_TRAIN = 'SegLabBatchNormTrain';
/** Its gradient: inputs {dy, x, mean, variance, gamma}, attrs {epsilon} → [dx, dgamma, dbeta]. */
export const BATCH_NORM_GRAD = 'SegLabBatchNormGrad';
