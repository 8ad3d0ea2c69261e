/**
 * Comparisons of runs that differ only in head (and seed): per-head mean ± sample std over seeds of
 * the final validation metrics, and paired differences (same seed ⇒ same data, batches and body
 * initialisation) between each head and the first, with a paired t-test and a verdict (stats.ts).
 */
import { differenceRange, HEADLINE_METRICS, isMetricKey, lowerIsBetter, metricLabel, MetricKey, METRICS } from '../common/metrics';
import { clipInterval, holmAdjust, pairedTTest, pairedVerdict, seedsForPower } from './stats';
import type { Head } from '../model/unet';
import { nanMean, nanStd } from '../metrics/scores';
import { EpochRecord, RunSummary } from './store';

/** The metrics a comparison summarises (keys of the metric registry, so a typo does not compile). */
export const COMPARED_METRICS = [
  'dice',
  'iou',
  'hd95',
  'pixelError',
  'precision',
  'recall',
  'ece',
  'brier',
  'loss',
] as const satisfies readonly MetricKey[];

/**
 * The metrics to summarize for a set of runs: COMPARED_METRICS, then every other metric some run
 * tracked (NSD, V_Rand, clDice, … when the config's `metrics` ask for them), in METRICS order, loss last.
 */
export function trackedMetrics(finals: readonly (Record<string, number> | null | undefined)[]): MetricKey[] {
  const seen = new Set(finals.flatMap((f) => Object.keys(f ?? {})));
  const base = COMPARED_METRICS.filter((m) => m !== 'loss');
  const extra = (Object.keys(METRICS) as MetricKey[]).filter(
    (m) => m !== 'loss' && seen.has(m) && !(base as readonly string[]).includes(m),
  );
  return [...base, ...extra, 'loss'];
}

/**
 * The metrics a sweep's tables show: the headline ones, then whatever else its cells hold (NSD, V_Rand,
 * clDice, … that the config tracked beyond COMPARED_METRICS). The CLI table, report and Sweep view use it.
 */
export function shownMetrics(cells: readonly { metrics: Record<string, unknown> }[]): MetricKey[] {
  const held = cells[0] ? Object.keys(cells[0].metrics) : [];
  const extra = held.filter(
    (m): m is MetricKey =>
      isMetricKey(m) && !(HEADLINE_METRICS as readonly string[]).includes(m) && !(COMPARED_METRICS as readonly string[]).includes(m),
  );
  return [...HEADLINE_METRICS, ...extra];
}

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

/**
 * Mean ± sample std over the finite values of one metric across seeds. A value that is ∞, −∞ or
 * NaN (an HD95 of a run that predicted nothing, a diverged loss) is not averaged in but counted, so
 * a table can say "2 of 3 seeds; 1 ∞" instead of hiding it.
 */
export interface Stat {
  mean: number;
  std: number;
  /** Finite values the mean is over. */
  n: number;
  /** Values given (finished runs); absent in comparisons written before SegLab 0.9 (then = n). */
  of?: number;
  posInf?: number;
  negInf?: number;
  nan?: number;
}

export function finiteStat(values: readonly number[]): Stat {
  const finite = values.filter(Number.isFinite);
  return {
    mean: nanMean(finite),
    std: nanStd(finite),
    n: finite.length,
    of: values.length,
    posInf: values.filter((v) => v === Infinity).length,
    negInf: values.filter((v) => v === -Infinity).length,
    nan: values.filter(Number.isNaN).length,
  };
}

export interface PairedDifference {
  metric: string;
  /** head − baseline, per seed (seeds where both finished). */
  head: Head;
  baseline: Head;
  differences: number[];
  mean: number;
  std: number;
  /** Seeds where both heads finished (a difference with ∞ or NaN on either side is left out). */
  of?: number;
  /** Paired t-test on the differences (2+ seeds): 95 % t interval (cut to ±the metric's range), two-sided p (scipy's ttest_rel). */
  ci95?: [number, number];
  ci95Clipped?: boolean;
  p?: number;
  /** Holm-adjusted p over this metric's paired differences (`family` of them, one per head beyond the baseline). */
  pHolm?: number;
  family?: number;
  /** Seeds a paired t-test at α 0.05/family would need for 80 % power at the observed mean and spread. */
  seedsNeeded?: number;
  /** In plain words, e.g. "softmax2 − sigmoid1: +0.004 Dice, 95 % CI [−0.010, +0.018], p = 0.41: not distinguishable with 3 seeds". */
  verdict?: string;
}

export interface ComparisonSummary {
  perHead: Record<string, Record<string, Stat>>;
  paired: PairedDifference[];
}

export function summarizeComparison(runs: readonly ComparedRun[], heads: readonly Head[]): ComparisonSummary {
  const perHead: ComparisonSummary['perHead'] = {};
  const metrics = trackedMetrics(runs.map((r) => r.final));
  for (const head of heads) {
    const done = runs.filter((r) => r.head === head && r.status === 'done' && r.final);
    perHead[head] = {};
    for (const m of metrics) {
      perHead[head][m] = finiteStat(done.map((r) => r.final![m]).filter((v) => typeof v === 'number'));
    }
  }
  const paired: PairedDifference[] = [];
  const baseline = heads[0];
  for (const head of heads.slice(1)) {
    for (const m of metrics) {
      const differences: number[] = [];
      let of = 0;
      let tracked = false;
      for (const r of runs.filter((x) => x.head === head && x.status === 'done' && x.final)) {
        const base = runs.find((x) => x.head === baseline && x.seed === r.seed && x.status === 'done' && x.final);
        if (!base) continue;
        of++;
        tracked ||= typeof r.final![m] === 'number' && typeof base.final![m] === 'number';
        if (Number.isFinite(r.final![m]) && Number.isFinite(base.final![m])) differences.push(r.final![m] - base.final![m]);
      }
      // A metric the runs did not track (not in the config's `metrics`) has no paired difference at all;
      // "no seed with a finite value" is kept for values that were measured and came out ∞ or NaN.
      if (of > 0 && !tracked) continue;
      const test = pairedTTest(differences);
      const range = differenceRange(m);
      const interval = test.ci95 && range ? clipInterval(test.ci95, range) : undefined;
      paired.push({
        metric: m,
        head,
        baseline,
        differences,
        mean: nanMean(differences),
        std: nanStd(differences),
        of,
        ci95: interval?.ci ?? test.ci95,
        ...(interval?.clipped ? { ci95Clipped: true } : {}),
        p: test.p,
      });
    }
  }
  return { perHead, paired: withVerdicts(paired) };
}

/** Holm within each metric's differences (several heads against one baseline), then each verdict. */
function withVerdicts(paired: PairedDifference[]): PairedDifference[] {
  const verdicts = familyVerdicts(paired.map((d) => ({ ...d, pairKey: `${d.head}\n${d.baseline}` })));
  paired.forEach((d, i) => {
    const v = verdicts[i];
    if (v.pHolm !== undefined && v.family > 1) Object.assign(d, { pHolm: v.pHolm, family: v.family });
    if (v.seedsNeeded !== undefined) d.seedsNeeded = v.seedsNeeded;
    d.verdict = v.verdict;
  });
  return paired;
}

/** A paired difference as its verdict needs it: the metric, the pair (labels and a key naming it once), the differences and test. */
export interface FamilyMember {
  metric: string;
  head: string;
  baseline: string;
  /** The same key for the same pair listed twice (one hypothesis). */
  pairKey: string;
  differences: number[];
  p?: number;
  /** The interval as reported (cut to the metric's range). */
  ci95?: [number, number];
  ci95Clipped?: boolean;
}

/**
 * The verdicts of paired differences, one family per metric: Holm's adjustment over the family's
 * distinct pairs decides each verdict, and an undecided difference is planned at Holm's strictest
 * level α/m (so the seeds it names would be told apart here). Used by comparisons and sweeps.
 */
export function familyVerdicts(
  members: readonly FamilyMember[],
): { pHolm?: number; family: number; seedsNeeded?: number; verdict: string }[] {
  const out: { pHolm?: number; family: number; seedsNeeded?: number; verdict: string }[] = [];
  for (const metric of new Set(members.map((d) => d.metric))) {
    const idx = members.map((d, i) => (d.metric === metric ? i : -1)).filter((i) => i >= 0);
    const keys = [...new Set(idx.map((i) => members[i].pairKey))];
    const distinct = holmAdjust(keys.map((k) => members[idx.find((i) => members[i].pairKey === k)!].p));
    const m = distinct.filter((p) => p !== undefined).length;
    const alpha = 0.05 / Math.max(1, m);
    for (const i of idx) {
      const d = members[i];
      const pHolm = distinct[keys.indexOf(d.pairKey)];
      const need = d.differences.length >= 2 ? seedsForPower(nanMean(d.differences), nanStd(d.differences), { alpha }) : undefined;
      const test = pairedTTest(d.differences);
      if (test.ci95 && d.ci95) test.ci95 = d.ci95;
      const verdict = pairedVerdict(test, {
        head: d.head,
        baseline: d.baseline,
        label: metricLabel(metric),
        lowerIsBetter: lowerIsBetter(metric),
        digits: isMetricKey(metric) ? METRICS[metric].digits : 3,
        ...(pHolm !== undefined ? { holm: { p: pHolm, family: m } } : {}),
        ...(need !== undefined ? { seedsNeeded: need, seedsAlpha: alpha } : {}),
        ...(d.ci95Clipped ? { clipped: true } : {}),
      });
      out[i] = { ...(pHolm !== undefined ? { pHolm } : {}), family: m, ...(need !== undefined ? { seedsNeeded: need } : {}), verdict };
    }
  }
  return out;
}

/**
 * "0.812 ± 0.004" (or "0.812" for one seed, "—" for none); when values were left out of the mean,
 * how many: "3.162 (2 of 3 seeds; 1 ∞)", "∞ (all 3 seeds)", "— (3 seeds: 1 ∞, 2 NaN)".
 */
export function formatStat(s: Stat, digits = 3): string {
  const left = (
    [
      [s.posInf ?? 0, '∞'],
      [s.negInf ?? 0, '−∞'],
      [s.nan ?? 0, 'NaN'],
    ] as [number, string][]
  ).filter(([k]) => k > 0);
  const counts = left.map(([k, label]) => `${k} ${label}`).join(', ');
  const of = s.of ?? s.n;
  if (s.n > 0 && !Number.isNaN(s.mean)) {
    const value = s.n > 1 && Number.isFinite(s.std) ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
    return left.length === 0 ? value : `${value} (${s.n} of ${of} seeds; ${counts})`;
  }
  if (left.length === 0) return '—';
  return left.length === 1 ? `${left[0][1]} (all ${of} seed${of === 1 ? '' : 's'})` : `— (${of} seeds: ${counts})`;
}

export type { RunSummary };
