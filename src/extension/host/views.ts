/**
 * What the dashboard is sent about runs and evaluations, built from core results. No vscode import,
 * so unit tests check it. Metric values go as they are (∞, NaN included): `toWire` carries them
 * across postMessage's JSON; null means only "not computed".
 */
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { predictionNames } from '../../core/runs/report';
import { readEpochsTolerant, RunInfo } from '../../core/runs/store';
import { EvaluationView, RunView } from '../../webview/contract';

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
