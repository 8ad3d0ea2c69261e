/**
 * Whole-image prediction and validation metrics for every head.
 * Foreground decision: sigmoid1 p ≥ threshold; softmax2 p(class 1) ≥ threshold (= argmax at 0.5);
 * softmaxN argmax; sigmoidN per channel p ≥ threshold, the first channel above it (else 0).
 */
import * as tf from '@tensorflow/tfjs';
import { Normalization, paddedImage } from '../data/batches';
import { Sample } from '../data/dataset';
import { CompiledLoss } from '../losses/registry';
import { computeMetrics, MaskMetrics } from '../metrics/evaluate';
import { nanMean } from '../metrics/scores';
import { Head, headMode } from '../model/unet';

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

/** The loss target tensor for a head from class-index masks [B, h, w]. */
export function targetTensor(mask: Uint8Array, shape: [number, number, number], head: Head, classes: number): tf.Tensor4D {
  const [b, h, w] = shape;
  if (head === 'sigmoidN') {
    return tf.tidy(
      () => tf.reshape(tf.oneHot(tf.tensor1d(Int32Array.from(mask), 'int32'), classes), [b, h, w, classes]).toFloat() as tf.Tensor4D,
    );
  }
  return tf.tensor4d(Float32Array.from(mask), [b, h, w, 1]);
}

/** Logits of one whole image, cropped back from the padded input: [1, H, W, C]. */
export function predictLogits(model: tf.LayersModel, s: Sample, ctx: PredictContext): tf.Tensor4D {
  return tf.tidy(() => {
    const { x, shape } = paddedImage(s, ctx.channels, ctx.norm, ctx.multiple);
    const logits = model.predict(tf.tensor4d(x, shape)) as tf.Tensor4D;
    return tf.slice(logits, [0, 0, 0, 0], [1, s.height, s.width, -1]);
  });
}

export function decide(logits: tf.Tensor4D, ctx: PredictContext): Prediction {
  const c = logits.shape[3];
  const probs = tf.tidy(() => (ctx.head === 'sigmoid1' || ctx.head === 'sigmoidN' ? tf.sigmoid(logits) : tf.softmax(logits, -1)));
  const p = probs.dataSync() as Float32Array;
  probs.dispose();
  const n = p.length / c;
  const prob = new Float32Array(n);
  const labels = new Uint8Array(n);
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
  return { prob, labels };
}

export interface ValidationResult {
  values: Record<string, number>;
  perImage: { name: string; metrics: Record<string, number> }[];
  predictions: Prediction[];
}

function foregroundMetrics(labels: Uint8Array, gt: Uint8Array, s: Sample, classes: number): MaskMetrics[] {
  const out: MaskMetrics[] = [];
  for (let k = 1; k < Math.max(2, classes); k++) {
    out.push(
      computeMetrics(
        Uint8Array.from(labels, (v) => (v === k ? 1 : 0)),
        Uint8Array.from(gt, (v) => (v === k ? 1 : 0)),
        [s.height, s.width],
      ),
    );
  }
  return out;
}

/** Validation loss and metrics over whole images (means over images; metrics over foreground classes). */
export function validate(
  model: tf.LayersModel,
  samples: readonly Sample[],
  loss: CompiledLoss,
  ctx: PredictContext,
  keep: number,
): ValidationResult {
  const perImage: ValidationResult['perImage'] = [];
  const predictions: Prediction[] = [];
  for (const [index, s] of samples.entries()) {
    const logits = predictLogits(model, s, ctx);
    const lossValue = tf.tidy(() => {
      const target = targetTensor(s.mask, [1, s.height, s.width], ctx.head, ctx.classes);
      return loss.apply({ pred: logits, target, fromLogits: true, mode: headMode(ctx.head) }).dataSync()[0];
    });
    const pred = decide(logits, ctx);
    logits.dispose();
    const perClass = foregroundMetrics(pred.labels, s.mask, s, ctx.classes);
    let wrong = 0;
    for (let i = 0; i < s.mask.length; i++) if (pred.labels[i] !== s.mask[i]) wrong++;
    perImage.push({
      name: s.name,
      metrics: {
        loss: lossValue,
        dice: nanMean(perClass.map((m) => m.dice)),
        iou: nanMean(perClass.map((m) => m.iou)),
        precision: nanMean(perClass.map((m) => m.precision)),
        recall: nanMean(perClass.map((m) => m.recall)),
        pixelError: wrong / s.mask.length,
        hd95: nanMean(perClass.map((m) => m.hd95)),
      },
    });
    if (index < keep) predictions.push(pred);
  }
  const keys = Object.keys(perImage[0]?.metrics ?? {});
  const values = Object.fromEntries(keys.map((k) => [k, nanMean(perImage.map((p) => p.metrics[k]))]));
  return { values, perImage, predictions };
}
