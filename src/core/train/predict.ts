/**
 * Whole-image prediction and validation metrics for every head.
 * Foreground decision: sigmoid1 p ≥ threshold; softmax2 p(class 1) ≥ threshold (= argmax at 0.5);
 * softmaxN argmax; sigmoidN per channel p ≥ threshold, the first channel above it (else 0).
 */
import { mapToBytes } from '../common/arrays';
import * as tf from '@tensorflow/tfjs';
import { Normalization, paddedImage } from '../data/batches';
import { Sample } from '../data/dataset';
import { SampleSeq } from '../data/source';
import { CompiledLoss } from '../losses/registry';
import { addImage, addPixel, brierScore, emptyBins, expectedCalibrationError, mergeBins, ReliabilityBins } from '../metrics/calibration';
import { computeMetrics, MaskMetrics, MEAN_KEYS } from '../metrics/evaluate';
import { nanMean } from '../metrics/scores';
import { Head, headMode } from '../model/unet';
import { slidingWindow, Tiling, WindowLogits } from './tiles';

export interface PredictContext {
  head: Head;
  channels: number;
  classes: number;
  norm: Normalization;
  /** 2^depth: inputs are padded to a multiple of it. */
  multiple: number;
  threshold: number;
}

export interface Prediction {
  /** Foreground probability (binary heads) or max class probability, H·W. */
  prob: Float32Array;
  /** Class per pixel, H·W. */
  labels: Uint8Array;
}

/**
 * The loss target for a head from class-index masks [B, h, w]: the tensor, and its values on the host
 * where the target is the mask itself (losses that read the target, such as the U-Net weight map, use
 * them instead of reading the tensor back from a GPU).
 */
export function lossTarget(
  mask: Uint8Array,
  shape: [number, number, number],
  head: Head,
  classes: number,
): { target: tf.Tensor4D; targetValues?: Float32Array } {
  const [b, h, w] = shape;
  if (head === 'sigmoidN') {
    const target = tf.tidy(
      () => tf.reshape(tf.oneHot(tf.tensor1d(Int32Array.from(mask), 'int32'), classes), [b, h, w, classes]).toFloat() as tf.Tensor4D,
    );
    return { target };
  }
  const targetValues = Float32Array.from(mask);
  return { target: tf.tensor4d(targetValues, [b, h, w, 1]), targetValues };
}

/** Logits of one image in one pass, cropped back from the padded input: [1, H, W, C]. */
function predictWhole(model: tf.LayersModel, s: Pick<Sample, 'height' | 'width' | 'image'>, ctx: PredictContext): tf.Tensor4D {
  return tf.tidy(() => {
    const { x, shape } = paddedImage(s as Sample, ctx.channels, ctx.norm, ctx.multiple);
    const logits = model.predict(tf.tensor4d(x, shape)) as tf.Tensor4D;
    return tf.slice(logits, [0, 0, 0, 0], [1, s.height, s.width, -1]);
  });
}

/** The h×w window of an image at (y0, x0). */
function cropImage(s: Sample, channels: number, y0: number, x0: number, h: number, w: number): Pick<Sample, 'height' | 'width' | 'image'> {
  const image = new Float32Array(h * w * channels);
  for (let y = 0; y < h; y++)
    image.set(s.image.subarray(((y0 + y) * s.width + x0) * channels, ((y0 + y) * s.width + x0 + w) * channels), y * w * channels);
  return { height: h, width: w, image };
}

/**
 * Logits of one whole image: [1, H, W, C]. An image larger than `tiling.tile` on a side is predicted
 * in overlapping windows, blended (tiles.ts); smaller ones in one pass, as before.
 */
export async function predictLogits(model: tf.LayersModel, s: Sample, ctx: PredictContext, tiling?: Tiling): Promise<tf.Tensor4D> {
  if (!tiling || fitsOneWindow(s, ctx, tiling)) return predictWhole(model, s, ctx);
  const blended = await predictLogitsArray(model, s, ctx, tiling);
  return tf.tensor4d(blended.data, [1, s.height, s.width, blended.channels]);
}

function fitsOneWindow(s: Pick<Sample, 'height' | 'width'>, ctx: PredictContext, tiling: Tiling): boolean {
  const padded = (n: number) => Math.ceil(n / ctx.multiple) * ctx.multiple;
  return padded(s.height) <= tiling.tile && padded(s.width) <= tiling.tile;
}

/**
 * predictLogits as a flat H·W·C array (no image-sized tensor stays behind: for `predict` on large images).
 * Reads every window back asynchronously (the only read WebGPU offers in Node).
 */
export async function predictLogitsArray(model: tf.LayersModel, s: Sample, ctx: PredictContext, tiling: Tiling): Promise<WindowLogits> {
  const one = async (sample: Pick<Sample, 'height' | 'width' | 'image'>) => {
    const logits = predictWhole(model, sample, ctx);
    try {
      return { data: (await logits.data()) as Float32Array, channels: logits.shape[3] };
    } finally {
      logits.dispose();
    }
  };
  if (fitsOneWindow(s, ctx, tiling)) return one(s);
  return slidingWindow(s.height, s.width, tiling, (y0, x0, h, w) => one(cropImage(s, ctx.channels, y0, x0, h, w)));
}

/**
 * Sees the probabilities of every channel as they are computed: `probs` holds `count` pixels × `c`
 * channels, from pixel `start` of the image (validation's calibration of multi-class heads).
 */
export type BandVisitor = (probs: Float32Array, c: number, start: number, count: number) => void;

export async function decide(logits: tf.Tensor4D, ctx: PredictContext, visit?: BandVisitor): Promise<Prediction> {
  return decideArray((await logits.data()) as Float32Array, logits.shape[3], ctx, DECIDE_BAND, visit);
}

/** Pixels per band when turning logits into probabilities (bounds the tensors a large image needs). */
const DECIDE_BAND = 1 << 20;

/** `decide` on logits as a flat H·W·C array, in bands of pixels (same tfjs sigmoid/softmax numerics). */
export async function decideArray(
  logits: Float32Array,
  c: number,
  ctx: PredictContext,
  band: number = DECIDE_BAND,
  visit?: BandVisitor,
): Promise<Prediction> {
  const n = logits.length / c;
  const p = new Float32Array(Math.min(n, band) * c);
  const prob = new Float32Array(n);
  const labels = new Uint8Array(n);
  for (let start = 0; start < n; start += band) {
    const count = Math.min(band, n - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor2d(logits.subarray(start * c, (start + count) * c), [count, c]);
      return ctx.head === 'sigmoid1' || ctx.head === 'sigmoidN' ? tf.sigmoid(x) : tf.softmax(x, -1);
    });
    try {
      p.set((await probs.data()) as Float32Array);
    } finally {
      probs.dispose();
    }
    visit?.(p, c, start, count);
    decidePixels(p, c, count, ctx, prob.subarray(start, start + count), labels.subarray(start, start + count));
  }
  return { prob, labels };
}

function decidePixels(p: Float32Array, c: number, n: number, ctx: PredictContext, prob: Float32Array, labels: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    if (ctx.head === 'sigmoid1') {
      prob[i] = p[i];
      labels[i] = p[i] >= ctx.threshold ? 1 : 0;
    } else if (ctx.head === 'softmax2') {
      prob[i] = p[2 * i + 1];
      labels[i] = p[2 * i + 1] >= ctx.threshold ? 1 : 0;
    } else if (ctx.head === 'softmaxN') {
      let best = 0;
      for (let k = 1; k < c; k++) if (p[i * c + k] > p[i * c + best]) best = k;
      labels[i] = best;
      prob[i] = p[i * c + best];
    } else {
      let label = 0;
      for (let k = 1; k < c; k++)
        if (p[i * c + k] >= ctx.threshold) {
          label = k;
          break;
        }
      labels[i] = label;
      prob[i] = label === 0 ? 1 - Math.max(...Array.from({ length: c - 1 }, (_, k) => p[i * c + k + 1])) : p[i * c + label];
    }
  }
}

export interface ValidationResult {
  values: Record<string, number>;
  perImage: { name: string; metrics: Record<string, number> }[];
  predictions: Prediction[];
  /**
   * Every validation pixel's foreground probability against its mask, in reliability bins (pooled over
   * images; multi-class heads: each foreground class one-vs-rest, pooled over the classes).
   */
  reliability: ReliabilityBins;
}

/**
 * Calibration bins of one image per foreground class: binary heads from the foreground probability,
 * multi-class heads one-vs-rest from each class's channel (filled by the visitor while deciding).
 */
function imageCalibration(ctx: PredictContext, mask: Uint8Array): { bins: ReliabilityBins[]; visit?: BandVisitor } {
  if (ctx.head === 'sigmoid1' || ctx.head === 'softmax2') return { bins: [emptyBins()] };
  const bins = Array.from({ length: Math.max(1, ctx.classes - 1) }, () => emptyBins());
  const visit: BandVisitor = (probs, c, start, count) => {
    for (let k = 1; k < c; k++) {
      const b = bins[k - 1];
      for (let i = 0; i < count; i++) addPixel(b, probs[i * c + k], mask[start + i] === k ? 1 : 0);
    }
  };
  return { bins, visit };
}

function foregroundMetrics(labels: Uint8Array, gt: Uint8Array, s: Sample, classes: number): MaskMetrics[] {
  const out: MaskMetrics[] = [];
  for (let k = 1; k < Math.max(2, classes); k++) {
    out.push(
      computeMetrics(
        mapToBytes(labels, (v) => (v === k ? 1 : 0)),
        mapToBytes(gt, (v) => (v === k ? 1 : 0)),
        [s.height, s.width],
      ),
    );
  }
  return out;
}

/**
 * The validation metrics computed per foreground class and averaged over the classes of an image: the
 * core's per-image metrics (MEAN_KEYS) but specificity, accuracy and HD (training reports HD95 and
 * pixel error instead).
 */
const PER_CLASS_KEYS = MEAN_KEYS.filter((k) => k !== 'specificity' && k !== 'accuracy' && k !== 'hd');

/** Validation loss and metrics over whole images (means over images; metrics over foreground classes). */
export async function validate(
  model: tf.LayersModel,
  samples: SampleSeq,
  loss: CompiledLoss,
  ctx: PredictContext,
  keep: number,
  tiling?: Tiling,
): Promise<ValidationResult> {
  const perImage: ValidationResult['perImage'] = [];
  const predictions: Prediction[] = [];
  let reliability = emptyBins();
  for (let index = 0; index < samples.length; index++) {
    const s = samples.at(index)!;
    const logits = await predictLogits(model, s, ctx, tiling);
    const lossTensor = tf.tidy(() =>
      loss.apply({
        pred: logits,
        fromLogits: true,
        mode: headMode(ctx.head),
        ...lossTarget(s.mask, [1, s.height, s.width], ctx.head, ctx.classes),
      }),
    );
    let lossValue: number;
    let pred: Prediction;
    const calibration = imageCalibration(ctx, s.mask);
    try {
      lossValue = (await lossTensor.data())[0];
      pred = await decide(logits, ctx, calibration.visit);
    } finally {
      lossTensor.dispose();
      logits.dispose();
    }
    const perClass = foregroundMetrics(pred.labels, s.mask, s, ctx.classes);
    if (!calibration.visit) addImage(calibration.bins[0], pred.prob, s.mask);
    for (const b of calibration.bins) reliability = mergeBins(reliability, b);
    let wrong = 0;
    for (let i = 0; i < s.mask.length; i++) if (pred.labels[i] !== s.mask[i]) wrong++;
    perImage.push({
      name: s.name,
      metrics: {
        loss: lossValue,
        ...Object.fromEntries(PER_CLASS_KEYS.map((k) => [k, nanMean(perClass.map((m) => m[k]))])),
        pixelError: wrong / s.mask.length,
        ece: nanMean(calibration.bins.map(expectedCalibrationError)),
        brier: nanMean(calibration.bins.map(brierScore)),
      },
    });
    if (index < keep) predictions.push(pred);
  }
  const keys = Object.keys(perImage[0]?.metrics ?? {});
  const values = Object.fromEntries(keys.map((k) => [k, nanMean(perImage.map((p) => p.metrics[k]))]));
  return { values, perImage, predictions, reliability };
}
