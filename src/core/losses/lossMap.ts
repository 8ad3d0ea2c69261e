/**
 * A loss over one image, pixel by pixel, for the Overlays' loss map and `seglab loss-map`:
 * - `gradient`: ∂L/∂p_i of the loss value L (every loss; negative where the loss pushes p up).
 * - `pixelLoss`: each pixel's term ℓ_i, mean_i ℓ_i = L, where every term of the expression is a mean
 *   of per-pixel terms (the cross-entropy family, focal, hinge, distancePenalizedCE): Σ_t w_t·ℓ_t,i.
 *   Null otherwise — a region (Dice), distance-map or sorted (topK, Lovász) loss has no per-pixel
 *   value, and a transform (log1p, logcosh) of a mean is not a mean — with the reason.
 * Binary mode on foreground probabilities, one image ([1, H, W, 1]).
 */
import * as tf from '@tensorflow/tfjs';
import { ensureSomeBackend } from '../backend/backend';
import { lossInputFromArrays, lossValueAndGradient } from './compute';
import { readTidy } from './readback';
import { compileLoss } from './registry';
import { BINARY_MODE } from './types';

export interface LossMap {
  loss: string;
  value: number;
  gradient: Float32Array;
  pixelLoss: Float32Array | null;
  /** Why `pixelLoss` is null. */
  noPixelLoss?: string;
}

export function lossMap(
  name: string,
  prob: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  options: Record<string, unknown> = {},
): LossMap {
  ensureSomeBackend();
  const data = { pred: prob, target, shape: [1, shape[0], shape[1], 1], mode: BINARY_MODE, fromLogits: false } as const;
  const loss = compileLoss(name, options, BINARY_MODE);
  if (!loss.modes.includes(BINARY_MODE)) {
    throw new Error(
      `loss map: '${name}' has no one-channel form; the map is of the foreground probability — write the loss as for the sigmoid head (bce for crossEntropy)`,
    );
  }
  const { value, gradient } = lossValueAndGradient(name, data, options); // one forward and backward pass
  const without = loss.terms.find((t) => !t.definition.pixelTerms || t.transform);
  if (without) {
    const why = without.transform
      ? `${without.transform}(${without.definition.name}) is not a mean of per-pixel terms`
      : `${without.definition.name} is not a mean of per-pixel terms (its gradient is shown)`;
    return { loss: name, value, gradient, pixelLoss: null, noPixelLoss: why };
  }
  const pixelLoss = readTidy(() => {
    const input = lossInputFromArrays(data);
    const parts = loss.terms.map((t) => tf.mul(t.definition.pixelTerms!(input, t.options), t.weight));
    return parts.length === 1 ? parts[0] : tf.addN(parts);
  });
  return { loss: name, value, gradient, pixelLoss };
}
