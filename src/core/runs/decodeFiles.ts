/**
 * Typed decoders for SegLab's own multi-run files, as decode.ts has for summary.json and metrics.jsonl:
 * sweep.json and comparison.json are checked field by field (every field a reader uses), so a damaged
 * or hand-edited file gives `file: "cells[2].runs" must be a list, got null`, not a crash later.
 */
import { readJsonFile } from './store';
import { any, bool, checkShape, int, listOf, mapOf, nullable, num, oneOf, optional, record, Shape, str } from '../common/shape';
import type { ComparedRun, ComparisonSummary } from './compare';
import type { SweepFile } from './sweep';

const interval = listOf(num);

const STAT: Shape = record({
  mean: num,
  std: num,
  n: int,
  of: optional(int),
  posInf: optional(int),
  negInf: optional(int),
  nan: optional(int),
});

const CELL_STAT: Shape = (v, at) =>
  STAT(v, at) ?? record({ ci95: optional(interval), ci95Clipped: optional(bool), values: listOf(num), seeds: listOf(int) })(v, at);

const RUN_RECORD: Shape = record({
  cell: str,
  seed: int,
  status: oneOf('pending', 'running', 'done', 'failed', 'cancelled', 'pruned'),
  runId: optional(str),
  runDir: optional(str),
  reason: optional(str),
  seconds: optional(num),
  final: optional(nullable(mapOf(num))),
  epochs: optional(int),
});

const TUNING: Shape = record({
  keys: listOf(str),
  per: listOf(str),
  trials: listOf(mapOf(any)),
  metric: str,
  seeds: listOf(int),
  runs: listOf(RUN_RECORD),
  cells: listOf(
    record({
      cell: str,
      label: str,
      runs: int,
      done: int,
      pruned: int,
      failed: int,
      epochs: int,
      chosen: optional(record({ trial: int, params: mapOf(any), value: num })),
    }),
  ),
});

const SWEEP_SHAPE: Shape = record({
  format: oneOf('seglab-sweep'),
  version: oneOf(1),
  id: str,
  name: str,
  createdAt: str,
  updatedAt: str,
  status: oneOf('running', 'done', 'failed', 'cancelled'),
  reason: optional(str),
  fingerprint: str,
  launcher: oneOf('local', 'slurm'),
  slurm: optional(
    record({
      options: mapOf(any),
      submissions: listOf(record({ jobId: nullable(str), script: str, tasks: listOf(int), submittedAt: str })),
    }),
  ),
  pid: optional(int),
  host: optional(str),
  parallel: int,
  axes: listOf(record({ key: str, values: listOf(any) })),
  search: optional(record({ method: oneOf('grid', 'random', 'sobol'), trials: int, seed: int, spaces: listOf(str) })),
  prune: optional(record({ method: oneOf('asha'), minEpochs: int, eta: int, rungs: listOf(int), metric: str })),
  tuning: optional(TUNING),
  seeds: listOf(int),
  primaryMetric: str,
  progress: record({
    total: int,
    done: int,
    failed: int,
    cancelled: int,
    pruned: optional(int),
    running: int,
    pending: int,
    etaSeconds: optional(num),
  }),
  cells: listOf(
    record({ id: str, label: str, params: mapOf(any), n: int, runs: listOf(str), metrics: mapOf(CELL_STAT), tuned: optional(mapOf(any)) }),
  ),
  comparisons: listOf(
    record({
      metric: str,
      axis: str,
      cell: str,
      baseline: str,
      seeds: listOf(int),
      differences: listOf(num),
      mean: num,
      ci95: optional(interval),
      ci95Clipped: optional(bool),
      p: optional(num),
      pHolm: optional(num),
      family: optional(int),
      seedsNeeded: optional(num),
      verdict: str,
    }),
  ),
  best: optional(str),
  runs: listOf(RUN_RECORD),
  baseConfig: mapOf(any),
});

/** A decoded sweep.json value, checked; the error names the file and the field. */
export function checkSweepFile(value: unknown, file: string): SweepFile {
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== 'seglab-sweep')
    throw new Error(`${file}: not a SegLab sweep (no "format": "seglab-sweep")`);
  return checkShape<SweepFile>(value, SWEEP_SHAPE, file);
}

export interface ComparisonFile {
  id: string;
  name: string;
  createdAt: string;
  heads: string[];
  seeds: number[];
  runs: ComparedRun[];
  summary: ComparisonSummary;
}

const COMPARISON_SHAPE: Shape = record({
  id: str,
  name: str,
  createdAt: str,
  heads: listOf(str),
  seeds: listOf(int),
  runs: listOf(
    record({
      head: str,
      seed: int,
      runId: optional(str),
      runDir: optional(str),
      status: str,
      reason: optional(str),
      final: optional(nullable(mapOf(num))),
      epochs: listOf(mapOf(any)),
      seconds: optional(num),
    }),
  ),
  summary: record({
    perHead: mapOf(mapOf(STAT)),
    paired: listOf(
      record({
        metric: str,
        head: str,
        baseline: str,
        differences: listOf(num),
        mean: num,
        std: num,
        of: optional(int),
        ci95: optional(interval),
        ci95Clipped: optional(bool),
        p: optional(num),
        pHolm: optional(num),
        family: optional(int),
        seedsNeeded: optional(num),
        verdict: optional(str),
      }),
    ),
  }),
  config: mapOf(any),
  configFile: optional(str),
});

/** A decoded comparison.json value, checked; the error names the file and the field. */
export function checkComparisonFile(value: unknown, file: string): ComparisonFile {
  return checkShape<ComparisonFile>(value, COMPARISON_SHAPE, file);
}

/** comparison.json read, decoded and checked. */
export function readComparisonFile(file: string): ComparisonFile {
  return checkComparisonFile(readJsonFile<unknown>(file), file);
}
