/**
 * Metrics of one binary mask pair (`computeMetrics`), of label maps per class
 * (`computeClassMetrics`), and their aggregation over images (`aggregateMetrics`).
 */
import { addCounts, binarize, ConfusionCounts, confusionCounts } from './confusion';
import { HausdorffMode, surfaceScores } from './hausdorff';
import { bettiErrors, regionScores } from './regions';
import { clDiceScore } from './skeleton';
import { EMPTY_CONVENTIONS, EmptyConvention, nanMean, overlapScores, OverlapScores } from './scores';

export interface MetricOptions {
  /** Probability threshold (default 0.5; foreground where p ≥ threshold). */
  threshold?: number;
  /** Predictions are logits: foreground where x ≥ 0. */
  fromLogits?: boolean;
  /** Value of a score whose denominator is 0 (default 'one'). */
  empty?: EmptyConvention;
  /** HD when both masks are empty (default 'nan', MONAI; 'zero' as scikit-image). */
  hdBothEmpty?: 'nan' | 'zero';
  /** 'directed' (default, MONAI: max of directed percentiles) or 'pooled'. */
  hdMode?: HausdorffMode;
  /** Percentile of the `hd95` entry (default 95). */
  hdPercentile?: number;
  /** NSD's tolerance τ in units of `spacing` (default 1: boundary pixels at most one pixel apart count). */
  nsdTolerance?: number;
  /** Pixel size [row, column] for distances (default [1, 1]). */
  spacing?: readonly [number, number];
}

export interface MaskMetrics extends OverlapScores, ConfusionCounts {
  /** Hausdorff distance between the boundaries. */
  hd: number;
  /** The `hdPercentile` (95) percentile Hausdorff distance. */
  hd95: number;
  /** Normalized surface Dice at `nsdTolerance` (MONAI compute_surface_dice). */
  nsd: number;
  /** Average symmetric surface distance (MONAI compute_average_surface_distance, symmetric). */
  assd: number;
  /** ISBI 2012's foreground-restricted Rand score of the regions the foreground separates (regions.ts). */
  vRand: number;
  /** ISBI 2012's foreground-restricted information-theoretic score (regions.ts). */
  vInfo: number;
  /** Shit et al.'s clDice of the Zhang–Suen skeletons (skeleton.ts). */
  clDice: number;
  /** |β0(pred) − β0(truth)|: connected components gained or lost (regions.ts). */
  betti0Error: number;
  /** |β1(pred) − β1(truth)|: holes gained or lost. */
  betti1Error: number;
}

function checkOptions(o: MetricOptions): void {
  if (o.empty !== undefined && !EMPTY_CONVENTIONS.includes(o.empty)) {
    throw new Error(`empty: '${o.empty}' is not one of ${EMPTY_CONVENTIONS.join(', ')}`);
  }
  if (o.threshold !== undefined && !Number.isFinite(o.threshold)) throw new Error(`threshold: ${o.threshold} is not a number`);
  const q = o.hdPercentile ?? 95;
  if (!(q >= 0 && q <= 100)) throw new Error(`hdPercentile: ${q} is not in [0, 100]`);
  const tol = o.nsdTolerance ?? 1;
  if (!(tol >= 0 && Number.isFinite(tol))) throw new Error(`nsdTolerance: ${tol} is not a finite number ≥ 0`);
}

/** A {0,1} mask from a target: foreground where the value is ≥ 0.5 (so 0/1 and 0/255 both work). */
function targetMask(target: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(target.length);
  for (let i = 0; i < target.length; i++) {
    if (Number.isNaN(target[i])) throw new Error(`target value ${i} is NaN`);
    out[i] = target[i] >= 0.5 ? 1 : 0;
  }
  return out;
}

/**
 * All metrics for one binary mask pair. `pred` holds probabilities, logits (`fromLogits`) or a
 * {0,1} mask; `target` a binary mask (non-zero = foreground).
 */
export function computeMetrics(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  options: MetricOptions = {},
): MaskMetrics {
  checkOptions(options);
  const [h, w] = shape;
  if (pred.length !== h * w) throw new Error(`prediction has ${pred.length} pixels, shape ${h}×${w} needs ${h * w}`);
  if (target.length !== h * w) throw new Error(`target has ${target.length} pixels, shape ${h}×${w} needs ${h * w}`);
  const p = binarize(pred, options.threshold ?? 0.5, options.fromLogits ?? false);
  const t = targetMask(target);
  return masksMetrics(p, t, shape, options);
}

function masksMetrics(p: Uint8Array, t: Uint8Array, shape: readonly [number, number], options: MetricOptions): MaskMetrics {
  const counts = confusionCounts(p, t);
  const surface = surfaceScores(p, t, shape, [100, options.hdPercentile ?? 95], {
    spacing: options.spacing,
    mode: options.hdMode,
    bothEmpty: options.hdBothEmpty,
    tolerance: options.nsdTolerance,
  });
  const [hd, hd95] = surface.hd;
  const regions = regionScores(p, t, shape);
  const betti = bettiErrors(p, t, shape);
  const empty = options.empty ?? 'one';
  return {
    ...overlapScores(counts, empty),
    ...counts,
    hd,
    hd95,
    nsd: surface.nsd,
    assd: surface.assd,
    vRand: regions.vRand,
    vInfo: regions.vInfo,
    clDice: clDiceScore(p, t, shape, empty).clDice,
    betti0Error: betti.betti0,
    betti1Error: betti.betti1,
  };
}

/**
 * Metrics per class of two label maps (integer class per pixel), one-vs-rest: class k's masks are
 * the pixels equal to k. Classes from `firstClass` (default 0, i.e. background included) to
 * `numClasses − 1`.
 */
export function computeClassMetrics(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  numClasses: number,
  options: MetricOptions & { firstClass?: number } = {},
): MaskMetrics[] {
  checkOptions(options);
  const [h, w] = shape;
  if (pred.length !== h * w || target.length !== h * w) {
    throw new Error(`label maps have ${pred.length} and ${target.length} pixels, shape ${h}×${w} needs ${h * w}`);
  }
  const out: MaskMetrics[] = [];
  for (let k = options.firstClass ?? 0; k < numClasses; k++) {
    const p = Uint8Array.from(pred as ArrayLike<number>, (v) => (v === k ? 1 : 0));
    const t = Uint8Array.from(target as ArrayLike<number>, (v) => (v === k ? 1 : 0));
    out.push(masksMetrics(p, t, shape, options));
  }
  return out;
}

export interface AggregateMetrics {
  /** Mean over images of each per-image value, NaN values skipped (NaN if all are NaN). */
  mean: Record<(typeof MEAN_KEYS)[number], number>;
  /** Scores of the counts summed over all images (micro average). */
  pooled: OverlapScores & ConfusionCounts;
  images: number;
  /** Per metric, how many images had NaN and were skipped in the mean. */
  skipped: Partial<Record<(typeof MEAN_KEYS)[number], number>>;
}

/** The per-image values that average over images (and, multi-class, over classes). */
export const MEAN_KEYS = [
  'dice',
  'iou',
  'precision',
  'recall',
  'specificity',
  'accuracy',
  'mcc',
  'balancedAccuracy',
  'hd',
  'hd95',
  'nsd',
  'assd',
  'vRand',
  'vInfo',
  'clDice',
  'betti0Error',
  'betti1Error',
] as const;

export function aggregateMetrics(perImage: readonly MaskMetrics[], empty: EmptyConvention = 'one'): AggregateMetrics {
  const mean = {} as AggregateMetrics['mean'];
  const skipped: AggregateMetrics['skipped'] = {};
  for (const key of MEAN_KEYS) {
    const values = perImage.map((m) => m[key]);
    mean[key] = nanMean(values);
    const nans = values.filter((v) => Number.isNaN(v)).length;
    if (nans > 0) skipped[key] = nans;
  }
  const counts = perImage.reduce<ConfusionCounts>((acc, m) => addCounts(acc, m), { tp: 0, fp: 0, fn: 0, tn: 0 });
  return { mean, pooled: { ...overlapScores(counts, empty), ...counts }, images: perImage.length, skipped };
}
