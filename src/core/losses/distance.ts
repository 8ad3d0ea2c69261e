/**
 * Boundary-based losses: each weighs the prediction by distances to the true (or predicted) object
 * boundary, computed per image on the CPU with the exact Euclidean distance transform
 * (core/common/edt.ts), with no gradient through the distances (as every reference does).
 *
 * - `boundary` (Kervadec et al. 2019, their code's `one_hot2dist`): mean over pixels and foreground
 *   classes of p_c·φ_c, φ the signed distance of the ground truth: d(outside pixel, object) outside,
 *   −(d(inside pixel, background) − 1) inside, so pixels on either side of the boundary get 1 and 0.
 * - `hausdorffDT`, `logHausdorffDT` (Karimi & Salcudean 2019; MONAI `HausdorffDTLoss`,
 *   `LogHausdorffDTLoss`): mean((p − y)²·(d_p^α + d_y^α)), d the distance field (distance to the
 *   other side of the boundary, for every pixel) of the prediction thresholded at 0.5 and of the
 *   target; the log form ln(1 + L).
 * - `distancePenalizedCE` (Caliva et al. 2019): mean((1 + Φ)·CE), Φ per image the inverted distance to
 *   the boundary scaled to [0, 1] on each side of it (SegLoss's `compute_edts_forPenalizedLoss`). SegLoss's own `DisPenalizedCE` computes Φ and then returns the
 *   plain cross-entropy mean: SegLab follows the paper and applies it.
 *
 * A mask with no foreground or no background pixel has no boundary in the image: its maps are 0
 * (MONAI's rule for its field; Kervadec's and SegLoss's code instead take SciPy's distance transform
 * of an all-ones mask there, which measures to a phantom pixel outside the image).
 */
import * as tf from '@tensorflow/tfjs';
import { squaredDistanceTransform } from '../common/edt';
import { targetClassMaps } from './hostTarget';
import { readTidy } from './readback';
import { bceTerms, classTargets, probabilities, selectChannels } from './soft';
import { softmaxCrossEntropyTerms } from './crossEntropy';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE, OptionSpec } from './types';

/** Distances from each pixel to the nearest pixel of the other kind (inside → background, outside → object), or null without a boundary. */
function sideDistances(mask: Uint8Array, shape: [number, number]): { toObject: Float64Array; toBackground: Float64Array } | null {
  let fg = 0;
  for (let i = 0; i < mask.length; i++) fg += mask[i];
  if (fg === 0 || fg === mask.length) return null;
  const inverse = Uint8Array.from(mask, (v) => 1 - v);
  return { toObject: squaredDistanceTransform(mask, shape), toBackground: squaredDistanceTransform(inverse, shape) };
}

/** Kervadec's signed distance φ: outside d(·, object), inside −(d(·, background) − 1); 0 without a boundary. */
export function signedDistanceMap(mask: Uint8Array, shape: [number, number]): Float32Array {
  const out = new Float32Array(mask.length);
  const d = sideDistances(mask, shape);
  if (!d) return out;
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] ? 1 - Math.sqrt(d.toBackground[i]) : Math.sqrt(d.toObject[i]);
  return out;
}

/** MONAI's distance field: every pixel's distance to the other side of the boundary; 0 without a boundary. */
export function distanceField(mask: Uint8Array, shape: [number, number]): Float32Array {
  const out = new Float32Array(mask.length);
  const d = sideDistances(mask, shape);
  if (!d) return out;
  for (let i = 0; i < mask.length; i++) out[i] = Math.sqrt(mask[i] ? d.toBackground[i] : d.toObject[i]);
  return out;
}

/**
 * SegLoss's penalty map Φ: on each side of the boundary, (max d − d) normalised by its own maximum,
 * d the distance to the other side; so 1 on the pixels next to the boundary (d = 1) and 0 on the
 * farthest. A side whose pixels all touch the boundary (a one-pixel-thick object) is 1 throughout
 * (SegLoss divides 0 by 0 there).
 */
export function penaltyMap(mask: Uint8Array, shape: [number, number]): Float32Array {
  const out = new Float32Array(mask.length);
  const d = sideDistances(mask, shape);
  if (!d) return out;
  const dist = Float64Array.from(mask, (m, i) => Math.sqrt(m ? d.toBackground[i] : d.toObject[i]));
  const [max, min] = [
    [0, 0],
    [Infinity, Infinity],
  ];
  for (let i = 0; i < mask.length; i++) {
    max[mask[i]] = Math.max(max[mask[i]], dist[i]);
    min[mask[i]] = Math.min(min[mask[i]], dist[i]);
  }
  for (let i = 0; i < mask.length; i++) {
    const side = mask[i];
    const span = max[side] - min[side];
    out[i] = span > 0 ? (max[side] - dist[i]) / span : 1;
  }
  return out;
}

type MaskMap = (mask: Uint8Array, shape: [number, number]) => Float32Array;

/**
 * A map per image and class channel, [N,H,W,K], from class index maps: channels `first` … C−1, the
 * mask of channel c the pixels of class c (binary mode: C = 1, its one channel the foreground, class 1).
 */
function classChannelMaps(classes: Int32Array, shape: number[], first: number, channels: number, map: MaskMap): tf.Tensor4D {
  const classOf = (c: number) => (channels === 1 ? 1 : c);
  const [n, h, w] = shape;
  const k = channels - first;
  const out = new Float32Array(n * h * w * k);
  for (let i = 0; i < n; i++) {
    const image = classes.subarray(i * h * w, (i + 1) * h * w);
    for (let c = first; c < channels; c++) {
      const m = map(
        Uint8Array.from(image, (v) => (v === classOf(c) ? 1 : 0)),
        [h, w],
      );
      for (let j = 0; j < h * w; j++) out[(i * h * w + j) * k + (c - first)] = m[j];
    }
  }
  return tf.tensor4d(out, [n, h, w, k]);
}

/**
 * The scored channels' probabilities and targets (selectChannels: binary its one channel, multiclass
 * channels 1… unless the background is included), the index of the first one and the channel count.
 */
function scoredChannels(input: LossInput, includeBackground: boolean) {
  const p = selectChannels(probabilities(input), input, includeBackground);
  const y = selectChannels(classTargets(input), input, includeBackground);
  const channels = input.mode === BINARY_MODE ? 1 : input.pred.shape[3];
  return { p, y, channels, first: channels - p.shape[3] };
}

export const boundary = defineLoss({
  name: 'boundary',
  spatial: true,
  summary: 'Boundary loss: mean of p·φ, φ the signed distance to the true boundary (negative inside, positive outside).',
  reference:
    "Kervadec et al. 2019 (MIDL/MedIA), their code's one_hot2dist: φ = d outside, −(d − 1) inside, 0 for a class " +
    "absent from the image; mean over pixels and foreground classes (SegLoss BDLoss with Kervadec's φ).",
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: {},
  fn: (input) => {
    const { p, channels, first } = scoredChannels(input, false);
    const phi = classChannelMaps(targetClassMaps(input, 'boundary'), input.target.shape, first, channels, signedDistanceMap);
    return tf.mean(tf.mul(p, phi)) as tf.Scalar;
  },
});

const hausdorffOptions = {
  alpha: { type: 'number', default: 2, min: 0, description: 'α: the power of the distances' },
  includeBackground: {
    type: 'boolean',
    default: false,
    description: 'multiclass: score the background channel too (MONAI include_background; ignored with one channel, as MONAI warns)',
  },
} as const satisfies Record<string, OptionSpec>;

/** The prediction thresholded at 0.5, as class maps per channel (read from the backend: CPU backends only). */
function predictedMasks(p: tf.Tensor4D, loss: string): Uint8Array {
  if (tf.getBackend() === 'webgpu') {
    throw new Error(
      `${loss} thresholds the prediction on the CPU at every step, which the webgpu backend cannot do synchronously; ` +
        'train it on the wasm or cpu backend',
    );
  }
  return Uint8Array.from(
    readTidy(() => tf.clone(p)),
    (v) => (v > 0.5 ? 1 : 0),
  );
}

/** Distance fields per image of each channel of a {0,1} map [N,H,W,K]. */
function channelFields(masks: Uint8Array, shape: number[]): tf.Tensor4D {
  const [n, h, w, k] = shape;
  const out = new Float32Array(masks.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const m = new Uint8Array(h * w);
      for (let j = 0; j < h * w; j++) m[j] = masks[(i * h * w + j) * k + c];
      const f = distanceField(m, [h, w]);
      for (let j = 0; j < h * w; j++) out[(i * h * w + j) * k + c] = f[j];
    }
  }
  return tf.tensor4d(out, [n, h, w, k]);
}

function hausdorffDTValue(input: LossInput, alpha: number, includeBackground: boolean, loss: string): tf.Scalar {
  const { p, y, first } = scoredChannels(input, includeBackground);
  const dp = channelFields(predictedMasks(p, loss), p.shape);
  const targetMasks = Uint8Array.from(readTargetChannels(input, first, y), (v) => (v > 0.5 ? 1 : 0));
  const dy = channelFields(targetMasks, y.shape);
  const distance = tf.add(tf.pow(dp, alpha), tf.pow(dy, alpha));
  return tf.mean(tf.mul(tf.square(tf.sub(p, y)), distance)) as tf.Scalar;
}

/** The target's scored channels on the host: from the class maps (targetValues or the tensor). */
function readTargetChannels(input: LossInput, first: number, y: tf.Tensor4D): Uint8Array {
  const classes = targetClassMaps(input, 'hausdorffDT');
  const k = y.shape[3];
  const out = new Uint8Array(classes.length * k);
  for (let i = 0; i < classes.length; i++) {
    if (input.mode === BINARY_MODE) out[i] = classes[i];
    else for (let c = 0; c < k; c++) out[i * k + c] = classes[i] === c + first ? 1 : 0;
  }
  return out;
}

export const hausdorffDT = defineLoss({
  name: 'hausdorffDT',
  spatial: true,
  summary: 'Hausdorff distance loss: mean((p − y)²·(d_p^α + d_y^α)), d the distance fields of prediction and target.',
  reference:
    'Karimi & Salcudean 2019 (IEEE TMI); MONAI HausdorffDTLoss (alpha 2, include_background False, reduction mean): ' +
    'd from the prediction thresholded at 0.5 and from the target, per image, no gradient through d. CPU backends only.',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: hausdorffOptions,
  readsPrediction: true,
  fn: (input, o) => hausdorffDTValue(input, o.alpha, o.includeBackground, 'hausdorffDT'),
});

export const logHausdorffDT = defineLoss({
  name: 'logHausdorffDT',
  spatial: true,
  summary: 'ln(1 + hausdorffDT): the Hausdorff distance loss on a log scale.',
  reference: 'MONAI LogHausdorffDTLoss: log(HausdorffDTLoss + 1). CPU backends only.',
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: hausdorffOptions,
  readsPrediction: true,
  fn: (input, o) => tf.log1p(hausdorffDTValue(input, o.alpha, o.includeBackground, 'logHausdorffDT')) as tf.Scalar,
});

/** 1 + Φ per pixel, [N,H,W,1]: the weight distancePenalizedCE puts on each pixel's cross-entropy. */
function penaltyWeight(input: LossInput): tf.Tensor {
  const [n, h, w] = input.target.shape;
  const foreground = Int32Array.from(targetClassMaps(input, 'distancePenalizedCE'), (v) => (v > 0 ? 1 : 0));
  return tf.add(1, classChannelMaps(foreground, [n, h, w], 0, 1, penaltyMap));
}

export const distancePenalizedCE = defineLoss({
  name: 'distancePenalizedCE',
  spatial: true,
  summary: 'Cross-entropy weighted by 1 + Φ, Φ the inverted distance to the true boundary scaled to [0, 1].',
  reference:
    'Caliva et al. 2019 (MIDL): mean((1 + Φ)·CE); Φ as SegLoss compute_edts_forPenalizedLoss, per image, of the foreground ' +
    "(multiclass: every non-background class); SegLoss's DisPenalizedCE never applies Φ (returns the plain mean), SegLab does.",
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: {},
  pixelTerms: (input) => tf.mul(bceTerms(input.pred, input.target, input.fromLogits), penaltyWeight(input)),
  fn: (input) => {
    const weight = penaltyWeight(input);
    if (input.mode === MULTICLASS_MODE) return tf.mean(softmaxCrossEntropyTerms(input, null, 0, weight).loss) as tf.Scalar;
    return tf.mean(tf.mul(bceTerms(input.pred, input.target, input.fromLogits), weight)) as tf.Scalar;
  },
});
