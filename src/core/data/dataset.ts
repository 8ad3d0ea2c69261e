/**
 * Training data in memory: image/mask pairs from two folders, checked in full before training starts.
 * Every problem is collected (unpaired files, unreadable or corrupt files, size mismatches, masks that
 * are not binary or not class indices) and reported together, each naming its file.
 */
import { binaryMaskProblem, isForeground } from './maskRule';
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_EXTENSIONS, ImageData, readImage, readRawImage, toRgb } from './image';
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
  if (out.size === 0 && problems.length === 0) problems.push(`${dir}: no PNG or JPEG files in the ${what} folder`);
  return out;
}

function readMask(file: string, o: FolderDatasetOptions, problems: string[]): { mask: Uint8Array; width: number; height: number } | null {
  if (path.extname(file).toLowerCase() !== '.png') {
    problems.push(`${file}: masks must be PNG (JPEG compression changes label values)`);
    return null;
  }
  const raw = readRawImage(file);
  if (raw.channels !== 1) {
    problems.push(`${file}: mask is a colour image; masks must be gray-scale (one value per pixel)`);
    return null;
  }
  const classes = o.classes ?? 2;
  const mask = new Uint8Array(raw.data.length);
  const seen = new Set<number>();
  for (let i = 0; i < raw.data.length; i++) seen.add(raw.data[i]);
  const values = [...seen].sort((a, b) => a - b);
  if (classes > 2) {
    const bad = values.filter((v) => v >= classes);
    if (bad.length) {
      problems.push(`${file}: values ${bad.slice(0, 5).join(', ')} are not class indices 0…${classes - 1}`);
      return null;
    }
    mask.set(raw.data);
  } else {
    const problem = binaryMaskProblem(values, o.foreground);
    if (problem) {
      problems.push(`${file}: mask ${problem}`);
      return null;
    }
    for (let i = 0; i < raw.data.length; i++) mask[i] = isForeground(raw.data[i], o.foreground) ? 1 : 0;
  }
  return { mask, width: raw.width, height: raw.height };
}

export function loadFolderDataset(imagesDir: string, masksDir: string, o: FolderDatasetOptions = {}): Dataset {
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
  const rgb = decoded.some((d) => d.image.channels === 3);
  return {
    samples: decoded.map(({ name, file, image, mask }) => {
      const img = rgb ? toRgb(image) : image;
      return { name, file, height: img.height, width: img.width, image: img.data, mask };
    }),
    channels: rgb ? 3 : 1,
    classes: o.classes ?? 2,
    source: `${imagesDir} + ${masksDir}`,
  };
}
