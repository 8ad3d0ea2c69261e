/** What every dashboard view is given and must provide. */
import type { RunView, ViewMessage, ViewName } from '../contract';
import type { Disposables } from './dom';
import { el } from './dom';

/** The dashboard shell as the views see it. */
export interface ViewHost {
  send(m: ViewMessage): void;
  /** Switches to another view. */
  show(view: ViewName): void;
  /** Re-renders this view (after one of its own controls changed what it shows). */
  rerender(): void;
  /** The runs the extension last sent (shared by curves, overlays and the weight map). */
  runs(): RunView[];
  /** Width available for a chart, in CSS pixels. */
  width(): number;
}

/**
 * A view keeps its own state between renders. `render` fills an empty root; everything it registers
 * beyond the root's own elements (charts, window listeners) goes into `bag`, released before the next
 * render or when another view is shown.
 */
export interface View {
  render(root: HTMLElement, bag: Disposables): void;
}

/** Runs that have saved predictions (overlays, weight map). */
export function runsWithPredictions(runs: RunView[]): RunView[] {
  return runs.filter((r) => r.predictions.length > 0);
}

/**
 * A run menu and an image menu listing that run's saved predictions (refilled when the run
 * changes), preselecting `chosen` where it is still offered.
 */
export function runImageMenus(
  runs: RunView[],
  chosen: { run?: string; image?: string } = {},
): { run: HTMLSelectElement; image: HTMLSelectElement } {
  const run = el('select', { 'aria-label': 'run' });
  for (const r of runs) run.append(el('option', { value: r.id }, r.label));
  if (runs.some((r) => r.id === chosen.run)) run.value = chosen.run!;
  const image = el('select', { 'aria-label': 'image' });
  const fill = () => {
    image.replaceChildren(...(runs.find((r) => r.id === run.value)?.predictions ?? []).map((n) => el('option', { value: n }, n)));
    if (Array.from(image.options).some((o) => o.value === chosen.image)) image.value = chosen.image!;
  };
  run.addEventListener('change', fill);
  fill();
  return { run, image };
}
