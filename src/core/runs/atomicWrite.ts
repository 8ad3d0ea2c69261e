/**
 * Atomic file writes: the content goes to a temporary file in the same folder, which is then renamed
 * over the target. A reader (or a crash) sees the old file or the new one, never half of one. Files
 * that only grow by whole records are appended to instead (appendWhole).
 */
import * as fs from 'fs';
import * as path from 'path';

export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Appends whole records to a file that is only ever extended (a TensorBoard event file): one write,
 * and if it fails part-way (a full disk) the file is cut back to its previous length, so it always
 * ends on a record boundary. Costs the new bytes only, where rewriting the file would cost it all.
 */
export function appendWhole(file: string, content: Uint8Array): void {
  let fd: number | undefined;
  let size = 0;
  try {
    fd = fs.openSync(file, 'a');
    size = fs.fstatSync(fd).size;
    const written = fs.writeSync(fd, content);
    if (written !== content.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
  } catch (err) {
    if (fd !== undefined) fs.ftruncateSync(fd, size);
    throw new Error(`${file}: cannot append (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
