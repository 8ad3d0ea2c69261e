/**
 * Batch normalisation over the last (channel) axis, the U-Net's optional layer between a convolution
 * and its ReLU. Same weights (gamma, beta, moving_mean, moving_variance — the names tfjs-layers'
 * BatchNormalization gives them), defaults (ε = 1e-3, momentum 0.99) and results as that layer:
 *   training:  y = (x − m)·γ/√(v + ε) + β with m, v the batch's per-channel mean and biased variance;
 *              moving ← moving − (moving − batch value)·(1 − momentum), for the mean and the variance;
 *   inference: the same with the moving mean and variance.
 * What differs is the training step's cost. tfjs-layers builds it from moments and batchNorm ops, so its
 * gradient is some twenty element-wise and reduction kernels per layer (a depth 3 / 16 filter / 256²
 * step with batch norm took 1.8× the time of the same step without). Here the training forward and
 * its gradient are one kernel each (tf.customGrad) where the backend has one registered under
 * BATCH_NORM_TRAIN / BATCH_NORM_GRAD (kernels/names.ts; SegLab registers them for wasm); other
 * backends run tfjs's ops, as before.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from '../kernels/names';

export interface BatchNormConfig {
  name?: string;
  trainable?: boolean;
  /** Added to the variance (tfjs-layers' default 1e-3; PyTorch's is 1e-5). */
  epsilon?: number;
  /** Weight of the old moving statistics per training step (tfjs-layers' 0.99; PyTorch's momentum 0.1 is 1 − this). */
  momentum?: number;
}

/** Whether the active backend runs the fused training kernels. */
function fusedKernels(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BATCH_NORM_TRAIN, backend) !== undefined && tf.getKernel(BATCH_NORM_GRAD, backend) !== undefined;
}

/**
 * The training forward on the fused kernels: y, with the batch's mean and variance handed to
 * `onMoments` (kept past this op's scope; the callee disposes them).
 */
function fusedTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onMoments: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, { x: xIn, gamma: gammaIn, beta: betaIn }, { epsilon }) as tf.Tensor[];
    save([xIn, mean, variance, gammaIn]);
    onMoments(tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, m, v, g] = saved;
        return tf
          .engine()
          .runKernel(BATCH_NORM_GRAD, { dy: dy as tf.Tensor, x: xs, mean: m, variance: v, gamma: g }, { epsilon }) as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta);
}

export class BatchNorm extends tf.layers.Layer {
  static readonly className = 'SegLabBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(config: BatchNormConfig = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-3;
    this.momentum = config.momentum ?? 0.99;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`${this.name}: the channel axis of ${JSON.stringify(shape)} must be known`);
    // Created in tfjs-layers' order, so weights and checkpoints line up with its BatchNormalization.
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [gamma, beta] = [this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D];
      if (!kwargs?.training)
        return tf.batchNorm(x, this.movingMean.read() as tf.Tensor1D, this.movingVariance.read() as tf.Tensor1D, beta, gamma, this.epsilon);
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      if (fusedKernels()) {
        let moments: [tf.Tensor1D, tf.Tensor1D] | undefined;
        const y = fusedTraining(x, gamma, beta, this.epsilon, (m, v) => (moments = [m, v]));
        this.updateMoving(...moments!);
        tf.dispose(moments);
        return y;
      }
      const { mean, variance } = tf.moments(x, axes);
      this.updateMoving(mean as tf.Tensor1D, variance as tf.Tensor1D);
      return tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
    });
  }

  /** moving ← moving − (moving − batch value)·(1 − momentum), as tfjs-layers (no gradient flows into it). */
  private updateMoving(mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    tf.tidy(() => {
      for (const [variable, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - this.momentum)));
      }
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}

tf.serialization.registerClass(BatchNorm);
