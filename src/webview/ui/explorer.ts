/** Loss explorer: each loss and its gradient for one pixel (a toy image for layout losses) as p varies. */
import type { LossCurveView } from '../contract';
import { lineChart } from './chart';
import { Disposables, el, PALETTE } from './dom';
import type { View, ViewHost } from './view';

export class ExplorerView implements View {
  private curves?: LossCurveView[];
  private target: 0 | 1 = 1;
  private gradient: 'dp' | 'dz' = 'dz';
  private chosen = new Set<string>(['bce', 'focal', 'dice', 'hinge']);

  constructor(private readonly host: ViewHost) {}

  /** True until the extension has sent the curves (ask for them when the view is first shown). */
  needsCurves(): boolean {
    return !this.curves;
  }

  setCurves(curves: LossCurveView[]): void {
    this.curves = curves;
  }

  render(root: HTMLElement, bag: Disposables): void {
    const curves = this.curves;
    if (!curves) {
      root.append(el('p', {}, 'Computing each loss and its gradient…'));
      return;
    }
    const chosen = curves.filter((c) => this.chosen.has(c.name));
    const xs = curves[0]?.p ?? [];
    const side = (c: LossCurveView) => (this.target === 1 ? c.y1 : c.y0);
    const toy = curves.find((c) => c.toy)?.toy;
    const hint =
      'One pixel with predicted probability p. BCE keeps a gradient of 1 − p (w.r.t. z) on ' +
      'a confidently wrong pixel; a sigmoid-squashed overlap loss flattens where p saturates.' +
      (toy ? ` Losses of the image's layout (marked ◇) have no value on one pixel; they are drawn on a toy image: ${toy}.` : '');
    const width = this.host.width();
    const value = lineChart(
      `Loss value, y = ${this.target}`,
      xs,
      chosen.map((c, i) => ({ label: c.name, colour: PALETTE[i % PALETTE.length], values: side(c).value })),
      { xLabel: 'p', yLabel: 'loss' },
      width,
      bag,
    );
    const gradient = lineChart(
      `Gradient ${this.gradient === 'dz' ? 'dL/dz' : 'dL/dp'}, y = ${this.target}`,
      xs,
      chosen.map((c, i) => ({ label: c.name, colour: PALETTE[i % PALETTE.length], values: side(c)[this.gradient] })),
      { xLabel: 'p', yLabel: 'gradient' },
      width,
      bag,
    );
    root.append(this.controls(), this.lossList(curves), el('p', { class: 'hint' }, hint), value.node, gradient.node);
  }

  private controls(): HTMLElement {
    const controls = el('div', { class: 'controls' });
    for (const y of [1, 0] as const) {
      const r = el('input', { type: 'radio', name: 'target', ...(this.target === y ? { checked: '' } : {}) });
      r.addEventListener('change', () => {
        this.target = y;
        this.host.rerender();
      });
      controls.append(el('label', {}, r, ` target y = ${y}`));
    }
    for (const [g, label] of [
      ['dz', 'gradient w.r.t. the logit z'],
      ['dp', 'gradient w.r.t. p'],
    ] as const) {
      const r = el('input', { type: 'radio', name: 'grad', ...(this.gradient === g ? { checked: '' } : {}) });
      r.addEventListener('change', () => {
        this.gradient = g;
        this.host.rerender();
      });
      controls.append(el('label', {}, r, ` ${label}`));
    }
    return controls;
  }

  private lossList(curves: LossCurveView[]): HTMLElement {
    const list = el('fieldset', { class: 'runs' }, el('legend', {}, 'Losses'));
    for (const c of curves) {
      const box = el('input', { type: 'checkbox', ...(this.chosen.has(c.name) ? { checked: '' } : {}) });
      box.addEventListener('change', () => {
        if (box.checked) this.chosen.add(c.name);
        else this.chosen.delete(c.name);
        this.host.rerender();
      });
      list.append(el('label', c.toy ? { title: `on the toy image: ${c.toy}` } : {}, box, ` ${c.name}${c.toy ? ' ◇' : ''}`));
    }
    return list;
  }
}
