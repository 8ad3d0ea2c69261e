/**
 * Parallel coordinates for a sweep: a vertical axis per swept key (its values in order; numbers on a
 * linear scale) and per metric (cell means, min to max), a line per cell. Dragging along an axis brushes
 * a range of it; cells outside any brush are filtered out of the view (the table, the scatter).
 * Double-click an axis to clear its brush. Brushes are kept as fractions of the axis height, so they
 * survive a re-render; each brushed axis says its range in data units (`data-lo`, `data-hi`).
 */
import type { SweepCellView, SweepView } from '../contract';
import { lowerIsBetter, metricLabel } from '../../core/common/metrics';
import { el, fmt } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
const H = 240;
const TOP = 36;
const BOTTOM = 28;

/** One axis: where each cell sits on it, in [0, 1] from the bottom (NaN: no value), and how to read a fraction back. */
export interface Dimension {
  key: string;
  label: string;
  position: (c: SweepCellView) => number;
  /** The value at a fraction of the axis (numeric axes), for the brush's data range. */
  valueAt?: (t: number) => number;
  ticks: { t: number; text: string }[];
}

function numericAxis(
  key: string,
  label: string,
  values: (c: SweepCellView) => number,
  cells: readonly SweepCellView[],
  flip: boolean,
): Dimension {
  const vs = cells.map(values).filter(Number.isFinite);
  let [lo, hi] = vs.length ? [Math.min(...vs), Math.max(...vs)] : [0, 1];
  if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
  const t = (v: number) => (Number.isFinite(v) ? (v - lo) / (hi - lo) : NaN);
  // lower-is-better metrics upside down: better is always up
  return {
    key,
    label,
    position: (c) => (flip ? 1 - t(values(c)) : t(values(c))),
    valueAt: (f) => lo + (flip ? 1 - f : f) * (hi - lo),
    ticks: [0, 0.5, 1].map((f) => ({ t: f, text: fmt(lo + (flip ? 1 - f : f) * (hi - lo), 3) })),
  };
}

/** The axes of a sweep: swept keys first, then the metrics of its table. */
export function dimensions(s: SweepView): Dimension[] {
  const keys = s.axes.map((a): Dimension => {
    const numbers = a.values.map(Number);
    if (a.values.length > 1 && numbers.every(Number.isFinite)) {
      return numericAxis(a.key, a.key, (c) => Number(c.params[a.key]), s.cells, false);
    }
    const n = Math.max(1, a.values.length - 1);
    return {
      key: a.key,
      label: a.key,
      position: (c) => (a.values.length === 1 ? 0.5 : a.values.indexOf(c.params[a.key]) / n),
      ticks: a.values.map((v, i) => ({ t: a.values.length === 1 ? 0.5 : i / n, text: v })),
    };
  });
  const metrics = s.metrics.map((m) =>
    numericAxis(
      m,
      `${metricLabel(m)} ${lowerIsBetter(m) ? '↓' : '↑'}`,
      (c) => (c.metrics[m] && c.metrics[m].n > 0 ? c.metrics[m].mean : NaN),
      s.cells,
      lowerIsBetter(m),
    ),
  );
  return [...keys, ...metrics];
}

/** Whether a cell lies inside every brush (a cell without a value on a brushed axis does not). */
export function insideBrushes(c: SweepCellView, dims: readonly Dimension[], brushes: ReadonlyMap<string, [number, number]>): boolean {
  for (const d of dims) {
    const b = brushes.get(d.key);
    if (!b) continue;
    const t = d.position(c);
    if (!(t >= b[0] - 1e-9 && t <= b[1] + 1e-9)) return false;
  }
  return true;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** The chart, drawn for `width`; `onBrush` gets the new brushes after a drag or a double-click. */
export function parallelCoordinates(
  s: SweepView,
  width: number,
  brushes: ReadonlyMap<string, [number, number]>,
  onBrush: (next: Map<string, [number, number]>) => void,
): HTMLElement {
  const dims = dimensions(s);
  const W = Math.max(360, Math.min(width, 160 * dims.length));
  const x = (i: number) => 40 + (i * (W - 80)) / Math.max(1, dims.length - 1);
  const y = (t: number) => H - BOTTOM - t * (H - TOP - BOTTOM);
  const svg = node('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    role: 'img',
    'aria-label': 'parallel coordinates of the sweep',
  });
  for (const c of s.cells) {
    const pts = dims.map((d, i) => [x(i), d.position(c)] as const).filter(([, t]) => Number.isFinite(t));
    const on = insideBrushes(c, dims, brushes);
    const line = node('polyline', {
      points: pts.map(([px, t]) => `${px.toFixed(1)},${y(t).toFixed(1)}`).join(' '),
      fill: 'none',
      stroke: on ? (c.id === s.best ? '#d62728' : '#1f77b4') : '#8884',
      'stroke-width': on ? 1.6 : 1,
      'data-cell': c.id,
    });
    line.append(Object.assign(node('title', {}), { textContent: c.label }));
    svg.append(line);
  }
  dims.forEach((d, i) => svg.append(axis(d, x(i), y, brushes, (b) => onBrush(withBrush(brushes, d.key, b)))));
  return el('figure', { class: 'svg-chart parallel' }, svg as unknown as HTMLElement);
}

function withBrush(
  brushes: ReadonlyMap<string, [number, number]>,
  key: string,
  b: [number, number] | undefined,
): Map<string, [number, number]> {
  const next = new Map(brushes);
  if (b) next.set(key, b);
  else next.delete(key);
  return next;
}

/** One axis with its ticks, label, brush and the drag that sets it. */
function axis(
  d: Dimension,
  px: number,
  y: (t: number) => number,
  brushes: ReadonlyMap<string, [number, number]>,
  set: (b: [number, number] | undefined) => void,
): SVGGElement {
  const g = node('g', { class: 'pc-axis', 'data-axis': d.key });
  g.append(node('line', { x1: px, x2: px, y1: y(0), y2: y(1), stroke: '#888' }));
  for (const t of d.ticks) {
    g.append(node('line', { x1: px - 3, x2: px + 3, y1: y(t.t), y2: y(t.t), stroke: '#888' }));
    g.append(Object.assign(node('text', { x: px + 5, y: y(t.t) + 4 }), { textContent: t.text }));
  }
  g.append(Object.assign(node('text', { x: px, y: TOP - 14, 'text-anchor': 'middle', class: 't' }), { textContent: d.label }));
  const b = brushes.get(d.key);
  if (b) {
    const range = d.valueAt ? [d.valueAt(b[0]), d.valueAt(b[1])].sort((p, q) => p - q) : undefined;
    g.append(
      node('rect', {
        class: 'pc-brush',
        x: px - 7,
        y: y(b[1]),
        width: 14,
        height: Math.max(1, y(b[0]) - y(b[1])),
        fill: '#ff980055',
        stroke: '#ff9800',
        'data-axis': d.key,
        ...(range ? { 'data-lo': range[0], 'data-hi': range[1] } : {}),
      }),
    );
  }
  // The hit area: drag to brush, double-click to clear.
  const hit = node('rect', {
    class: 'pc-hit',
    x: px - 12,
    y: y(1) - 4,
    width: 24,
    height: y(0) - y(1) + 8,
    fill: 'transparent',
    'data-axis': d.key,
  });
  hit.style.cursor = 'ns-resize';
  const frac = (e: PointerEvent) => {
    const r = hit.getBoundingClientRect();
    const top = r.top + 4 * (r.height / (y(0) - y(1) + 8));
    const bottom = r.bottom - 4 * (r.height / (y(0) - y(1) + 8));
    return Math.min(1, Math.max(0, (bottom - e.clientY) / (bottom - top)));
  };
  let start: number | undefined;
  hit.addEventListener('pointerdown', (e) => {
    start = frac(e);
    hit.setPointerCapture(e.pointerId);
  });
  hit.addEventListener('pointerup', (e) => {
    if (start === undefined) return;
    const end = frac(e);
    const [lo, hi] = [Math.min(start, end), Math.max(start, end)];
    start = undefined;
    set(hi - lo < 0.01 ? undefined : [lo, hi]);
  });
  hit.addEventListener('dblclick', () => set(undefined));
  g.append(hit);
  return g;
}
