/**
 * Head comparisons: one engine process per (head, seed), as many at once as `parallel` allows, each
 * with an equal share of the thread budget, then comparison.json and report.html under
 * <runsDir>/comparisons/<timestamp>-<name>/.
 */
import * as path from 'path';
import type { ExperimentConfig } from '../core/config/config';
import { defaultThreadCount } from '../core/kernels/pool';
import { Head } from '../core/model/unet';
import { ComparedRun, ComparisonSummary, summarizeComparison } from '../core/runs/compare';
import { comparisonReport } from '../core/runs/report';
import { readEpochs, RunWriter } from '../core/runs/store';
import type { TrainEvent } from '../core/train/trainer';
import { JobResult, startTraining } from './client';
import { runQueue } from './jobQueue';

export interface CompareOptions {
  heads: Head[];
  seeds: number[];
  parallel?: number;
  /** Threads for all runs at once (default: every core); each of the `parallel` runs gets an equal share. */
  threads?: number;
  configFile?: string;
  onEvent?: (job: { head: Head; seed: number }, event: TrainEvent) => void;
  onJobEnd?: (job: { head: Head; seed: number }, result: JobResult) => void;
  onLog?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface ComparisonResult {
  dir: string;
  report: string;
  runs: ComparedRun[];
  summary: ReturnType<typeof summarizeComparison>;
}

export interface ComparisonHandle {
  result: Promise<ComparisonResult>;
  /** Stops every run after its current batch (each saves a checkpoint); runs not started are skipped. */
  cancel(): void;
  /** Kills every running engine at once (no checkpoint); the comparison still writes what finished. */
  abort(): void;
}

/**
 * How `parallel` runs share a budget of `threads`: as many runs at once as asked (at most one per job),
 * each with ⌊threads / parallel⌋ threads and at least one — never more threads in all than the budget
 * unless more runs than threads were asked for.
 */
export function shareThreads(threads: number, parallel: number | undefined, jobs: number): { parallel: number; threadsPerRun: number } {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1))
    throw new Error(`parallel must be a positive integer, got ${parallel}`);
  const runs = Math.max(1, Math.min(parallel ?? threads, jobs));
  return { parallel: runs, threadsPerRun: Math.max(1, Math.floor(threads / runs)) };
}

/** One finished (or failed, or cancelled) run of a comparison as comparison.json lists it. */
function comparedRun(job: { head: Head; seed: number }, r: JobResult): ComparedRun {
  return {
    head: job.head,
    seed: job.seed,
    runId: r.summary?.id ?? (r.runDir ? path.basename(r.runDir) : undefined),
    runDir: r.runDir,
    status: r.status,
    reason: r.reason,
    final: r.summary?.final ?? null,
    epochs: r.runDir ? readEpochs(r.runDir) : [],
    seconds: r.summary?.durations.totalSeconds,
  };
}

/** Writes runs/comparisons/<time>-<name>/comparison.json and report.html. */
function writeComparison(
  config: ExperimentConfig,
  o: CompareOptions,
  runs: ComparedRun[],
): { dir: string; report: string; summary: ComparisonSummary } {
  const summary = summarizeComparison(runs, o.heads);
  const out = RunWriter.create(path.join(config.runsDir, 'comparisons'), config.name);
  const createdAt = new Date().toISOString();
  const comparison = {
    id: out.id,
    name: config.name,
    createdAt,
    configFile: o.configFile,
    heads: o.heads,
    seeds: o.seeds,
    config,
    runs,
    summary,
  };
  out.writeJson('comparison.json', comparison);
  const notes = [
    `Heads ${o.heads.join(' vs ')} on ` +
      `${runs[0]?.runDir ? (config.dataset.builtin ? 'builtin:shapes' : config.dataset.images) : 'the dataset'}; seeds ${o.seeds.join(', ')}. ` +
      'Runs with the same seed start from identical body weights and see ' +
      'the same batches in the same order; only the head and its loss differ.',
  ];
  out.writeFile(
    'report.html',
    comparisonReport({
      title: `SegLab comparison: ${config.name}`,
      createdAt,
      configFile: o.configFile,
      heads: o.heads,
      runs,
      summary,
      notes,
    }),
  );
  return { dir: out.dir, report: out.file('report.html'), summary };
}

export function runComparison(config: ExperimentConfig, o: CompareOptions): ComparisonHandle {
  const jobs = o.seeds.flatMap((seed) => o.heads.map((head) => ({ head, seed })));
  const { parallel, threadsPerRun } = shareThreads(o.threads ?? defaultThreadCount(), o.parallel, jobs.length);
  const results = new Map<string, JobResult>();
  const key = (j: { head: Head; seed: number }) => `${j.head}/${j.seed}`;
  const queue = runQueue(
    jobs,
    parallel,
    (job) =>
      startTraining(
        { ...config, head: job.head, seed: job.seed },
        {
          runName: `${config.name}-${job.head}-seed${job.seed}`,
          configFile: o.configFile,
          onEvent: (e) => o.onEvent?.(job, e),
          onLog: o.onLog,
          env: o.env,
          threads: threadsPerRun,
        },
      ),
    (job, result) => {
      results.set(key(job), result);
      if (result.runDir !== undefined || result.status !== 'cancelled') o.onJobEnd?.(job, result);
    },
    'comparison cancelled before this run started',
  );
  const result = (async (): Promise<ComparisonResult> => {
    await queue.done;
    const runs = jobs.map((job) => comparedRun(job, results.get(key(job))!));
    const { dir, report, summary } = writeComparison(config, o, runs);
    return { dir, report, runs, summary };
  })();
  return { result, cancel: () => queue.cancel(), abort: () => queue.abort() };
}
