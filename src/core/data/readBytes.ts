import * as fs from 'fs';

/** The largest input file SegLab reads whole (images, arrays, stacks): 2 GiB. */
export const MAX_INPUT_FILE_BYTES = 2 ** 31;

function formatSize(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

function kind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A regular file opened for reading (never blocking on a pipe or device) and its size; an error that
 * names the file and the reason otherwise (the system's code, or a folder, device or pipe). The
 * caller closes `fd`.
 */
export function openRegularFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file}: ${kind(st)}, not a file`);
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
}

/**
 * A file's bytes, or an error that names the file and the reason: the system's (ENOENT, EACCES, …),
 * a folder, device or pipe where a file should be (the zero device never ends), or a size past
 * MAX_INPUT_FILE_BYTES. The file is opened once and read to the size it had when opened.
 */
export function readBytes(file: string, maxBytes = MAX_INPUT_FILE_BYTES): Buffer {
  const { fd, size } = openRegularFile(file);
  try {
    if (size > maxBytes) throw new Error(`${file}: ${formatSize(size)}, larger than SegLab reads (${formatSize(maxBytes)})`);
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const n = fs.readSync(fd, out, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === size ? out : out.subarray(0, at);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  } finally {
    fs.closeSync(fd);
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

/** The largest text file SegLab reads (configs, run and sweep JSON, model.json): 256 MiB. */
export const MAX_TEXT_FILE_BYTES = 2 ** 28;

/** A UTF-8 text file, with readBytes' checks and a smaller limit. */
export function readText(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  const bytes = readBytes(file, maxBytes);
  return bytes.toString('utf8');
}
