/**
 * Evaluation of a folder of predictions against a folder of ground-truth masks, paired by file name,
 * or of a TIFF stack of predictions against a TIFF stack of masks, paired by page.
 * Every file is read and checked before any result is returned, so a bad file stops the whole
 * evaluation with an error naming it.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  ArrayFile,
  ARRAY_EXTENSIONS,
  asBinaryMask,
  binaryPrediction,
  ChannelLayout,
  readArrayFile,
  readArrayStack,
  spatialShape,
} from '../data/arrayFile';
import { isTiff } from '../data/tiff';
import { pairFolders } from '../data/pairs';
import { aggregateMetrics, AggregateMetrics, computeMetrics, MaskMetrics, MetricOptions } from './evaluate';

export interface FolderEvaluationOptions extends MetricOptions {
  /** Ground-truth value that is foreground (default: any non-zero value). */
  foreground?: number;
  /** Where .npy/.npz predictions hold channels when their shape does not say (see predictionChannels). */
  layout?: ChannelLayout;
}

export interface ImageResult extends MaskMetrics {
  name: string;
  pred: string;
  gt: string;
  height: number;
  width: number;
}

export interface FolderEvaluation {
  predDir: string;
  gtDir: string;
  options: FolderEvaluationOptions;
  images: ImageResult[];
  aggregate: AggregateMetrics;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function evaluatePair(name: string, predArray: ArrayFile, gtArray: ArrayFile, options: FolderEvaluationOptions): ImageResult {
  const pred = binaryPrediction(predArray, options.layout, options.fromLogits ?? false);
  const [h, w] = [pred.h, pred.w];
  const [gh, gw] = spatialShape(gtArray);
  if (h !== gh || w !== gw)
    throw new Error(`size mismatch: ${predArray.file} is ${w}×${h} but ${gtArray.file} is ${gw}×${gh} (width×height)`);
  const gt = asBinaryMask(gtArray, options.foreground);
  const metrics = computeMetrics(pred.values, gt, [h, w], options);
  return { name, pred: predArray.file, gt: gtArray.file, height: h, width: w, ...metrics };
}

/** Page i of the prediction stack against page i of the ground-truth stack ("<stack>_p<i>"). */
function evaluateStacks(predFile: string, gtFile: string, options: FolderEvaluationOptions): ImageResult[] {
  for (const f of [predFile, gtFile]) {
    if (!isTiff(f)) throw new Error(`${f}: a file given to eval must be a (multi-page) TIFF stack; otherwise give folders`);
  }
  const preds = readArrayStack(predFile);
  const gts = readArrayStack(gtFile);
  if (preds.length !== gts.length) {
    throw new Error(
      `${predFile} has ${preds.length} pages but ${gtFile} has ${gts.length}; page i of the predictions pairs with page i of the ground truth`,
    );
  }
  const stem = path.basename(gtFile).replace(/\.tiff?$/i, '');
  const digits = String(gts.length).length;
  return preds.map((p, i) => evaluatePair(`${stem}_p${String(i + 1).padStart(digits, '0')}`, p, gts[i], options));
}

export function evaluateFolders(predDir: string, gtDir: string, options: FolderEvaluationOptions = {}): FolderEvaluation {
  const [fileA, fileB] = [isFile(predDir), isFile(gtDir)];
  if (fileA !== fileB) {
    const [file, dir] = fileA ? [predDir, gtDir] : [gtDir, predDir];
    throw new Error(`${file} is a file but ${dir} is not: give two folders (paired by file name) or two TIFF stacks (paired by page)`);
  }
  const images = fileA
    ? evaluateStacks(predDir, gtDir, options)
    : pairFolders(predDir, gtDir, ARRAY_EXTENSIONS, { a: 'prediction', b: 'ground-truth' }).map(({ name, a, b }) =>
        evaluatePair(name, readArrayFile(a), readArrayFile(b), options),
      );
  return { predDir, gtDir, options, images, aggregate: aggregateMetrics(images, options.empty) };
}
