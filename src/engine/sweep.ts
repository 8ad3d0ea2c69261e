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
import {
  CellParams,
  cellId,
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
import { runQueue } from './jobQueue';

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
  /** The search the axes came from (random/Sobol trials are zipped, not a grid). */
  search?: SweepSearch;
  env?: NodeJS.ProcessEnv;
  onEvent?: (job: SweepJob, event: TrainEvent) => void;
  onLog?: (line: string) => void;
  /** After sweep.json was written (start, every run's start and end, the end). */
  onUpdate?: (sweep: SweepFile, dir: string) => void;
}

export interface SweepJob {
  cell: string;
  params: CellParams;
  seed: number;
  config: ExperimentConfig;
}

export interface SweepPlan {
  base: Record<string, unknown>;
  baseConfig: ExperimentConfig;
  cells: CellParams[];
  jobs: SweepJob[];
  fingerprint: string;
}

/** Reads the config and validates every variant before anything runs: a bad --set fails here, naming the cell. */
export function planSweep(o: Pick<SweepOptions, 'configFile' | 'axes' | 'seeds' | 'backend' | 'runsDir' | 'search'>): SweepPlan {
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
  const cells = sweepCells(o.axes, zipped(o.search));
  const jobs: SweepJob[] = [];
  // Seed-major: after the first |cells| runs every cell has one seed.
  for (const seed of o.seeds) {
    for (const params of cells) {
      const id = cellId(params);
      let config: ExperimentConfig;
      try {
        const name = cellRunName(String(baseConfig.name), params, seed);
        config = finish(validateConfig({ ...variantConfig(base, o.axes, params, seed), name }, `${o.configFile} with ${id}`));
      } catch (err) {
        if (err instanceof ConfigError) throw new Error(`--set ${id}: ${err.message}`);
        throw err;
      }
      jobs.push({ cell: id, params, seed, config });
    }
  }
  return { base, baseConfig, cells, jobs, fingerprint: sweepFingerprint(base, o.axes, o.seeds, o.search) };
}

/** The newest sweep of this grid in the runs folder (same fingerprint), if any. */
export function findSweep(runsDir: string, fingerprint: string): { dir: string; sweep: SweepFile } | undefined {
  for (const s of listSweeps(runsDir)) if (s.sweep?.fingerprint === fingerprint) return { dir: s.dir, sweep: s.sweep };
  return undefined;
}

/** A record of a previous attempt, as it stands now: done runs (by their summary.json) are kept, the rest are to run. */
export function carryOver(record: SweepRunRecord | undefined, job: SweepJob): SweepRunRecord {
  const pending: SweepRunRecord = { cell: job.cell, seed: job.seed, status: 'pending' };
  if (!record?.runDir || !fs.existsSync(path.join(record.runDir, 'summary.json'))) return pending;
  try {
    const s = readSummary(path.join(record.runDir, 'summary.json'));
    if (s.status !== 'done') return pending;
    return { ...pending, status: 'done', runId: s.id, runDir: record.runDir, seconds: s.durations?.totalSeconds, final: s.final ?? null };
  } catch {
    return pending;
  }
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

/** sweep.json's contents for the records as they stand. */
export function sweepSnapshot(
  o: Pick<SweepOptions, 'configFile' | 'axes' | 'seeds' | 'search'>,
  plan: SweepPlan,
  fixed: { id: string; createdAt: string; parallel: number; slurm?: SweepFile['slurm'] },
  records: SweepRunRecord[],
  status: SweepFile['status'],
  reason: string | undefined,
): SweepFile {
  const primary = 'dice' as const;
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
    seeds: o.seeds,
    primaryMetric: primary,
    ...sweepResults(o.axes, o.seeds, records, primary, fixed.parallel, zipped(o.search)),
    runs: records,
    baseConfig: plan.base,
  };
}

/** How a sweep ended: cancelled if any run was, failed if any failed (each says how to go on), else done. */
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

export function runSweep(o: SweepOptions): SweepHandle {
  const plan = planSweep(o);
  const runsDir = plan.baseConfig.runsDir;
  const jobsTotal = plan.jobs.length;
  const { parallel, threadsPerRun } = shareThreads(o.threads ?? defaultThreadCount(), o.parallel, jobsTotal);
  const { dir, id, previous } = openSweepFolder(runsDir, plan, Boolean(o.fresh));
  const records: SweepRunRecord[] = plan.jobs.map((job) =>
    carryOver(
      previous?.runs.find((r) => r.cell === job.cell && r.seed === job.seed),
      job,
    ),
  );
  const fixed = { id, createdAt: previous?.createdAt ?? new Date().toISOString(), parallel };
  let status: SweepFile['status'] = 'running';
  let reason: string | undefined;
  const snapshot = () => sweepSnapshot(o, plan, fixed, records, status, reason);
  const save = (): SweepFile => {
    const s = snapshot();
    writeSweep(dir, s);
    o.onUpdate?.(s, dir);
    return s;
  };
  const initial = save();
  const todo = plan.jobs.map((job, i) => ({ job, i })).filter(({ i }) => records[i].status !== 'done');
  const reused = jobsTotal - todo.length;

  const queue = runQueue(
    todo,
    parallel,
    ({ job, i }) => {
      records[i] = { cell: job.cell, seed: job.seed, status: 'running' };
      save();
      return startTraining(job.config, {
        runName: job.config.name,
        configFile: path.resolve(o.configFile),
        onEvent: (e) => {
          if (e.type === 'start') {
            records[i] = { ...records[i], runDir: e.runDir, runId: path.basename(e.runDir) };
            save();
          }
          o.onEvent?.(job, e);
        },
        onLog: o.onLog,
        env: o.env,
        threads: threadsPerRun,
      });
    },
    ({ job, i }, r: JobResult) => {
      records[i] = {
        cell: job.cell,
        seed: job.seed,
        status: r.status,
        ...(r.runDir ? { runDir: r.runDir, runId: r.summary?.id ?? path.basename(r.runDir) } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.summary ? { seconds: r.summary.durations?.totalSeconds, final: r.summary.final ?? null } : {}),
      };
      save();
    },
    'sweep cancelled before this run started',
  );

  const result = (async (): Promise<SweepResult> => {
    await queue.done;
    ({ status, reason } = endState(records));
    const sweep = snapshot();
    const report = path.join(dir, 'report.html');
    writeFileAtomic(report, sweepReport(sweep));
    writeSweep(dir, sweep);
    o.onUpdate?.(sweep, dir);
    return { dir, report, sweep, started: todo.length, reused };
  })();
  return { dir, initial, result, cancel: () => queue.cancel(), abort: () => queue.abort() };
}
