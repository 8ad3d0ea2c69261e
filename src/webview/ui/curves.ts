/** Loss curves: one metric per epoch for the chosen runs, updated in place while runs train. */
import type { RunView } from '../contract';
import { lowerIsBetter } from '../../core/common/metrics';
import { curveMetrics } from './curveMetrics';
import { csv } from '../../core/common/csv';
import { lineChart as svgLineChart } from '../../core/runs/svgCharts';
import { Chart, lineChart, Series } from './chart';
import { Disposables, el, fmt, PALETTE } from './dom';
import { exportButtons, standaloneSvg, svgToPng } from './exporting';
import { emaSmooth } from './smoothing';
import type { View, ViewHost } from './view';

export class CurvesView implements View {
  private metric = 'trainLoss';
  private logScale = false;
  /** EMA weight (0: raw curves only). */
  private smoothing = 0;
  private selected = new Set<string>();
  private chart?: Chart;
  private list?: HTMLElement;

  constructor(private readonly host: ViewHost) {}

  /** Selects these runs (the extension's "show these runs" message). */
  select(runIds: string[]): void {
    this.selected = new Set(runIds);
  }

  render(root: HTMLElement, bag: Disposables): void {
    this.chart = undefined;
    this.list = undefined;
    const runs = this.host.runs();
    if (runs.length === 0) {
      root.append(
        el('p', {}, 'No runs yet. Run an experiment (SegLab: Run Experiment) or a comparison; runs made with the CLI appear here too.'),
      );
      return;
    }
    if (this.selected.size === 0) runs.slice(0, 4).forEach((r) => this.selected.add(r.id));
    const { xs, series } = this.data(runs);
    this.list = this.runList(runs);
    this.chart = lineChart(this.title(), xs, series, { log: this.logScale, xLabel: 'epoch', yLabel: this.title() }, this.host.width(), bag);
    root.append(this.controls(), this.list, this.chart.node, this.exports(runs));
  }

  /** The selected runs' raw values of the shown metric (what exports write; smoothing is a view). */
  private rawSeries(runs: RunView[]): { xs: number[]; series: Series[] } {
    const saved = this.smoothing;
    this.smoothing = 0;
    const raw = this.data(runs);
    this.smoothing = saved;
    return raw;
  }

  private exports(runs: RunView[]): HTMLElement {
    const svg = () => {
      const { xs, series } = this.data(runs);
      const drawn = series.filter((s) => !s.faint && !s.marker);
      return svgLineChart(
        this.title(),
        drawn.map((s) => ({
          label: s.label,
          colour: s.colour,
          dashed: Boolean(s.dash),
          points: xs.map((x, i) => [x, s.values[i]] as [number, number]).filter(([, v]) => v !== null),
        })),
        this.title(),
      ).replace(/^<figure>|<\/figure>$/g, '');
    };
    return exportButtons(this.host, this.title(), {
      png: () => svgToPng(svg()),
      svg: () => standaloneSvg(svg()),
      csv: () => {
        const { xs, series: all } = this.rawSeries(runs);
        const series = all.filter((s) => !s.marker); // the best epoch is a mark on the curve, not a column
        return csv(
          ['epoch', ...series.map((s) => s.label)],
          xs.map((x, i) => [x, ...series.map((s) => s.values[i])]),
        );
      },
    });
  }

  /**
   * New run data while this view is shown: redraws the chart and the run list in place when the
   * same runs are plotted (the controls keep focus while a run trains); false when a full render is needed.
   */
  update(): boolean {
    const runs = this.host.runs();
    if (!this.chart || !this.list) return false;
    const { xs, series } = this.data(runs);
    if (series.map((s) => s.label).join('\n') !== this.chart.labels.join('\n')) return false;
    this.chart.setData(xs, series);
    const list = this.runList(runs);
    this.list.replaceWith(list);
    this.list = list;
    return true;
  }

  private title(): string {
    return curveMetrics(this.host.runs())[this.metric] ?? this.metric;
  }

  private data(runs: RunView[]): { xs: number[]; series: Series[] } {
    const chosen = runs.filter((r) => this.selected.has(r.id));
    const maxEpoch = Math.max(1, ...chosen.flatMap((r) => r.epochs.map((e) => e.epoch)));
    const xs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
    const pick = (e: RunView['epochs'][number]) => (this.metric === 'trainLoss' ? e.trainLoss : (e.val?.[this.metric.slice(4)] ?? null));
    const series = chosen.flatMap((r, i): Series[] => {
      const colour = PALETTE[i % PALETTE.length];
      const values = xs.map((x) => {
        const e = r.epochs.find((p) => p.epoch === x);
        return e ? pick(e) : null;
      });
      const dash = r.head.startsWith('softmax');
      // The best checkpoint's epoch, marked on the raw value there (when the shown metric has one).
      const best =
        r.bestEpoch !== undefined && values[r.bestEpoch - 1] !== null && values[r.bestEpoch - 1] !== undefined
          ? [{ label: `${r.label} best epoch`, colour, values: xs.map((x, j) => (x === r.bestEpoch ? values[j] : null)), marker: true }]
          : [];
      // A pruned run's line stops at its rung: a hollow square at its last value says it was stopped there.
      const lastAt = values.reduce<number>((k, v, j) => (v !== null ? j : k), -1);
      const stop: Series[] =
        r.status === 'pruned' && lastAt >= 0
          ? [
              {
                label: `${r.label} pruned at epoch ${xs[lastAt]}`,
                colour,
                values: xs.map((_, j) => (j === lastAt ? values[j] : null)),
                marker: true,
                stop: true,
              },
            ]
          : [];
      if (this.smoothing === 0) return [{ label: r.label, colour, dash, values }, ...best, ...stop];
      // Smoothed in the run's colour, the raw values faint behind it (as TensorBoard shows them).
      return [
        { label: `${r.label} (raw)`, colour: `${colour}55`, dash, values, faint: true },
        { label: r.label, colour, dash, values: emaSmooth(values, this.smoothing) },
        ...best,
        ...stop,
      ];
    });
    return { xs, series };
  }

  private controls(): HTMLElement {
    const metric = el('select', { 'aria-label': 'metric' });
    for (const [k, label] of Object.entries(curveMetrics(this.host.runs()))) {
      const better = k === 'trainLoss' || lowerIsBetter(k.slice(4)) ? '↓' : '↑';
      metric.append(el('option', k === this.metric ? { value: k, selected: '' } : { value: k }, `${label} ${better}`));
    }
    metric.addEventListener('change', () => {
      this.metric = metric.value;
      this.host.rerender();
    });
    const log = el('input', { type: 'checkbox', id: 'log', ...(this.logScale ? { checked: '' } : {}) });
    log.addEventListener('change', () => {
      this.logScale = log.checked;
      this.host.rerender();
    });
    const smooth = el('input', {
      type: 'range',
      min: '0',
      max: '0.95',
      step: '0.05',
      value: String(this.smoothing),
      id: 'smoothing',
      'aria-label': 'smoothing',
    });
    const smoothLabel = el('output', { for: 'smoothing' }, this.smoothing.toFixed(2));
    smooth.addEventListener('input', () => (smoothLabel.textContent = Number(smooth.value).toFixed(2)));
    smooth.addEventListener('change', () => {
      this.smoothing = Number(smooth.value);
      this.host.rerender();
    });
    return el(
      'div',
      { class: 'controls' },
      el('label', {}, 'Metric ', metric),
      el('label', {}, log, ' log scale'),
      el('label', { title: 'exponential moving average (raw values shown faint)' }, 'Smoothing ', smooth, ' ', smoothLabel),
    );
  }

  /** The runs to tick: runs of no sweep first, then each sweep's runs under its name. */
  private runList(runs: RunView[]): HTMLElement {
    const list = el('fieldset', { class: 'runs' }, el('legend', {}, 'Runs'));
    const groups = new Map<string, HTMLElement>();
    runs.forEach((r, i) => {
      const box = el('input', { type: 'checkbox', id: `run-${i}`, ...(this.selected.has(r.id) ? { checked: '' } : {}) });
      box.addEventListener('change', () => {
        if (box.checked) this.selected.add(r.id);
        else this.selected.delete(r.id);
        this.host.rerender();
      });
      const summary = `${r.status}${r.final?.dice != null ? ` · dice ${fmt(r.final.dice, 3)}` : ''}`;
      const label = el('label', { class: `status-${r.status}` }, box, ` ${r.label} `, el('small', {}, summary));
      const params = Object.entries(r.params ?? {}).map(([k, v]) => `${k} ${v}`);
      if (params.length) label.append(el('br'), el('small', { class: 'run-params' }, params.join(' · ')));
      if (r.problem) label.append(el('small', { class: 'run-problem', title: r.problem }, ` ⚠ ${r.problem}`));
      if (!r.group) {
        list.append(label);
        return;
      }
      let group = groups.get(r.group);
      if (!group) {
        group = el('details', { class: 'run-group', 'data-group': r.group, open: '' }, el('summary', {}, r.group));
        groups.set(r.group, group);
      }
      group.append(label);
    });
    for (const g of groups.values()) list.append(g);
    return list;
  }
}
