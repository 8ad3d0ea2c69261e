/**
 * Errors split by distance to the true boundary: where a prediction's mistakes lie — on the boundary
 * (a thin structure's width, a border drawn a pixel off) or far from it (a missed object, a spurious
 * blob). A pixel's distance is the Euclidean distance to the nearest pixel of the other true class
 * (foreground pixels to the background, background pixels to the foreground), so pixels touching the
 * boundary are at 1 (or √2 diagonally). With only one class in the truth every distance is ∞ (the
 * last bin). Distances: edt.ts `boundaryDistances`; bins: distanceBins.ts.
 */
import { boundaryDistances } from '../common/edt';
import { BOUNDARY_DISTANCE_EDGES, binErrorsByDistance, DistanceBin } from './distanceBins';

export function errorsByBoundaryDistance(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: readonly [number, number],
  edges: readonly number[] = BOUNDARY_DISTANCE_EDGES,
): DistanceBin[] {
  return binErrorsByDistance(boundaryDistances(truth, shape), pred, truth, edges);
}
