/**
 * Deleting a run folder, guarded: only a folder SegLab made as a run (its marker, or a summary naming
 * the folder), and with `within` only inside those folders (an untrusted window's workspace).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readSummary } from './runFiles';

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

/**
 * Deletes a run folder. Refuses a folder SegLab did not make as a run (see isSegLabRun), and, with
 * `within`, one that is not inside one of those folders (symbolic links resolved), e.g. the workspace
 * folders of an untrusted window.
 */
export function deleteRun(dir: string, o: { within?: readonly string[] } = {}): void {
  if (!isSegLabRun(dir)) throw new Error(`${dir}: not a run SegLab made (no ${RUN_MARKER} marker or run summary); not deleted`);
  if (o.within !== undefined && !o.within.some((root) => inside(root, dir)))
    throw new Error(`${dir}: outside ${o.within.join(', ') || 'the workspace'}; not deleted`);
  fs.rmSync(dir, { recursive: true, force: true });
}
