/**
 * Comparisons of runs that differ only in head (and seed): per-head mean ± sample std over seeds of
 * the final validation metrics, and paired differences (same seed ⇒ same data, batches and body
 * initialisation) between each head and the first.
 */
import { MetricKey } from '../common/metrics';
import type { Head } from '../model/unet';
import { nanMean, nanStd } from '../metrics/scores';
import { EpochRecord, RunSummary } from './store';

/** The metrics a comparison summarises (keys of the metric registry, so a typo does not compile). */
export const COMPARED_METRICS = ['dice', 'iou', 'hd95', 'pixelError', 'precision', 'recall', 'loss'] as const satisfies readonly MetricKey[];

export interface ComparedRun {
  head: Head;
  seed: number;
  runId?: string;
  runDir?: string;
  status: string;
  reason?: string;
  final: Record<string, number> | null;
  epochs: EpochRecord[];
  seconds?: number;
}

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface PairedDifference {
  metric: string;
  /** head − baseline, per seed (seeds where both finished). */
  head: Head;
  baseline: Head;
  differences: number[];
  mean: number;
  std: number;
}

export interface ComparisonSummary {
  perHead: Record<string, Record<string, Stat>>;
  paired: PairedDifference[];
}

export function summarizeComparison(runs: readonly ComparedRun[], heads: readonly Head[]): ComparisonSummary {
  const perHead: ComparisonSummary['perHead'] = {};
  for (const head of heads) {
    const done = runs.filter((r) => r.head === head && r.status === 'done' && r.final);
    perHead[head] = {};
    for (const m of COMPARED_METRICS) {
      const values = done.map((r) => r.final![m]).filter((v) => v !== undefined && v !== null);
      perHead[head][m] = { mean: nanMean(values), std: nanStd(values), n: values.filter((v) => !Number.isNaN(v)).length };
    }
  }
  const paired: PairedDifference[] = [];
  const baseline = heads[0];
  for (const head of heads.slice(1)) {
    for (const m of COMPARED_METRICS) {
      const differences: number[] = [];
      for (const r of runs.filter((x) => x.head === head && x.status === 'done' && x.final)) {
        const base = runs.find((x) => x.head === baseline && x.seed === r.seed && x.status === 'done' && x.final);
        if (base && Number.isFinite(r.final![m]) && Number.isFinite(base.final![m])) differences.push(r.final![m] - base.final![m]);
      }
      paired.push({ metric: m, head, baseline, differences, mean: nanMean(differences), std: nanStd(differences) });
    }
  }
  return { perHead, paired };
}

/** "0.812 ± 0.004" (or "0.812" for one seed, "—" for none). */
export function formatStat(s: Stat, digits = 3): string {
  if (s.n === 0 || Number.isNaN(s.mean)) return '—';
  return s.n > 1 && Number.isFinite(s.std) ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

export type { RunSummary };
