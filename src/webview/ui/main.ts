/**
 * The SegLab dashboard UI (runs in the webview sandbox; bundled by esbuild with uPlot).
 * The shell: tabs, the host's messages, and which view is shown. Each view (./views) keeps its own
 * state and renders only itself; a message re-renders the shown view only when it changes what
 * that view shows. Talks to the extension only through the messages of ./contract.
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { HostMessage, RunView, ViewMessage, ViewName } from '../contract';
import { fromWire, VIEW_NAMES } from '../contract';
import { Disposables, el } from './dom';
import { CalibrationPanel } from './calibration';
import { CurvesView } from './curves';
import { EvaluationView } from './evaluation';
import { ExplorerView } from './explorer';
import { OverlaysView } from './overlays';
import { SweepPanel } from './sweep';
import { runsWithPredictions, View, ViewHost } from './view';
import { WeightMapView } from './weightMap';

declare function acquireVsCodeApi(): { postMessage(m: ViewMessage): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();

const TAB_LABELS: Record<ViewName, string> = {
  curves: 'Loss curves',
  overlays: 'Overlays',
  evaluation: 'Evaluation',
  sweep: 'Sweep',
  calibration: 'Calibration',
  explorer: 'Loss explorer',
  weightmap: 'Weight map',
};

class Dashboard implements ViewHost {
  private runList: RunView[] = [];
  private current: ViewName = 'curves';
  private bag = new Disposables();
  private readonly tabs = el('nav', { role: 'tablist', 'aria-label': 'SegLab views' });
  private readonly root = el('main', { id: 'view', role: 'tabpanel' });
  private readonly errorBar = el('div', { id: 'error', role: 'alert', hidden: '' });
  private readonly curves = new CurvesView(this);
  private readonly overlays: OverlaysView;
  private readonly evaluation = new EvaluationView(this);
  private readonly sweep = new SweepPanel(this);
  private readonly calibration = new CalibrationPanel(this);
  private readonly explorer = new ExplorerView(this);
  private readonly weightMap = new WeightMapView(this);
  private readonly views: Record<ViewName, View>;

  constructor(app: HTMLElement) {
    this.overlays = new OverlaysView(this, Number(app.dataset.threshold ?? 0.5));
    const { curves, overlays, evaluation, sweep, calibration, explorer, weightMap } = this;
    this.views = { curves, overlays, evaluation, sweep, calibration, explorer, weightmap: weightMap };
    for (const name of VIEW_NAMES) this.tabs.append(this.tab(name));
    app.append(this.tabs, this.errorBar, this.root);
  }

  send(m: ViewMessage): void {
    vscode.postMessage(m);
  }

  runs(): RunView[] {
    return this.runList;
  }

  width(): number {
    return this.root.clientWidth;
  }

  show(view: ViewName, focus = false): void {
    this.current = view;
    for (const b of Array.from(this.tabs.querySelectorAll('button'))) {
      const on = b.dataset.view === view;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    }
    if (view === 'explorer' && this.explorer.needsCurves()) this.send({ type: 'requestLossCurves' });
    this.rerender();
  }

  rerender(): void {
    this.bag.dispose();
    this.root.replaceChildren();
    this.views[this.current].render(this.root, this.bag);
  }

  /** Applies one message from the extension. */
  receive(m: HostMessage): void {
    this.errorBar.hidden = true;
    switch (m.type) {
      case 'runs':
        return this.setRuns(m.runs);
      case 'evaluation':
        this.evaluation.setEvaluation(m.evaluation);
        return this.show('evaluation');
      case 'overlay':
        this.overlays.setOverlay(m.overlay);
        return this.arrived('overlays', this.overlays.takeQuiet());
      case 'lossMap':
        this.overlays.setLossMap(m.map);
        if (this.current === 'overlays') this.rerender();
        return;
      case 'lossCurves':
        this.explorer.setCurves(m.curves);
        if (this.current === 'explorer') this.rerender();
        return;
      case 'weightMap':
        this.weightMap.setMap(m.map);
        return this.show('weightmap');
      case 'sweep':
        // Sent again while the sweep runs: redrawn in place when shown, never pulled to the front.
        this.sweep.setSweep(m.sweep);
        if (this.current === 'sweep') this.rerender();
        return;
      case 'calibration':
        this.calibration.setCalibration(m.calibration);
        return this.arrived('calibration', this.calibration.takeQuiet());
      case 'show':
        return this.show(m.view);
      case 'selectRuns':
        this.curves.select(m.runIds);
        if (m.runIds.length > 1) {
          this.overlays.preselect(m.runIds); // side by side in Overlays
          this.calibration.preselect(m.runIds); // and in Calibration
        }
        return this.show('curves');
      case 'error':
        this.overlays.requestFailed();
        this.errorBar.textContent = m.message;
        this.errorBar.hidden = false;
    }
  }

  /**
   * A view's content arrived: shown, unless a selection of several runs asked for it quietly (then it
   * waits in its tab and the curves stay in front; redrawn if its tab is the one shown).
   */
  private arrived(view: ViewName, quiet: boolean): void {
    if (!quiet) return this.show(view);
    if (this.current === view) this.rerender();
  }

  /** Window width changed: charts are sized at render, so the views with charts render again. */
  resized(): void {
    if (this.current === 'curves' || this.current === 'explorer') this.rerender();
  }

  private setRuns(runs: RunView[]): void {
    const pickerKey = (rs: RunView[]) => JSON.stringify(runsWithPredictions(rs).map((r) => [r.id, r.label, r.predictions]));
    const pickersChanged = pickerKey(runs) !== pickerKey(this.runList);
    const idsChanged = JSON.stringify(runs.map((r) => [r.id, r.label])) !== JSON.stringify(this.runList.map((r) => [r.id, r.label]));
    this.runList = runs;
    // Calibration lists every run in its picker.
    if (this.current === 'calibration' && idsChanged) this.rerender();
    if (this.current === 'curves' && !this.curves.update()) this.rerender();
    // Overlays and the weight map list runs with predictions: re-rendered only when that list changed.
    if ((this.current === 'overlays' || this.current === 'weightmap') && pickersChanged) this.rerender();
  }

  private tab(name: ViewName): HTMLElement {
    const b = el('button', { role: 'tab', id: `tab-${name}`, 'data-view': name }, TAB_LABELS[name]);
    b.addEventListener('click', () => this.show(name));
    b.addEventListener('keydown', (e) => {
      const i = VIEW_NAMES.indexOf(name);
      if (e.key === 'ArrowRight') this.show(VIEW_NAMES[(i + 1) % VIEW_NAMES.length], true);
      if (e.key === 'ArrowLeft') this.show(VIEW_NAMES[(i + VIEW_NAMES.length - 1) % VIEW_NAMES.length], true);
    });
    return b;
  }
}

const dashboard = new Dashboard(document.getElementById('app')!);
window.addEventListener('message', (event: MessageEvent<HostMessage>) => dashboard.receive(fromWire(event.data)));
window.addEventListener('resize', () => dashboard.resized());
dashboard.show('curves');
dashboard.send({ type: 'ready' });
