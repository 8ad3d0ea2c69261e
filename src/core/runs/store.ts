/**
 * The on-disk run format. `runs/<id>/` holds:
 *   config.json            the resolved config (plus derived facts: loss per head, normalisation)
 *   metrics.jsonl          one JSON line per epoch
 *   dvc.yaml, params.yaml, metrics.json, plots/metrics/{train,val}/<name>.tsv, plots/images/
 *                          the same values as DVCLive writes them (dvclive.ts), for DVC's tools
 *   events.out.tfevents.*  the same scalars and the validation probability maps for TensorBoard
 *                          (tensorboard.ts)
 *   summary.json           status, reason, backend, best epoch, final/best metrics, durations
 *   checkpoints/{last,best}/model.json + weights.bin   TensorFlow.js layers format
 *   predictions/<image>_{image,gt,prob,mask}.png       a few validation images
 * Every file is written atomically (temp file + rename), the event file appended by whole records: a
 * killed run never leaves half a file.
 */
import type { GpuAdapter } from '../backend/webgpu';
import { checkEpochRecord, checkRunSummary, RUN_STATUSES } from './decode';
import * as fs from 'fs';
import { readText } from '../data/readBytes';
import * as os from 'os';
import * as path from 'path';
import { decodeJson, decodeJsonAs, encodeJson } from '../common/json';
import type { Head } from '../model/unet';
import { appendWhole, makeDirs, writeFileAtomic } from './atomicWrite';
import { dvcStep, dvcYaml, metricsSummary, metricTsv, toYaml } from './dvclive';
import { eventFileName, fileVersionEvent, SummaryValue, summaryEvent, tfRecord } from './tensorboard';

export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['done', 'failed', 'cancelled'];

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** Validation loss and metrics, when this epoch was validated. */
  val?: Record<string, number>;
  seconds: number;
  /** The learning rate of the epoch's last step (it changes per step under a schedule). */
  learningRate?: number;
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

function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A validation image of one epoch (8-bit gray PNG), for DVC's image slider and TensorBoard. */
export interface EpochImage {
  /** File-name-safe name, e.g. "3_prob". */
  name: string;
  png: Uint8Array;
  width: number;
  height: number;
}

export class RunWriter {
  private readonly epochs: EpochRecord[] = [];
  /** When each epoch was appended (ms since 1970): the DVCLive TSVs' timestamp column. */
  private readonly times: number[] = [];
  /** The TensorBoard event file (appended to, one whole epoch of records at a time). */
  private readonly eventFile: string;
  /** Its opening record (file_version), written with the first epoch. */
  private eventHeader: Buffer | null;
  private hasImages = false;

  constructor(
    readonly dir: string,
    readonly id: string,
  ) {
    const now = Date.now() / 1000;
    this.eventFile = eventFileName(now, os.hostname());
    this.eventHeader = tfRecord(fileVersionEvent(now));
  }

  /** Creates `runsDir/<timestamp>-<name>` (a suffix keeps parallel runs apart). */
  static create(runsDir: string, name: string): RunWriter {
    makeDirs(runsDir);
    const base = `${timestamp()}-${name}`;
    for (let i = 0; i < 1000; i++) {
      const id = i === 0 ? base : `${base}-${i + 1}`;
      const dir = path.join(runsDir, id);
      try {
        fs.mkdirSync(dir);
        writeFileAtomic(path.join(dir, RUN_MARKER), encodeJson({ seglabRun: id }) + '\n');
        fs.writeFileSync(path.join(dir, RESERVE), new Uint8Array(RESERVE_BYTES));
        return new RunWriter(dir, id);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${dir}: cannot create the run folder (${(err as NodeJS.ErrnoException).code})`);
      }
    }
    throw new Error(`${runsDir}: too many runs named ${base}`);
  }

  file(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), encodeJson(value) + '\n');
  }

  /** summary.json, even on a full disk (the run's reserve is given up for it, see RESERVE). */
  writeSummary(summary: RunSummary): void {
    withReserve(this.dir, () => this.writeJson('summary.json', summary));
  }

  /** The run has ended: its reserve is no longer needed. */
  releaseReserve(): void {
    fs.rmSync(this.file(RESERVE), { force: true });
  }

  /** params.yaml (the resolved config) and dvc.yaml: what DVC needs to list the run. */
  writeParams(config: unknown): void {
    writeFileAtomic(this.file('params.yaml'), toYaml(config));
    writeFileAtomic(this.file('dvc.yaml'), dvcYaml(this.hasImages));
  }

  /**
   * One finished epoch: metrics.jsonl, the DVCLive files (TSVs, metrics.json, images) and the
   * TensorBoard event file, all at DVCLive step epoch − 1.
   */
  appendEpoch(record: EpochRecord, images: EpochImage[] = []): void {
    const now = Date.now();
    this.epochs.push(record);
    this.times.push(now);
    writeFileAtomic(this.file('metrics.jsonl'), this.epochs.map((e) => encodeJson(e, 0)).join('\n') + '\n');
    const series: Record<string, Record<string, { timestamp: number; step: number; value: number }[]>> = { train: { loss: [] }, val: {} };
    this.epochs.forEach((e, i) => {
      const at = { timestamp: this.times[i], step: dvcStep(e.epoch) };
      series.train.loss.push({ ...at, value: e.trainLoss });
      if (e.learningRate !== undefined) (series.train.learning_rate ??= []).push({ ...at, value: e.learningRate });
      for (const [k, v] of Object.entries(e.val ?? {})) (series.val[k] ??= []).push({ ...at, value: v });
    });
    const latest: Record<string, Record<string, number>> = {};
    for (const [split, metrics] of Object.entries(series)) {
      for (const [name, rows] of Object.entries(metrics)) {
        writeFileAtomic(this.file('plots', 'metrics', split, `${name}.tsv`), metricTsv(name, rows));
        (latest[split] ??= {})[name] = rows[rows.length - 1].value;
      }
    }
    const step = dvcStep(record.epoch);
    writeFileAtomic(this.file('metrics.json'), metricsSummary(latest, step));
    for (const image of images) this.writeFile(path.join('plots', 'images', image.name, `${step}.png`), image.png);
    if (images.length > 0 && !this.hasImages) {
      this.hasImages = true;
      writeFileAtomic(this.file('dvc.yaml'), dvcYaml(true));
    }
    const values: SummaryValue[] = [{ tag: 'train/loss', scalar: record.trainLoss }];
    if (record.learningRate !== undefined) values.push({ tag: 'train/learning_rate', scalar: record.learningRate });
    for (const [k, v] of Object.entries(record.val ?? {})) values.push({ tag: `val/${k}`, scalar: v });
    for (const im of images) values.push({ tag: `val/${im.name}`, image: { png: im.png, width: im.width, height: im.height, colorspace: 1 } });
    const event = tfRecord(summaryEvent(now / 1000, step, values));
    appendWhole(this.file(this.eventFile), this.eventHeader ? Buffer.concat([this.eventHeader, event]) : event);
    this.eventHeader = null;
  }

  writeFile(relative: string, content: string | Uint8Array): void {
    writeFileAtomic(this.file(relative), content);
  }
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
  text
    .split('\n')
    .forEach((line, i) => {
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

/**
 * Space held back in every running run folder (a file of RESERVE_BYTES zeros): when the disk fills up
 * during a run, it is deleted so that summary.json can still say `failed: disk full`.
 */
export const RESERVE = '.seglab-reserve';
const RESERVE_BYTES = 256 * 1024;

/** Runs `write`; when it fails for lack of space, frees the run's reserve and tries once more. */
function withReserve(dir: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    const reserve = path.join(dir, RESERVE);
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' || !fs.existsSync(reserve)) throw err;
    fs.rmSync(reserve, { force: true });
    write();
  }
}

/** The file SegLab writes first into every run folder it creates. */
export const RUN_MARKER = '.seglab-run';

/**
 * Whether SegLab made this folder as a run: it holds the marker, or (folders from before the marker)
 * a summary.json that names this folder as its run id.
 */
export function isSegLabRun(dir: string): boolean {
  if (fs.existsSync(path.join(dir, RUN_MARKER))) return true;
  try {
    const summary = readSummary(path.join(dir, 'summary.json'));
    return summary.id === path.basename(dir) && typeof summary.status === 'string' && typeof summary.startedAt === 'string';
  } catch {
    return false;
  }
}

function inside(root: string, dir: string): boolean {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  const rel = path.relative(real(root), real(dir));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Is a process with this pid alive on this machine? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A summary as it should be shown: a run still marked `running` whose training process no longer
 * exists (killed with its caller, machine rebooted) is shown as failed. The file is not rewritten.
 */
export function effectiveSummary(summary: RunSummary): RunSummary {
  if (summary.status !== 'running' || summary.pid === undefined || processAlive(summary.pid)) return summary;
  // A run started on another machine (a cluster node on a shared file system) cannot be checked here.
  if (summary.host !== undefined && summary.host !== os.hostname()) return summary;
  return { ...summary, status: 'failed', reason: `its training process (pid ${summary.pid}) ended without finishing the run` };
}

/** Runs under `runsDir`, newest first. A run whose summary is unreadable is listed with the problem. */
export function listRuns(runsDir: string): RunInfo[] {
  if (!fs.existsSync(runsDir)) return [];
  const out: RunInfo[] = [];
  for (const e of fs.readdirSync(runsDir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const dir = path.join(runsDir, e.name);
    if (!isRunDir(dir)) continue;
    try {
      const stored = fs.existsSync(path.join(dir, 'summary.json')) ? readSummary(path.join(dir, 'summary.json')) : null;
      const summary = stored && effectiveSummary(stored);
      // Found dead while marked running: written down as failed, so every reader agrees.
      if (stored && summary && summary.status !== stored.status) markRunEnded(dir, 'failed', summary.reason ?? 'its training process ended');
      out.push({ id: e.name, dir, summary });
    } catch (err) {
      out.push({ id: e.name, dir, summary: null, problem: (err as Error).message });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
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

/**
 * Deletes a run folder. Refuses a folder SegLab did not make as a run (see isSegLabRun), and, with
 * `within`, one that is not inside one of those folders (symbolic links resolved), e.g. the workspace
 * folders of an untrusted window.
 */
export function deleteRun(dir: string, o: { within?: readonly string[] } = {}): void {
  if (!isSegLabRun(dir)) throw new Error(`${dir}: not a run SegLab made (no ${RUN_MARKER} marker or run summary); not deleted`);
  if (o.within !== undefined && !o.within.some((root) => inside(root, dir))) throw new Error(`${dir}: outside ${o.within.join(', ') || 'the workspace'}; not deleted`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Checkpoint folders in `parent` left by a replacement that never finished (runs/checkpoint.ts):
 * a half-written `best.new-<pid>` is removed; a previous checkpoint set aside as `best.old-<pid>` goes
 * back in place when `best` is missing, and is removed otherwise.
 */
export function settleReplacedFolders(parent: string): void {
  if (!fs.existsSync(parent)) return;
  for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const full = path.join(parent, e.name);
    const aside = /^(.+)\.old-\d+$/.exec(e.name);
    if (/\.new-\d+$/.test(e.name)) fs.rmSync(full, { recursive: true, force: true });
    else if (aside && !fs.existsSync(path.join(parent, aside[1])) && fs.existsSync(path.join(full, 'model.json'))) fs.renameSync(full, path.join(parent, aside[1]));
    else if (aside) fs.rmSync(full, { recursive: true, force: true });
  }
}

/**
 * Removes what a writer killed mid-write leaves in a run folder: atomic-write temporaries
 * (`.name.<pid>.<time>.tmp`) and unfinished checkpoint replacements (settleReplacedFolders).
 */
export function removeStaleTemporaries(dir: string): void {
  const visit = (d: string) => {
    settleReplacedFolders(d);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isFile() && /^\..+\.\d+\.\d+\.tmp$/.test(e.name)) fs.rmSync(full, { force: true });
      else if (e.isDirectory()) visit(full);
    }
  };
  if (fs.existsSync(dir)) visit(dir);
}

/**
 * A run that stopped because its scheduler ended it (a batch system's time limit, scancel): the
 * scheduler's reason replaces the engine's "stopped" (a `cancelled` or still-`running` summary
 * becomes `status` with `reason`). A run that finished (`done`) or failed on its own is left alone.
 */
export function restateRunEnding(dir: string, status: 'failed' | 'cancelled', reason: string): void {
  const file = path.join(dir, 'summary.json');
  if (!fs.existsSync(file)) return;
  const summary = readSummary(file);
  if (summary.status === 'running') return markRunEnded(dir, status, reason);
  if (summary.status !== 'cancelled' || (summary.status === status && summary.reason === reason)) return;
  writeFileAtomic(file, encodeJson({ ...summary, status, reason }) + '\n');
}

/** Marks a run that ended without writing its own terminal status (e.g. its process crashed). */
export function markRunEnded(dir: string, status: Exclude<RunStatus, 'running'>, reason: string): void {
  const file = path.join(dir, 'summary.json');
  if (!fs.existsSync(file)) return;
  const summary = readSummary(file);
  if (TERMINAL_STATUSES.includes(summary.status)) return;
  const endedAt = new Date().toISOString();
  removeStaleTemporaries(dir);
  withReserve(dir, () =>
    writeFileAtomic(
      file,
      encodeJson({ ...summary, status, reason, endedAt, durations: { ...summary.durations, totalSeconds: (Date.parse(endedAt) - Date.parse(summary.startedAt)) / 1000 } }) + '\n',
    ),
  );
  fs.rmSync(path.join(dir, RESERVE), { force: true });
}
