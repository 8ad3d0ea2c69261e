/**
 * Line charts (uPlot) with their data as a table: the canvas for the eye, the table for screen
 * readers, copy-paste and tests (each cell holds the exact value in `data-value`).
 */
import uPlot from 'uplot';
import { Disposables, el, fmt, themeColour } from './dom';

export interface Series {
  label: string;
  values: (number | null)[];
  colour: string;
  dash?: boolean;
  /** Drawn thin behind the others (raw values under a smoothed curve). */
  faint?: boolean;
  /** Drawn as marks, not a line (a run's best epoch). */
  marker?: boolean;
  /** With marker: a hollow square, where a pruned run's line stops. */
  stop?: boolean;
}

export interface ChartOptions {
  log?: boolean;
  xLabel: string;
  yLabel: string;
}

export interface Chart {
  node: HTMLElement;
  /** Same series (labels, colours) with new values: redraws in place, keeps the DOM. */
  setData(xs: number[], series: Series[]): void;
  /** The labels the chart was built with (a different set needs a new chart). */
  labels: string[];
}

function plotted(xs: number[], series: Series[], log: boolean | undefined): uPlot.AlignedData {
  // uPlot draws numbers only: ±∞, NaN and (on a log scale) values ≤ 0 are gaps; the table keeps them.
  const ys = series.map((s) => s.values.map((v) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v)));
  return [xs, ...ys] as uPlot.AlignedData;
}

function dataTable(title: string, xLabel: string, xs: number[], series: Series[]): HTMLElement {
  const table = el(
    'table',
    { class: 'chart-data' },
    el('tr', {}, el('th', { scope: 'col' }, xLabel), ...series.map((s) => el('th', { scope: 'col' }, s.label))),
  );
  const digits = xs.some((x) => !Number.isInteger(x)) ? 3 : 0;
  xs.forEach((x, i) => {
    const cells = series.map((s) => {
      const v = s.values[i];
      return el('td', v === null ? {} : { 'data-value': String(v) }, fmt(v));
    });
    table.append(el('tr', {}, el('th', { scope: 'row' }, x.toFixed(digits)), ...cells));
  });
  return el('details', { class: 'chart-table' }, el('summary', {}, `Data: ${title}`), table);
}

/** A chart sized to `width`; destroyed with `bag`. */
export function lineChart(title: string, xs: number[], series: Series[], opts: ChartOptions, width: number, bag: Disposables): Chart {
  const box = el('div', { class: 'chart', 'aria-label': title });
  const fg = themeColour('--vscode-foreground', '#888');
  const grid = themeColour('--vscode-editorWidget-border', '#8884');
  const axis = (label: string, integer: boolean) => ({
    label,
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
  });
  const plot = new uPlot(
    {
      title,
      width: Math.max(320, Math.min(900, width - 24)),
      height: 280,
      scales: { x: { time: false }, y: { distr: opts.log ? 3 : 1 } },
      axes: [axis(opts.xLabel, opts.xLabel === 'epoch'), axis(opts.yLabel, false)],
      series: [
        { label: opts.xLabel },
        ...series.map((s) =>
          s.marker
            ? {
                label: s.label,
                stroke: s.colour,
                width: 2,
                paths: () => null,
                points: s.stop
                  ? { show: true, size: 13, width: 3, stroke: s.colour, fill: themeColour('--vscode-editor-background', '#fff') }
                  : { show: true, size: 11, fill: s.colour },
              }
            : {
                label: s.label,
                stroke: s.colour,
                width: s.faint ? 1 : 2,
                dash: s.dash ? [6, 4] : undefined,
                spanGaps: true,
              },
        ),
      ],
    },
    plotted(xs, series, opts.log),
    box,
  );
  bag.add(() => plot.destroy());
  let table = dataTable(title, opts.xLabel, xs, series);
  box.append(table);
  return {
    node: box,
    labels: series.map((s) => s.label),
    setData(newXs, newSeries) {
      plot.setData(plotted(newXs, newSeries, opts.log));
      const open = (table as HTMLDetailsElement).open;
      const next = dataTable(title, opts.xLabel, newXs, newSeries);
      (next as HTMLDetailsElement).open = open;
      table.replaceWith(next);
      table = next;
    },
  };
}
