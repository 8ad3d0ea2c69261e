/**
 * Errors split by distance to the true boundary (dependency-free: the Overlays webview bins at its own
 * threshold). Bins are (previous edge, edge]; the first starts at 0, the last is (last edge, ∞].
 */
export const BOUNDARY_DISTANCE_EDGES: readonly number[] = [1, 2, 4, 8, 16];

export interface DistanceBin {
  /** Exclusive lower and inclusive upper distance in pixels (0 and ∞ at the ends). */
  from: number;
  to: number;
  pixels: number;
  falsePositives: number;
  falseNegatives: number;
  /** (FP + FN) / pixels; NaN for an empty bin. */
  errorRate: number;
}

/** FP and FN of binary `pred` against binary `truth` (non-zero = foreground), per distance bin. */
export function binErrorsByDistance(
  distances: ArrayLike<number>,
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  edges: readonly number[] = BOUNDARY_DISTANCE_EDGES,
): DistanceBin[] {
  if (!edges.every((e, i) => e > 0 && (i === 0 || e > edges[i - 1]))) throw new Error('distance edges must be positive and increasing');
  const bounds = [0, ...edges, Infinity];
  const bins: DistanceBin[] = bounds.slice(1).map((to, k) => ({
    from: bounds[k],
    to,
    pixels: 0,
    falsePositives: 0,
    falseNegatives: 0,
    errorRate: NaN,
  }));
  for (let i = 0; i < distances.length; i++) {
    let k = 0;
    while (k < edges.length && distances[i] > edges[k]) k++;
    const bin = bins[k];
    bin.pixels++;
    if (pred[i] && !truth[i]) bin.falsePositives++;
    else if (!pred[i] && truth[i]) bin.falseNegatives++;
  }
  for (const b of bins) b.errorRate = b.pixels > 0 ? (b.falsePositives + b.falseNegatives) / b.pixels : NaN;
  return bins;
}
