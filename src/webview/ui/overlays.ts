/**
 * Mask overlays: image, ground truth and thresholded prediction, one or two runs side by side; a loss
 * pixel by pixel over the runs' final predictions (each pixel's loss, dL/dp); errors by distance to
 * the true boundary at the threshold.
 */
import type { LossMapView, OverlayView, RunView } from '../contract';
import { LOSS_EXPRESSION_MAX } from '../contract';
import { Disposables, el, fmt } from './dom';
import { distanceTable, gradientColour, lossColour, mapFits, overlayDistances, robustScale } from './lossMapLayer';
import { runImageMenus, runsWithPredictions, View, ViewHost } from './view';

type Mode = 'gt' | 'pred' | 'both' | 'errors' | 'loss' | 'gradient';

const MODES: [Mode, string][] = [
  ['gt', 'ground truth'],
  ['pred', 'prediction'],
  ['both', 'both'],
  ['errors', 'errors (TP/FP/FN)'],
  ['loss', 'loss per pixel'],
  ['gradient', 'dL/dp'],
];

const isLossMode = (m: Mode) => m === 'loss' || m === 'gradient';
const lossKey = (runIds: readonly string[], image: string, loss: string) => JSON.stringify([runIds, image, loss]);

/** The colour a pixel gets in a mode (null: the image shows through). */
function pixelColour(mode: Mode, t: boolean, p: boolean): number[] | null {
  if (mode === 'errors') return t && p ? [40, 200, 60] : p ? [230, 40, 40] : t ? [40, 90, 240] : null;
  if (mode === 'gt') return t ? [255, 200, 0] : null;
  if (mode === 'pred') return p ? [0, 200, 255] : null;
  return t && p ? [120, 255, 120] : t ? [255, 200, 0] : p ? [0, 200, 255] : null;
}

export class OverlaysView implements View {
  private overlay?: OverlayView;
  private choice: { runA: string; runB: string; image: string; epoch?: number } = { runA: '', runB: '', image: '' };
  private mode: Mode = 'errors';
  private opacity = 0.55;
  private zoom = 1;
  private pan = { x: 0, y: 0 };
  private canvases: HTMLCanvasElement[] = [];
  private stats?: HTMLElement;
  private distanceBox?: HTMLElement;
  private distances?: Float64Array;
  /** The loss expression of the loss map ('' until a run is shown: then its own loss). */
  private loss = '';
  private lossMap?: LossMapView;
  /** The loss map asked for and not yet answered (runs, image, loss), or ''. */
  private lossPending = '';

  constructor(
    private readonly host: ViewHost,
    private threshold: number,
  ) {}

  /** A request that should fill this view without switching to it (see preselect). */
  private quiet = false;

  /**
   * Runs selected together (a comparison, a sweep cell): the first two that saved a prediction of the
   * same image side by side on it (runs with the same seed share their validation images), else the
   * first run alone; asked for at once so the view is ready when opened. Returns whether it asked.
   */
  preselect(runIds: readonly string[]): boolean {
    const withPred = runsWithPredictions(this.host.runs());
    const chosen = runIds.map((id) => withPred.find((r) => r.id === id)).filter((r): r is RunView => r !== undefined);
    if (chosen.length === 0) return false;
    let pick: { ids: string[]; image: string } = { ids: [chosen[0].id], image: chosen[0].predictions[0] };
    search: for (let i = 0; i < chosen.length; i++) {
      for (let j = i + 1; j < chosen.length; j++) {
        const image = chosen[i].predictions.find((p) => chosen[j].predictions.includes(p));
        if (image) {
          pick = { ids: [chosen[i].id, chosen[j].id], image };
          break search;
        }
      }
    }
    this.choice = { runA: pick.ids[0], runB: pick.ids[1] ?? '', image: pick.image };
    this.quiet = true;
    this.host.send({ type: 'requestRunOverlay', runIds: pick.ids, image: pick.image });
    return true;
  }

  /** Whether the overlay that just arrived answers a preselect (then the current view stays). */
  takeQuiet(): boolean {
    const q = this.quiet;
    this.quiet = false;
    return q;
  }

  /** A new overlay from the extension: shown unzoomed. */
  setOverlay(overlay: OverlayView): void {
    this.overlay = overlay;
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
    this.distances = overlayDistances(overlay);
    if (!this.loss && overlay.source?.loss) this.loss = overlay.source.loss;
    if (isLossMode(this.mode)) this.askLossMap();
  }

  /** A loss map from the extension (for the runs, image and loss it names). */
  setLossMap(map: LossMapView): void {
    this.lossMap = map;
    if (lossKey(map.runIds, map.image, map.loss) === this.lossPending) this.lossPending = '';
  }

  /** A request failed (the extension showed the error): a loss map may be asked for again. */
  requestFailed(): void {
    this.lossPending = '';
  }

  /** Asks the extension for the loss map of the overlay shown, unless it is here or on its way. */
  private askLossMap(): void {
    const o = this.overlay;
    if (!o?.source || !this.loss || mapFits(this.lossMap, o, this.loss)) return;
    const key = lossKey(o.source.runIds, o.source.image, this.loss);
    if (key === this.lossPending) return; // on its way
    this.lossPending = key;
    this.host.send({ type: 'requestLossMap', runIds: o.source.runIds, image: o.source.image, loss: this.loss });
  }

  render(root: HTMLElement, bag: Disposables): void {
    const box = el('div', { class: 'canvases' });
    this.canvases = [];
    this.stats = undefined;
    root.append(this.picker(), this.epochSlider(), this.modes(), this.lossControls(), this.sliders(), this.legend(), box);
    const o = this.overlay;
    if (!o) {
      box.append(el('p', {}, 'Choose a run and an image, or click an image in the Evaluation view.'));
      return;
    }
    for (const layer of o.layers) {
      const c = el('canvas', {
        width: String(o.width),
        height: String(o.height),
        'aria-label': `${o.title}: ${layer.label}`,
        tabindex: '0',
      });
      box.append(el('figure', {}, c, el('figcaption', {}, `${o.title} — ${layer.label}`)));
      this.attachZoom(c, bag);
      this.canvases.push(c);
    }
    this.stats = el('p', { class: 'stats' });
    this.distanceBox = el('div', {});
    root.append(this.stats, this.distanceBox);
    this.draw();
  }

  /** Run, second run (side by side) and image choices, and the Show button that asks the host. */
  private picker(): HTMLElement {
    const withPred = runsWithPredictions(this.host.runs());
    const controls = el('div', { class: 'controls' });
    if (!withPred.length) {
      controls.append(el('span', {}, 'No run has saved predictions yet.'));
      return controls;
    }
    const choice = this.choice;
    const { run: runA, image } = runImageMenus(withPred, { run: choice.runA, image: choice.image });
    const runB = el('select', { 'aria-label': 'second run (side by side)' });
    runB.append(el('option', { value: '' }, '— none —'));
    for (const r of withPred) runB.append(el('option', { value: r.id }, r.label));
    if (withPred.some((r) => r.id === choice.runB)) runB.value = choice.runB;
    const load = el('button', {}, 'Show');
    load.addEventListener('click', () => {
      this.choice = { runA: runA.value, runB: runB.value, image: image.value };
      const ids = [runA.value, runB.value].filter(Boolean);
      if (ids.length && image.value) this.host.send({ type: 'requestRunOverlay', runIds: ids, image: image.value });
    });
    controls.append(el('label', {}, 'Run ', runA), el('label', {}, 'beside ', runB), el('label', {}, 'Image ', image), load);
    return controls;
  }

  /**
   * The validation epochs both shown runs saved a prediction at (plots/images), then "final" (the
   * run's last saved prediction); moving the slider asks the host for that epoch's prediction.
   */
  private epochSlider(): HTMLElement {
    const runs = [this.choice.runA, this.choice.runB].filter(Boolean).map((id) => this.host.runs().find((r) => r.id === id));
    const box = el('div', { class: 'controls' });
    if (!this.overlay || runs.length === 0 || runs.some((r) => !r || r.snapshots.length === 0)) return box;
    const epochs = runs[0]!.snapshots.filter((e) => runs.every((r) => r!.snapshots.includes(e)));
    if (epochs.length === 0) return box;
    const at = this.choice.epoch === undefined ? epochs.length : Math.max(0, epochs.indexOf(this.choice.epoch));
    const slider = el('input', {
      type: 'range',
      min: '0',
      max: String(epochs.length),
      step: '1',
      value: String(at),
      id: 'epoch',
      'aria-label': 'epoch',
    });
    const label = el('output', { for: 'epoch' }, at === epochs.length ? 'final' : `epoch ${epochs[at]}`);
    slider.addEventListener('input', () => {
      const i = Number(slider.value);
      label.textContent = i === epochs.length ? 'final' : `epoch ${epochs[i]}`;
    });
    slider.addEventListener('change', () => {
      const i = Number(slider.value);
      this.choice = { ...this.choice, epoch: i === epochs.length ? undefined : epochs[i] };
      const ids = [this.choice.runA, this.choice.runB].filter(Boolean);
      this.host.send({
        type: 'requestRunOverlay',
        runIds: ids,
        image: this.choice.image,
        ...(this.choice.epoch !== undefined ? { epoch: this.choice.epoch } : {}),
      });
    });
    box.append(el('label', { title: 'predictions saved at each validation epoch' }, 'Prediction at ', slider, ' ', label));
    return box;
  }

  private modes(): HTMLElement {
    const modes = el('div', { class: 'controls', role: 'radiogroup', 'aria-label': 'overlay mode' });
    for (const [m, label] of MODES) {
      const r = el('input', { type: 'radio', name: 'mode', value: m, ...(this.mode === m ? { checked: '' } : {}) });
      r.addEventListener('change', () => {
        const was = isLossMode(this.mode);
        this.mode = m;
        if (isLossMode(m)) this.askLossMap();
        if (was || isLossMode(m))
          this.host.rerender(); // the loss row and the legend change
        else this.draw();
      });
      modes.append(el('label', {}, r, ` ${label}`));
    }
    return modes;
  }

  /** The loss of the loss map (default: the first run's own loss) and the button that computes it. */
  private lossControls(): HTMLElement {
    const box = el('div', { class: 'controls' });
    if (!isLossMode(this.mode)) return box;
    if (this.overlay && !this.overlay.source) {
      box.append(el('span', {}, 'Loss maps are computed over runs’ predictions; this overlay comes from an evaluation.'));
      return box;
    }
    const input = el('input', {
      type: 'text',
      value: this.loss,
      maxlength: String(LOSS_EXPRESSION_MAX),
      'aria-label': 'loss expression',
      placeholder: 'bce+dice',
      size: '28',
    });
    const go = el('button', {}, 'Compute');
    go.addEventListener('click', () => {
      this.loss = input.value.trim();
      this.askLossMap();
      this.host.rerender();
    });
    const note = this.lossPending ? 'computing…' : 'on the final prediction, as the sigmoid head’s loss of the foreground probability';
    box.append(el('label', {}, 'Loss ', input), go, el('small', {}, ` ${note}`));
    return box;
  }

  private legend(): HTMLElement {
    if (this.mode === 'loss') return el('p', { class: 'legend' }, 'dark → bright: each pixel’s loss from 0 to the scale below');
    if (this.mode === 'gradient') {
      return el(
        'p',
        { class: 'legend' },
        el('span', { class: 'sw fn' }),
        'dL/dp < 0 (raises p) ',
        el('span', { class: 'sw fp' }),
        'dL/dp > 0 (lowers p)',
      );
    }
    return legend();
  }

  /** Opacity and threshold sliders and the zoom reset. */
  private sliders(): HTMLElement {
    const opacity = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: String(this.opacity), 'aria-label': 'opacity' });
    const attrs = {
      type: 'range',
      min: '0.01',
      max: '0.99',
      step: '0.01',
      value: String(this.threshold),
      'aria-label': 'threshold',
      id: 'threshold',
    };
    const threshold = el('input', attrs);
    const thresholdLabel = el('output', {}, this.threshold.toFixed(2));
    opacity.addEventListener('input', () => {
      this.opacity = Number(opacity.value);
      this.draw();
    });
    threshold.addEventListener('input', () => {
      this.threshold = Number(threshold.value);
      thresholdLabel.textContent = this.threshold.toFixed(2);
      this.draw();
    });
    const reset = el('button', {}, 'Reset zoom');
    reset.addEventListener('click', () => {
      this.zoom = 1;
      this.pan = { x: 0, y: 0 };
      this.draw();
    });
    const labels = [el('label', {}, 'Opacity ', opacity), el('label', {}, 'Threshold ', threshold, ' ', thresholdLabel)];
    return el('div', { class: 'controls' }, ...labels, reset);
  }

  /** Wheel and +/− zoom, drag and arrow-key pan. The window listener lives as long as this render. */
  private attachZoom(c: HTMLCanvasElement, bag: Disposables): void {
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoom = Math.min(16, Math.max(1, this.zoom * (e.deltaY < 0 ? 1.25 : 0.8)));
      this.draw();
    });
    let drag: { x: number; y: number } | null = null;
    c.addEventListener('pointerdown', (e) => (drag = { x: e.clientX, y: e.clientY }));
    bag.listen(window, 'pointerup', () => (drag = null));
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.pan.x += (e.clientX - drag.x) / this.zoom;
      this.pan.y += (e.clientY - drag.y) / this.zoom;
      drag = { x: e.clientX, y: e.clientY };
      this.draw();
    });
    c.addEventListener('keydown', (e) => {
      const step = 10 / this.zoom;
      if (e.key === '+' || e.key === '=') this.zoom = Math.min(16, this.zoom * 1.25);
      else if (e.key === '-') this.zoom = Math.max(1, this.zoom / 1.25);
      else if (e.key === 'ArrowLeft') this.pan.x += step;
      else if (e.key === 'ArrowRight') this.pan.x -= step;
      else if (e.key === 'ArrowUp') this.pan.y += step;
      else if (e.key === 'ArrowDown') this.pan.y -= step;
      else return;
      e.preventDefault();
      this.draw();
    });
  }

  /** Composites image, ground truth and the thresholded prediction into each canvas. */
  private draw(): void {
    const o = this.overlay;
    if (!o) return;
    if (this.distanceBox && this.distances) this.distanceBox.replaceChildren(distanceTable(o, this.distances, this.threshold));
    if (isLossMode(this.mode)) return this.drawLossMap(o);
    const stats = o.layers.map((layer, k) => {
      const canvas = this.canvases[k];
      const off = document.createElement('canvas');
      off.width = o.width;
      off.height = o.height;
      const octx = off.getContext('2d')!;
      const img = octx.createImageData(o.width, o.height);
      const counts = this.composite(img.data, layer.prob);
      octx.putImageData(img, 0, 0);
      if (canvas) this.paint(canvas, off);
      const { tp, fp, fn } = counts;
      const dice = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 1;
      return `${layer.label}: Dice ${dice.toFixed(4)} at threshold ${this.threshold.toFixed(2)} (TP ${tp}, FP ${fp}, FN ${fn})`;
    });
    if (this.stats) this.stats.textContent = stats.join(' · ');
  }

  /** Each layer's loss map (or dL/dp) over the image, one colour scale for all layers. */
  private drawLossMap(o: OverlayView): void {
    const map = this.lossMap;
    if (!mapFits(map, o, this.loss)) {
      for (const c of this.canvases) this.paintLayer(c, o, () => null);
      if (this.stats) this.stats.textContent = this.lossPending ? `Computing ${this.loss} pixel by pixel…` : 'Choose a loss and Compute.';
      return;
    }
    const gradient = this.mode === 'gradient';
    const values = map.layers.map((l) => (gradient ? l.gradient : l.pixelLoss));
    const scale = robustScale(values.filter((v): v is number[] => v !== null));
    values.forEach((v, k) => {
      const canvas = this.canvases[k];
      if (!canvas) return;
      this.paintLayer(canvas, o, (i) => {
        if (!v) return null;
        if (!gradient) return { colour: lossColour(v[i] / scale), strength: 1 };
        return gradientColour(v[i] / scale);
      });
    });
    const what = gradient ? `|dL/dp| scale ${fmt(scale, 6)}` : `loss scale ${fmt(scale, 4)}`;
    const lines = map.layers.map((l) => {
      const none = !gradient && !l.pixelLoss ? ` — no per-pixel loss: ${l.noPixelLoss ?? ''}` : '';
      return `${l.label}: ${map.loss} = ${fmt(l.value, 4)}${none}`;
    });
    if (this.stats) this.stats.textContent = `${lines.join(' · ')} (${what}, the 99th percentile over the runs shown)`;
  }

  /** Paints one canvas: the gray image with `colourAt(i)` blended in at the opacity times its strength. */
  private paintLayer(
    canvas: HTMLCanvasElement,
    o: OverlayView,
    colourAt: (i: number) => { colour: number[]; strength: number } | null,
  ): void {
    const off = document.createElement('canvas');
    off.width = o.width;
    off.height = o.height;
    const octx = off.getContext('2d')!;
    const img = octx.createImageData(o.width, o.height);
    for (let i = 0; i < o.width * o.height; i++) {
      const g = o.image[i];
      const c = colourAt(i);
      const a = c ? this.opacity * c.strength : 0;
      for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = c ? Math.round((1 - a) * g + a * c.colour[ch]) : g;
      img.data[4 * i + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    this.paint(canvas, off);
  }

  /** Writes the overlay's RGBA pixels for one layer; returns its confusion counts at the threshold. */
  private composite(data: Uint8ClampedArray, prob: number[]): { tp: number; fp: number; fn: number } {
    const o = this.overlay!;
    const a = this.opacity;
    let [tp, fp, fn] = [0, 0, 0];
    for (let i = 0; i < o.width * o.height; i++) {
      const g = o.image[i];
      const t = o.gt[i] === 1;
      const p = prob[i] >= this.threshold;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
      const colour = pixelColour(this.mode, t, p);
      const j = 4 * i;
      for (let c = 0; c < 3; c++) data[j + c] = colour ? Math.round((1 - a) * g + a * colour[c]) : g;
      data[j + 3] = 255;
    }
    return { tp, fp, fn };
  }

  private paint(canvas: HTMLCanvasElement, off: HTMLCanvasElement): void {
    const o = this.overlay!;
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const shift = (size: number, pan: number) => (1 - this.zoom) * (size / 2) + pan * this.zoom;
    ctx.setTransform(this.zoom, 0, 0, this.zoom, shift(o.width, this.pan.x), shift(o.height, this.pan.y));
    ctx.drawImage(off, 0, 0);
  }
}

function legend(): HTMLElement {
  const entries: [string, string][] = [
    ['tp', 'true positive'],
    ['fp', 'false positive'],
    ['fn', 'false negative'],
    ['gt', 'ground truth'],
    ['pr', 'prediction'],
  ];
  return el('p', { class: 'legend' }, ...entries.flatMap(([cls, label]) => [el('span', { class: `sw ${cls}` }), `${label} `]));
}
