/**
 * Evaluation of a folder of predictions against a folder of ground-truth masks, paired by file name.
 * Every file is read and checked before any result is returned, so a bad file stops the whole
 * evaluation with an error naming it.
 */
import { ARRAY_EXTENSIONS, asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../data/arrayFile';
import { pairFolders } from '../data/pairs';
import { aggregateMetrics, AggregateMetrics, computeMetrics, MaskMetrics, MetricOptions } from './evaluate';

export interface FolderEvaluationOptions extends MetricOptions {
  /** Ground-truth value that is foreground (default: any non-zero value). */
  foreground?: number;
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

export function evaluateFolders(predDir: string, gtDir: string, options: FolderEvaluationOptions = {}): FolderEvaluation {
  const pairs = pairFolders(predDir, gtDir, ARRAY_EXTENSIONS, { a: 'prediction', b: 'ground-truth' });
  const images: ImageResult[] = pairs.map(({ name, a, b }) => {
    const predArray = readArrayFile(a);
    const gtArray = readArrayFile(b);
    const [h, w] = spatialShape(predArray);
    const [gh, gw] = spatialShape(gtArray);
    if (h !== gh || w !== gw) throw new Error(`size mismatch: ${a} is ${w}×${h} but ${b} is ${gw}×${gh} (width×height)`);
    const gt = asBinaryMask(gtArray, options.foreground);
    const metrics = computeMetrics(asPredictionValues(predArray), gt, [h, w], options);
    return { name, pred: a, gt: b, height: h, width: w, ...metrics };
  });
  return { predDir, gtDir, options, images, aggregate: aggregateMetrics(images, options.empty) };
}
