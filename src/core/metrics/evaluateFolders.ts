/**
 * Evaluation of a folder of predictions against a folder of ground-truth masks, paired by file name,
 * or of a TIFF stack of predictions against a TIFF stack of masks, paired by page.
 * Every file is read and checked before any result is returned, so a bad file stops the whole
 * evaluation with an error naming it.
 */
import {
  ArrayFile,
  ARRAY_EXTENSIONS,
  asBinaryMask,
  binaryPrediction,
  checkPredictionValues,
  ChannelLayout,
  predictionChannels,
  readArrayFile,
  readArrayStack,
  spatialShape,
} from '../data/arrayFile';
import { isFile } from '../data/readBytes';
import { isTiff, stackPageName } from '../data/tiff';
import { pairFolders } from '../data/pairs';
import { aggregateMetrics, AggregateMetrics, computeClassMetrics, computeMetrics, MaskMetrics, MEAN_KEYS, MetricOptions } from './evaluate';
import { nanMean } from './scores';

export interface FolderEvaluationOptions extends MetricOptions {
  /** Ground-truth value that is foreground (default: any non-zero value). */
  foreground?: number;
  /** Where .npy/.npz predictions hold channels when their shape does not say (see predictionChannels). */
  layout?: ChannelLayout;
  /**
   * Multi-class evaluation: the class names, index 0 first (background). Ground truth is a label map
   * of indices 0 … K−1; a prediction is a label map or K channels (probabilities or logits, argmax).
   */
  classes?: string[];
}

/** One class of a multi-class image, as a one-vs-rest binary evaluation. */
export interface ClassResult extends MaskMetrics {
  name: string;
}

export interface ImageResult extends MaskMetrics {
  name: string;
  pred: string;
  gt: string;
  height: number;
  width: number;
  /** Multi-class: every class (background first); the image's own scores are their foreground mean. */
  classes?: ClassResult[];
}

export interface FolderEvaluation {
  predDir: string;
  gtDir: string;
  options: FolderEvaluationOptions;
  images: ImageResult[];
  aggregate: AggregateMetrics;
  /** Multi-class: per class over all images (same order as options.classes). */
  perClass?: (AggregateMetrics & { name: string })[];
  /** What the user should know about the inputs, e.g. predictions that look like logits. */
  warnings?: string[];
}

/** A prediction file whose values leave [0, 1] without --from-logits. */
interface OutOfRange {
  file: string;
  min: number;
  max: number;
}

function evaluatePair(
  name: string,
  predArray: ArrayFile,
  gtArray: ArrayFile,
  options: FolderEvaluationOptions,
  ranges: OutOfRange[],
): ImageResult {
  if (options.classes) return evaluateMulticlass(name, predArray, gtArray, options);
  const pred = binaryPrediction(predArray, options.layout, options.fromLogits ?? false);
  if (!options.fromLogits) {
    let [min, max] = [Infinity, -Infinity];
    for (const v of pred.values) [min, max] = [Math.min(min, v), Math.max(max, v)];
    if (min < 0 || max > 1) ranges.push({ file: predArray.file, min, max });
  }
  const [h, w] = [pred.h, pred.w];
  const [gh, gw] = spatialShape(gtArray);
  if (h !== gh || w !== gw)
    throw new Error(`size mismatch: ${predArray.file} is ${w}×${h} but ${gtArray.file} is ${gw}×${gh} (width×height)`);
  const gt = asBinaryMask(gtArray, options.foreground);
  const metrics = computeMetrics(pred.values, gt, [h, w], options);
  return { name, pred: predArray.file, gt: gtArray.file, height: h, width: w, ...metrics };
}

/** An integer label map of K classes from a ground-truth file; other values name the file. */
function labelMap(a: ArrayFile, k: number, what: string): Uint8Array {
  const out = new Uint8Array(a.values.length);
  for (let i = 0; i < a.values.length; i++) {
    const v = a.values[i];
    if (!(Number.isInteger(v) && v >= 0 && v < k)) {
      throw new Error(`${a.file}: ${what} value ${v} at flat index ${i} is not a class index 0…${k - 1}`);
    }
    out[i] = v;
  }
  return out;
}

/** The predicted class per pixel: a label map as stored, or the argmax of K channels. */
function predictedClasses(
  a: ArrayFile,
  k: number,
  layout: ChannelLayout | undefined,
  fromLogits: boolean,
): { h: number; w: number; labels: Uint8Array } {
  const p = predictionChannels(a, layout);
  if (p.c === 1) return { h: p.h, w: p.w, labels: labelMap({ ...a, values: p.values }, k, 'prediction (a one-channel label map)') };
  if (p.c !== k) throw new Error(`${a.file}: ${p.c} channels for ${k} classes; give a label map or one channel per class`);
  checkPredictionValues(a.file, p.values, fromLogits, k); // every channel: a NaN that does not win is still a broken file
  const labels = new Uint8Array(p.h * p.w);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p.values[i * k + c] > p.values[i * k + best]) best = c; // ties: the lower class
    if (Number.isNaN(p.values[i * k + best])) throw new Error(`${a.file}: NaN in predictions at pixel ${i}`);
    labels[i] = best;
  }
  return { h: p.h, w: p.w, labels };
}

function evaluateMulticlass(name: string, predArray: ArrayFile, gtArray: ArrayFile, options: FolderEvaluationOptions): ImageResult {
  const names = options.classes!;
  const k = names.length;
  const pred = predictedClasses(predArray, k, options.layout, options.fromLogits ?? false);
  const [gh, gw] = spatialShape(gtArray);
  if (pred.h !== gh || pred.w !== gw) {
    throw new Error(`size mismatch: ${predArray.file} is ${pred.w}×${pred.h} but ${gtArray.file} is ${gw}×${gh} (width×height)`);
  }
  const gt = labelMap(gtArray, k, 'ground-truth');
  const classes: ClassResult[] = computeClassMetrics(pred.labels, gt, [gh, gw], k, options).map((m, c) => ({ name: names[c], ...m }));
  const fg = classes.slice(1);
  const headline = {} as MaskMetrics;
  for (const key of MEAN_KEYS) headline[key] = nanMean(fg.map((r) => r[key]));
  for (const key of ['tp', 'fp', 'fn', 'tn'] as const) headline[key] = fg.reduce((a, r) => a + r[key], 0);
  return { name, pred: predArray.file, gt: gtArray.file, height: gh, width: gw, ...headline, classes };
}

/** Predictions outside [0, 1] without --from-logits: most likely logits, thresholded as if probabilities. */
function logitsWarning(ranges: OutOfRange[], total: number, threshold: number): string {
  const [min, max] = [Math.min(...ranges.map((r) => r.min)), Math.max(...ranges.map((r) => r.max))];
  return (
    `${ranges.length} of ${total} prediction file(s) hold values outside [0, 1] (from ${min} to ${max}; first ${ranges[0].file}): ` +
    `they look like logits, which --from-logits thresholds at 0; they were thresholded at ${threshold} as probabilities`
  );
}

/** Page i of the prediction stack against page i of the ground-truth stack ("<stack>_p<i>"). */
function evaluateStacks(predFile: string, gtFile: string, options: FolderEvaluationOptions, ranges: OutOfRange[]): ImageResult[] {
  for (const f of [predFile, gtFile]) {
    if (!isTiff(f)) throw new Error(`${f}: a file given to eval must be a (multi-page) TIFF stack; otherwise give folders`);
  }
  const preds = readArrayStack(predFile);
  const gts = readArrayStack(gtFile);
  if (preds.length !== gts.length) {
    throw new Error(
      `${predFile} has ${preds.length} pages but ${gtFile} has ${gts.length}; ` +
        `page i of the predictions pairs with page i of the ground truth`,
    );
  }
  return preds.map((p, i) => evaluatePair(stackPageName(gtFile, i, gts.length), p, gts[i], options, ranges));
}

export function evaluateFolders(predDir: string, gtDir: string, options: FolderEvaluationOptions = {}): FolderEvaluation {
  if (options.classes && (options.classes.length < 2 || options.classes.length > 255)) {
    throw new Error(`classes: ${options.classes.length} given; name 2 to 255 classes, background first`);
  }
  const [fileA, fileB] = [isFile(predDir), isFile(gtDir)];
  if (fileA !== fileB) {
    const [file, dir] = fileA ? [predDir, gtDir] : [gtDir, predDir];
    throw new Error(`${file} is a file but ${dir} is not: give two folders (paired by file name) or two TIFF stacks (paired by page)`);
  }
  const ranges: OutOfRange[] = [];
  const images = fileA
    ? evaluateStacks(predDir, gtDir, options, ranges)
    : pairFolders(predDir, gtDir, ARRAY_EXTENSIONS, { a: 'prediction', b: 'ground-truth' }).map(({ name, a, b }) =>
        evaluatePair(name, readArrayFile(a), readArrayFile(b), options, ranges),
      );
  const result: FolderEvaluation = { predDir, gtDir, options, images, aggregate: aggregateMetrics(images, options.empty) };
  if (ranges.length > 0) result.warnings = [logitsWarning(ranges, images.length, options.threshold ?? 0.5)];
  if (options.classes) {
    result.perClass = options.classes.map((name, c) => ({
      name,
      ...aggregateMetrics(
        images.map((im) => im.classes![c]),
        options.empty,
      ),
    }));
  }
  return result;
}
