/**
 * Hausdorff distance and its percentile form between mask boundaries, MONAI's convention
 * (monai.metrics.compute_hausdorff_distance): boundary = mask minus its 4-connected binary erosion
 * (outside the image counts as background), Euclidean distances from each boundary pixel of one mask
 * to the nearest boundary pixel of the other, and
 *   HD_q = max(P_q(d(A→B)), P_q(d(B→A)))          (mode 'directed', MONAI)
 *   HD_q = P_q(d(A→B) ∪ d(B→A))                    (mode 'pooled', e.g. MedPy's hd95)
 * P_q the q-th percentile with linear interpolation (numpy's default). q = 100 is the Hausdorff
 * distance. Distances use an exact linear-time EDT, in units of `spacing`.
 * Empty masks: one empty → Infinity; both empty → NaN ('nan', MONAI) or 0 ('zero', scikit-image).
 *
 * From the same boundary distances (`surfaceScores`):
 *   NSD  = (#{d(A→B) ≤ τ} + #{d(B→A) ≤ τ}) / (|∂A| + |∂B|)   normalized surface Dice at tolerance τ
 *          (MONAI compute_surface_dice; one empty boundary → 0, both → NaN, or 1 with 'zero')
 *   ASSD = mean(d(A→B) ∪ d(B→A))                            average symmetric surface distance
 *          (MONAI compute_average_surface_distance, symmetric; one empty → ∞, both → NaN or 0)
 */
import { squaredDistanceTransform } from '../common/edt';

export type HausdorffMode = 'directed' | 'pooled';

export interface HausdorffOptions {
  spacing?: readonly [number, number];
  mode?: HausdorffMode;
  bothEmpty?: 'nan' | 'zero';
}

/** Pixels of the mask whose 4-neighbourhood leaves the mask (or the image). */
export function maskBoundary(mask: ArrayLike<number>, shape: readonly [number, number]): Uint8Array {
  const [h, w] = shape;
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (mask[i] === 0) continue;
      const interior =
        y > 0 && y < h - 1 && x > 0 && x < w - 1 && mask[i - w] !== 0 && mask[i + w] !== 0 && mask[i - 1] !== 0 && mask[i + 1] !== 0;
      if (!interior) out[i] = 1;
    }
  }
  return out;
}

/** numpy.percentile(values, q) with linear interpolation; sorts `values` in place. */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  values.sort();
  const rank = (q / 100) * (values.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return values[lo] + (values[hi] - values[lo]) * (rank - lo);
}

/** Distances from every boundary pixel of `from` to the nearest boundary pixel of `to`. */
function directedDistances(from: Uint8Array, toDistanceSq: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < from.length; i++) n += from[i];
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < from.length; i++) if (from[i]) out[k++] = Math.sqrt(toDistanceSq[i]);
  return out;
}

/** Distances between the two masks' boundaries both ways, or which of them is empty. */
function boundaryDistances(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  spacing: readonly [number, number],
): { ab: Float64Array; ba: Float64Array } | { empty: 'both' | 'one' } {
  const a = maskBoundary(pred, shape);
  const b = maskBoundary(target, shape);
  const aEmpty = !a.some((v) => v);
  const bEmpty = !b.some((v) => v);
  if (aEmpty && bEmpty) return { empty: 'both' };
  if (aEmpty || bEmpty) return { empty: 'one' };
  return {
    ab: directedDistances(a, squaredDistanceTransform(b, shape, spacing)),
    ba: directedDistances(b, squaredDistanceTransform(a, shape, spacing)),
  };
}

export interface SurfaceScores {
  /** HD_q for each requested percentile q. */
  hd: number[];
  /** Normalized surface Dice at the tolerance. */
  nsd: number;
  /** Average symmetric surface distance. */
  assd: number;
}

/** HD_q (each q in `percentiles`), NSD at `tolerance` and ASSD from one pass over the boundaries. */
export function surfaceScores(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  percentiles: readonly number[],
  options: HausdorffOptions & { tolerance?: number } = {},
): SurfaceScores {
  const tolerance = options.tolerance ?? 1;
  const d = boundaryDistances(pred, target, shape, options.spacing ?? [1, 1]);
  if ('empty' in d) {
    const zero = options.bothEmpty === 'zero';
    if (d.empty === 'both') return { hd: percentiles.map(() => (zero ? 0 : NaN)), nsd: zero ? 1 : NaN, assd: zero ? 0 : NaN };
    return { hd: percentiles.map(() => Infinity), nsd: 0, assd: Infinity };
  }
  const { ab, ba } = d;
  let within = 0;
  let sum = 0;
  for (const v of ab) {
    if (v <= tolerance) within++;
    sum += v;
  }
  for (const v of ba) {
    if (v <= tolerance) within++;
    sum += v;
  }
  const total = ab.length + ba.length;
  let hd: number[];
  if (options.mode === 'pooled') {
    const all = new Float64Array(total);
    all.set(ab);
    all.set(ba, ab.length);
    hd = percentiles.map((q) => percentile(all, q));
  } else hd = percentiles.map((q) => Math.max(percentile(ab, q), percentile(ba, q)));
  return { hd, nsd: within / total, assd: sum / total };
}

/** HD_q for each q in `percentiles` (100 = Hausdorff distance). */
export function hausdorffDistances(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  shape: readonly [number, number],
  percentiles: readonly number[],
  options: HausdorffOptions = {},
): number[] {
  return surfaceScores(pred, target, shape, percentiles, options).hd;
}
