/**
 * Reading a run folder (the format: store.ts): the types of summary.json and metrics.jsonl, and their
 * readers, every field checked (decode.ts), so a damaged file is named with the field. Nothing here
 * writes.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { GpuAdapter } from '../backend/webgpu';
import { decodeJson, decodeJsonAs } from '../common/json';
import { readText } from '../data/readBytes';
import type { Head } from '../model/unet';
import { checkEpochRecord, checkRunSummary, RUN_STATUSES } from './decode';

export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['done', 'failed', 'cancelled', 'pruned'];

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** Validation loss and metrics, when this epoch was validated. */
  val?: Record<string, number>;
  seconds: number;
  /** The learning rate of the epoch's last step (it changes per step under a schedule). */
  learningRate?: number;
  /** The weights of ramped loss terms in this epoch (loss.ramps), by term name. */
  lossWeights?: Record<string, number>;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  reason?: string;
  /** Warnings about the data, as the start event gave them. */
  warnings?: string[];
  /** The experiment config file the run was started from (absolute path), when known. */
  configFile?: string;
  head: Head;
  mode: string;
  loss: string;
  backend: string;
  /** wasm: threads SegLab's kernels used. */
  threads?: number;
  /** webgpu: the adapter (GPU) the run trained on. */
  adapter?: GpuAdapter;
  dataset: string;
  trainImages: number;
  valImages: number;
  epochsPlanned: number;
  epochsCompleted: number;
  monitor: string;
  bestEpoch: number | null;
  best: Record<string, number> | null;
  final: Record<string, number> | null;
  startedAt: string;
  endedAt?: string;
  durations: { totalSeconds: number; meanEpochSeconds: number | null };
  pid?: number;
  /** The machine the training process ran on (os.hostname()), to tell whether `pid` can be checked here. */
  host?: string;
}

export interface RunInfo {
  id: string;
  dir: string;
  summary: RunSummary | null;
  /** Why the summary could not be read, if it could not. */
  problem?: string;
}

/** A validation image of one epoch (8-bit gray PNG), for DVC's image slider and TensorBoard. */
export interface EpochImage {
  /** File-name-safe name, e.g. "3_prob". */
  name: string;
  png: Uint8Array;
  width: number;
  height: number;
}

/** summary.json, every field checked (decode.ts): a damaged file is named with the field. */
export function readSummary(file: string): RunSummary {
  return checkRunSummary(readJsonFile<unknown>(file), file) as unknown as RunSummary;
}

/** One metrics.jsonl line, every field checked. */
function decodeEpoch(line: string, where: string): EpochRecord {
  let value: unknown;
  try {
    value = decodeJson(line);
  } catch {
    throw new Error(`${where}: not valid JSON`);
  }
  return checkEpochRecord(value, where) as unknown as EpochRecord;
}

export function readJsonFile<T>(file: string): T {
  const text = readText(file);
  try {
    return decodeJsonAs<T>(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The epochs of metrics.jsonl that parse, and one message per line that does not (a reader that shows
 * many runs uses this, so one damaged file does not hide the others).
 */
export function readEpochsTolerant(dir: string): { epochs: EpochRecord[]; problems: string[] } {
  const file = path.join(dir, 'metrics.jsonl');
  const epochs: EpochRecord[] = [];
  const problems: string[] = [];
  if (!fs.existsSync(file)) return { epochs, problems };
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    return { epochs, problems: [(err as Error).message] };
  }
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      epochs.push(decodeEpoch(line, `${file}:${i + 1}`));
    } catch (err) {
      problems.push(`${(err as Error).message} (line skipped)`);
    }
  });
  return { epochs, problems };
}

export function readEpochs(dir: string): EpochRecord[] {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  return readText(file)
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      return decodeEpoch(l, `${file}:${i + 1}`);
    });
}

export function isRunDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json')) || fs.existsSync(path.join(dir, 'summary.json'));
}

export function readRun(dir: string): { config: Record<string, unknown>; summary: RunSummary | null; epochs: EpochRecord[] } {
  if (!isRunDir(dir)) throw new Error(`${dir}: not a SegLab run (no config.json or summary.json)`);
  const summaryFile = path.join(dir, 'summary.json');
  return {
    config: readJsonFile(path.join(dir, 'config.json')),
    summary: fs.existsSync(summaryFile) ? readSummary(summaryFile) : null,
    epochs: readEpochs(dir),
  };
}
