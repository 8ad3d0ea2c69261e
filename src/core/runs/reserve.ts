/** The disk-full reserve of a running run folder. */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Space held back in every running run folder (a file of RESERVE_BYTES zeros): when the disk fills up
 * during a run, it is deleted so that summary.json can still say `failed: disk full`.
 */
export const RESERVE = '.seglab-reserve';
export const RESERVE_BYTES = 256 * 1024;

/** Runs `write`; when it fails for lack of space, frees the run's reserve and tries once more. */
export function withReserve(dir: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    const reserve = path.join(dir, RESERVE);
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' || !fs.existsSync(reserve)) throw err;
    fs.rmSync(reserve, { force: true });
    write();
  }
}
