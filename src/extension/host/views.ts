/**
 * What the dashboard is sent about runs and evaluations, built from core results. No vscode import,
 * so unit tests check it. Metric values go as they are (∞, NaN included): `toWire` carries them
 * across postMessage's JSON; null means only "not computed".
 */
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { predictionNames } from '../../core/runs/report';
import { readEpochsTolerant, RunInfo } from '../../core/runs/store';
import { EvaluationView, OverlayView, RunView } from '../../webview/contract';

const metric = (v: number | null | undefined): number | null => (typeof v === 'number' ? v : null);

export function runView(run: RunInfo): RunView {
  const s = run.summary;
  const { epochs, problems } = readEpochsTolerant(run.dir);
  const problem = [run.problem, ...problems].filter(Boolean).join('; ');
  return {
    id: run.id,
    label: s ? `${s.head} · ${s.name}` : run.id,
    head: s?.head ?? '?',
    status: s?.status ?? 'unknown',
    epochs: epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, val: e.val })),
    final: s?.final ?? null,
    predictions: predictionNames(run.dir),
    ...(problem ? { problem } : {}),
  };
}

export function evaluationView(result: FolderEvaluation): EvaluationView {
  return {
    predDir: result.predDir,
    gtDir: result.gtDir,
    images: result.images.map((m) => ({
      name: m.name,
      dice: metric(m.dice),
      iou: metric(m.iou),
      precision: metric(m.precision),
      recall: metric(m.recall),
      hd95: metric(m.hd95),
    })),
    mean: Object.fromEntries(Object.entries(result.aggregate.mean).map(([k, v]) => [k, metric(v)])),
    pooled: Object.fromEntries(Object.entries(result.aggregate.pooled).map(([k, v]) => [k, metric(v as number)])),
  };
}

/** Pixels an overlay is sent with at most (larger images are shown downsampled). */
export const OVERLAY_MAX_PIXELS = 1024 * 1024;

/**
 * An overlay small enough to send to the webview: an image above `maxPixels` is reduced by the
 * smallest integer factor f that fits, each f×f block becoming one pixel: the mean for the gray image,
 * the maximum for the ground truth and the probabilities (a one-pixel membrane stays visible). The
 * title says the scale. Smaller overlays are returned as they are.
 */
export function overlayForDisplay(view: OverlayView, maxPixels = OVERLAY_MAX_PIXELS): OverlayView {
  const { width, height } = view;
  if (width * height <= maxPixels) return view;
  const f = Math.ceil(Math.sqrt((width * height) / maxPixels));
  const [w, h] = [Math.ceil(width / f), Math.ceil(height / f)];
  const reduce = (values: ArrayLike<number>, how: 'mean' | 'max'): number[] => {
    const out = new Array<number>(w * h).fill(how === 'max' ? -Infinity : 0);
    const count = new Array<number>(w * h).fill(0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = Math.floor(y / f) * w + Math.floor(x / f);
        const v = values[y * width + x];
        if (how === 'max') out[o] = Math.max(out[o], v);
        else out[o] += v;
        count[o]++;
      }
    }
    return how === 'max' ? out : out.map((s, i) => s / count[i]);
  };
  return {
    title: `${view.title} (shown at 1/${f} scale: ${width}×${height} → ${w}×${h})`,
    width: w,
    height: h,
    image: reduce(view.image, 'mean'),
    gt: reduce(view.gt, 'max'),
    layers: view.layers.map((l) => ({ ...l, prob: reduce(l.prob, 'max') })),
  };
}
