/**
 * Atomic file writes: the content goes to a temporary file in the same folder, flushed to the disk,
 * which is then renamed over the target. A reader, a crash or a power cut sees the old file or the
 * new one, never half of one. Files
 * that only grow by whole records are appended to instead (appendWhole).
 */
import * as fs from 'fs';
import * as path from 'path';

/** A write that failed; `code` keeps the system's code (ENOSPC, EACCES, …) for callers that act on it. */
export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * `mkdir -p` that always ends: Node's recursive mkdir retries forever where a parent can never be made
 * (inside /proc it loops on ENOENT). Walks up to the nearest existing folder, then makes each level once;
 * the error names the path and the system's reason.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new FileWriteError(
          `${at}: cannot use as a folder (${(err as NodeJS.ErrnoException).code})`,
          (err as NodeJS.ErrnoException).code,
        );
    }
    if (st) {
      if (!st.isDirectory()) throw new FileWriteError(`${at}: not a folder, so ${dir} cannot be made`, 'ENOTDIR');
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new FileWriteError(`${d}: cannot make the folder (${code ?? (err as Error).message})`, code);
    }
  }
}

/** fsync of a folder, so a rename in it survives a power cut; where a system cannot, nothing is lost by skipping. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // EISDIR/EPERM/EINVAL on systems without folder fsync
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `content` to a temporary file beside `file`, flushes it to the disk (fsync), renames it over
 * `file` and flushes the folder: after a crash or a power cut the file is the old one or the new one.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const dir = path.dirname(file);
  makeDirs(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    for (let at = 0; at < bytes.length;) at += fs.writeSync(fd, bytes, at, bytes.length - at);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileWriteError(`${file}: cannot write (${code ?? (err as Error).message})`, code);
  }
  syncFolder(dir);
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
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileWriteError(`${file}: cannot append (${code ?? (err as Error).message})`, code);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
