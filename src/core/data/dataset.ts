/**
 * Training data from two folders (paired by file name) or two multi-page TIFF stacks (paired by page),
 * checked in full before training starts: every pair is decoded once and every problem is collected
 * (unpaired files, unreadable or corrupt files, size mismatches, masks that are not binary or not class
 * indices) and reported together, each naming its file.
 *
 * openDataset gives a SampleSource: a folder's files or a stack's pages are read again from disk as
 * training needs them (a bounded cache, a decoding thread; folderSource.ts, tiffPages.ts).
 * loadFolderDataset gives every sample in memory as float32 (tests, scripts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_EXTENSIONS } from './image';
import { isFile } from './readBytes';
import { isTiff, stackPageName } from './tiff';
import { indexTiffStack, pageRef, pageWhere } from './tiffPages';
import { naturalCompare } from './pairs';
import { decodePair, FolderDatasetOptions, PairFiles } from './pairDecode';
import { defaultCacheMB, FolderSource, SampleCache } from './folderSource';
import { Dataset, hasForeground, imageStats, ImageStats, RawSample, sampleAt, SampleInfo, SampleSource } from './source';

export type { FolderDatasetOptions } from './pairDecode';

export type { Dataset, Sample } from './source';

export class DatasetError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} problem(s) in the dataset:\n  - ` +
        `${problems.slice(0, 20).join('\n  - ')}${problems.length > 20 ? `\n  - … ${problems.length - 20} more` : ''}`,
    );
  }
}

function listImages(dir: string, what: string, problems: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`${dir}: cannot read the ${what} folder (${code === 'ENOENT' ? 'no such folder' : code})`);
    return out;
  }
  for (const name of names) {
    const ext = path.extname(name).toLowerCase();
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) continue;
    const stem = name.slice(0, name.length - ext.length);
    const prior = out.get(stem);
    if (prior) problems.push(`${dir}: '${path.basename(prior)}' and '${name}' have the same name; keep one`);
    else out.set(stem, path.join(dir, name));
  }
  if (out.size === 0 && problems.length === 0) problems.push(`${dir}: no PNG, JPEG or TIFF files in the ${what} folder`);
  return out;
}

export interface OpenOptions extends FolderDatasetOptions {
  /** MiB of decoded samples a folder dataset keeps in memory (default: defaultCacheMB()). */
  cacheMB?: number;
}

/** Every sample of a source in memory, scaled to float32. */
export function materialize(src: SampleSource): Dataset {
  return { samples: src.items.map((_, i) => sampleAt(src, i)), channels: src.channels, classes: src.classes, source: src.source };
}

/** What the check pass keeps of each pair: its facts, its sums, and its pixels when the cache has room. */
interface Checked {
  info: SampleInfo;
  stats: ImageStats;
  raw: RawSample;
}

function checkedSample(name: string, file: string, width: number, height: number, raw: RawSample): Checked {
  return { info: { name, file, height, width, channels: raw.channels, foreground: hasForeground(raw.mask) }, stats: imageStats(raw), raw };
}

/**
 * Two multi-page TIFF stacks: page i of the images with page i of the masks, named
 * `<image stack name>_p<i>` (1-based, zero-padded: train-volume_p01 …). Read page by page
 * (tiffPages.ts): checked in full here, then kept within `cacheMB` like a folder's files and read
 * again from the stacks as batches need them, so a stack of any length trains in bounded memory.
 */
export function openStackDataset(imagesFile: string, masksFile: string, o: OpenOptions = {}): SampleSource {
  const problems: string[] = [];
  for (const [file, what] of [
    [imagesFile, 'images'],
    [masksFile, 'masks'],
  ]) {
    if (!isTiff(file)) problems.push(`${file}: a file given as dataset ${what} must be a (multi-page) TIFF stack; otherwise give a folder`);
  }
  if (problems.length) throw new DatasetError(problems);
  const index = (file: string) => {
    try {
      return indexTiffStack(file);
    } catch (err) {
      problems.push((err as Error).message);
      return null;
    }
  };
  const [images, masks] = [index(imagesFile), index(masksFile)];
  if (!images || !masks) throw new DatasetError(problems);
  const n = images.ifds.length;
  if (n !== masks.ifds.length) {
    throw new DatasetError([
      `${imagesFile} has ${n} pages but ${masksFile} has ${masks.ifds.length}; page i of the images pairs with page i of the masks`,
    ]);
  }
  const pairs = images.ifds.map((_, i) => ({
    name: stackPageName(imagesFile, i, n),
    imageFile: imagesFile,
    maskFile: masksFile,
    imagePage: pageRef(images, i),
    maskPage: pageRef(masks, i),
  }));
  return checkPairs(pairs, o, `${imagesFile} + ${masksFile}`, (p) => pageWhere(p.imagePage));
}

/**
 * Every pair decoded and checked once (problems collected with those already found, each naming its
 * file or page); what fits `cacheMB` is kept, the rest is read again when a batch needs it.
 */
function checkPairs<P extends PairFiles & { name: string }>(
  pairs: P[],
  o: OpenOptions,
  source: string,
  where: (p: P) => string,
  problems: string[] = [],
): SampleSource {
  const cache = new SampleCache((o.cacheMB ?? defaultCacheMB()) * 2 ** 20);
  const checked: Omit<Checked, 'raw'>[] = [];
  const kept: P[] = [];
  for (const p of pairs) {
    const d = decodePair(p, o, problems);
    if (!d) continue;
    const c = checkedSample(p.name, where(p), d.width, d.height, d.raw);
    if (cache.fits(d.raw)) cache.put(checked.length, d.raw);
    checked.push({ info: c.info, stats: c.stats });
    kept.push(p);
  }
  if (problems.length) throw new DatasetError(problems);
  return new FolderSource({
    files: kept,
    items: checked.map((c) => c.info),
    stats: checked.map((c) => c.stats),
    channels: checked.some((c) => c.info.channels === 3) ? 3 : 1,
    classes: o.classes ?? 2,
    source,
    options: { foreground: o.foreground, classes: o.classes },
    cache,
  });
}

/** The image/mask pairs of two folders (by file name, in natural order); problems for unpaired files. */
function folderPairs(imagesDir: string, masksDir: string, problems: string[]): (PairFiles & { name: string })[] {
  const images = listImages(imagesDir, 'image', problems);
  const masks = listImages(masksDir, 'mask', problems);
  for (const [stem, file] of images) if (!masks.has(stem)) problems.push(`${file}: no mask with the same name in ${masksDir}`);
  for (const [stem, file] of masks) if (!images.has(stem)) problems.push(`${file}: no image with the same name in ${imagesDir}`);
  return [...images.keys()]
    .filter((k) => masks.has(k))
    .sort(naturalCompare)
    .map((name) => ({ name, imageFile: images.get(name)!, maskFile: masks.get(name)! }));
}

/**
 * Images and masks from two folders (paired by file name), or from two TIFF stacks (by page), checked
 * in full. A folder dataset keeps at most `cacheMB` of decoded samples in memory and reads the rest
 * from disk when a batch needs them.
 */
export function openDataset(imagesDir: string, masksDir: string, o: OpenOptions = {}): SampleSource {
  const [fileA, fileB] = [isFile(imagesDir), isFile(masksDir)];
  if (fileA && fileB) return openStackDataset(imagesDir, masksDir, o);
  if (fileA !== fileB) {
    const [file, dir] = fileA ? [imagesDir, masksDir] : [masksDir, imagesDir];
    throw new DatasetError([
      `${file} is a file but ${dir} is not: give two folders (paired by file name) or two TIFF stacks (paired by page)`,
    ]);
  }
  const problems: string[] = [];
  const pairs = folderPairs(imagesDir, masksDir, problems);
  return checkPairs(pairs, o, `${imagesDir} + ${masksDir}`, (p) => p.imageFile, problems);
}

/** openDataset with every sample in memory as float32 (a gray image in an RGB dataset replicated). */
export function loadFolderDataset(imagesDir: string, masksDir: string, o: FolderDatasetOptions = {}): Dataset {
  const src = openDataset(imagesDir, masksDir, { ...o, cacheMB: Infinity });
  try {
    return materialize(src);
  } finally {
    src.dispose();
  }
}

/** openStackDataset with every sample in memory as float32. */
export function loadStackDataset(imagesFile: string, masksFile: string, o: FolderDatasetOptions = {}): Dataset {
  const src = openStackDataset(imagesFile, masksFile, { ...o, cacheMB: Infinity });
  try {
    return materialize(src);
  } finally {
    src.dispose();
  }
}
