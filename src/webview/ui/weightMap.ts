/** The U-Net weight map w(x) of a saved ground-truth mask, as a viridis heat map. */
import type { WeightMapView as WeightMap } from '../contract';
import { UNET_WEIGHT_DEFAULTS } from '../../core/weightmap/defaults';
import { Disposables, el } from './dom';
import { runImageMenus, runsWithPredictions, View, ViewHost } from './view';

const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Viridis colour of t ∈ [0, 1] (linear between five stops). */
function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(VIRIDIS[i][k] + f * (VIRIDIS[i + 1][k] - VIRIDIS[i][k]))) as [number, number, number];
}

export class WeightMapView implements View {
  private map?: WeightMap;

  constructor(private readonly host: ViewHost) {}

  setMap(map: WeightMap): void {
    this.map = map;
  }

  render(root: HTMLElement, _bag: Disposables): void {
    const { w0, sigma } = UNET_WEIGHT_DEFAULTS;
    const hint = `w(x) = w_c(x) + w0·exp(−(d1+d2)²/2σ²), w0 = ${w0}, σ = ${sigma} px: high on thin background gaps between objects.`;
    root.append(this.controls(), el('p', { class: 'hint' }, hint));
    const m = this.map;
    if (!m) return;
    const attrs = {
      width: String(m.width),
      height: String(m.height),
      'aria-label': `weight map ${m.title}`,
      class: 'heatmap',
      tabindex: '0',
    };
    const canvas = el('canvas', attrs);
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(m.width, m.height);
    for (let i = 0; i < m.weights.length; i++) img.data.set([...viridis(m.weights[i] / m.max), 255], 4 * i);
    ctx.putImageData(img, 0, 0);
    root.append(
      el('figure', {}, canvas, el('figcaption', {}, `${m.title} — max ${m.max.toFixed(2)}`)),
      el('div', { class: 'colorbar' }, '0 ', colourBar(), ` ${m.max.toFixed(2)}`),
    );
  }

  private controls(): HTMLElement {
    const withPred = runsWithPredictions(this.host.runs());
    const controls = el('div', { class: 'controls' });
    if (!withPred.length) {
      controls.append(el('span', {}, 'No run has saved ground-truth masks yet.'));
      return controls;
    }
    const { run, image } = runImageMenus(withPred);
    const go = el('button', {}, 'Compute w(x)');
    go.addEventListener(
      'click',
      () => run.value && image.value && this.host.send({ type: 'requestWeightMap', runId: run.value, image: image.value }),
    );
    controls.append(el('label', {}, 'Run ', run), el('label', {}, 'Ground truth of ', image), go);
    return controls;
  }
}

function colourBar(): HTMLCanvasElement {
  const bar = el('canvas', { width: '200', height: '12', 'aria-hidden': 'true' });
  const ctx = bar.getContext('2d')!;
  for (let x = 0; x < 200; x++) {
    const [r, g, b] = viridis(x / 199);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, 0, 1, 12);
  }
  return bar;
}
