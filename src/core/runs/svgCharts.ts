/**
 * Charts as inline SVG strings: epoch curves (`lineChart`), points with intervals over categories
 * (`categoryChart`), one metric against another (`scatterChart`) and reliability diagrams (`reliabilityChart`). No imports, so the HTML reports
 * and the webview (which exports them as SVG) draw the same charts.
 */
export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export interface Series {
  label: string;
  colour: string;
  dashed: boolean;
  points: [number, number][];
}

/** A line chart as inline SVG (linear axes, ticks, legend). */
export function lineChart(title: string, series: Series[], yLabel: string): string {
  const W = 520;
  const H = 260;
  const m = { l: 56, r: 12, t: 28, b: 36 };
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (pts.length === 0) return `<figure><figcaption>${esc(title)}: no data</figcaption></figure>`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  // One epoch: centre its point (± ½ epoch) rather than draw it at the left edge of a made-up range.
  const [x0, x1] = xMax > xMin ? [xMin, xMax] : [xMin - 0.5, xMax + 0.5];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (a: number, b: number, n: number) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);
  const grid = ticks(y0, y1, 4)
    .map(
      (y) =>
        `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(y) + 4}" text-anchor="end">${y.toPrecision(3)}</text>`,
    )
    .join('');
  const xt = [...new Set(ticks(x0, x1, Math.max(1, Math.min(5, Math.round(x1 - x0)))).map(Math.round))]
    .filter((x) => x >= xMin && x <= xMax)
    .map((x) => `<text x="${sx(x)}" y="${H - m.b + 16}" text-anchor="middle">${x}</text>`)
    .join('');
  const lines = series
    .map((s) => {
      const finite = s.points.filter(([, y]) => Number.isFinite(y));
      const d = finite.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      // A marker per point: a one-epoch run (a path of one point draws nothing) still shows its value.
      const dots = finite
        .map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.colour}"/>`)
        .join('');
      return `<g><title>${esc(s.label)}</title><path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>${dots}</g>`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${m.l + 8 + (i % 3) * 150},${m.t + 4 + Math.floor(i / 3) * 14})"><line x2="18" y1="-4" y2="-4" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="22">${esc(s.label)}</text></g>`,
    )
    .join('');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>${grid}${xt}<text x="${W / 2}" y="${H - 4}" text-anchor="middle">epoch</text><text transform="translate(12,${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>${lines}${legend}</svg></figure>`;
}

export interface CategorySeries {
  label: string;
  colour: string;
  /** Per category: mean and its interval (absent: no value). */
  points: ({ mean: number; low?: number; high?: number } | undefined)[];
}

/** Points with error bars over categories (one swept key's values), a series per combination of the other keys. */
export function categoryChart(title: string, categories: string[], series: CategorySeries[], yLabel: string): string {
  const W = 520;
  const H = 260;
  const m = { l: 56, r: 12, t: 28, b: 44 };
  const ys = series.flatMap((s) => s.points.flatMap((p) => (p ? [p.mean, p.low ?? p.mean, p.high ?? p.mean] : []))).filter(Number.isFinite);
  if (ys.length === 0) return `<figure><figcaption>${esc(title)}: no data</figcaption></figure>`;
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  const band = (W - m.l - m.r) / categories.length;
  const sx = (i: number, k: number) =>
    m.l + band * (i + 0.5) + (series.length > 1 ? (k - (series.length - 1) / 2) * Math.min(14, band / (series.length + 1)) : 0);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const grid = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4)
    .map(
      (y) =>
        `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(y) + 4}" text-anchor="end">${y.toPrecision(3)}</text>`,
    )
    .join('');
  const xt = categories
    .map((c, i) => `<text x="${sx(i, (series.length - 1) / 2)}" y="${H - m.b + 16}" text-anchor="middle">${esc(c)}</text>`)
    .join('');
  const marks = series
    .map((s, k) =>
      s.points
        .map((p, i) => {
          if (!p || !Number.isFinite(p.mean)) return '';
          const x = sx(i, k).toFixed(1);
          const bar =
            p.low !== undefined && p.high !== undefined && Number.isFinite(p.low) && Number.isFinite(p.high)
              ? `<line x1="${x}" x2="${x}" y1="${sy(p.low).toFixed(1)}" y2="${sy(p.high).toFixed(1)}" stroke="${s.colour}"/>`
              : '';
          return `${bar}<circle cx="${x}" cy="${sy(p.mean).toFixed(1)}" r="3.5" fill="${s.colour}"><title>${esc(`${s.label}, ${categories[i]}: ${p.mean.toFixed(4)}`)}</title></circle>`;
        })
        .join(''),
    )
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${m.l + 8 + (i % 3) * 150},${m.t + 4 + Math.floor(i / 3) * 14})"><circle cx="6" cy="-4" r="3.5" fill="${s.colour}"/><text x="14">${esc(s.label)}</text></g>`,
    )
    .join('');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>${grid}${xt}<text transform="translate(12,${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>${marks}${legend}</svg></figure>`;
}

/**
 * The series of a "swept key against a metric" chart: cells grouped by their values of the other
 * keys (one series each, labelled by those values), one point per value of `key`. `text` gives a
 * cell's value of a key as shown, `point` its mean and interval (undefined: no result).
 */
export function seriesAlongKey<C>(
  cells: readonly C[],
  keys: readonly string[],
  key: string,
  values: readonly string[],
  text: (cell: C, key: string) => string,
  point: (cell: C) => CategorySeries['points'][number],
  colours: readonly string[],
): CategorySeries[] {
  const others = keys.filter((k) => k !== key);
  const groups = new Map<string, C[]>();
  for (const c of cells) {
    const label = others.map((k) => text(c, k)).join(' · ') || 'all';
    groups.set(label, [...(groups.get(label) ?? []), c]);
  }
  return [...groups.entries()].map(([label, members], i) => ({
    label,
    colour: colours[i % colours.length],
    points: values.map((v) => {
      const cell = members.find((c) => text(c, key) === v);
      return cell === undefined ? undefined : point(cell);
    }),
  }));
}

/** One reliability bin as the chart reads it (metrics/calibration.ts's ReliabilityBar). */
export interface ReliabilityBarInput {
  lo: number;
  hi: number;
  count: number;
  meanProb: number | null;
  fraction: number | null;
}

const fixedOrName = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : Number.isNaN(v) ? 'NaN' : String(v));

/**
 * A reliability diagram: per probability bin, a bar up to the fraction of positive pixels, a dot at
 * (mean probability, fraction), the diagonal of perfect calibration, and under the axis each bin's
 * share of the pixels (square-root scale, so sparse middle bins stay visible). Empty bins draw nothing.
 */
export function reliabilityChart(title: string, colour: string, bars: readonly ReliabilityBarInput[], ece: number, brier: number): string {
  const S = 240;
  const m = { l: 44, r: 16, t: 44, b: 70 };
  const [W, H] = [m.l + S + m.r, m.t + S + m.b];
  const sx = (p: number) => m.l + p * S;
  const sy = (f: number) => m.t + (1 - f) * S;
  const total = bars.reduce((a, b) => a + b.count, 0);
  const maxShare = Math.max(...bars.map((b) => Math.sqrt(b.count / Math.max(1, total))), 1e-9);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${m.l}" x2="${m.l + S}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${v}</text>` +
        `<text x="${sx(v)}" y="${m.t + S + 14}" text-anchor="middle">${v}</text>`,
    )
    .join('');
  const marks = bars
    .map((b) => {
      if (!b.count || b.fraction === null || b.meanProb === null) return '';
      const tip = `${b.lo.toFixed(3)}–${b.hi.toFixed(3)}: ${b.count} pixels, mean probability ${b.meanProb.toFixed(4)}, positives ${b.fraction.toFixed(4)}`;
      const share = (Math.sqrt(b.count / Math.max(1, total)) / maxShare) * 28;
      return (
        `<g><title>${esc(tip)}</title><rect x="${sx(b.lo).toFixed(1)}" y="${sy(b.fraction).toFixed(1)}" width="${(sx(b.hi) - sx(b.lo) - 1).toFixed(1)}" height="${(sy(0) - sy(b.fraction)).toFixed(1)}" fill="${colour}" fill-opacity="0.35" stroke="${colour}"/>` +
        `<circle cx="${sx(b.meanProb).toFixed(1)}" cy="${sy(b.fraction).toFixed(1)}" r="2.5" fill="${colour}"/>` +
        `<rect x="${sx(b.lo).toFixed(1)}" y="${(m.t + S + 50 - share).toFixed(1)}" width="${(sx(b.hi) - sx(b.lo) - 1).toFixed(1)}" height="${share.toFixed(1)}" fill="#999"/></g>`
      );
    })
    .join('');
  const diagonal = `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#555" stroke-dasharray="4 3"><title>perfect calibration</title></line>`;
  const caption = `ECE ${fixedOrName(ece, 4)} · Brier ${fixedOrName(brier, 4)} · ${total} pixels`;
  return (
    `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${title}: ${caption}`)}">` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>${grid}${marks}${diagonal}` +
    `<text x="${m.l + S / 2}" y="${m.t + S + 64}" text-anchor="middle">foreground probability (grey: pixels)</text>` +
    `<text transform="translate(12,${m.t + S / 2}) rotate(-90)" text-anchor="middle">fraction foreground</text>` +
    `<text x="${W / 2}" y="32" text-anchor="middle">${esc(caption)}</text></svg></figure>`
  );
}

export interface ScatterPoint {
  /** The cell id (kept as data-cell on its mark). */
  id: string;
  label: string;
  x: number;
  y: number;
  /** On the Pareto front: drawn larger, joined by the front's line. */
  front: boolean;
}

/**
 * One metric against another, a mark per cell (`data-cell`, `data-x`, `data-y` carry its values), the
 * Pareto front's marks filled and joined. Non-finite points are left out and counted in the caption.
 */
export function scatterChart(title: string, points: readonly ScatterPoint[], xLabel: string, yLabel: string): string {
  const W = 520;
  const H = 300;
  const m = { l: 60, r: 16, t: 28, b: 44 };
  const shown = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const left = points.length - shown.length;
  if (shown.length === 0) return `<figure><figcaption>${esc(title)}: no cell has both values</figcaption></figure>`;
  const range = (vs: number[]) => {
    let [a, b] = [Math.min(...vs), Math.max(...vs)];
    if (b - a < 1e-12) [a, b] = [a - 0.5, b + 0.5];
    const pad = (b - a) * 0.08;
    return [a - pad, b + pad];
  };
  const [x0, x1] = range(shown.map((p) => p.x));
  const [y0, y1] = range(shown.map((p) => p.y));
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const grid =
    ticks(y0, y1)
      .map(
        (y) =>
          `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(y) + 4}" text-anchor="end">${y.toPrecision(3)}</text>`,
      )
      .join('') +
    ticks(x0, x1)
      .map((x) => `<text x="${sx(x)}" y="${H - m.b + 16}" text-anchor="middle">${x.toPrecision(3)}</text>`)
      .join('');
  const front = shown
    .filter((p) => p.front)
    .sort((a, b) => a.x - b.x)
    .map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
    .join(' ');
  const line = front ? `<polyline points="${front}" fill="none" stroke="#d62728" stroke-dasharray="4 3"/>` : '';
  const marks = shown
    .map(
      (p) =>
        `<circle data-cell="${esc(p.id)}" data-x="${p.x}" data-y="${p.y}" data-front="${p.front}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${p.front ? 5 : 3.5}" fill="${p.front ? '#d62728' : 'none'}" stroke="${p.front ? '#d62728' : '#1f77b4'}"><title>${esc(`${p.label}: ${p.x.toPrecision(4)}, ${p.y.toPrecision(4)}${p.front ? ' (Pareto front)' : ''}`)}</title></circle>`,
    )
    .join('');
  const note = left ? `<text x="${W - m.r}" y="${m.t + 4}" text-anchor="end">${left} cell(s) without both values not drawn</text>` : '';
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>${grid}<text x="${W / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text><text transform="translate(12,${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>${line}${marks}${note}</svg></figure>`;
}
