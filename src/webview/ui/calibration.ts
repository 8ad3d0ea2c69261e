/**
 * Calibration: reliability diagrams of chosen runs side by side (sigmoid1 beside softmax2 of one
 * comparison, by default), their ECE and Brier score, exportable as SVG, PNG and CSV.
 */
import type { CalibrationView as Calibration, CalibrationRunView } from '../contract';
import { CALIBRATION_MAX_RUNS } from '../contract';
import { csv } from '../../core/common/csv';
import { reliabilityChart } from '../../core/runs/svgCharts';
import { Disposables, el, fmt, PALETTE } from './dom';
import { exportButtons, standaloneSvg, svgToPng } from './exporting';
import type { View, ViewHost } from './view';

export class CalibrationPanel implements View {
  private calibration?: Calibration;
  /** The runs ticked in the picker (kept across renders). */
  private chosen: string[] = [];
  /** A request that should fill this view without switching to it (see preselect). */
  private quiet = false;

  constructor(private readonly host: ViewHost) {}

  setCalibration(c: Calibration): void {
    this.calibration = c;
  }

  /** Runs selected together (a comparison, a sweep cell): their diagrams are asked for at once, shown when the tab is opened. */
  preselect(runIds: readonly string[]): void {
    const known = new Set(this.host.runs().map((r) => r.id));
    const ids = runIds.filter((id) => known.has(id)).slice(0, CALIBRATION_MAX_RUNS);
    if (ids.length === 0) return;
    this.chosen = ids;
    this.quiet = true;
    this.host.send({ type: 'requestCalibration', runIds: ids });
  }

  /** Whether the diagrams that just arrived answer a preselect (then the current view stays). */
  takeQuiet(): boolean {
    const q = this.quiet;
    this.quiet = false;
    return q;
  }

  render(root: HTMLElement, _bag: Disposables): void {
    root.append(this.picker());
    const c = this.calibration;
    if (!c) {
      root.append(el('p', {}, 'Tick runs (e.g. the sigmoid1 and softmax2 runs of a comparison) and press Show.'));
      return;
    }
    for (const m of c.missing) root.append(el('p', { class: 'problem' }, `${m.label}: ${m.why}`));
    if (c.runs.length === 0) return;
    root.append(this.table(c.runs));
    const box = el('div', { class: 'calibration-charts' });
    c.runs.forEach((run, i) => box.append(this.chart(run, PALETTE[i % PALETTE.length])));
    root.append(box);
  }

  /** A checkbox per run and the Show button. */
  private picker(): HTMLElement {
    const runs = this.host.runs();
    const box = el('fieldset', { class: 'controls run-picker' }, el('legend', {}, `Runs (up to ${CALIBRATION_MAX_RUNS})`));
    if (runs.length === 0) {
      box.append(el('span', {}, 'No runs yet.'));
      return box;
    }
    const boxes = runs.map((r) => {
      const cb = el('input', { type: 'checkbox', value: r.id, ...(this.chosen.includes(r.id) ? { checked: '' } : {}) });
      box.append(el('label', {}, cb, ` ${r.label}`));
      return cb;
    });
    const show = el('button', {}, 'Show');
    show.addEventListener('click', () => {
      this.chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      if (this.chosen.length > CALIBRATION_MAX_RUNS) this.chosen = this.chosen.slice(0, CALIBRATION_MAX_RUNS);
      if (this.chosen.length) this.host.send({ type: 'requestCalibration', runIds: this.chosen });
    });
    box.append(show);
    return box;
  }

  private table(runs: CalibrationRunView[]): HTMLElement {
    const table = el(
      'table',
      { class: 'agg' },
      el('tr', {}, ...['run', 'head', 'epoch', 'ECE ↓', 'Brier ↓', 'pixels'].map((h) => el('th', { scope: 'col' }, h))),
    );
    for (const r of runs) {
      const cells = [r.label, r.head, String(r.epoch), fmt(r.ece), fmt(r.brier), String(r.pixels)];
      table.append(el('tr', {}, ...cells.map((v) => el('td', {}, v))));
    }
    const note = el(
      'p',
      {},
      'Of every pixel of the last validation, pooled over images (summary metrics average ECE and Brier per image instead). ' +
        'A bar below the diagonal: pixels given that probability are foreground less often than it says.',
    );
    return el('div', {}, table, exportButtons(this.host, 'calibration', { csv: () => calibrationCsv(runs) }), note);
  }

  private chart(run: CalibrationRunView, colour: string): HTMLElement {
    const svg = reliabilityChart(`${run.head}: ${run.label}`, colour, run.bars, run.ece, run.brier).replace(/^<figure>|<\/figure>$/g, '');
    const node = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
    const stem = `reliability ${run.label}`;
    return el(
      'figure',
      { class: 'svg-chart', 'data-run': run.id },
      document.importNode(node, true),
      exportButtons(this.host, stem, { svg: () => standaloneSvg(svg), png: () => svgToPng(svg) }),
    );
  }
}

/** One row per run and bin: the diagram's numbers (empty bins with empty means). */
export function calibrationCsv(runs: CalibrationRunView[]): string {
  const rows = runs.flatMap((r) =>
    r.bars.map((b) => [r.label, r.head, r.epoch, b.lo, b.hi, b.count, b.meanProb, b.fraction, r.ece, r.brier]),
  );
  return csv(['run', 'head', 'epoch', 'binLow', 'binHigh', 'pixels', 'meanProbability', 'fractionForeground', 'ece', 'brier'], rows);
}
