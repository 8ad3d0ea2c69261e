/**
 * Loss evaluation on plain arrays, for scripts, the CLI and tests: `computeLoss` returns a number,
 * `lossGradient` the gradient with respect to the prediction. Inputs are validated with messages that
 * name the offending value.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureSomeBackend } from '../backend/backend';
import { readTidy, readTidyAsync } from './readback';
import { CheckedLossData, fusedLossValue } from './fused';
import { CompiledLoss, compileLoss } from './registry';
import { crossEntropy } from './crossEntropy';
import { BINARY_MODE, LOSS_MODES, LossInput, LossMode, MULTICLASS_MODE, optionsOf } from './types';

export interface LossData {
  /** Flat NHWC prediction values (logits or probabilities). */
  pred: ArrayLike<number>;
  /** Flat target: NHWC like pred; in multiclass mode N·H·W class indices or N·H·W·C one-hot. */
  target: ArrayLike<number>;
  /** [N, H, W, C] of `pred`. */
  shape: readonly number[];
  /** Default false: `pred` holds probabilities. */
  fromLogits?: boolean;
  /** Default: 'binary' when C = 1, else 'multiclass'. */
  mode?: LossMode;
}

function firstBad(values: ArrayLike<number>, ok: (v: number) => boolean): number {
  for (let i = 0; i < values.length; i++) if (!ok(values[i])) return i;
  return -1;
}

/** The checks on shape, mode and lengths (cheap: no pass over the values). */
export function checkLossShape(data: LossData, ignoreIndex?: number): CheckedLossData {
  const shape = data.shape;
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`shape must be [N, H, W, C] with positive integers, got ${JSON.stringify(shape)}`);
  }
  const [n, h, w, c] = shape;
  const mode = data.mode ?? (c === 1 ? BINARY_MODE : MULTICLASS_MODE);
  if (!LOSS_MODES.includes(mode)) throw new Error(`mode '${mode}' is not one of ${LOSS_MODES.join(', ')}`);
  const fromLogits = data.fromLogits ?? false;
  const size = n * h * w * c;
  if (data.pred.length !== size) throw new Error(`pred has ${data.pred.length} values, shape ${shape.join('×')} needs ${size}`);
  if (mode === BINARY_MODE && c !== 1) throw new Error(`binary mode needs 1 channel, pred has ${c} (use multiclass or multilabel)`);
  if (mode === MULTICLASS_MODE && c < 2) throw new Error('multiclass mode needs at least 2 channels, pred has 1');
  const indexTarget = mode === MULTICLASS_MODE && data.target.length === n * h * w;
  if (!indexTarget && data.target.length !== size) {
    const alt = mode === MULTICLASS_MODE ? ` (or ${n * h * w} class indices)` : '';
    throw new Error(`target has ${data.target.length} values, expected ${size}${alt}`);
  }
  return { pred: data.pred, target: data.target, n, h, w, c, mode, fromLogits, indexTarget, ignoreIndex };
}

/** Checks the arrays and builds the tensors of a LossInput (inside the caller's tidy). */
export function lossInputFromArrays(data: LossData, ignoreIndex?: number): LossInput {
  const { n, h, w, c, mode, fromLogits } = checkLossShape(data, ignoreIndex);
  const badPred = firstBad(data.pred, fromLogits ? Number.isFinite : (v) => v >= 0 && v <= 1);
  if (badPred >= 0) {
    const v = data.pred[badPred];
    const what = Number.isNaN(v) ? 'NaN' : fromLogits ? 'not finite' : 'not a probability in [0, 1] (pass fromLogits for logits)';
    throw new Error(`pred[${badPred}] = ${v} is ${what}`);
  }
  let targetShape: [number, number, number, number] = [n, h, w, c];
  if (mode === MULTICLASS_MODE && data.target.length === n * h * w) {
    targetShape = [n, h, w, 1];
    const bad = firstBad(data.target, (v) => (Number.isInteger(v) && v >= 0 && v < c) || v === ignoreIndex);
    if (bad >= 0) {
      const ignore = ignoreIndex === undefined ? '' : ` or the ignore index ${ignoreIndex}`;
      throw new Error(`target[${bad}] = ${data.target[bad]} is not a class index in [0, ${c - 1}]${ignore}`);
    }
  } else {
    const bad = firstBad(data.target, (v) => v >= 0 && v <= 1);
    if (bad >= 0) throw new Error(`target[${bad}] = ${data.target[bad]} is not in [0, 1]`);
  }
  const targetValues = Float32Array.from(data.target);
  return {
    pred: tf.tensor4d(Float32Array.from(data.pred), [n, h, w, c]),
    target: tf.tensor4d(targetValues, targetShape),
    targetValues,
    fromLogits,
    mode,
  };
}

/** The mode `data` asks for (aliases expand for it), or undefined when its shape is malformed. */
function modeOf(data: LossData): LossMode | undefined {
  const c = data.shape[3];
  return data.mode ?? (c === 1 ? BINARY_MODE : typeof c === 'number' && c > 1 ? MULTICLASS_MODE : undefined);
}

/** The ignore index of the first crossEntropy term (the one loss with the option), resolved with its default. */
export function ignoreIndexOf(loss: CompiledLoss): number | undefined {
  for (const term of loss.terms) {
    const o = optionsOf(term, crossEntropy);
    if (o) return o.ignoreIndex;
  }
  return undefined;
}

/**
 * The value of loss `name` (a registered loss or a compound such as "bce+dice"). Binary and softmax
 * cross-entropy and soft Dice are evaluated by fused kernels (losses/fused.ts) in one pass over the
 * arrays; every other loss, and any input value out of range, goes through the tensor definitions.
 * Synchronous: on the webgpu backend use `computeLossAsync`.
 */
export function computeLoss(name: string, data: LossData, options: Record<string, unknown> = {}): number {
  const loss = compileLoss(name, options, modeOf(data));
  const fused = fusedLossValue(loss, checkLossShape(data, ignoreIndexOf(loss)));
  return fused ?? computeLossWithTensors(loss, data);
}

/** `computeLoss` on any backend, WebGPU included (the tensor path's result is read asynchronously). */
export async function computeLossAsync(name: string, data: LossData, options: Record<string, unknown> = {}): Promise<number> {
  const loss = compileLoss(name, options, modeOf(data));
  const fused = fusedLossValue(loss, checkLossShape(data, ignoreIndexOf(loss)));
  if (fused !== null) return fused;
  ensureSomeBackend();
  return (await readTidyAsync(() => lossTensor(loss, data)))[0];
}

function lossTensor(loss: CompiledLoss, data: LossData): tf.Scalar {
  return loss.apply(lossInputFromArrays(data, ignoreIndexOf(loss)));
}

function gradientTensor(loss: CompiledLoss, data: LossData): tf.Tensor {
  const input = lossInputFromArrays(data, ignoreIndexOf(loss));
  return tf.grad((p: tf.Tensor) => loss.apply({ ...input, pred: p as tf.Tensor4D }))(input.pred);
}

/** The tensor path of computeLoss (tests compare it with the fused one). */
export function computeLossWithTensors(loss: CompiledLoss, data: LossData): number {
  ensureSomeBackend();
  return readTidy(() => lossTensor(loss, data))[0];
}

/** The tensor path on any backend (the WebGPU tests compare it with the references). */
export async function computeLossWithTensorsAsync(loss: CompiledLoss, data: LossData): Promise<number> {
  ensureSomeBackend();
  return (await readTidyAsync(() => lossTensor(loss, data)))[0];
}

/** d loss / d pred, flat NHWC like `data.pred`. */
export function lossGradient(name: string, data: LossData, options: Record<string, unknown> = {}): Float32Array {
  ensureSomeBackend();
  const loss = compileLoss(name, options, modeOf(data));
  return readTidy(() => gradientTensor(loss, data));
}

/** The value (float32, the tensor path) and d loss / d pred in one forward and backward pass. */
export function lossValueAndGradient(
  name: string,
  data: LossData,
  options: Record<string, unknown> = {},
): { value: number; gradient: Float32Array } {
  ensureSomeBackend();
  const loss = compileLoss(name, options, modeOf(data));
  const both = tf.tidy(() => {
    const input = lossInputFromArrays(data, ignoreIndexOf(loss));
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => loss.apply({ ...input, pred: p as tf.Tensor4D }))(input.pred);
    return [value, grad];
  });
  try {
    return { value: both[0].dataSync()[0], gradient: both[1].dataSync() as Float32Array };
  } finally {
    tf.dispose(both);
  }
}

/** `lossGradient` on any backend, WebGPU included. */
export async function lossGradientAsync(name: string, data: LossData, options: Record<string, unknown> = {}): Promise<Float32Array> {
  ensureSomeBackend();
  const loss = compileLoss(name, options, modeOf(data));
  return readTidyAsync(() => gradientTensor(loss, data));
}
