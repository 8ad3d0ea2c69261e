/**
 * Pairs files of two folders by file name without extension ("12.png" with "12.npy"), reporting
 * unpaired and ambiguous names. The first folder holds predictions: SegLab's own `_prob` / `_mask`
 * output names pair with the plain names of the second.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface FilePair {
  name: string;
  a: string;
  b: string;
}

function listByStem(dir: string, extensions: readonly string[], what: string): Map<string, string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${dir}: cannot read the ${what} folder (${code === 'ENOENT' ? 'no such folder' : code})`);
  }
  const out = new Map<string, string>();
  for (const e of entries) {
    const ext = path.extname(e.name).toLowerCase();
    if (!extensions.includes(ext) || !(e.isFile() || (e.isSymbolicLink() && linksToFile(path.join(dir, e.name))))) continue;
    const stem = e.name.slice(0, e.name.length - ext.length);
    const prior = out.get(stem);
    if (prior) throw new Error(`${dir}: '${path.basename(prior)}' and '${e.name}' have the same name; keep one`);
    out.set(stem, path.join(dir, e.name));
  }
  return out;
}

/**
 * A symbolic link is followed: true when it ends at a file; a link that ends at a folder, nowhere or
 * in a loop is an error naming it (it was meant as one of the files, so skipping it would only move
 * the problem to "unpaired files").
 */
function linksToFile(file: string): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its target does not exist' : code === 'ELOOP' ? 'it is a loop of links' : code;
    throw new Error(`${file}: cannot follow the symbolic link (${code}: ${why})`);
  }
  if (stat.isDirectory()) throw new Error(`${file}: the symbolic link points to a folder (EISDIR), not a file`);
  return stat.isFile();
}

/** Natural order: "2" before "10". */
export function naturalCompare(x: string, y: string): number {
  return x.localeCompare(y, undefined, { numeric: true });
}

/** Suffixes `seglab predict` gives its outputs, in order of preference when both are there. */
export const PREDICT_SUFFIXES = ['_prob', '_mask'] as const;

/**
 * `seglab predict` writes `<name>_prob.png` and `<name>_mask.png`: a prediction whose own name has no
 * partner but whose name without one of those suffixes does is paired under that name, the
 * probability map before the mask (eval thresholds it). Names that pair as they are stay as they are.
 */
function stripPredictSuffixes(a: Map<string, string>, b: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [stem, file] of a) if (b.has(stem) || !PREDICT_SUFFIXES.some((x) => stem.endsWith(x))) out.set(stem, file);
  for (const suffix of PREDICT_SUFFIXES) {
    for (const [stem, file] of a) {
      if (!stem.endsWith(suffix) || b.has(stem)) continue;
      const base = stem.slice(0, -suffix.length);
      if (b.has(base) && !out.has(base)) out.set(base, file);
      else if (!b.has(base)) out.set(stem, file); // unpaired either way: reported under its own name
    }
  }
  return out;
}

export function pairFolders(dirA: string, dirB: string, extensions: readonly string[], names: { a: string; b: string }): FilePair[] {
  const b = listByStem(dirB, extensions, names.b);
  const a = stripPredictSuffixes(listByStem(dirA, extensions, names.a), b);
  const onlyA = [...a.keys()].filter((k) => !b.has(k)).sort(naturalCompare);
  const onlyB = [...b.keys()].filter((k) => !a.has(k)).sort(naturalCompare);
  if (onlyA.length || onlyB.length) {
    const show = (xs: string[], m: Map<string, string>) =>
      xs
        .slice(0, 8)
        .map((k) => path.basename(m.get(k)!))
        .join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
    const parts: string[] = [];
    if (onlyA.length) parts.push(`${names.a} files without a ${names.b} file in ${dirB}: ${show(onlyA, a)}`);
    if (onlyB.length) parts.push(`${names.b} files without a ${names.a} file in ${dirA}: ${show(onlyB, b)}`);
    throw new Error(`unpaired files: ${parts.join('; ')}`);
  }
  if (a.size === 0) throw new Error(`${dirA}: no ${extensions.join('/')} files in the ${names.a} folder`);
  return [...a.keys()].sort(naturalCompare).map((name) => ({ name, a: a.get(name)!, b: b.get(name)! }));
}
