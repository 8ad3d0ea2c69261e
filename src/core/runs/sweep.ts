/**
 * Sweeps: a grid of config variants (every combination of `--set KEY=V1,V2` values) × seeds, each an
 * ordinary run, summarised per cell (mean, std, 95 % t interval and the per-seed values of every
 * compared metric) with paired comparisons between cells that share seeds. This file is the sweep's
 * model and its sweep.json; launching the runs is the engine's (engine/sweep.ts).
 */
import { createHash } from 'crypto';
import { differenceRange, HEADLINE_METRICS, lowerIsBetter, metricRange, MetricKey } from '../common/metrics';
import { familyVerdicts, finiteStat, Stat, trackedMetrics } from './compare';
import { clipInterval, pairedTTest } from './stats';

/** One swept config key (a dotted path such as `loss.options.gamma`) and its values, in the order given. */
export interface SweepAxis {
  key: string;
  values: unknown[];
}

export type CellParams = Record<string, unknown>;

/**
 * How the cells were chosen when not as the grid of the --set lists (search.ts): `random` and `sobol`
 * trials take the i-th value of every axis (zipped); `grid` expanded ranges into values. `spaces` are
 * the --set options as given.
 */
export interface SweepSearch {
  method: 'grid' | 'random' | 'sobol';
  trials: number;
  seed: number;
  spaces: string[];
}

/** Whether a sweep's cells are its axes zipped (trial i takes value i of each) rather than their grid. */
export const zipped = (search: SweepSearch | undefined): boolean => search !== undefined && search.method !== 'grid';

/** The cells of a sweep: every combination of the axes' values, or trial by trial when zipped. */
export function sweepCells(axes: readonly SweepAxis[], zip: boolean): CellParams[] {
  if (!zip || axes.length === 0) return gridCells(axes);
  return axes[0].values.map((_, i) => Object.fromEntries(axes.map((a) => [a.key, a.values[i]])));
}

/** The state a sweep is in; `failed` and `cancelled` name what happened in `reason`. */
export type SweepStatus = 'running' | 'done' | 'failed' | 'cancelled';
/** `pruned`: stopped at an ASHA rung (asha.ts) — a named end, kept on resume and not counted as a failure. */
export type SweepRunStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'pruned';

/** One (cell, seed) of the grid: the run that computes it, once started. */
export interface SweepRunRecord {
  cell: string;
  seed: number;
  status: SweepRunStatus;
  runId?: string;
  runDir?: string;
  reason?: string;
  /** Wall time of the run (finished runs). */
  seconds?: number;
  /** Its final validation metrics (finished runs; a pruned run's at its rung). */
  final?: Record<string, number> | null;
  /** Epochs it trained (ended runs): a tuned sweep's budget is counted in these. */
  epochs?: number;
  /** On Slurm: the array job and task that runs it, the run's name and when it was submitted. */
  slurm?: { jobId: string | null; task: number; runName: string; submittedAt: string };
}

/** A Slurm sweep's submissions (engine/slurm.ts). */
export interface SweepSlurm {
  options: { partition?: string; time?: string; cpusPerTask?: number; mem?: string; extra?: string[] };
  /** Each sbatch of this sweep: its job id (null: written with --dry-run, not submitted), script and array tasks. */
  submissions: { jobId: string | null; script: string; tasks: number[]; submittedAt: string }[];
  /** When `seglab sweep cancel` ran scancel. */
  cancelledAt?: string;
}

/** A cell's metric over its finished seeds: finiteStat's mean ± std (∞/NaN counted, not averaged) plus the t interval and the values. */
export interface CellStat extends Stat {
  /** 95 % t interval of the mean over the finite values (2+ of them), cut to the metric's range (Dice in [0, 1]). */
  ci95?: [number, number];
  /** The t interval reached past the metric's range and was cut (its mean ± half-width is not shown). */
  ci95Clipped?: boolean;
  /** Per finished seed, in `seeds` order; ∞ and NaN kept as they are. */
  values: number[];
  seeds: number[];
}

export interface SweepCell {
  /** Stable key of the cell, e.g. `loss=dice,head=softmax2`. */
  id: string;
  /** For people: `dice · softmax2`. */
  label: string;
  params: CellParams;
  /** Seeds that finished (status done). */
  n: number;
  /** Run ids of the cell (every seed that has started, in seed order). */
  runs: string[];
  metrics: Partial<Record<MetricKey, CellStat>>;
  /** A tuned sweep: the setting of the tuned keys this cell was compared at (chosen by its tuning trials). */
  tuned?: CellParams;
}

/** `--prune asha`: the rule each run of the sweep (a tuned sweep: each tuning run) applies at its rungs (asha.ts). */
export interface SweepPrune {
  method: 'asha';
  minEpochs: number;
  eta: number;
  /** The rung epochs of the runs (R·η^k below their last epoch). */
  rungs: number[];
  /** The value compared at a rung: the config's monitor. */
  metric: string;
}

/** One compared cell's tuning: its trials, the budget they used and the setting chosen. */
export interface TunedCell {
  cell: string;
  label: string;
  /** Tuning runs (trials × tuning seeds) and how they ended. */
  runs: number;
  done: number;
  pruned: number;
  failed: number;
  /** Epochs the cell's tuning runs trained in all (equal budgets: the same trials and epochs per cell; pruning spends less). */
  epochs: number;
  /** The trial with the best mean tuning value over its finished seeds; absent until every tuning run of the cell has ended. */
  chosen?: { trial: number; params: CellParams; value: number };
}

/**
 * `--tune KEYS --per KEYS --then-seeds S`: each cell of the `per` keys (the sweep's axes) tries the same
 * trials of the tuned keys with the tuning seeds, then trains S fresh seeds (`seeds`) at its best
 * trial; the cells are compared on those fresh seeds only.
 */
export interface SweepTuning {
  keys: string[];
  per: string[];
  /** Settings of the tuned keys, the same list for every cell. */
  trials: CellParams[];
  /** What a trial is chosen by (the config's monitor), the mean of its tuning seeds' final values. */
  metric: string;
  /** The tuning runs' seeds (the comparison's seeds are fresh: none of these). */
  seeds: number[];
  runs: SweepRunRecord[];
  cells: TunedCell[];
}

/** A paired comparison of two cells over the seeds both finished (same seed ⇒ same split, batches, body weights). */
export interface CellComparison {
  metric: MetricKey;
  /** What the pair is: the swept key they differ in, or `best` (the best cell against another). */
  axis: string;
  cell: string;
  baseline: string;
  seeds: number[];
  differences: number[];
  mean: number;
  /** 95 % t interval of the mean difference, cut to ±(the metric's range) where it reached past it. */
  ci95?: [number, number];
  ci95Clipped?: boolean;
  /** Two-sided paired t-test p, uncorrected. */
  p?: number;
  /** Holm-adjusted p over the sweep's comparisons of this metric (`family` of them): the verdict's. */
  pHolm?: number;
  family?: number;
  /** Seeds a paired t-test at α 0.05/family would need for 80 % power at the observed mean and spread (∞: no difference seen). */
  seedsNeeded?: number;
  verdict: string;
}

export interface SweepProgress {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Stopped at an ASHA rung (absent in sweeps written before pruning existed). */
  pruned?: number;
  running: number;
  pending: number;
  /**
   * Seconds until every pending run has finished, from the finished runs' mean time and the
   * parallelism (absent until one has finished).
   */
  etaSeconds?: number;
}

export interface SweepFile {
  format: 'seglab-sweep';
  version: 1;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: SweepStatus;
  reason?: string;
  configFile?: string;
  /** Identifies the grid (config + axes + seeds + search): re-running the same command finds this sweep by it. */
  fingerprint: string;
  /** Set when the cells came from a search (ranges, random or Sobol trials), not the lists' grid; a tuned sweep's tuning trials. */
  search?: SweepSearch;
  /** Set when runs were stopped early at ASHA rungs. */
  prune?: SweepPrune;
  /** Set for a tuned sweep: the tuning phase (its runs are not in `runs`, which are the comparison's). */
  tuning?: SweepTuning;
  /** Where the runs ran: processes on this machine (`local`), or array tasks on a Slurm cluster. */
  launcher: 'local' | 'slurm';
  slurm?: SweepSlurm;
  /** The process running the sweep while status is `running`. */
  pid?: number;
  host?: string;
  parallel: number;
  axes: SweepAxis[];
  seeds: number[];
  /** The metric the sweep ranks cells by (Dice). */
  primaryMetric: MetricKey;
  progress: SweepProgress;
  cells: SweepCell[];
  comparisons: CellComparison[];
  /** The best cell by mean primary metric (cells with a finished run only). */
  best?: string;
  runs: SweepRunRecord[];
  /** The base config the variants were made from (as in the config file, before --set). */
  baseConfig: Record<string, unknown>;
}

/**
 * Each compared cell's tuning as the records stand: its runs (trials × tuning seeds, found by cell id
 * and seed), the epochs they trained, and — once every one of them has ended — the trial with the best
 * mean final value of `metric` over its finished seeds (pruned and failed runs do not count; a cell
 * with no finished trial has none chosen).
 */
export function tuningCells(
  cells: readonly CellParams[],
  trials: readonly CellParams[],
  seeds: readonly number[],
  records: readonly SweepRunRecord[],
  metric: string,
): TunedCell[] {
  return cells.map((p) => {
    const mine = trials.flatMap((t, trial) =>
      seeds.map((seed) => ({
        trial,
        r: records.find((r) => r.cell === cellId({ ...p, ...t }) && r.seed === seed) ?? { cell: '', seed, status: 'pending' as const },
      })),
    );
    const count = (s: SweepRunStatus) => mine.filter(({ r }) => r.status === s).length;
    const out: TunedCell = {
      cell: cellId(p),
      label: cellLabel(p),
      runs: mine.length,
      done: count('done'),
      pruned: count('pruned'),
      failed: count('failed'),
      epochs: mine.reduce((a, { r }) => a + (r.epochs ?? 0), 0),
    };
    if (mine.some(({ r }) => !TUNING_ENDED.includes(r.status))) return out;
    let best: TunedCell['chosen'];
    trials.forEach((t, trial) => {
      const values = mine
        .filter((x) => x.trial === trial && x.r.status === 'done' && typeof x.r.final?.[metric] === 'number')
        .map((x) => x.r.final![metric]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      if (values.length === 0 || !Number.isFinite(mean)) return;
      if (!best || (lowerIsBetter(metric) ? mean < best.value : mean > best.value)) best = { trial, params: { ...t }, value: mean };
    });
    return best ? { ...out, chosen: best } : out;
  });
}

/** How a tuning run may end: its trial counts (done), or it does not (pruned, failed). */
export const TUNING_ENDED: readonly SweepRunStatus[] = ['done', 'pruned', 'failed'];

/** The compared cells with the setting each was compared at (in `tuned` and the label). */
export function withTunedSettings(cells: SweepCell[], tuned: readonly TunedCell[]): SweepCell[] {
  return cells.map((c) => {
    const chosen = tuned.find((x) => x.cell === c.id)?.chosen;
    return chosen ? { ...c, tuned: chosen.params, label: `${c.label} (${cellLabel(chosen.params)})` } : c;
  });
}

/** Config keys a sweep may not set: the seed comes from --seeds, names and folders belong to the sweep. */
const RESERVED_KEYS = new Set(['seed', 'name', 'runsDir', '$schema']);

/**
 * Splits `V1,V2,…` at the commas outside brackets and quotes and reads each value as JSON when it
 * parses (numbers, true/false, null, [lists], {objects}, "strings"), else as a plain string (`bce+dice`).
 */
export function parseSweepValues(text: string, key = 'KEY'): unknown[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  const values = parts.map((p) => p.trim());
  if (values.some((v) => v === '')) throw new Error(`--set ${key}=${text}: an empty value (write --set ${key}=V1,V2,…)`);
  const parsed = values.map((v) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  });
  const seen = new Set<string>();
  for (const v of parsed) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new Error(`--set ${key}: the value ${k} is listed twice`);
    seen.add(k);
  }
  return parsed;
}

/** `--set KEY=V1,V2` → an axis; the key is checked for shape here and against the schema when the variants validate. */
export function parseSetOption(option: string): SweepAxis {
  const { key, text } = splitSetOption(option);
  return { key, values: parseSweepValues(text, key) };
}

/** The checked key of `--set KEY=…` and the text after '=' (a list, or a range for a search). */
export function splitSetOption(option: string): { key: string; text: string } {
  const eq = option.indexOf('=');
  if (eq <= 0) throw new Error(`--set '${option}': write KEY=V1,V2,… with KEY a config key such as loss, head or optimizer.learningRate`);
  const key = option.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) throw new Error(`--set '${option}': '${key}' is not a dotted config key`);
  if (RESERVED_KEYS.has(key.split('.')[0])) {
    throw new Error(`--set ${key}: ${key === 'seed' ? 'seeds come from --seeds N' : `the sweep sets ${key} itself`}`);
  }
  return { key, text: option.slice(eq + 1) };
}

/** Axes from several --set options; a key given twice is an error (its values would be ambiguous). */
export function parseAxes(options: readonly string[]): SweepAxis[] {
  const axes = options.map(parseSetOption);
  checkAxisKeys(axes.map((a) => a.key));
  return axes;
}

/** A key given twice, or one key inside another, is an error. */
export function checkAxisKeys(keys: readonly string[]): void {
  for (const k of keys) {
    if (keys.filter((x) => x === k).length > 1) throw new Error(`--set ${k} is given twice; list every value in one --set ${k}=V1,V2,…`);
    const parent = keys.find((x) => x !== k && k.startsWith(`${x}.`));
    if (parent) throw new Error(`--set ${k} and --set ${parent}: one sets part of the other; sweep one of them`);
  }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * A copy of `raw` with `key` (dotted) set to `value`. Objects on the way are created; a loss given as
 * a name (`"loss": "focal"`) becomes `{ "name": "focal" }` when a key inside it is set
 * (`loss.options.gamma`). Any other non-object on the way is an error naming the key.
 */
export function setConfigPath(raw: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = clone(raw);
  const parts = key.split('.');
  // Keys come from users: a part that names an object's machinery would write into Object.prototype.
  const bad = parts.find((p) => p === '__proto__' || p === 'constructor' || p === 'prototype' || p === '');
  if (bad !== undefined) throw new Error(`--set ${key}: '${bad}' is not a config key`);
  let node: Record<string, unknown> = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i];
    let next = Object.hasOwn(node, p) ? node[p] : undefined;
    if (next === undefined) next = node[p] = {};
    else if (typeof next === 'string' && p === 'loss' && node === out) next = node[p] = { name: next };
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new Error(`--set ${key}: ${parts.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not an object`);
    }
    node = next as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = clone(value);
  return out;
}

/** Every combination of the axes' values, the first axis varying slowest. No axes: one cell. */
export function gridCells(axes: readonly SweepAxis[]): CellParams[] {
  let cells: CellParams[] = [{}];
  for (const axis of axes) cells = cells.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return cells;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function cellId(params: CellParams): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(',');
}

export function cellLabel(params: CellParams): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return 'base config';
  // A value alone says enough for loss/head names; numbers need their key (lr 0.001, not 0.001); an
  // object with a name (a loss with ramps or options) is its name and the keys it adds.
  return entries.map(([k, v]) => (typeof v === 'string' ? v : (namedObject(v) ?? `${k.split('.').pop()} ${show(v)}`))).join(' · ');
}

/** `dice+boundary (ramps)` for {"name": "dice+boundary", "ramps": …}; undefined for other values. */
function namedObject(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string') return undefined;
  const rest = Object.keys(o).filter((k) => k !== 'name');
  return rest.length ? `${o.name} (${rest.join(', ')})` : o.name;
}

/** A file-name part for the cell's runs (a valid config name): `dice-softmax2`, `bce_dice-sigmoid1`, `learningRate0.001`. */
export function cellSlug(params: CellParams): string {
  const s = Object.entries(params)
    .map(([k, v]) => (typeof v === 'string' ? v : `${k.split('.').pop()}${show(v)}`))
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return (s || 'base').slice(0, 80);
}

/** The longest config name (the schema's `name.maxLength`). */
export const RUN_NAME_MAX = 64;

/**
 * The name of a cell's run for a seed: `<base>-<slug>-s<seed>`, a valid config name. Where that is
 * longer than a name may be (a JSON value such as a loss with ramps), the slug is cut and the first 8 hex
 * digits of the cell id's SHA-256 keep cells apart: `isbi-losses-loss_name_dice_bo-3f2a9c1e-s2`.
 */
export function cellRunName(baseName: string, params: CellParams, seed: number): string {
  const slug = cellSlug(params);
  const full = `${baseName}-${slug}-s${seed}`;
  if (full.length <= RUN_NAME_MAX) return full;
  const hash = createHash('sha256').update(cellId(params)).digest('hex').slice(0, 8);
  const tail = `-${hash}-s${seed}`;
  const head = `${baseName}-${slug}`.slice(0, Math.max(1, RUN_NAME_MAX - tail.length)).replace(/[-_.]+$/, '');
  return `${head}${tail}`;
}

/** The base config with a cell's params and a seed applied (raw JSON, to be validated by the caller). */
export function variantConfig(
  base: Record<string, unknown>,
  axes: readonly SweepAxis[],
  params: CellParams,
  seed: number,
): Record<string, unknown> {
  let out = base;
  for (const axis of axes) out = setConfigPath(out, axis.key, params[axis.key]);
  return { ...out, seed };
}

export function sweepFingerprint(
  base: Record<string, unknown>,
  axes: readonly SweepAxis[],
  seeds: readonly number[],
  search?: SweepSearch,
  /** Pruning and tuning options (absent: the fingerprint of a sweep without them, as before they existed). */
  more?: Record<string, unknown>,
): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical({ base, axes, seeds, ...(search ? { search } : {}), ...(more ?? {}) })))
    .digest('hex')
    .slice(0, 16);
}

/** Progress and ETA: pending runs × mean time of the finished ones ÷ runs at a time. */
export function sweepProgress(runs: readonly SweepRunRecord[], parallel: number): SweepProgress {
  const count = (s: SweepRunStatus) => runs.filter((r) => r.status === s).length;
  const p: SweepProgress = {
    total: runs.length,
    done: count('done'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    pruned: count('pruned'),
    running: count('running'),
    pending: count('pending'),
  };
  const times = runs.filter((r) => r.status === 'done' && typeof r.seconds === 'number').map((r) => r.seconds!);
  if (times.length > 0) {
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const left = p.pending + p.running * 0.5;
    p.etaSeconds = left === 0 ? 0 : (mean * left) / Math.max(1, Math.min(parallel, p.pending + p.running));
  }
  return p;
}

function cellStat(metric: MetricKey, pairs: { seed: number; value: number }[]): CellStat {
  const values = pairs.map((x) => x.value);
  const stat = finiteStat(values);
  const t = pairedTTest(values.filter(Number.isFinite));
  const range = metricRange(metric);
  const interval = t.ci95 && range ? clipInterval(t.ci95, range) : t.ci95 ? { ci: t.ci95, clipped: false } : undefined;
  const ci = interval ? { ci95: interval.ci, ...(interval.clipped ? { ci95Clipped: true } : {}) } : {};
  return { ...stat, ...ci, values, seeds: pairs.map((x) => x.seed) };
}

/** The cells of a grid with their runs and statistics. */
export function summarizeCells(params: readonly CellParams[], seeds: readonly number[], runs: readonly SweepRunRecord[]): SweepCell[] {
  const tracked = trackedMetrics(runs.map((r) => r.final));
  return params.map((p) => {
    const id = cellId(p);
    const mine = seeds.map((seed) => runs.find((r) => r.cell === id && r.seed === seed)).filter((r): r is SweepRunRecord => !!r);
    const done = mine.filter((r) => r.status === 'done' && r.final);
    const metrics: SweepCell['metrics'] = {};
    for (const m of tracked) {
      const pairs = done.filter((r) => typeof r.final![m] === 'number').map((r) => ({ seed: r.seed, value: r.final![m] }));
      metrics[m] = cellStat(m, pairs);
    }
    return {
      id,
      label: cellLabel(p),
      params: { ...p },
      n: done.length,
      runs: mine.map((r) => r.runId).filter((x): x is string => !!x),
      metrics,
    };
  });
}

function compareCells(metric: MetricKey, axis: string, a: SweepCell, b: SweepCell): CellComparison {
  const seeds: number[] = [];
  const differences: number[] = [];
  const av = a.metrics[metric];
  const bv = b.metrics[metric];
  for (const [i, seed] of (av?.seeds ?? []).entries()) {
    const j = bv?.seeds.indexOf(seed) ?? -1;
    if (j < 0) continue;
    const d = av!.values[i] - bv!.values[j];
    if (!Number.isFinite(d)) continue;
    seeds.push(seed);
    differences.push(d);
  }
  const test = pairedTTest(differences);
  const range = differenceRange(metric);
  const interval = test.ci95 && range ? clipInterval(test.ci95, range) : undefined;
  return {
    metric,
    axis,
    cell: a.id,
    baseline: b.id,
    seeds,
    differences,
    mean: test.mean,
    ...(test.ci95 ? { ci95: interval?.ci ?? test.ci95 } : {}),
    ...(interval?.clipped ? { ci95Clipped: true } : {}),
    ...(test.p !== undefined ? { p: test.p } : {}),
    verdict: '', // written once the family's Holm adjustment is known (holmVerdicts)
  };
}

/**
 * Holm's adjustment within each metric's comparisons (the family one verdict list shows; a pair listed
 * twice — along a key and as best against another — is one hypothesis) and the verdicts decided on it.
 */
function holmVerdicts(comparisons: CellComparison[], cells: readonly SweepCell[]): CellComparison[] {
  const label = (id: string) => cells.find((c) => c.id === id)?.label ?? id;
  const verdicts = familyVerdicts(
    comparisons.map((c) => ({
      ...c,
      head: label(c.cell),
      baseline: label(c.baseline),
      pairKey: [c.cell, c.baseline].sort().join('\n'),
    })),
  );
  comparisons.forEach((c, i) => {
    const v = verdicts[i];
    if (v.pHolm !== undefined) Object.assign(c, { pHolm: v.pHolm, family: v.family });
    if (v.seedsNeeded !== undefined) c.seedsNeeded = v.seedsNeeded;
    else delete c.seedsNeeded;
    c.verdict = v.verdict;
  });
  return comparisons;
}

/** Mean of a cell's primary metric, oriented so that larger is better (−∞ when it has none). */
function score(cell: SweepCell, metric: MetricKey): number {
  const s = cell.metrics[metric];
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return -Infinity;
  return lowerIsBetter(metric) ? -s.mean : s.mean;
}

/** The cells best first by `metric` (cells without a finished value last, in grid order). */
export function rankCells<C extends SweepCell>(cells: readonly C[], metric: MetricKey): C[] {
  return [...cells].sort((x, y) => {
    const [a, b] = [score(x, metric), score(y, metric)];
    return a === b ? 0 : b - a;
  });
}

export function bestCell(cells: readonly SweepCell[], metric: MetricKey): SweepCell | undefined {
  const first = rankCells(cells, metric)[0];
  return first && score(first, metric) > -Infinity ? first : undefined;
}

/** What a sweep.json says about its records: progress, cells with statistics, comparisons, the best cell (`parallel` 0: no limit). */
export function sweepResults(
  axes: readonly SweepAxis[],
  seeds: readonly number[],
  records: readonly SweepRunRecord[],
  primary: MetricKey,
  parallel: number,
  zip = false,
): Pick<SweepFile, 'progress' | 'cells' | 'comparisons' | 'best'> {
  const cells = summarizeCells(sweepCells(axes, zip), seeds, records);
  return {
    // 0: no limit of this sweep's own (a Slurm array without a throttle).
    progress: sweepProgress(records, parallel || records.length),
    cells,
    comparisons: compareSweepCells(cells, zip ? [] : axes, primary), // trials differ in every key: best against the others only
    best: bestCell(cells, primary)?.id,
  };
}

/**
 * Paired comparisons: along each swept key, every cell against the cell that differs only in having
 * that key's first value (softmax2 − sigmoid1 for each loss; dice − bce for each head), on the
 * headline metrics; and the best cell by the primary metric against every other cell, on that metric.
 * Each p-value stands beside its Holm adjustment over the comparisons of that metric, which decides.
 */
export function compareSweepCells(cells: readonly SweepCell[], axes: readonly SweepAxis[], primary: MetricKey): CellComparison[] {
  const out: CellComparison[] = [];
  const same = (x: CellParams, y: CellParams, except: string) =>
    Object.keys(x).every((k) => k === except || JSON.stringify(x[k]) === JSON.stringify(y[k]));
  for (const axis of axes) {
    if (axis.values.length < 2) continue;
    const first = JSON.stringify(axis.values[0]);
    for (const cell of cells) {
      if (JSON.stringify(cell.params[axis.key]) === first) continue;
      const base = cells.find((b) => JSON.stringify(b.params[axis.key]) === first && same(b.params, cell.params, axis.key));
      if (!base) continue;
      for (const m of HEADLINE_METRICS) out.push(compareCells(m, axis.key, cell, base));
    }
  }
  const best = bestCell(cells, primary);
  if (best) for (const other of cells) if (other !== best) out.push(compareCells(primary, 'best', best, other));
  return holmVerdicts(out, cells);
}
