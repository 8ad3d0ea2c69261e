import type * as tf from '@tensorflow/tfjs';

import { LossMode } from '../common/modes';

// The modes live in core/common (the model and the data loaders use them too); re-exported here.
export { BINARY_MODE, LOSS_MODES, MULTICLASS_MODE, MULTILABEL_MODE } from '../common/modes';
export type { LossMode } from '../common/modes';

/**
 * What every loss receives. Layout is NHWC.
 * - binary: `pred` [N,H,W,1], `target` [N,H,W,1] with values in [0,1] (normally {0,1});
 * - multilabel: `pred` and `target` [N,H,W,C], C independent sigmoid channels;
 * - multiclass: `pred` [N,H,W,C] (softmax over C), `target` either [N,H,W,1] class indices or
 *   [N,H,W,C] one-hot (or soft) class probabilities.
 * `fromLogits` says whether `pred` holds logits (sigmoid/softmax applied inside) or probabilities.
 */
export interface LossInput {
  pred: tf.Tensor4D;
  target: tf.Tensor4D;
  fromLogits: boolean;
  mode: LossMode;
  /**
   * The values of `target` on the host, when the caller has them (training batches, files). A loss
   * that computes something from the target on the CPU (the U-Net weight map) reads these instead of
   * the tensor: a GPU backend can only be read asynchronously, and a loss is a synchronous function.
   */
  targetValues?: ArrayLike<number>;
}

export type OptionValue = number | boolean | string | number[] | null;
export type LossOptions = Record<string, OptionValue | Float32Array | undefined>;

export interface OptionSpec {
  type: 'number' | 'boolean' | 'string' | 'number[]' | 'weights';
  default: OptionValue | undefined;
  description: string;
  /** Allowed strings for type 'string'. */
  choices?: readonly string[];
  /** `null` is an accepted value (e.g. focal `alpha: null` disables class weighting). */
  nullable?: boolean;
  /** The value used when the option is not given, where it depends on the mode (then `default` is
   * undefined): e.g. focal alpha 0.25 for binary and multilabel, null for multiclass. */
  defaultByMode?: Partial<Record<LossMode, OptionValue>>;
  min?: number;
  max?: number;
}

/** A registered loss: a function of (prediction, target, options) returning a scalar tensor. */
export interface LossDefinition {
  name: string;
  summary: string;
  /** The formula and the reference implementation it reproduces. */
  reference: string;
  modes: readonly LossMode[];
  options: Record<string, OptionSpec>;
  /** Needs an option without a default (e.g. a weight map) to be applicable. */
  requires?: readonly string[];
  fn: (input: LossInput, options: LossOptions) => tf.Scalar;
}
