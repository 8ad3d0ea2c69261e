/**
 * Charts as inline SVG strings: epoch curves (`lineChart`) and points with intervals over categories
 * (`categoryChart`). No imports, so the HTML reports and the webview (which exports them as SVG)
 * draw the same charts.
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
