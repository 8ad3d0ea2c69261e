/**
 * Running a sweep on this machine: every (cell, seed) of the grid an ordinary run in its own engine
 * process, at most `parallel` at a time sharing the thread budget (compare's scheduler), sweep.json
 * rewritten after every run, report.html at the end. Running the same sweep again (same config file
 * contents, --set values and seeds) resumes it: runs that finished are kept, the others run again.
 */
import * as fs from 'fs';
import { readText } from '../core/data/readBytes';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, ExperimentConfig, parseJson, resolvePaths, validateConfig } from '../core/config/config';
import { defaultThreadCount } from '../core/kernels/pool';
import { writeFileAtomic } from '../core/runs/atomicWrite';
import { readSummary, RunWriter } from '../core/runs/store';
import type { MetricKey } from '../core/common/metrics';
import { rungEpochs } from '../core/runs/asha';
import { parseSpaces, searchAxes } from '../core/runs/search';
import {
  CellParams,
  cellId,
  gridCells,
  SweepPrune,
  sweepProgress,
  TunedCell,
  tuningCells,
  TUNING_ENDED,
  withTunedSettings,
  cellRunName,
  sweepCells,
  SweepSearch,
  zipped,
  SweepAxis,
  SweepFile,
  sweepFingerprint,
  sweepResults,
  SweepRunRecord,
  variantConfig,
} from '../core/runs/sweep';
import { listSweeps, sweepsDir, writeSweep } from '../core/runs/sweepStore';
import { sweepReport } from '../core/runs/sweepReport';
import type { TrainEvent } from '../core/train/trainer';
import { JobResult, startTraining } from './client';
import { shareThreads } from './compare';
import { JobQueue, runQueue } from './jobQueue';

export interface SweepOptions {
  /** The experiment config file (its contents are the sweep's base). */
  configFile: string;
  axes: SweepAxis[];
  seeds: number[];
  parallel?: number;
  threads?: number;
  /** Overrides the config's backend (the CLI's --backend, the extension's setting). */
  backend?: string;
  /** Overrides the runs folder (the extension's seglab.runsFolder setting). */
  runsDir?: string;
  /** Start a new sweep even when one with the same grid exists. */
  fresh?: boolean;
  /** The search the axes came from (random/Sobol trials are zipped, not a grid); a tuned sweep's tuning search. */
  search?: SweepSearch;
  /** `--prune asha`: runs (a tuned sweep's tuning runs) stop at a rung when behind (core/runs/asha.ts). */
  prune?: SweepPruneOptions;
  /** `--tune`: `axes` are the compared cells' keys, `seeds` the tuning seeds; see SweepTuneOptions. */
  tune?: SweepTuneOptions;
  env?: NodeJS.ProcessEnv;
  onEvent?: (job: SweepJob, event: TrainEvent) => void;
  onLog?: (line: string) => void;
  /** After sweep.json was written (start, every run's start and end, the end). */
  onUpdate?: (sweep: SweepFile, dir: string) => void;
}

export interface SweepPruneOptions {
  method: 'asha';
  minEpochs: number;
  eta: number;
}

export interface SweepTuneOptions {
  /** The tuned keys and the keys that make the compared cells (the sweep's axes). */
  keys: string[];
  per: string[];
  /** The tuned keys' trials, each a setting of all of them (searchAxes' cells), the same for every cell. */
  trials: CellParams[];
  /** The comparison's seeds: fresh, none of the tuning seeds. */
  thenSeeds: number[];
}

export interface SweepJob {
  cell: string;
  params: CellParams;
  seed: number;
  config: ExperimentConfig;
  /** ASHA's group: runs compete only within it (a tuned sweep: the compared cell; else the whole sweep). */
  group: string;
  /** Tuning runs: which trial. */
  trial?: number;
}

export interface SweepPlan {
  base: Record<string, unknown>;
  baseConfig: ExperimentConfig;
  /** The compared cells (a tuned sweep: the cells of its `per` keys). */
  cells: CellParams[];
  /** The runs compared (a tuned sweep: empty until its tuning has chosen; see finalJobs). */
  jobs: SweepJob[];
  /** A tuned sweep's tuning runs, seed-major. */
  tuneJobs: SweepJob[];
  prune?: SweepPrune;
  fingerprint: string;
  /** A run of the sweep's config for params and a seed, validated (a bad value fails naming the cell). */
  job(params: CellParams, seed: number, group: string, trial?: number): SweepJob;
}

/** Reads the config and validates every variant before anything runs: a bad --set fails here, naming the cell. */
export function planSweep(
  o: Pick<SweepOptions, 'configFile' | 'axes' | 'seeds' | 'backend' | 'runsDir' | 'search' | 'prune' | 'tune'>,
): SweepPlan {
  if (o.seeds.length === 0) throw new Error('a sweep needs at least one seed');
  const raw = parseJson(readText(o.configFile), o.configFile);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${o.configFile}: the config is not a JSON object`);
  const base = raw as Record<string, unknown>;
  const finish = (c: ExperimentConfig): ExperimentConfig => {
    const resolved = resolvePaths(c, o.configFile);
    return {
      ...resolved,
      ...(o.backend ? { backend: o.backend as ExperimentConfig['backend'] } : {}),
      ...(o.runsDir ? { runsDir: o.runsDir } : {}),
    };
  };
  const baseConfig = finish(validateConfig(base, o.configFile));
  const job = (params: CellParams, seed: number, group: string, trial?: number): SweepJob => {
    const id = cellId(params);
    const keys = Object.keys(params).map((key) => ({ key, values: [] }));
    try {
      const name = cellRunName(String(baseConfig.name), params, seed);
      const config = finish(validateConfig({ ...variantConfig(base, keys, params, seed), name }, `${o.configFile} with ${id}`));
      return { cell: id, params, seed, config, group, ...(trial !== undefined ? { trial } : {}) };
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`--set ${id}: ${err.message}`);
      throw err;
    }
  };
  const tune = o.tune;
  const cells = tune ? gridCells(o.axes) : sweepCells(o.axes, zipped(o.search));
  // Seed-major: after the first |cells| runs every cell has one seed.
  const jobs = tune ? [] : o.seeds.flatMap((seed) => cells.map((params) => job(params, seed, 'all')));
  const tuneJobs = tune
    ? o.seeds.flatMap((seed) => cells.flatMap((p) => tune.trials.map((t, i) => job({ ...p, ...t }, seed, cellId(p), i))))
    : [];
  // Every final run's config is checked now too (with the first trial's setting), not after the tuning.
  if (tune) for (const p of cells) job({ ...p, ...tune.trials[0] }, tune.thenSeeds[0], cellId(p));
  let prune: SweepPrune | undefined;
  if (o.prune) {
    const rungs = rungEpochs(o.prune.minEpochs, o.prune.eta, baseConfig.epochs);
    if (rungs.length === 0)
      throw new Error(`--min-epochs ${o.prune.minEpochs}: the runs train ${baseConfig.epochs} epochs, so there is no rung to prune at`);
    prune = { ...o.prune, rungs, metric: baseConfig.monitor };
  }
  const more = {
    ...(o.prune ? { prune: o.prune } : {}),
    ...(tune ? { tune: { keys: tune.keys, per: tune.per, trials: tune.trials, thenSeeds: tune.thenSeeds } } : {}),
  };
  const fingerprint = sweepFingerprint(base, o.axes, o.seeds, o.search, Object.keys(more).length ? more : undefined);
  return { base, baseConfig, cells, jobs, tuneJobs, ...(prune ? { prune } : {}), fingerprint, job };
}

/** The job with its ASHA rule (the sweep folder's asha/ records, its group), when the sweep prunes. */
export function withPruning(job: SweepJob, prune: SweepPrune | undefined, sweepDir: string): SweepJob {
  if (!prune) return job;
  const pruning = {
    method: prune.method,
    minEpochs: prune.minEpochs,
    eta: prune.eta,
    rungs: path.join(sweepDir, 'asha'),
    group: job.group,
  };
  return { ...job, config: { ...job.config, pruning } };
}

/** Each compared cell's tuning as the records stand (core's tuningCells over the plan's cells and trials). */
export function tunedCells(
  plan: SweepPlan,
  records: readonly SweepRunRecord[],
  metric: string,
  o: Pick<SweepOptions, 'tune' | 'seeds'>,
): TunedCell[] {
  return tuningCells(plan.cells, o.tune?.trials ?? [], o.seeds, records, metric);
}

/** The newest sweep of this grid in the runs folder (same fingerprint), if any. */
export function findSweep(runsDir: string, fingerprint: string): { dir: string; sweep: SweepFile } | undefined {
  for (const s of listSweeps(runsDir)) if (s.sweep?.fingerprint === fingerprint) return { dir: s.dir, sweep: s.sweep };
  return undefined;
}

/**
 * A record of a previous attempt, as it stands now: runs that finished or were pruned (by their
 * summary.json, and of this job's name — a tuned cell's run at another setting is not it) are kept,
 * the rest are to run.
 */
export function carryOver(record: SweepRunRecord | undefined, job: SweepJob): SweepRunRecord {
  const pending: SweepRunRecord = { cell: job.cell, seed: job.seed, status: 'pending' };
  if (!record?.runDir || !fs.existsSync(path.join(record.runDir, 'summary.json'))) return pending;
  try {
    const s = readSummary(path.join(record.runDir, 'summary.json'));
    if ((s.status !== 'done' && s.status !== 'pruned') || s.name !== job.config.name) return pending;
    return {
      ...pending,
      status: s.status,
      runId: s.id,
      runDir: record.runDir,
      ...(s.reason && s.status === 'pruned' ? { reason: s.reason } : {}),
      seconds: s.durations?.totalSeconds,
      final: s.final ?? null,
      epochs: s.epochsCompleted,
    };
  } catch {
    return pending;
  }
}

/** A record of how a job's run ended. */
export function endRecord(job: Pick<SweepJob, 'cell' | 'seed'>, r: JobResult): SweepRunRecord {
  return {
    cell: job.cell,
    seed: job.seed,
    status: r.status,
    ...(r.runDir ? { runDir: r.runDir, runId: r.summary?.id ?? path.basename(r.runDir) } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.summary ? { seconds: r.summary.durations?.totalSeconds, final: r.summary.final ?? null, epochs: r.summary.epochsCompleted } : {}),
  };
}

export interface SweepResult {
  dir: string;
  report: string;
  sweep: SweepFile;
  /** Runs this invocation started (the others were reused from an earlier one). */
  started: number;
  reused: number;
}

export interface SweepHandle {
  /** The sweep folder (known at once). */
  dir: string;
  /** The sweep.json as first written (every cell, the runs that will be reused). */
  initial: SweepFile;
  result: Promise<SweepResult>;
  cancel(): void;
  abort(): void;
}

/** The folder of this grid's previous sweep (to resume), or a new one; refuses a sweep that is still running. */
export function openSweepFolder(
  runsDir: string,
  plan: SweepPlan,
  fresh: boolean,
  refresh?: (dir: string) => SweepFile,
): { dir: string; id: string; previous?: SweepFile } {
  const found = fresh ? undefined : findSweep(runsDir, plan.fingerprint);
  // A Slurm sweep's sweep.json is brought up to date (runs, squeue) before deciding.
  const previous = found && found.sweep.launcher === 'slurm' && refresh ? { dir: found.dir, sweep: refresh(found.dir) } : found;
  if (previous?.sweep.status === 'running' && !(refresh && previous.sweep.launcher === 'slurm')) {
    if (previous.sweep.launcher === 'slurm') {
      const jobs = previous.sweep.slurm?.submissions
        .map((x) => x.jobId)
        .filter(Boolean)
        .join(', ');
      throw new Error(
        `${previous.dir}: this sweep is running on Slurm (job ${jobs || 'not submitted yet'}); ` +
          `re-run it with --launcher slurm, or cancel it first (seglab sweep cancel)`,
      );
    }
    const where = previous.sweep.host ? ` on ${previous.sweep.host}` : '';
    throw new Error(`${previous.dir}: this sweep is already running (pid ${previous.sweep.pid}${where}); stop it first or pass --new`);
  }
  if (previous) return { dir: previous.dir, id: path.basename(previous.dir), previous: previous.sweep };
  const w = RunWriter.create(sweepsDir(runsDir), plan.baseConfig.name);
  w.releaseReserve();
  return { dir: w.dir, id: w.id };
}

/** A tuned sweep's state for its sweep.json: the tuning runs and each cell's budget and choice. */
export interface TuningState {
  records: SweepRunRecord[];
  cells: TunedCell[];
}

/**
 * sweepResults for a sweep.json; a tuned sweep's cells are those of its `per` keys (a grid, compared at
 * their chosen settings) and its progress counts the tuning runs too.
 */
export function resultsWithTuning(
  axes: readonly SweepAxis[],
  seeds: readonly number[],
  records: readonly SweepRunRecord[],
  primary: MetricKey,
  parallel: number,
  search: SweepSearch | undefined,
  tuning: TuningState | undefined,
): ReturnType<typeof sweepResults> {
  const results = sweepResults(axes, seeds, records, primary, parallel, !tuning && zipped(search));
  if (!tuning) return results;
  const all = [...tuning.records, ...records];
  return { ...results, progress: sweepProgress(all, parallel || all.length), cells: withTunedSettings(results.cells, tuning.cells) };
}

/** sweep.json's contents for the records as they stand. */
export function sweepSnapshot(
  o: Pick<SweepOptions, 'configFile' | 'axes' | 'seeds' | 'search' | 'tune'>,
  plan: SweepPlan,
  fixed: { id: string; createdAt: string; parallel: number; slurm?: SweepFile['slurm'] },
  records: SweepRunRecord[],
  status: SweepFile['status'],
  reason: string | undefined,
  tuning?: TuningState,
): SweepFile {
  const primary = 'dice' as const;
  // A tuned sweep compares its cells on the fresh seeds; the tuning seeds are in `tuning`.
  const seeds = o.tune ? o.tune.thenSeeds : o.seeds;
  const results = resultsWithTuning(o.axes, seeds, records, primary, fixed.parallel, o.search, tuning);
  return {
    format: 'seglab-sweep',
    version: 1,
    id: fixed.id,
    name: plan.baseConfig.name,
    createdAt: fixed.createdAt,
    updatedAt: new Date().toISOString(),
    status,
    ...(reason ? { reason } : {}),
    configFile: path.resolve(o.configFile),
    fingerprint: plan.fingerprint,
    launcher: fixed.slurm ? 'slurm' : 'local',
    ...(fixed.slurm ? { slurm: fixed.slurm } : {}),
    ...(status === 'running' && !fixed.slurm ? { pid: process.pid, host: os.hostname() } : {}),
    parallel: fixed.parallel,
    axes: o.axes,
    ...(o.search ? { search: o.search } : {}),
    ...(plan.prune ? { prune: plan.prune } : {}),
    ...(o.tune && tuning
      ? {
          tuning: {
            keys: o.tune.keys,
            per: o.tune.per,
            trials: o.tune.trials,
            metric: plan.baseConfig.monitor,
            seeds: o.seeds,
            runs: tuning.records,
            cells: tuning.cells,
          },
        }
      : {}),
    seeds,
    primaryMetric: primary,
    ...results,
    runs: records,
    baseConfig: plan.base,
  };
}

/** How a sweep ended: cancelled if any run was, failed if any failed (each says how to go on), else done (pruned runs ended as planned). */
export function endState(records: readonly SweepRunRecord[]): { status: SweepFile['status']; reason?: string } {
  const total = records.length;
  const failed = records.filter((r) => r.status === 'failed').length;
  const cancelled = records.filter((r) => r.status === 'cancelled').length;
  if (cancelled > 0)
    return { status: 'cancelled', reason: `${cancelled} of ${total} runs cancelled; run the same command again to finish the sweep` };
  if (failed > 0)
    return { status: 'failed', reason: `${failed} of ${total} runs failed (see runs[].reason); run the same command again to retry them` };
  return { status: 'done' };
}

/** The comparison's records of a tuned sweep before its cells have chosen: one pending per cell and fresh seed. */
export function pendingFinals(plan: SweepPlan, seeds: readonly number[]): SweepRunRecord[] {
  return seeds.flatMap((seed) => plan.cells.map((p) => ({ cell: cellId(p), seed, status: 'pending' as const })));
}

/** The comparison's jobs of a tuned sweep: each cell at its chosen setting; a cell without one gets none. */
export function finalJobs(plan: SweepPlan, tuned: readonly TunedCell[], seeds: readonly number[]): (SweepJob | undefined)[] {
  return seeds.flatMap((seed) =>
    plan.cells.map((p) => {
      const chosen = tuned.find((c) => c.cell === cellId(p))?.chosen;
      if (!chosen) return undefined;
      const j = plan.job({ ...p, ...chosen.params }, seed, cellId(p));
      // The compared cell is the cell of the per keys; the run is named with its setting.
      return { ...j, cell: cellId(p), params: p };
    }),
  );
}

export const NO_TRIAL_REASON = 'no tuning trial of this cell finished (see tuning.runs), so it has no setting to compare at';

/**
 * A tuned sweep's compared runs once its tuning has ended: each cell at its setting, its previous record
 * kept as `keep` says (finished ones, by default), a cell without a setting failed.
 */
export function comparedRuns(
  plan: SweepPlan,
  o: Pick<SweepOptions, 'tune' | 'seeds'>,
  tuneRecords: readonly SweepRunRecord[],
  previous: SweepFile | undefined,
  keep: (before: SweepRunRecord | undefined, job: SweepJob) => SweepRunRecord = carryOver,
): { jobs: (SweepJob | undefined)[]; records: SweepRunRecord[] } {
  const seeds = o.tune!.thenSeeds;
  const jobs = finalJobs(plan, tunedCells(plan, tuneRecords, plan.baseConfig.monitor, o), seeds);
  const slots = pendingFinals(plan, seeds);
  const records = jobs.map((job, i) =>
    job
      ? keep(
          previous?.runs.find((r) => r.cell === job.cell && r.seed === job.seed),
          job,
        )
      : { ...slots[i], status: 'failed' as const, reason: NO_TRIAL_REASON },
  );
  return { jobs, records };
}

/** Starts the jobs whose record is not done or pruned (with the ASHA rule when `prune`), `list` holding their records. */
function startPhase(
  o: SweepOptions,
  jobs: readonly (SweepJob | undefined)[],
  list: SweepRunRecord[],
  at: { parallel: number; threads: number; prune?: SweepPrune; dir: string; save: () => void },
): { queue: JobQueue; started: number; reused: number } {
  const ended = (r: SweepRunRecord) => r.status === 'done' || r.status === 'pruned';
  const todo = jobs
    .map((job, i) => ({ job: job && withPruning(job, at.prune, at.dir), i }))
    .filter((x): x is { job: SweepJob; i: number } => x.job !== undefined && !ended(list[x.i]));
  const queue = runQueue(
    todo,
    at.parallel,
    ({ job, i }) => {
      list[i] = { cell: job.cell, seed: job.seed, status: 'running' };
      at.save();
      return startTraining(job.config, {
        runName: job.config.name,
        configFile: path.resolve(o.configFile),
        onEvent: (e) => {
          if (e.type === 'start') {
            list[i] = { ...list[i], runDir: e.runDir, runId: path.basename(e.runDir) };
            at.save();
          }
          o.onEvent?.(job, e);
        },
        onLog: o.onLog,
        env: o.env,
        threads: at.threads,
      });
    },
    ({ job, i }, r: JobResult) => {
      list[i] = endRecord(job, r);
      at.save();
    },
    'sweep cancelled before this run started',
  );
  return { queue, started: todo.length, reused: jobs.filter((j, i) => j && ended(list[i])).length };
}

export function runSweep(o: SweepOptions): SweepHandle {
  const plan = planSweep(o);
  const runsDir = plan.baseConfig.runsDir;
  const tune = o.tune;
  const jobsTotal = plan.jobs.length + plan.tuneJobs.length + (tune ? tune.thenSeeds.length * plan.cells.length : 0);
  const { parallel, threadsPerRun } = shareThreads(o.threads ?? defaultThreadCount(), o.parallel, jobsTotal);
  const { dir, id, previous } = openSweepFolder(runsDir, plan, Boolean(o.fresh));
  const find = (list: SweepRunRecord[] | undefined, job: SweepJob) => list?.find((r) => r.cell === job.cell && r.seed === job.seed);
  const tuneRecords = plan.tuneJobs.map((job) => carryOver(find(previous?.tuning?.runs, job), job));
  let records: SweepRunRecord[] = tune
    ? pendingFinals(plan, tune.thenSeeds)
    : plan.jobs.map((job) => carryOver(find(previous?.runs, job), job));
  const fixed = { id, createdAt: previous?.createdAt ?? new Date().toISOString(), parallel };
  let status: SweepFile['status'] = 'running';
  let reason: string | undefined;
  const metric = plan.baseConfig.monitor;
  const tuning = (): TuningState | undefined =>
    tune ? { records: tuneRecords, cells: tunedCells(plan, tuneRecords, metric, o) } : undefined;
  const snapshot = () => sweepSnapshot(o, plan, fixed, records, status, reason, tuning());
  const save = (): SweepFile => {
    const s = snapshot();
    writeSweep(dir, s);
    o.onUpdate?.(s, dir);
    return s;
  };
  const settleFinals = (): (SweepJob | undefined)[] => {
    const next = comparedRuns(plan, o, tuneRecords, previous);
    records = next.records;
    return next.jobs;
  };
  // Resuming a tuned sweep whose tuning had ended: its compared runs are known (and kept) from the start.
  if (tune && tuneRecords.every((r) => TUNING_ENDED.includes(r.status))) settleFinals();
  const initial = save();
  let reused = 0;
  let started = 0;
  let stopped: 'cancel' | 'abort' | undefined;
  let current: JobQueue | undefined;

  /** Runs the jobs whose record is not done or pruned, `list` holding their records (a tuned sweep prunes tuning runs only). */
  const runPhase = async (jobs: readonly (SweepJob | undefined)[], list: SweepRunRecord[]): Promise<void> => {
    const prune = tune && jobs !== plan.tuneJobs ? undefined : plan.prune;
    const phase = startPhase(o, jobs, list, { parallel, threads: threadsPerRun, prune, dir, save });
    reused += phase.reused;
    started += phase.started;
    current = phase.queue;
    if (stopped === 'cancel') current.cancel();
    if (stopped === 'abort') current.abort();
    await current.done;
  };

  const result = (async (): Promise<SweepResult> => {
    if (tune) {
      await runPhase(plan.tuneJobs, tuneRecords);
      const tuneEnd = endState(tuneRecords);
      if (tuneEnd.status === 'cancelled' || stopped) {
        // The comparison waits for every tuning run: nothing of it starts after a cancel.
        records = records.map((r) => ({ ...r, status: 'cancelled', reason: 'sweep cancelled during its tuning' }));
      } else {
        const jobs = settleFinals();
        save();
        await runPhase(jobs, records);
      }
    } else await runPhase(plan.jobs, records);
    ({ status, reason } = endState(tune ? [...tuneRecords.filter((r) => r.status === 'cancelled'), ...records] : records));
    const sweep = snapshot();
    const report = path.join(dir, 'report.html');
    writeFileAtomic(report, sweepReport(sweep));
    writeSweep(dir, sweep);
    o.onUpdate?.(sweep, dir);
    return { dir, report, sweep, started, reused };
  })();
  const stop = (how: 'cancel' | 'abort') => {
    stopped = how;
    if (how === 'cancel') current?.cancel();
    else current?.abort();
  };
  return { dir, initial, result, cancel: () => stop('cancel'), abort: () => stop('abort') };
}

/** The learning-rate space Run Sweep's "Tuned per cell" (VS Code) searches (the CLI takes any key and range). */
export const TUNED_RATES = 'optimizer.learningRate=log:3e-4..1e-2';

/**
 * A tuned sweep's options as `seglab sweep … --set TUNED_RATES --search sobol --trials N --tune
 * optimizer.learningRate --then-seeds S --prune asha` gives them (the same fingerprint: either resumes
 * the other); ASHA only when the runs have an epoch to prune at.
 */
export function tunedLearningRate(
  axes: readonly SweepAxis[],
  trials: number,
  tuningSeed: number,
  seedCount: number,
  epochs: number,
): Pick<SweepOptions, 'search' | 'tune' | 'prune'> {
  const { axes: rates } = searchAxes(parseSpaces([TUNED_RATES]), 'sobol', trials, 1);
  return {
    search: { method: 'sobol', trials, seed: 1, spaces: [TUNED_RATES] },
    tune: {
      keys: ['optimizer.learningRate'],
      per: axes.map((a) => a.key),
      trials: sweepCells(rates, true),
      thenSeeds: Array.from({ length: seedCount }, (_, i) => tuningSeed + 1 + i),
    },
    ...(epochs > 1 ? { prune: { method: 'asha' as const, minEpochs: 1, eta: 3 } } : {}),
  };
}
