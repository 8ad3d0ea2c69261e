/**
 * A sweep's results: a filter box and parallel coordinates whose brushes filter the cells, a metric
 * against metric scatter with the Pareto front, the cells × metrics table (sortable; mean ± std and the
 * 95 % t interval), a chart of one swept key against a metric, the paired verdicts; a cell's row shows
 * its runs in the curves and overlays.
 */
import type { SweepCellView, SweepView } from '../contract';
import { csv, csvNumber } from '../../core/common/csv';
import { formatDuration } from '../../core/common/duration';
import { isMetricKey, lowerIsBetter, metricLabel, METRICS } from '../../core/common/metrics';
import { categoryChart, scatterChart, seriesAlongKey } from '../../core/runs/svgCharts';
import { paretoFront } from '../../core/runs/pareto';
import { dimensions, insideBrushes, parallelCoordinates } from './parallelCoords';
import { Disposables, el, fmt, PALETTE } from './dom';
import { exportButtons, standaloneSvg } from './exporting';
import type { View, ViewHost } from './view';

const digits = (m: string) => (isMetricKey(m) ? METRICS[m].digits : 3);

/** "0.812 ± 0.004" (one seed: the value; none: —), ∞/NaN by name. */
export function meanStd(s: SweepCellView['metrics'][string] | undefined, d: number): string {
  if (!s || s.n === 0) {
    const odd = s?.values.filter((v) => !Number.isFinite(v)) ?? [];
    return odd.length ? odd.map((v) => fmt(v)).join(', ') : '—';
  }
  const core = s.n > 1 ? `${fmt(s.mean, d)} ± ${fmt(s.std, d)}` : fmt(s.mean, d);
  return s.n < s.of ? `${core} (${s.n} of ${s.of})` : core;
}

export class SweepPanel implements View {
  private sweep?: SweepView;
  private sort: { key: string; desc: boolean } = { key: '', desc: true };
  private axis = 0;
  private metric = '';
  /** Text the cells' labels must contain (case-insensitive), and the parallel-coordinates brushes. */
  private filter = '';
  private brushes = new Map<string, [number, number]>();
  private scatter = { x: '', y: '' };

  constructor(private readonly host: ViewHost) {}

  setSweep(sweep: SweepView): void {
    const other = this.sweep?.id !== sweep.id;
    this.sweep = sweep;
    if (other) {
      this.sort = { key: sweep.primaryMetric, desc: !lowerIsBetter(sweep.primaryMetric) };
      this.axis = 0;
      this.metric = sweep.primaryMetric;
      this.filter = '';
      this.brushes = new Map();
      const second = sweep.metrics.find((m) => m === 'hd95') ?? sweep.metrics.find((m) => m !== sweep.primaryMetric) ?? sweep.primaryMetric;
      this.scatter = { x: sweep.primaryMetric, y: second };
    }
  }

  get shown(): SweepView | undefined {
    return this.sweep;
  }

  render(root: HTMLElement, bag: Disposables): void {
    void bag;
    const s = this.sweep;
    if (!s) {
      root.append(el('p', {}, 'No sweep open. Run one (SegLab: Run Sweep…) or click a sweep in the SegLab sidebar.'));
      return;
    }
    root.append(this.header(s), this.tuning(s), this.explore(s), this.table(s), this.chart(s), this.verdicts(s));
  }

  /** The cells the filter box and the brushes let through. */
  private visible(s: SweepView): SweepCellView[] {
    const dims = dimensions(s);
    const text = this.filter.trim().toLowerCase();
    return s.cells.filter((c) => (!text || c.label.toLowerCase().includes(text)) && insideBrushes(c, dims, this.brushes));
  }

  /** Filter box, parallel coordinates (brush to filter) and the metric-against-metric scatter. */
  private explore(s: SweepView): HTMLElement {
    const box = el('input', {
      type: 'search',
      id: 'sweep-filter',
      value: this.filter,
      placeholder: 'filter cells, e.g. softmax2',
      'aria-label': 'filter cells',
    });
    box.addEventListener('input', () => {
      const at = box.selectionStart ?? box.value.length;
      this.filter = box.value;
      this.host.rerender();
      const again = document.getElementById('sweep-filter') as HTMLInputElement | null;
      again?.focus();
      again?.setSelectionRange(at, at);
    });
    const shown = this.visible(s).length;
    const clear = el('button', { type: 'button', id: 'sweep-clear-brushes' }, 'Clear brushes');
    clear.addEventListener('click', () => {
      this.brushes = new Map();
      this.host.rerender();
    });
    if (this.brushes.size === 0) clear.setAttribute('disabled', '');
    const parallel = parallelCoordinates(s, this.host.width(), this.brushes, (next) => {
      this.brushes = next;
      this.host.rerender();
    });
    return el(
      'section',
      { class: 'sweep-explore' },
      el(
        'div',
        { class: 'controls' },
        el('label', {}, 'Filter ', box),
        clear,
        el(
          'span',
          { id: 'sweep-shown' },
          ` ${shown} of ${s.cells.length} cells shown · drag along an axis to brush, double-click it to clear`,
        ),
      ),
      parallel,
      this.scatterChart(s),
    );
  }

  /** One metric against another over the cells shown, the Pareto front marked. */
  private scatterChart(s: SweepView): HTMLElement {
    const menu = (which: 'x' | 'y') => {
      const m = el('select', { 'aria-label': `scatter ${which}` });
      for (const k of s.metrics)
        m.append(el('option', k === this.scatter[which] ? { value: k, selected: '' } : { value: k }, metricLabel(k)));
      m.addEventListener('change', () => {
        this.scatter = { ...this.scatter, [which]: m.value };
        this.host.rerender();
      });
      return m;
    };
    const { x, y } = this.scatter;
    const mean = (c: SweepCellView, m: string) => (c.metrics[m] && c.metrics[m].n > 0 ? c.metrics[m].mean : NaN);
    const cells = this.visible(s);
    const xy = cells.map((c) => ({ x: mean(c, x), y: mean(c, y) }));
    const front = paretoFront(xy, lowerIsBetter(x), lowerIsBetter(y));
    const points = cells.map((c, i) => ({ id: c.id, label: c.label, ...xy[i], front: front[i] }));
    const title = `${metricLabel(y)} against ${metricLabel(x)} (cell means; Pareto front in red)`;
    const svg = scatterChart(title, points, metricLabel(x), metricLabel(y)).replace(/^<figure>|<\/figure>$/g, '');
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const csvText = () =>
      csv(
        ['cell', x, y, 'pareto_front'],
        points.map((p) => [p.label, csvNumber(p.x), csvNumber(p.y), p.front ? 'yes' : 'no']),
      );
    return el(
      'section',
      { class: 'sweep-scatter' },
      el(
        'div',
        { class: 'controls' },
        el('label', {}, 'x ', menu('x')),
        el('label', {}, 'y ', menu('y')),
        exportButtons(this.host, `sweep-${s.name}-${y}-vs-${x}`, { svg: () => standaloneSvg(svg), csv: csvText }),
      ),
      el('figure', { class: 'svg-chart' }, document.importNode(doc.documentElement, true)),
    );
  }

  private header(s: SweepView): HTMLElement {
    const p = s.progress;
    const parts = [`${p.done} of ${p.total} runs done`];
    if (p.running) parts.push(`${p.running} running`);
    if (p.failed) parts.push(`${p.failed} failed`);
    if (p.pruned) parts.push(`${p.pruned} pruned`);
    if (p.cancelled) parts.push(`${p.cancelled} cancelled`);
    if (s.status === 'running' && p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
    const report = el('button', { type: 'button', id: 'sweep-report' }, 'Open report');
    report.addEventListener('click', () => this.host.send({ type: 'openSweepReport' }));
    const bar = el('progress', { max: String(p.total), value: String(p.done + (p.pruned ?? 0)), 'aria-label': 'runs ended' });
    const grid = s.search ?? s.axes.map((a) => `${a.key} ∈ {${a.values.join(', ')}}`).join(' × ');
    return el(
      'div',
      { class: 'sweep-head' },
      el('h2', {}, `Sweep ${s.name} `, el('small', { class: `status-${s.status}` }, s.status)),
      el('p', {}, `${grid} × seeds ${s.seeds.join(', ')}`),
      el('p', { id: 'sweep-progress' }, bar, ` ${parts.join(' · ')}`, s.reason ? ` — ${s.reason}` : ''),
      report,
    );
  }

  /** A tuned sweep's first phase: per cell its tuning runs, epochs spent and the setting chosen; the ASHA rule. */
  private tuning(s: SweepView): HTMLElement {
    const section = el('section', { class: 'sweep-tuning', id: 'sweep-tuning' });
    if (s.prune) section.append(el('p', { id: 'sweep-prune' }, s.prune));
    const t = s.tuning;
    if (!t) return section;
    const table = el(
      'table',
      { class: 'sweep-table' },
      el(
        'tr',
        {},
        ...['cell', 'tuning runs', 'done', 'pruned', 'failed', 'epochs', 'chosen', `${metricLabel(t.metric)} at it`].map((h) =>
          el('th', { scope: 'col' }, h),
        ),
      ),
    );
    for (const c of t.cells)
      table.append(
        el(
          'tr',
          { 'data-tuned': c.label },
          el('th', { scope: 'row' }, c.label),
          ...[c.runs, c.done, c.pruned, c.failed, c.epochs].map((n) => el('td', {}, String(n))),
          el('td', {}, c.chosen ?? '—'),
          el('td', {}, c.value !== undefined ? fmt(c.value, digits(t.metric)) : '—'),
        ),
      );
    const csvText = () =>
      csv(
        ['cell', 'tuning_runs', 'done', 'pruned', 'failed', 'epochs', 'chosen', `${t.metric}_at_chosen`],
        t.cells.map((c) => [c.label, c.runs, c.done, c.pruned, c.failed, c.epochs, c.chosen ?? '', c.value ?? null]),
      );
    section.append(
      el('h3', {}, 'Tuning ', el('small', {}, t.text)),
      exportButtons(this.host, `sweep-${s.name}-tuning`, { csv: csvText }),
      table,
    );
    return section;
  }

  private sortedCells(s: SweepView): { cell: SweepCellView; index: number }[] {
    const rows = s.cells.map((cell, index) => ({ cell, index }));
    const { key, desc } = this.sort;
    const value = (c: SweepCellView): number | string => {
      if (key === 'n') return c.n;
      if (key === 'tuned') return c.tuned ?? '';
      if (key in c.params) return c.params[key];
      const m = c.metrics[key];
      return m && m.n > 0 && Number.isFinite(m.mean) ? m.mean : NaN;
    };
    return rows.sort((a, b) => {
      const [x, y] = [value(a.cell), value(b.cell)];
      if (typeof x === 'string' || typeof y === 'string') return (desc ? -1 : 1) * String(x).localeCompare(String(y));
      // Cells without a value go last whichever the direction.
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      return desc ? y - x : x - y;
    });
  }

  private table(s: SweepView): HTMLElement {
    const columns: { key: string; label: string }[] = [
      ...s.axes.map((a) => ({ key: a.key, label: a.key })),
      ...(s.tuning ? [{ key: 'tuned', label: 'compared at' }] : []),
      { key: 'n', label: 'seeds' },
      ...s.metrics.map((m) => ({ key: m, label: `${metricLabel(m)} ${lowerIsBetter(m) ? '↓' : '↑'}` })),
    ];
    const head = el('tr');
    for (const c of columns) {
      const b = el('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label);
      b.addEventListener('click', () => {
        this.sort =
          this.sort.key === c.key
            ? { key: c.key, desc: !this.sort.desc }
            : { key: c.key, desc: !(c.key in s.cells[0]?.params) && !lowerIsBetter(c.key) };
        this.host.rerender();
      });
      const sorted: Record<string, string> = this.sort.key === c.key ? { 'aria-sort': this.sort.desc ? 'descending' : 'ascending' } : {};
      head.append(el('th', { scope: 'col', ...sorted }, b));
    }
    head.append(el('th', { scope: 'col' }, ''));
    const table = el('table', { class: 'sweep-table' }, head);
    const shown = new Set(this.visible(s).map((c) => c.id));
    for (const { cell, index } of this.sortedCells(s).filter((r) => shown.has(r.cell.id))) {
      const row = el('tr', { 'data-cell': cell.id, ...(cell.id === s.best ? { class: 'best' } : {}) });
      for (const a of s.axes) row.append(el('th', { scope: 'row' }, cell.params[a.key]));
      if (s.tuning) row.append(el('td', { class: 'tuned' }, cell.tuned ?? '—'));
      row.append(el('td', {}, `${cell.n}/${s.seeds.length}`));
      for (const m of s.metrics) {
        const st = cell.metrics[m];
        const td = el('td', st && st.n > 0 ? { 'data-value': String(st.mean) } : {}, meanStd(st, digits(m)));
        if (st && st.low !== undefined && st.high !== undefined)
          td.append(
            el('br'),
            el(
              'small',
              { title: `95 % t interval of the mean${st.clipped ? ', cut at the metric’s range' : ''}` },
              `[${fmt(st.low, digits(m))}, ${fmt(st.high, digits(m))}]${st.clipped ? '✂' : ''}`,
            ),
          );
        td.title = st ? `per seed: ${st.values.map((v) => fmt(v, digits(m))).join(', ') || '—'}` : '';
        row.append(td);
      }
      const open = el(
        'button',
        { type: 'button', class: 'open-cell', title: "Show this cell's runs in the curves and overlays" },
        'Show runs',
      );
      open.addEventListener('click', () => this.host.send({ type: 'openSweepCell', index }));
      if (cell.runIds.length === 0) open.setAttribute('disabled', '');
      row.append(el('td', {}, open));
      table.append(row);
    }
    return el(
      'section',
      { class: 'sweep-results' },
      el(
        'h3',
        {},
        'Results ',
        el(
          'small',
          {},
          s.seeds.length > 1
            ? 'mean ± std over seeds, [95 % t interval]; click a header to sort'
            : 'one seed: single values, no spread — no conclusion about differences',
        ),
      ),
      exportButtons(this.host, `sweep-${s.name}`, { csv: () => this.tableCsv(s) }),
      table,
    );
  }

  /** The results as CSV: per metric mean, std, interval and the per-seed values (;-separated). */
  private tableCsv(s: SweepView): string {
    const header = [
      ...s.axes.map((a) => a.key),
      ...(s.tuning ? ['compared_at'] : []),
      'seeds',
      ...s.metrics.flatMap((m) => [`${m}_mean`, `${m}_std`, `${m}_ci95_low`, `${m}_ci95_high`, `${m}_values`]),
    ];
    const rows = s.cells.map((c) => [
      ...s.axes.map((a) => c.params[a.key]),
      ...(s.tuning ? [c.tuned ?? ''] : []),
      c.n,
      ...s.metrics.flatMap((m) => {
        const st = c.metrics[m];
        return [
          st && st.n > 0 ? st.mean : null,
          st && st.n > 1 ? st.std : null,
          st?.low ?? null,
          st?.high ?? null,
          st ? st.values.map(csvNumber).join(';') : '',
        ];
      }),
    ]);
    return csv(header, rows);
  }

  private chart(s: SweepView): HTMLElement {
    if (s.axes.length === 0) return el('div');
    const axisMenu = el('select', { 'aria-label': 'swept key' });
    s.axes.forEach((a, i) =>
      axisMenu.append(el('option', i === this.axis ? { value: String(i), selected: '' } : { value: String(i) }, a.key)),
    );
    axisMenu.addEventListener('change', () => {
      this.axis = Number(axisMenu.value);
      this.host.rerender();
    });
    const metricMenu = el('select', { 'aria-label': 'chart metric' });
    for (const m of s.metrics)
      metricMenu.append(el('option', m === this.metric ? { value: m, selected: '' } : { value: m }, metricLabel(m)));
    metricMenu.addEventListener('change', () => {
      this.metric = metricMenu.value;
      this.host.rerender();
    });
    const axis = s.axes[Math.min(this.axis, s.axes.length - 1)];
    const series = seriesAlongKey(
      s.cells,
      s.axes.map((a) => a.key),
      axis.key,
      axis.values,
      (c, k) => c.params[k],
      (c) => {
        const st = c.metrics[this.metric];
        return st && st.n > 0 ? { mean: st.mean, low: st.low, high: st.high } : undefined;
      },
      PALETTE,
    );
    const title = `${metricLabel(this.metric)} by ${axis.key} (mean, 95 % t interval)`;
    const svg = categoryChart(title, axis.values, series, metricLabel(this.metric));
    const doc = new DOMParser().parseFromString(svg.replace(/^<figure>|<\/figure>$/g, ''), 'image/svg+xml');
    const node = document.importNode(doc.documentElement, true);
    return el(
      'section',
      { class: 'sweep-chart' },
      el(
        'div',
        { class: 'controls' },
        el('label', {}, 'x ', axisMenu),
        el('label', {}, 'metric ', metricMenu),
        exportButtons(this.host, `sweep-${s.name}-${this.metric}-by-${axis.key}`, {
          svg: () => standaloneSvg(svg.replace(/^<figure>|<\/figure>$/g, '')),
        }),
      ),
      el('figure', { class: 'svg-chart' }, node),
    );
  }

  private verdicts(s: SweepView): HTMLElement {
    const box = el(
      'section',
      { class: 'sweep-verdicts' },
      el(
        'h3',
        {},
        `Paired comparisons on ${metricLabel(s.primaryMetric)} `,
        el('small', {}, 'paired t-test over shared seeds; verdicts on the Holm-adjusted p over these comparisons'),
      ),
    );
    for (const axis of [...new Set(s.verdicts.map((v) => v.axis))]) {
      box.append(el('h4', {}, axis === 'best' ? 'Best cell against the others' : `Along ${axis}`));
      const list = el('ul');
      for (const v of s.verdicts.filter((x) => x.axis === axis)) list.append(el('li', {}, v.text));
      box.append(list);
    }
    return box;
  }
}
