/** Evaluation of a folder of predicted masks: aggregate and per-image metrics, sortable. */
import type { EvaluationRow, EvaluationView as Evaluation } from '../contract';
import { lowerIsBetter, metricLabel } from '../../core/common/metrics';
import { csv } from '../../core/common/csv';
import { Disposables, el, fmt } from './dom';
import { exportButtons } from './exporting';
import type { View, ViewHost } from './view';

const KEYS = ['dice', 'iou', 'precision', 'recall', 'hd95'] as const;
type Key = (typeof KEYS)[number];

export class EvaluationView implements View {
  private evaluation?: Evaluation;
  /** Worst Dice first. */
  private sort: { key: Key; ascending: boolean } = { key: 'dice', ascending: true };

  constructor(private readonly host: ViewHost) {}

  setEvaluation(e: Evaluation): void {
    this.evaluation = e;
    this.sort = { key: 'dice', ascending: true };
  }

  render(root: HTMLElement, _bag: Disposables): void {
    const e = this.evaluation;
    if (!e) {
      root.append(
        el('p', {}, 'Right-click a folder of predicted masks in the Explorer and choose "SegLab: Evaluate Predictions Against…".'),
      );
      return;
    }
    root.append(el('p', {}, `${e.images.length} images · predictions ${e.predDir} · ground truth ${e.gtDir}`));
    const agg = el('table', { class: 'agg' }, el('tr', {}, el('th', {}, ''), ...KEYS.map((k) => el('th', {}, metricLabel(k)))));
    agg.append(el('tr', {}, el('th', {}, 'mean'), ...KEYS.map((k) => el('td', {}, fmt(e.mean[k])))));
    agg.append(el('tr', {}, el('th', {}, 'pooled'), ...KEYS.map((k) => el('td', {}, k === 'hd95' ? '—' : fmt(e.pooled[k])))));
    const hint = 'Per image (click a column to sort; worst Dice first; click an image for its overlay):';
    root.append(agg, exportButtons(this.host, 'evaluation', { csv: () => evaluationCsv(e) }), el('p', {}, hint), this.perImage(e.images));
  }

  private perImage(images: EvaluationRow[]): HTMLElement {
    const table = el('table', { class: 'per-image' });
    const head = el('tr', {}, el('th', { scope: 'col' }, 'image'));
    for (const k of KEYS) {
      const sorted = this.sort.key === k;
      const arrow = sorted ? (this.sort.ascending ? ' ▲' : ' ▼') : '';
      const b = el(
        'button',
        { 'aria-sort': sorted ? (this.sort.ascending ? 'ascending' : 'descending') : 'none' },
        `${metricLabel(k)}${arrow}`,
      );
      b.addEventListener('click', () => {
        // A new column starts worst first; clicking the sorted column flips it.
        this.sort = { key: k, ascending: sorted ? !this.sort.ascending : !lowerIsBetter(k) };
        this.host.rerender();
      });
      head.append(el('th', { scope: 'col' }, b));
    }
    table.append(head);
    const rows = images.map((r, index) => ({ r, index }));
    const { key, ascending } = this.sort;
    // Missing values (no boundary for HD95, NaN) sort last either way.
    const value = (r: EvaluationRow) => (typeof r[key] === 'number' && !Number.isNaN(r[key]) ? (r[key] as number) : null);
    rows.sort((a, b) => {
      const [x, y] = [value(a.r), value(b.r)];
      if (x === y) return 0;
      if (x === null || y === null) return x === null ? 1 : -1;
      return ascending ? x - y : y - x;
    });
    for (const { r, index } of rows) {
      const name = el('button', { class: 'link' }, r.name);
      name.addEventListener('click', () => {
        this.host.send({ type: 'requestEvaluationOverlay', index });
        this.host.show('overlays');
      });
      table.append(el('tr', {}, el('td', {}, name), ...KEYS.map((k) => el('td', {}, fmt(r[k])))));
    }
    return table;
  }
}

/** Per image, then the mean and pooled rows, as the CLI's `eval --csv` orders them (∞ as inf, missing empty). */
export function evaluationCsv(e: Evaluation): string {
  const rows: (string | number | null)[][] = e.images.map((r) => [r.name, ...KEYS.map((k) => r[k])]);
  rows.push(['mean', ...KEYS.map((k) => e.mean[k] ?? null)]);
  rows.push(['pooled', ...KEYS.map((k) => (k === 'hd95' ? null : (e.pooled[k] ?? null)))]);
  return csv(['image', ...KEYS], rows);
}
