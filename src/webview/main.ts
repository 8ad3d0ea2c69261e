/**
 * The SegLab dashboard UI (runs in the webview sandbox; bundled by esbuild with uPlot).
 * Views: loss curves, mask overlays, evaluation table, loss explorer, U-Net weight map.
 * Talks to the extension only through the messages of ./contract.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { EvaluationView, HostMessage, LossCurveView, OverlayView, RunView, ViewMessage, ViewName, WeightMapView } from './contract';
import { fromWire, VIEW_NAMES } from './contract';
import { UNET_WEIGHT_DEFAULTS } from '../core/weightmap/defaults';
import { lowerIsBetter, metricLabel } from '../core/common/metrics';

declare function acquireVsCodeApi(): { postMessage(m: ViewMessage): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();
const send = (m: ViewMessage) => vscode.postMessage(m);

const PALETTE = ['#3794ff', '#f14c4c', '#89d185', '#cca700', '#b180d7', '#4ec9b0', '#ce9178', '#d7ba7d'];

const state = {
  runs: [] as RunView[],
  threshold: Number(document.getElementById('app')!.dataset.threshold ?? 0.5),
  view: 'curves' as ViewName,
  selectedRuns: new Set<string>(),
  curveMetric: 'trainLoss',
  logScale: false,
  evaluation: undefined as EvaluationView | undefined,
  evalSort: { key: 'dice', ascending: true },
  overlay: undefined as OverlayView | undefined,
  overlayChoice: { runA: '', runB: '', image: '' },
  overlayMode: 'errors' as 'gt' | 'pred' | 'both' | 'errors',
  opacity: 0.55,
  zoom: 1,
  pan: { x: 0, y: 0 },
  curves: undefined as LossCurveView[] | undefined,
  explorerTarget: 1 as 0 | 1,
  explorerGradient: 'dz' as 'dp' | 'dz',
  explorerLosses: new Set<string>(['bce', 'focal', 'dice', 'hinge']),
  weightMap: undefined as WeightMapView | undefined,
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const fmt = (v: number | null | undefined, digits = 4) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : v === Infinity ? '∞' : '—';

// ---------------------------------------------------------------- layout
const app = document.getElementById('app')!;
const tabs = el('nav', { role: 'tablist', 'aria-label': 'SegLab views' });
const main = el('main', { id: 'view', role: 'tabpanel' });
const errorBar = el('div', { id: 'error', role: 'alert', hidden: '' });
app.append(tabs, errorBar, main);
const TAB_LABELS: Record<ViewName, string> = {
  curves: 'Loss curves',
  overlays: 'Overlays',
  evaluation: 'Evaluation',
  explorer: 'Loss explorer',
  weightmap: 'Weight map',
};
for (const name of VIEW_NAMES) {
  const b = el('button', { role: 'tab', id: `tab-${name}`, 'data-view': name }, TAB_LABELS[name]);
  b.addEventListener('click', () => show(name));
  b.addEventListener('keydown', (e) => {
    const i = VIEW_NAMES.indexOf(name);
    if (e.key === 'ArrowRight') show(VIEW_NAMES[(i + 1) % VIEW_NAMES.length], true);
    if (e.key === 'ArrowLeft') show(VIEW_NAMES[(i + VIEW_NAMES.length - 1) % VIEW_NAMES.length], true);
  });
  tabs.append(b);
}

function show(view: ViewName, focus = false): void {
  state.view = view;
  for (const b of Array.from(tabs.querySelectorAll('button'))) {
    const on = b.dataset.view === view;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  if (view === 'explorer' && !state.curves) send({ type: 'requestLossCurves' });
  render();
}

function render(): void {
  main.replaceChildren();
  charts.forEach((c) => c.destroy());
  charts.length = 0;
  ({ curves: renderCurves, overlays: renderOverlays, evaluation: renderEvaluation, explorer: renderExplorer, weightmap: renderWeightMap })[
    state.view
  ]();
}

const charts: uPlot[] = [];

/** Theme colours for canvas drawing (a canvas cannot resolve CSS variables itself). */
function themeColour(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

function chart(
  title: string,
  xs: number[],
  series: { label: string; values: (number | null)[]; colour: string; dash?: boolean }[],
  opts: { log?: boolean; xLabel: string; yLabel: string },
): HTMLElement {
  const box = el('div', { class: 'chart', 'aria-label': title });
  const width = Math.max(320, Math.min(900, main.clientWidth - 24));
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
      width,
      height: 280,
      scales: { x: { time: false }, y: { distr: opts.log ? 3 : 1 } },
      axes: [axis(opts.xLabel, opts.xLabel === 'epoch'), axis(opts.yLabel, false)],
      series: [
        { label: opts.xLabel },
        ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, dash: s.dash ? [6, 4] : undefined, spanGaps: true })),
      ],
    },
    [
      xs,
      ...series.map((s) => s.values.map((v) => (v === null || !Number.isFinite(v) || (opts.log && v <= 0) ? null : v))),
    ] as uPlot.AlignedData,
    box,
  );
  charts.push(plot);
  return box;
}

// ---------------------------------------------------------------- curves
const CURVE_METRICS: Record<string, string> = {
  trainLoss: 'train loss',
  ...Object.fromEntries((['loss', 'dice', 'iou', 'pixelError', 'hd95'] as const).map((k) => [`val.${k}`, `validation ${metricLabel(k)}`])),
};

function renderCurves(): void {
  if (state.runs.length === 0) {
    main.append(
      el('p', {}, 'No runs yet. Run an experiment (SegLab: Run Experiment) or a comparison; runs made with the CLI appear here too.'),
    );
    return;
  }
  if (state.selectedRuns.size === 0) state.runs.slice(0, 4).forEach((r) => state.selectedRuns.add(r.id));
  const controls = el('div', { class: 'controls' });
  const metric = el('select', { 'aria-label': 'metric' });
  for (const [k, label] of Object.entries(CURVE_METRICS))
    metric.append(el('option', k === state.curveMetric ? { value: k, selected: '' } : { value: k }, label));
  metric.addEventListener('change', () => {
    state.curveMetric = metric.value;
    render();
  });
  const log = el('input', { type: 'checkbox', id: 'log', ...(state.logScale ? { checked: '' } : {}) });
  log.addEventListener('change', () => {
    state.logScale = log.checked;
    render();
  });
  controls.append(el('label', {}, 'Metric ', metric), el('label', {}, log, ' log scale'));
  const list = el('fieldset', { class: 'runs' }, el('legend', {}, 'Runs'));
  state.runs.forEach((r, i) => {
    const box = el('input', { type: 'checkbox', id: `run-${i}`, ...(state.selectedRuns.has(r.id) ? { checked: '' } : {}) });
    box.addEventListener('change', () => {
      if (box.checked) state.selectedRuns.add(r.id);
      else state.selectedRuns.delete(r.id);
      render();
    });
    list.append(
      el(
        'label',
        { class: `status-${r.status}` },
        box,
        ` ${r.label} `,
        el('small', {}, `${r.status}${r.final?.dice != null ? ` · dice ${fmt(r.final.dice, 3)}` : ''}`),
      ),
    );
  });
  const chosen = state.runs.filter((r) => state.selectedRuns.has(r.id));
  const maxEpoch = Math.max(1, ...chosen.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const xs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
  const pick = (e: RunView['epochs'][number]) =>
    state.curveMetric === 'trainLoss' ? e.trainLoss : (e.val?.[state.curveMetric.slice(4)] ?? null);
  const series = chosen.map((r, i) => ({
    label: r.label,
    colour: PALETTE[i % PALETTE.length],
    dash: r.head.startsWith('softmax'),
    values: xs.map((x) => {
      const e = r.epochs.find((p) => p.epoch === x);
      return e ? pick(e) : null;
    }),
  }));
  main.append(
    controls,
    list,
    chart(CURVE_METRICS[state.curveMetric], xs, series, { log: state.logScale, xLabel: 'epoch', yLabel: CURVE_METRICS[state.curveMetric] }),
  );
}

// ---------------------------------------------------------------- overlays
function runsWithPredictions(): RunView[] {
  return state.runs.filter((r) => r.predictions.length > 0);
}

function renderOverlays(): void {
  const canvases = el('div', { class: 'canvases' });
  main.append(overlayPicker(), overlayModes(), overlaySliders(), overlayLegend(), canvases);
  if (!state.overlay) {
    canvases.append(el('p', {}, 'Choose a run and an image, or click an image in the Evaluation view.'));
    return;
  }
  const o = state.overlay;
  const stats = el('p', { class: 'stats' });
  for (const layer of o.layers) {
    const c = el('canvas', { width: String(o.width), height: String(o.height), 'aria-label': `${o.title}: ${layer.label}`, tabindex: '0' });
    canvases.append(el('figure', {}, c, el('figcaption', {}, `${o.title} — ${layer.label}`)));
    attachZoom(c);
  }
  main.append(stats);
  draw();
}

/** Run, second run (side by side) and image choices, and the Show button that asks the host. */
function overlayPicker(): HTMLElement {
  const withPred = runsWithPredictions();
  const controls = el('div', { class: 'controls' });
  const runA = el('select', { 'aria-label': 'run' });
  const runB = el('select', { 'aria-label': 'second run (side by side)' });
  runB.append(el('option', { value: '' }, '— none —'));
  for (const r of withPred) {
    runA.append(el('option', { value: r.id }, r.label));
    runB.append(el('option', { value: r.id }, r.label));
  }
  const image = el('select', { 'aria-label': 'image' });
  const choice = state.overlayChoice;
  if (withPred.some((r) => r.id === choice.runA)) runA.value = choice.runA;
  if (withPred.some((r) => r.id === choice.runB)) runB.value = choice.runB;
  const fillImages = () => {
    image.replaceChildren(...(withPred.find((r) => r.id === runA.value)?.predictions ?? []).map((n) => el('option', { value: n }, n)));
    if (Array.from(image.options).some((o) => o.value === choice.image)) image.value = choice.image;
  };
  runA.addEventListener('change', fillImages);
  fillImages();
  const load = el('button', {}, 'Show');
  load.addEventListener('click', () => {
    state.overlayChoice = { runA: runA.value, runB: runB.value, image: image.value };
    const ids = [runA.value, runB.value].filter(Boolean);
    if (ids.length && image.value) send({ type: 'requestRunOverlay', runIds: ids, image: image.value });
  });
  if (withPred.length)
    controls.append(el('label', {}, 'Run ', runA), el('label', {}, 'beside ', runB), el('label', {}, 'Image ', image), load);
  else controls.append(el('span', {}, 'No run has saved predictions yet.'));
  return controls;
}

/** Ground truth / prediction / both / errors. */
function overlayModes(): HTMLElement {
  const modes = el('div', { class: 'controls', role: 'radiogroup', 'aria-label': 'overlay mode' });
  for (const [m, label] of [
    ['gt', 'ground truth'],
    ['pred', 'prediction'],
    ['both', 'both'],
    ['errors', 'errors (TP/FP/FN)'],
  ] as const) {
    const r = el('input', { type: 'radio', name: 'mode', value: m, ...(state.overlayMode === m ? { checked: '' } : {}) });
    r.addEventListener('change', () => {
      state.overlayMode = m;
      draw();
    });
    modes.append(el('label', {}, r, ` ${label}`));
  }
  return modes;
}

/** Opacity and threshold sliders and the zoom reset. */
function overlaySliders(): HTMLElement {
  const opacity = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(state.opacity), 'aria-label': 'opacity' });
  const threshold = el('input', {
    type: 'range',
    min: '0.01',
    max: '0.99',
    step: '0.01',
    value: String(state.threshold),
    'aria-label': 'threshold',
    id: 'threshold',
  });
  const thresholdLabel = el('output', {}, state.threshold.toFixed(2));
  opacity.addEventListener('input', () => {
    state.opacity = Number(opacity.value);
    draw();
  });
  threshold.addEventListener('input', () => {
    state.threshold = Number(threshold.value);
    thresholdLabel.textContent = state.threshold.toFixed(2);
    draw();
  });
  const reset = el('button', {}, 'Reset zoom');
  reset.addEventListener('click', () => {
    state.zoom = 1;
    state.pan = { x: 0, y: 0 };
    draw();
  });
  return el(
    'div',
    { class: 'controls' },
    el('label', {}, 'Opacity ', opacity),
    el('label', {}, 'Threshold ', threshold, ' ', thresholdLabel),
    reset,
  );
}

function overlayLegend(): HTMLElement {
  return el(
    'p',
    { class: 'legend' },
    el('span', { class: 'sw tp' }),
    'true positive ',
    el('span', { class: 'sw fp' }),
    'false positive ',
    el('span', { class: 'sw fn' }),
    'false negative ',
    el('span', { class: 'sw gt' }),
    'ground truth ',
    el('span', { class: 'sw pr' }),
    'prediction',
  );
}

function attachZoom(c: HTMLCanvasElement): void {
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    state.zoom = Math.min(16, Math.max(1, state.zoom * (e.deltaY < 0 ? 1.25 : 0.8)));
    draw();
  });
  let drag: { x: number; y: number } | null = null;
  c.addEventListener('pointerdown', (e) => (drag = { x: e.clientX, y: e.clientY }));
  window.addEventListener('pointerup', () => (drag = null));
  c.addEventListener('pointermove', (e) => {
    if (!drag) return;
    state.pan.x += (e.clientX - drag.x) / state.zoom;
    state.pan.y += (e.clientY - drag.y) / state.zoom;
    drag = { x: e.clientX, y: e.clientY };
    draw();
  });
  c.addEventListener('keydown', (e) => {
    const step = 10 / state.zoom;
    if (e.key === '+' || e.key === '=') state.zoom = Math.min(16, state.zoom * 1.25);
    else if (e.key === '-') state.zoom = Math.max(1, state.zoom / 1.25);
    else if (e.key === 'ArrowLeft') state.pan.x += step;
    else if (e.key === 'ArrowRight') state.pan.x -= step;
    else if (e.key === 'ArrowUp') state.pan.y += step;
    else if (e.key === 'ArrowDown') state.pan.y -= step;
    else return;
    e.preventDefault();
    draw();
  });
}

/** Composites image, ground truth and the thresholded prediction into each canvas. */
function draw(): void {
  const o = state.overlay;
  if (!o || state.view !== 'overlays') return;
  const canvases = Array.from(main.querySelectorAll('canvas'));
  const stats: string[] = [];
  o.layers.forEach((layer, k) => {
    const canvas = canvases[k];
    if (!canvas) return;
    const off = document.createElement('canvas');
    off.width = o.width;
    off.height = o.height;
    const octx = off.getContext('2d')!;
    const img = octx.createImageData(o.width, o.height);
    const a = state.opacity;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < o.width * o.height; i++) {
      const g = o.image[i];
      const t = o.gt[i] === 1;
      const p = layer.prob[i] >= state.threshold;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
      let colour: number[] | null = null;
      if (state.overlayMode === 'errors') colour = t && p ? [40, 200, 60] : p ? [230, 40, 40] : t ? [40, 90, 240] : null;
      else if (state.overlayMode === 'gt') colour = t ? [255, 200, 0] : null;
      else if (state.overlayMode === 'pred') colour = p ? [0, 200, 255] : null;
      else colour = t && p ? [120, 255, 120] : t ? [255, 200, 0] : p ? [0, 200, 255] : null;
      const j = 4 * i;
      for (let c = 0; c < 3; c++) img.data[j + c] = colour ? Math.round((1 - a) * g + a * colour[c]) : g;
      img.data[j + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(
      state.zoom,
      0,
      0,
      state.zoom,
      (1 - state.zoom) * (o.width / 2) + state.pan.x * state.zoom,
      (1 - state.zoom) * (o.height / 2) + state.pan.y * state.zoom,
    );
    ctx.drawImage(off, 0, 0);
    const dice = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 1;
    stats.push(`${layer.label}: Dice ${dice.toFixed(4)} at threshold ${state.threshold.toFixed(2)} (TP ${tp}, FP ${fp}, FN ${fn})`);
  });
  const s = main.querySelector('.stats');
  if (s) s.textContent = stats.join(' · ');
}

// ---------------------------------------------------------------- evaluation
function renderEvaluation(): void {
  const e = state.evaluation;
  if (!e) {
    main.append(el('p', {}, 'Right-click a folder of predicted masks in the Explorer and choose "SegLab: Evaluate Predictions Against…".'));
    return;
  }
  const keys = ['dice', 'iou', 'precision', 'recall', 'hd95'] as const;
  main.append(el('p', {}, `${e.images.length} images · predictions ${e.predDir} · ground truth ${e.gtDir}`));
  const agg = el('table', { class: 'agg' }, el('tr', {}, el('th', {}, ''), ...keys.map((k) => el('th', {}, k))));
  agg.append(el('tr', {}, el('th', {}, 'mean'), ...keys.map((k) => el('td', {}, fmt(e.mean[k])))));
  agg.append(el('tr', {}, el('th', {}, 'pooled'), ...keys.map((k) => el('td', {}, k === 'hd95' ? '—' : fmt(e.pooled[k])))));
  const table = el('table', { class: 'per-image' });
  const head = el('tr', {}, el('th', { scope: 'col' }, 'image'));
  for (const k of keys) {
    const sorted = state.evalSort.key === k;
    const b = el(
      'button',
      { 'aria-sort': sorted ? (state.evalSort.ascending ? 'ascending' : 'descending') : 'none' },
      `${k}${sorted ? (state.evalSort.ascending ? ' ▲' : ' ▼') : ''}`,
    );
    b.addEventListener('click', () => {
      state.evalSort = { key: k, ascending: sorted ? !state.evalSort.ascending : !lowerIsBetter(k) }; // worst first
      render();
    });
    head.append(el('th', { scope: 'col' }, b));
  }
  table.append(head);
  const rows = e.images.map((r, index) => ({ r, index }));
  const key = state.evalSort.key as (typeof keys)[number];
  rows.sort((a, b) => {
    const x = a.r[key] ?? Infinity;
    const y = b.r[key] ?? Infinity;
    return state.evalSort.ascending ? x - y : y - x;
  });
  for (const { r, index } of rows) {
    const name = el('button', { class: 'link' }, r.name);
    name.addEventListener('click', () => {
      send({ type: 'requestEvaluationOverlay', index });
      show('overlays');
    });
    table.append(el('tr', {}, el('td', {}, name), ...keys.map((k) => el('td', {}, fmt(r[k])))));
  }
  main.append(agg, el('p', {}, 'Per image (click a column to sort; worst Dice first; click an image for its overlay):'), table);
}

// ---------------------------------------------------------------- loss explorer
function renderExplorer(): void {
  const curves = state.curves;
  if (!curves) {
    main.append(el('p', {}, 'Computing each loss and its gradient…'));
    return;
  }
  const controls = el('div', { class: 'controls' });
  for (const y of [1, 0] as const) {
    const r = el('input', { type: 'radio', name: 'target', ...(state.explorerTarget === y ? { checked: '' } : {}) });
    r.addEventListener('change', () => {
      state.explorerTarget = y;
      render();
    });
    controls.append(el('label', {}, r, ` target y = ${y}`));
  }
  for (const [g, label] of [
    ['dz', 'gradient w.r.t. the logit z'],
    ['dp', 'gradient w.r.t. p'],
  ] as const) {
    const r = el('input', { type: 'radio', name: 'grad', ...(state.explorerGradient === g ? { checked: '' } : {}) });
    r.addEventListener('change', () => {
      state.explorerGradient = g;
      render();
    });
    controls.append(el('label', {}, r, ` ${label}`));
  }
  const list = el('fieldset', { class: 'runs' }, el('legend', {}, 'Losses'));
  for (const c of curves) {
    const box = el('input', { type: 'checkbox', ...(state.explorerLosses.has(c.name) ? { checked: '' } : {}) });
    box.addEventListener('change', () => {
      if (box.checked) state.explorerLosses.add(c.name);
      else state.explorerLosses.delete(c.name);
      render();
    });
    list.append(el('label', {}, box, ` ${c.name}`));
  }
  const chosen = curves.filter((c) => state.explorerLosses.has(c.name));
  const xs = curves[0]?.p ?? [];
  const side = (c: LossCurveView) => (state.explorerTarget === 1 ? c.y1 : c.y0);
  main.append(
    controls,
    list,
    el(
      'p',
      { class: 'hint' },
      'One pixel with predicted probability p. BCE keeps a gradient of 1 − p (w.r.t. z) on a confidently wrong pixel; a sigmoid-squashed overlap loss flattens where p saturates.',
    ),
    chart(
      `Loss value, y = ${state.explorerTarget}`,
      xs,
      chosen.map((c, i) => ({ label: c.name, colour: PALETTE[i % PALETTE.length], values: side(c).value })),
      { xLabel: 'p', yLabel: 'loss' },
    ),
    chart(
      `Gradient ${state.explorerGradient === 'dz' ? 'dL/dz' : 'dL/dp'}, y = ${state.explorerTarget}`,
      xs,
      chosen.map((c, i) => ({ label: c.name, colour: PALETTE[i % PALETTE.length], values: side(c)[state.explorerGradient] })),
      { xLabel: 'p', yLabel: 'gradient' },
    ),
  );
}

// ---------------------------------------------------------------- weight map
function viridis(t: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]))) as [number, number, number];
}

function renderWeightMap(): void {
  const withPred = runsWithPredictions();
  const controls = el('div', { class: 'controls' });
  const run = el('select', { 'aria-label': 'run' });
  for (const r of withPred) run.append(el('option', { value: r.id }, r.label));
  const image = el('select', { 'aria-label': 'image' });
  const fill = () =>
    image.replaceChildren(...(withPred.find((r) => r.id === run.value)?.predictions ?? []).map((n) => el('option', { value: n }, n)));
  run.addEventListener('change', fill);
  fill();
  const go = el('button', {}, 'Compute w(x)');
  go.addEventListener('click', () => run.value && image.value && send({ type: 'requestWeightMap', runId: run.value, image: image.value }));
  if (withPred.length) controls.append(el('label', {}, 'Run ', run), el('label', {}, 'Ground truth of ', image), go);
  else controls.append(el('span', {}, 'No run has saved ground-truth masks yet.'));
  main.append(
    controls,
    el(
      'p',
      { class: 'hint' },
      `w(x) = w_c(x) + w0·exp(−(d1+d2)²/2σ²), w0 = ${UNET_WEIGHT_DEFAULTS.w0}, σ = ${UNET_WEIGHT_DEFAULTS.sigma} px: high on thin background gaps between objects.`,
    ),
  );
  const m = state.weightMap;
  if (!m) return;
  const canvas = el('canvas', {
    width: String(m.width),
    height: String(m.height),
    'aria-label': `weight map ${m.title}`,
    class: 'heatmap',
    tabindex: '0',
  });
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(m.width, m.height);
  for (let i = 0; i < m.weights.length; i++) {
    const [r, g, b] = viridis(m.weights[i] / m.max);
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  const bar = el('canvas', { width: '200', height: '12', 'aria-hidden': 'true' });
  const bctx = bar.getContext('2d')!;
  for (let x = 0; x < 200; x++) {
    const [r, g, b] = viridis(x / 199);
    bctx.fillStyle = `rgb(${r},${g},${b})`;
    bctx.fillRect(x, 0, 1, 12);
  }
  main.append(
    el('figure', {}, canvas, el('figcaption', {}, `${m.title} — max ${m.max.toFixed(2)}`)),
    el('div', { class: 'colorbar' }, '0 ', bar, ` ${m.max.toFixed(2)}`),
  );
}

// ---------------------------------------------------------------- messages
window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = fromWire(event.data);
  errorBar.hidden = true;
  switch (m.type) {
    case 'runs':
      state.runs = m.runs;
      if (state.view === 'curves') render();
      break;
    case 'evaluation':
      state.evaluation = m.evaluation;
      state.evalSort = { key: 'dice', ascending: true };
      show('evaluation');
      break;
    case 'overlay':
      state.overlay = m.overlay;
      state.zoom = 1;
      state.pan = { x: 0, y: 0 };
      show('overlays');
      break;
    case 'lossCurves':
      state.curves = m.curves;
      if (state.view === 'explorer') render();
      break;
    case 'weightMap':
      state.weightMap = m.map;
      show('weightmap');
      break;
    case 'show':
      show(m.view);
      break;
    case 'selectRuns':
      state.selectedRuns = new Set(m.runIds);
      show('curves');
      break;
    case 'error':
      errorBar.textContent = m.message;
      errorBar.hidden = false;
      break;
  }
});

window.addEventListener('resize', () => state.view !== 'overlays' && render());
show('curves');
send({ type: 'ready' });
