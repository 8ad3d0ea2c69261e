/**
 * Training data in memory: image/mask pairs from two folders (paired by file name) or two multi-page
 * TIFF stacks (paired by page), checked in full before training starts.
 * Every problem is collected (unpaired files, unreadable or corrupt files, size mismatches, masks that
 * are not binary or not class indices) and reported together, each naming its file.
 */
import { binaryMaskProblem, isForeground } from './maskRule';
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_EXTENSIONS, ImageData, RawImage, rawFromTiff, readImage, readRawImage, scaleRaw, toRgb } from './image';
import { isFile } from './readBytes';
import { isTiff, readTiffPages, stackPageName } from './tiff';
import { naturalCompare } from './pairs';

export interface Sample {
  name: string;
  /** The image file it was read from (folder datasets), for messages. */
  file?: string;
  height: number;
  width: number;
  /** H·W·channels, scaled to [0, 1]. */
  image: Float32Array;
  /** H·W class indices (binary: 0 background, 1 foreground). */
  mask: Uint8Array;
}

export interface Dataset {
  samples: Sample[];
  channels: 1 | 3;
  /** Number of classes including background (binary: 2). */
  classes: number;
  /** Where the data came from, for the run record. */
  source: string;
}

export interface FolderDatasetOptions {
  /** Binary masks: the value that is foreground (default: any non-zero value). */
  foreground?: number;
  /** > 2: masks hold class indices 0 … classes−1 (multiclass). Default 2 (binary). */
  classes?: number;
}

export class DatasetError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} problem(s) in the dataset:\n  - ${problems.slice(0, 20).join('\n  - ')}${problems.length > 20 ? `\n  - … ${problems.length - 20} more` : ''}`,
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

function readMask(file: string, o: FolderDatasetOptions, problems: string[]): { mask: Uint8Array; width: number; height: number } | null {
  if (!['.png', '.tif', '.tiff'].includes(path.extname(file).toLowerCase())) {
    problems.push(`${file}: masks must be PNG or TIFF (JPEG compression changes label values)`);
    return null;
  }
  return maskFromRaw(readRawImage(file), file, o, problems);
}

/** Class indices (or 0/1 for binary masks) from a decoded mask; problems name `where`. */
function maskFromRaw(
  raw: RawImage,
  where: string,
  o: FolderDatasetOptions,
  problems: string[],
): { mask: Uint8Array; width: number; height: number } | null {
  if (raw.channels !== 1) {
    problems.push(`${where}: mask is a colour image; masks must be gray-scale (one value per pixel)`);
    return null;
  }
  const classes = o.classes ?? 2;
  const mask = new Uint8Array(raw.data.length);
  const seen = new Set<number>();
  for (let i = 0; i < raw.data.length; i++) seen.add(raw.data[i]);
  const values = [...seen].sort((a, b) => a - b);
  if (classes > 2) {
    const bad = values.filter((v) => !(Number.isInteger(v) && v >= 0 && v < classes));
    if (bad.length) {
      problems.push(`${where}: values ${bad.slice(0, 5).join(', ')} are not class indices 0…${classes - 1}`);
      return null;
    }
    mask.set(raw.data);
  } else {
    const problem = binaryMaskProblem(values, o.foreground);
    if (problem) {
      problems.push(`${where}: mask ${problem}`);
      return null;
    }
    for (let i = 0; i < raw.data.length; i++) mask[i] = isForeground(raw.data[i], o.foreground) ? 1 : 0;
  }
  return { mask, width: raw.width, height: raw.height };
}

/** A dataset from the whole decoded list: one channel count for all, names in the given order. */
function finish(
  decoded: { name: string; file: string; image: ImageData; mask: Uint8Array }[],
  o: FolderDatasetOptions,
  source: string,
): Dataset {
  const rgb = decoded.some((d) => d.image.channels === 3);
  return {
    samples: decoded.map(({ name, file, image, mask }) => {
      const img = rgb ? toRgb(image) : image;
      return { name, file, height: img.height, width: img.width, image: img.data, mask };
    }),
    channels: rgb ? 3 : 1,
    classes: o.classes ?? 2,
    source,
  };
}

/**
 * Two multi-page TIFF stacks: page i of the images with page i of the masks, named
 * `<image stack name>_p<i>` (1-based, zero-padded: train-volume_p01 …).
 */
export function loadStackDataset(imagesFile: string, masksFile: string, o: FolderDatasetOptions = {}): Dataset {
  const problems: string[] = [];
  for (const [file, what] of [
    [imagesFile, 'images'],
    [masksFile, 'masks'],
  ]) {
    if (!isTiff(file)) problems.push(`${file}: a file given as dataset ${what} must be a (multi-page) TIFF stack; otherwise give a folder`);
  }
  if (problems.length) throw new DatasetError(problems);
  let images: ReturnType<typeof readTiffPages> = [];
  let masks: ReturnType<typeof readTiffPages> = [];
  try {
    images = readTiffPages(imagesFile);
  } catch (err) {
    problems.push((err as Error).message);
  }
  try {
    masks = readTiffPages(masksFile);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length) throw new DatasetError(problems);
  if (images.length !== masks.length) {
    throw new DatasetError([
      `${imagesFile} has ${images.length} pages but ${masksFile} has ${masks.length}; page i of the images pairs with page i of the masks`,
    ]);
  }
  const decoded: { name: string; file: string; image: ImageData; mask: Uint8Array }[] = [];
  images.forEach((page, i) => {
    const where = (f: string) => `${f} (page ${i + 1} of ${images.length})`;
    const mask = maskFromRaw(rawFromTiff(masks[i]), where(masksFile), o, problems);
    if (!mask) return;
    if (page.width !== mask.width || page.height !== mask.height) {
      problems.push(
        `size mismatch: ${where(imagesFile)} is ${page.width}×${page.height} but ${where(masksFile)} is ${mask.width}×${mask.height}`,
      );
      return;
    }
    let image: ImageData;
    try {
      image = scaleRaw(rawFromTiff(page), where(imagesFile));
    } catch (err) {
      problems.push((err as Error).message);
      return;
    }
    decoded.push({ name: stackPageName(imagesFile, i, images.length), file: where(imagesFile), image, mask: mask.mask });
  });
  if (problems.length) throw new DatasetError(problems);
  return finish(decoded, o, `${imagesFile} + ${masksFile}`);
}

/** Images and masks from two folders (paired by file name), or from two TIFF stacks (by page). */
export function loadFolderDataset(imagesDir: string, masksDir: string, o: FolderDatasetOptions = {}): Dataset {
  const [fileA, fileB] = [isFile(imagesDir), isFile(masksDir)];
  if (fileA && fileB) return loadStackDataset(imagesDir, masksDir, o);
  if (fileA !== fileB) {
    const [file, dir] = fileA ? [imagesDir, masksDir] : [masksDir, imagesDir];
    throw new DatasetError([
      `${file} is a file but ${dir} is not: give two folders (paired by file name) or two TIFF stacks (paired by page)`,
    ]);
  }
  const problems: string[] = [];
  const images = listImages(imagesDir, 'image', problems);
  const masks = listImages(masksDir, 'mask', problems);
  for (const [stem, file] of images) if (!masks.has(stem)) problems.push(`${file}: no mask with the same name in ${masksDir}`);
  for (const [stem, file] of masks) if (!images.has(stem)) problems.push(`${file}: no image with the same name in ${imagesDir}`);
  const decoded: { name: string; file: string; image: ImageData; mask: Uint8Array }[] = [];
  for (const stem of [...images.keys()].filter((k) => masks.has(k)).sort(naturalCompare)) {
    const imageFile = images.get(stem)!;
    const maskFile = masks.get(stem)!;
    let image: ImageData | null = null;
    let mask: ReturnType<typeof readMask> = null;
    try {
      image = readImage(imageFile);
    } catch (err) {
      problems.push((err as Error).message);
    }
    try {
      mask = readMask(maskFile, o, problems);
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (!image || !mask) continue;
    if (image.width !== mask.width || image.height !== mask.height) {
      problems.push(`size mismatch: ${imageFile} is ${image.width}×${image.height} but ${maskFile} is ${mask.width}×${mask.height}`);
      continue;
    }
    decoded.push({ name: stem, file: imageFile, image, mask: mask.mask });
  }
  if (problems.length) throw new DatasetError(problems);
  return finish(decoded, o, `${imagesDir} + ${masksDir}`);
}
