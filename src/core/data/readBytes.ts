import * as fs from 'fs';

/** A file's bytes, or an error that names the file and the system's reason (ENOENT, EACCES, …). */
export function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Whether `p` is an existing file (following links); false for folders and missing paths. */
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
