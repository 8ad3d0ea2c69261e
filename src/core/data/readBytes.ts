import * as fs from 'fs';

/** A file's bytes, or an error that names the file and the system's reason (ENOENT, EACCES, …). */
export function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
