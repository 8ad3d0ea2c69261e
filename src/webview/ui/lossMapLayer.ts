/**
 * The Overlays view's loss map (webview side): colours for each pixel's loss and for dL/dp, their
 * scale, and the errors-by-boundary-distance table that follows the threshold slider.
 */
import { boundaryDistances } from '../../core/common/edt';
import { binErrorsByDistance, DistanceBin } from '../../core/metrics/distanceBins';
import type { LossMapView, OverlayView } from '../contract';
import { el, fmt } from './dom';

/** The 99th percentile of |v| over every layer's values (a few extreme pixels do not wash out the map). */
export function robustScale(arrays: readonly (readonly number[])[]): number {
  const all = arrays.flatMap((a) => a.filter(Number.isFinite).map(Math.abs)).sort((x, y) => x - y);
  if (all.length === 0) return 1;
  const v = all[Math.min(all.length - 1, Math.floor(0.99 * all.length))];
  return v > 0 ? v : all[all.length - 1] || 1;
}

const RAMP: number[][] = [
  [0, 0, 4],
  [180, 54, 122],
  [252, 253, 191],
];

/** A pixel's loss on a dark → magenta → pale yellow ramp (t = loss / scale, clamped to [0, 1]). */
export function lossColour(t: number): number[] {
  const x = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (RAMP.length - 1);
  const k = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - k;
  return RAMP[k].map((c, i) => Math.round(c + f * (RAMP[k + 1][i] - c)));
}

/** dL/dp: blue where the loss raises p (negative), red where it lowers p; strength |t| in [0, 1]. */
export function gradientColour(t: number): { colour: number[]; strength: number } {
  const s = Math.min(1, Math.abs(Number.isNaN(t) ? 0 : t));
  return { colour: t < 0 ? [40, 90, 240] : [230, 40, 40], strength: s };
}

/** Whether a loss map answers the overlay shown (same runs, same image). */
export function mapFits(map: LossMapView | undefined, o: OverlayView | undefined, loss: string): map is LossMapView {
  return (
    map !== undefined &&
    o?.source !== undefined &&
    map.image === o.source.image &&
    map.loss === loss &&
    map.runIds.join('\n') === o.source.runIds.join('\n') &&
    map.width === o.width &&
    map.height === o.height
  );
}

/** Each pixel's distance to the true boundary of the overlay's ground truth (computed once per overlay). */
export function overlayDistances(o: OverlayView): Float64Array {
  return boundaryDistances(o.gt, [o.height, o.width]);
}

/** FP and FN by distance to the true boundary for each layer at the threshold, as a table. */
export function distanceTable(o: OverlayView, distances: Float64Array, threshold: number): HTMLElement {
  const perLayer: DistanceBin[][] = o.layers.map((l) =>
    binErrorsByDistance(
      distances,
      l.prob.map((p) => (p >= threshold ? 1 : 0)),
      o.gt,
    ),
  );
  const edge = (v: number) => (v === Infinity ? '∞' : String(v));
  const head = el('tr', {}, el('th', {}, 'distance to true boundary (px)'), el('th', {}, 'pixels'));
  for (const l of o.layers) head.append(el('th', {}, `${l.label}: FP / FN (error rate)`));
  const rows = perLayer[0].map((b, k) => {
    const tr = el('tr', {}, el('td', {}, `(${edge(b.from)}, ${edge(b.to)}]`), el('td', {}, String(b.pixels)));
    for (const bins of perLayer) {
      const c = bins[k];
      tr.append(el('td', {}, `${c.falsePositives} / ${c.falseNegatives} (${fmt(c.errorRate, 3)})`));
    }
    return tr;
  });
  return el(
    'details',
    { class: 'chart-table', open: '' },
    el('summary', {}, `Errors by distance to the true boundary at threshold ${threshold.toFixed(2)}`),
    el('table', { class: 'distance-table' }, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
}
