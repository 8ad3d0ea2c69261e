/**
 * A run's life after its process: what a summary should say when that process is gone
 * (effectiveSummary, listRuns — both read only), writing it down (settleStaleRuns, markRunEnded,
 * restateRunEnding), and cleaning up what a killed process left (settleReplacedFolders,
 * removeStaleTemporaries).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeJson } from '../common/json';
import { writeFileAtomic } from './atomicWrite';
import { RESERVE, withReserve } from './reserve';
import { isRunDir, readSummary, RunInfo, RunStatus, RunSummary, TERMINAL_STATUSES } from './runFiles';

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

/**
 * Runs under `runsDir`, newest first, read only: a run still marked running whose process is gone is
 * listed as failed (effectiveSummary) without rewriting its summary, so listing is safe in an untrusted
 * window. settleStaleRuns writes those down. A run whose summary is unreadable is listed with the problem.
 */
export function listRuns(runsDir: string): RunInfo[] {
  if (!fs.existsSync(runsDir)) return [];
  const out: RunInfo[] = [];
  for (const e of fs.readdirSync(runsDir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const dir = path.join(runsDir, e.name);
    if (!isRunDir(dir)) continue;
    try {
      const stored = fs.existsSync(path.join(dir, 'summary.json')) ? readSummary(path.join(dir, 'summary.json')) : null;
      out.push({ id: e.name, dir, summary: stored && effectiveSummary(stored) });
    } catch (err) {
      out.push({ id: e.name, dir, summary: null, problem: (err as Error).message });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Writes down as failed every run of a listing (listRuns) still marked running whose training process
 * is gone — what the listing shows — so every reader agrees; for trusted callers (the engine, a trusted
 * window). Only runs listed as failed are re-read (effectiveSummary turns nothing else around).
 * Returns the ids it marked: a caller lists again only when there are some.
 */
export function settleStaleRuns(runs: readonly RunInfo[]): string[] {
  const marked: string[] = [];
  for (const run of runs) {
    if (run.summary?.status !== 'failed') continue;
    try {
      if (readSummary(path.join(run.dir, 'summary.json')).status !== 'running') continue;
    } catch {
      continue;
    }
    markRunEnded(run.dir, 'failed', run.summary.reason ?? 'its training process ended');
    marked.push(run.id);
  }
  return marked;
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
    else if (aside && !fs.existsSync(path.join(parent, aside[1])) && fs.existsSync(path.join(full, 'model.json')))
      fs.renameSync(full, path.join(parent, aside[1]));
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
      encodeJson({
        ...summary,
        status,
        reason,
        endedAt,
        durations: { ...summary.durations, totalSeconds: (Date.parse(endedAt) - Date.parse(summary.startedAt)) / 1000 },
      }) + '\n',
    ),
  );
  fs.rmSync(path.join(dir, RESERVE), { force: true });
}
