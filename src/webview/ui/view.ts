/** What every dashboard view is given and must provide. */
import type { RunView, ViewMessage, ViewName } from '../contract';
import type { Disposables } from './dom';

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
