/**
 * One image/mask pair decoded and checked: the image as stored (finite if float), the mask as class
 * indices (binary: 0/1 by maskRule). Used when a dataset is checked, when a batch needs a file that is
 * not in memory, and by the decoding worker thread (decodeWorker.ts), so all three apply one rule.
 */
import * as path from 'path';
import { binaryMaskProblem, isForeground } from './maskRule';
import { checkFiniteSamples, RawImage, rawFromTiff, readRawImage } from './image';
import { pageWhere, readStackPage, TiffPageRef } from './tiffPages';
import type { RawSample } from './source';

export interface FolderDatasetOptions {
  /** Binary masks: the value that is foreground (default: any non-zero value). */
  foreground?: number;
  /** > 2: masks hold class indices 0 … classes−1 (multiclass). Default 2 (binary). */
  classes?: number;
}

/** Class indices (or 0/1 for binary masks) from a decoded mask; problems name `where`. */
export function maskFromRaw(
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

function readMask(file: string, o: FolderDatasetOptions, problems: string[]): { mask: Uint8Array; width: number; height: number } | null {
  if (!['.png', '.tif', '.tiff'].includes(path.extname(file).toLowerCase())) {
    problems.push(`${file}: masks must be PNG or TIFF (JPEG compression changes label values)`);
    return null;
  }
  return maskFromRaw(readRawImage(file), file, o, problems);
}

export interface DecodedPair {
  raw: RawSample;
  width: number;
  height: number;
}

/** The files of one image/mask pair; for a pair of TIFF stacks, also the pages (page i with page i). */
export interface PairFiles {
  imageFile: string;
  maskFile: string;
  imagePage?: TiffPageRef;
  maskPage?: TiffPageRef;
}

/** The pair's pixels, or null with every problem found pushed to `problems` (each naming its file, and page). */
export function decodePair(files: PairFiles, o: FolderDatasetOptions, problems: string[]): DecodedPair | null {
  const imageWhere = files.imagePage ? pageWhere(files.imagePage) : files.imageFile;
  const maskWhere = files.maskPage ? pageWhere(files.maskPage) : files.maskFile;
  let image: RawImage | null = null;
  let mask: ReturnType<typeof readMask> = null;
  try {
    image = files.imagePage ? rawFromTiff(readStackPage(files.imagePage)) : readRawImage(files.imageFile);
    checkFiniteSamples(image, imageWhere);
  } catch (err) {
    problems.push((err as Error).message);
    image = null;
  }
  try {
    mask = files.maskPage
      ? maskFromRaw(rawFromTiff(readStackPage(files.maskPage)), maskWhere, o, problems)
      : readMask(files.maskFile, o, problems);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (!image || !mask) return null;
  if (image.width !== mask.width || image.height !== mask.height) {
    problems.push(`size mismatch: ${imageWhere} is ${image.width}×${image.height} but ${maskWhere} is ${mask.width}×${mask.height}`);
    return null;
  }
  return {
    raw: { image: image.data, maxValue: image.maxValue, channels: image.channels, mask: mask.mask },
    width: image.width,
    height: image.height,
  };
}
