/**
 * Sweep folders on disk: `<runsDir>/sweeps/<time>-<name>/` with sweep.json (rewritten atomically
 * after every run, so it always parses) and report.html. Readers see a sweep whose process is gone
 * while it says `running` as failed, with why.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeJson } from '../common/json';
import { checkSweepFile } from './decodeFiles';
import { writeFileAtomic } from './atomicWrite';
import { processAlive, readJsonFile } from './store';
import type { SweepFile } from './sweep';

export const SWEEP_FILE = 'sweep.json';

export function sweepsDir(runsDir: string): string {
  return path.join(runsDir, 'sweeps');
}

export function writeSweep(dir: string, sweep: SweepFile): void {
  writeFileAtomic(path.join(dir, SWEEP_FILE), encodeJson(sweep) + '\n');
}

/** sweep.json of a sweep folder, checked for the fields every reader relies on; the error names the file. */
export function readSweepFile(dir: string): SweepFile {
  const file = path.join(dir, SWEEP_FILE);
  return checkSweepFile(readJsonFile<unknown>(file), file);
}

/** As it should be shown: `running` with its process gone (on this machine) is failed. */
export function effectiveSweep(sweep: SweepFile): SweepFile {
  if (sweep.status !== 'running' || sweep.pid === undefined || processAlive(sweep.pid)) return sweep;
  if (sweep.host !== undefined && sweep.host !== os.hostname()) return sweep;
  return {
    ...sweep,
    status: 'failed',
    reason: `the sweep process (pid ${sweep.pid}) ended before the sweep did; run the same command again to finish it`,
  };
}

export interface SweepInfo {
  dir: string;
  id: string;
  sweep: SweepFile | null;
  problem?: string;
}

/** The sweeps of a runs folder, newest first; an unreadable sweep.json is listed with its problem. */
export function listSweeps(runsDir: string): SweepInfo[] {
  const root = sweepsDir(runsDir);
  if (!fs.existsSync(root)) return [];
  const out: SweepInfo[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory() || !fs.existsSync(path.join(root, e.name, SWEEP_FILE))) continue;
    const dir = path.join(root, e.name);
    try {
      out.push({ dir, id: e.name, sweep: effectiveSweep(readSweepFile(dir)) });
    } catch (err) {
      out.push({ dir, id: e.name, sweep: null, problem: (err as Error).message });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
