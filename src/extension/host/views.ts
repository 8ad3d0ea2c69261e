/**
 * What the dashboard is sent about runs and evaluations, built from core results. No vscode import,
 * so unit tests check it. Metric values go as they are (∞, NaN included): `toWire` carries them
 * across postMessage's JSON; null means only "not computed".
 */
import * as fs from 'fs';
import * as path from 'path';
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { decodeJson } from '../../core/common/json';
import { predictionNames } from '../../core/runs/report';
import { shownMetrics } from '../../core/runs/compare';
import { readEpochsTolerant, RunInfo } from '../../core/runs/store';
import { SweepFile, zipped } from '../../core/runs/sweep';
import { pruneText, searchText, settingText } from '../../core/runs/sweepReport';
import { EvaluationView, OverlayView, RunView, SweepTuningView, SweepView } from '../../webview/contract';

const metric = (v: number | null | undefined): number | null => (typeof v === 'number' ? v : null);

export function runView(run: RunInfo): RunView {
  const s = run.summary;
  const { epochs, problems } = readEpochsTolerant(run.dir);
  const problem = [run.problem, ...problems].filter(Boolean).join('; ');
  const predictions = predictionNames(run.dir);
  return {
    id: run.id,
    label: s ? `${s.head} · ${s.name}` : run.id,
    head: s?.head ?? '?',
    status: s?.status ?? 'unknown',
    epochs: epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, val: e.val })),
    final: s?.final ?? null,
    predictions,
    snapshots: predictions.length ? snapshotEpochs(run.dir, predictions[0]) : [],
    params: runParams(run),
    ...(typeof s?.bestEpoch === 'number' ? { bestEpoch: s.bestEpoch } : {}),
    ...(problem ? { problem } : {}),
  };
}

/** The prediction of `image` a run saved at validation epoch `epoch` (DVCLive's step = epoch − 1). */
export function snapshotFile(runDir: string, image: string, epoch: number): string {
  return path.join(runDir, 'plots', 'images', `${image}_prob`, `${epoch - 1}.png`);
}

/** Validation epochs with a saved prediction of `image`, ascending. */
export function snapshotEpochs(runDir: string, image: string): number[] {
  const dir = path.join(runDir, 'plots', 'images', `${image}_prob`);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((f) => /^(\d+)\.png$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]) + 1)
    .sort((a, b) => a - b);
}

/** What a run was trained with, for beside its curves: head, loss, seed, learning rate, batch, epochs. */
export function runParams(run: RunInfo): Record<string, string> {
  const out: Record<string, string> = {};
  const s = run.summary;
  if (s) Object.assign(out, { head: s.head, loss: s.loss });
  try {
    const c = decodeJson(fs.readFileSync(path.join(run.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const o = (c.optimizer ?? {}) as Record<string, unknown>;
    if (typeof c.seed === 'number') out.seed = String(c.seed);
    if (typeof o.learningRate === 'number')
      out.lr = `${o.learningRate}${typeof o.schedule === 'string' && o.schedule !== 'constant' ? ` (${o.schedule})` : ''}`;
    if (typeof c.batchSize === 'number') out.batch = String(c.batchSize);
    if (typeof c.epochs === 'number') out.epochs = String(c.epochs);
  } catch {
    // a run without a readable config.json shows what its summary says
  }
  return out;
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

/** The integer factor an image of this size is reduced by for display (1: shown as it is). */
export function displayScale(width: number, height: number, maxPixels = OVERLAY_MAX_PIXELS): number {
  return width * height <= maxPixels ? 1 : Math.ceil(Math.sqrt((width * height) / maxPixels));
}

/** Each f×f block of a [height, width] image as one value: the mean or the maximum of its pixels. */
export function reduceBlocks(values: ArrayLike<number>, width: number, height: number, f: number, how: 'mean' | 'max'): number[] {
  const [w, h] = [Math.ceil(width / f), Math.ceil(height / f)];
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
}

/**
 * An overlay small enough to send to the webview: an image above `maxPixels` is reduced by the
 * smallest integer factor f that fits, each f×f block becoming one pixel: the mean for the gray image,
 * the maximum for the ground truth and the probabilities (a one-pixel membrane stays visible). The
 * title says the scale. Smaller overlays are returned as they are.
 */
export function overlayForDisplay(view: OverlayView, maxPixels = OVERLAY_MAX_PIXELS): OverlayView {
  const { width, height } = view;
  const f = displayScale(width, height, maxPixels);
  if (f === 1) return view;
  const [w, h] = [Math.ceil(width / f), Math.ceil(height / f)];
  const reduce = (values: ArrayLike<number>, how: 'mean' | 'max') => reduceBlocks(values, width, height, f, how);
  return {
    title: `${view.title} (shown at 1/${f} scale: ${width}×${height} → ${w}×${h})`,
    width: w,
    height: h,
    image: reduce(view.image, 'mean'),
    gt: reduce(view.gt, 'max'),
    layers: view.layers.map((l) => ({ ...l, prob: reduce(l.prob, 'max') })),
    ...(view.source ? { source: view.source } : {}),
  };
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** What the sweep view is sent: cells with their statistics as they are (∞/NaN kept), verdicts on the primary metric. */
export function sweepView(sweep: SweepFile): SweepView {
  const metrics = [...shownMetrics(sweep.cells), 'loss'];
  return {
    id: sweep.id,
    name: sweep.name,
    status: sweep.status,
    ...(sweep.reason ? { reason: sweep.reason } : {}),
    updatedAt: sweep.updatedAt,
    progress: sweep.progress,
    axes: sweep.axes.map((a) => ({ key: a.key, values: a.values.map(text) })),
    seeds: sweep.seeds,
    primaryMetric: sweep.primaryMetric,
    metrics,
    cells: sweep.cells.map((c) => ({
      id: c.id,
      label: c.label,
      params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, text(v)])),
      n: c.n,
      runIds: c.runs,
      ...(c.tuned ? { tuned: settingText(c.tuned) } : {}),
      metrics: Object.fromEntries(
        metrics.flatMap((m) => {
          const st = c.metrics[m as keyof typeof c.metrics];
          if (!st) return [];
          return [
            [
              m,
              {
                mean: st.mean,
                std: st.std,
                n: st.n,
                of: st.of ?? st.n,
                values: st.values,
                ...(st.ci95 ? { low: st.ci95[0], high: st.ci95[1] } : {}),
                ...(st.ci95Clipped ? { clipped: true } : {}),
              },
            ],
          ];
        }),
      ),
    })),
    ...(sweep.best ? { best: sweep.best } : {}),
    ...(sweep.search && zipped(sweep.search) ? { search: searchText(sweep.search) } : {}),
    verdicts: sweep.comparisons.filter((c) => c.metric === sweep.primaryMetric).map((c) => ({ axis: c.axis, text: c.verdict })),
    ...(sweep.prune ? { prune: pruneText(sweep) } : {}),
    ...(sweep.tuning ? { tuning: tuningView(sweep) } : {}),
  };
}

function tuningView(sweep: SweepFile): SweepTuningView {
  const t = sweep.tuning!;
  const search = sweep.search ? searchText(sweep.search) : `${t.trials.length} settings`;
  return {
    text:
      `Tuned ${t.keys.join(', ')} for each cell of ${t.per.join(', ')}: ${search}, tuning seed(s) ${t.seeds.join(', ')}; ` +
      `each cell compared at its best trial on fresh seeds ${sweep.seeds.join(', ')}`,
    metric: t.metric,
    cells: t.cells.map((c) => ({
      label: c.label,
      runs: c.runs,
      done: c.done,
      pruned: c.pruned,
      failed: c.failed,
      epochs: c.epochs,
      ...(c.chosen ? { chosen: settingText(c.chosen.params), value: c.chosen.value } : {}),
    })),
  };
}
