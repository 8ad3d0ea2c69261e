/** The optimizer of a run and its learning-rate schedule. */
import * as tf from '@tensorflow/tfjs';
import { ExperimentConfig } from '../config/config';

/** The config's optimizer (Adam, RMSProp or SGD with momentum) at the initial learning rate. */
export function makeOptimizer(config: Pick<ExperimentConfig, 'optimizer'>): tf.Optimizer {
  const lr = config.optimizer.learningRate;
  if (config.optimizer.name === 'sgd') return tf.train.momentum(lr, config.optimizer.momentum);
  if (config.optimizer.name === 'rmsprop') return tf.train.rmsprop(lr);
  return tf.train.adam(lr);
}

/**
 * The learning rate at a step (0-based) of `total` steps. Cosine follows PyTorch's
 * CosineAnnealingLR (T_max = total, no restarts): η_t = η_min + (η₀ − η_min)·(1 + cos(π t / T)) / 2.
 */
export function learningRateAt(
  optimizer: Pick<ExperimentConfig['optimizer'], 'learningRate' | 'schedule' | 'minLearningRate'>,
  step: number,
  total: number,
): number {
  if (optimizer.schedule !== 'cosine' || total <= 1) return optimizer.learningRate;
  const min = optimizer.minLearningRate ?? 0;
  return min + ((optimizer.learningRate - min) * (1 + Math.cos((Math.PI * Math.min(step, total)) / total))) / 2;
}

/**
 * Sets the learning rate of a tfjs optimizer. Adam and RMSProp read `learningRate` on every update;
 * SGD/momentum keep it as a scalar tensor that `setLearningRate` replaces (and disposes).
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  o.learningRate = lr;
}
