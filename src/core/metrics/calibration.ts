/**
 * Calibration of foreground probabilities against binary targets: the reliability diagram, the
 * expected calibration error (ECE) and the Brier score.
 *
 * Bins follow scikit-learn's `calibration_curve(strategy='uniform')`: `n` equal-width bins with edges
 * e_k = k·(1/n) (numpy's linspace), bin 0 = [0, e_1], bin b = (e_b, e_{b+1}]: a probability on an
 * edge belongs to the lower bin. ECE = Σ_b (n_b/N)·|fraction of positives in b − mean probability in b|
 * = Σ_b |Σ_{i∈b} y_i − Σ_{i∈b} p_i| / N (Guo et al. 2017, with the positive-class probability as in
 * torchmetrics' BinaryCalibrationError, not the top-label confidence). Brier = mean (p − y)²
 * (scikit-learn's brier_score_loss). Both are lower-is-better, in [0, 1]; NaN for no pixels or a NaN
 * probability. (No imports: the webview can draw a diagram from the same functions.)
 */

export const DEFAULT_CALIBRATION_BINS = 15;

/** Accumulated pixels per bin; add images into one to pool them (a validation set's diagram). */
export interface ReliabilityBins {
  /** Pixels per bin. */
  count: number[];
  /** Sum of the probabilities per bin. */
  sumProb: number[];
  /** Positives (target 1) per bin. */
  positives: number[];
  /** Σ (p − y)² over every pixel added. */
  squaredError: number;
  /** Pixels added. */
  total: number;
  /** Pixels whose probability was NaN (they make ECE and Brier NaN). */
  nan: number;
}

export function emptyBins(n: number = DEFAULT_CALIBRATION_BINS): ReliabilityBins {
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`calibration bins: ${n} is not an integer in [1, 1000]`);
  return { count: new Array(n).fill(0), sumProb: new Array(n).fill(0), positives: new Array(n).fill(0), squaredError: 0, total: 0, nan: 0 };
}

/** The bin of a probability in [0, 1] (outside: the first or last bin), as numpy's searchsorted on the interior edges. */
export function binOf(p: number, n: number): number {
  const step = 1 / n;
  let b = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  while (b > 0 && !(b * step < p)) b--;
  while (b < n - 1 && (b + 1) * step < p) b++;
  return b;
}

/** Adds one pixel: probability p, target y (0 or 1). */
export function addPixel(bins: ReliabilityBins, p: number, y: number): void {
  bins.total++;
  if (Number.isNaN(p)) {
    bins.nan++;
    return;
  }
  const b = binOf(p, bins.count.length);
  bins.count[b]++;
  bins.sumProb[b] += p;
  bins.positives[b] += y;
  bins.squaredError += (p - y) * (p - y);
}

/** Adds an image: foreground probabilities and a mask (non-zero = foreground). */
export function addImage(bins: ReliabilityBins, prob: ArrayLike<number>, mask: ArrayLike<number>): ReliabilityBins {
  if (prob.length !== mask.length) throw new Error(`calibration: ${prob.length} probabilities for ${mask.length} mask pixels`);
  for (let i = 0; i < prob.length; i++) addPixel(bins, prob[i], mask[i] ? 1 : 0);
  return bins;
}

/** Pools two accumulations of the same bin count. */
export function mergeBins(a: ReliabilityBins, b: ReliabilityBins): ReliabilityBins {
  if (a.count.length !== b.count.length) throw new Error(`calibration: ${a.count.length} bins cannot pool with ${b.count.length}`);
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]);
  return {
    count: add(a.count, b.count),
    sumProb: add(a.sumProb, b.sumProb),
    positives: add(a.positives, b.positives),
    squaredError: a.squaredError + b.squaredError,
    total: a.total + b.total,
    nan: a.nan + b.nan,
  };
}

export function expectedCalibrationError(bins: ReliabilityBins): number {
  if (bins.total === 0 || bins.nan > 0) return NaN;
  let gap = 0;
  for (let b = 0; b < bins.count.length; b++) gap += Math.abs(bins.positives[b] - bins.sumProb[b]);
  return gap / bins.total;
}

export function brierScore(bins: ReliabilityBins): number {
  if (bins.total === 0 || bins.nan > 0) return NaN;
  return bins.squaredError / bins.total;
}

/** One bar of a reliability diagram: the bin's edges, its pixels, mean probability and fraction of positives (null when empty). */
export interface ReliabilityBar {
  lo: number;
  hi: number;
  count: number;
  meanProb: number | null;
  fraction: number | null;
}

/** The diagram's bars (every bin, empty ones with null means) with the ECE and Brier score of the pooled pixels. */
export function reliabilityDiagram(bins: ReliabilityBins): { bars: ReliabilityBar[]; ece: number; brier: number; pixels: number } {
  const n = bins.count.length;
  const bars = bins.count.map((count, b) => ({
    lo: b / n,
    hi: (b + 1) / n,
    count,
    meanProb: count ? bins.sumProb[b] / count : null,
    fraction: count ? bins.positives[b] / count : null,
  }));
  return { bars, ece: expectedCalibrationError(bins), brier: brierScore(bins), pixels: bins.total };
}
