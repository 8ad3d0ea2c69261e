/**
 * Reading prediction and mask files (PNG, 8/16-bit; single-page TIFF; .npy) into plain arrays, and interpreting them as
 * probability maps, binary masks or label maps, with errors that name the file and the problem.
 */
import { mapToBytes } from '../common/arrays';
import { binaryMaskProblem, isForeground } from './maskRule';
import * as path from 'path';
import { readBytes } from './readBytes';
import { parseNpy, parseNpz, pickNpzArray } from './npy';
import { decodePng } from './png';
import { isTiff, readTiffImage, readTiffPages, TiffPage } from './tiff';

export const ARRAY_EXTENSIONS = ['.png', '.npy', '.npz', '.tif', '.tiff'] as const;

export interface ArrayFile {
  file: string;
  format: 'png' | 'npy' | 'tiff';
  /** PNG and TIFF: [H, W] (gray) or [H, W, 3]; npy: the stored shape. */
  shape: number[];
  values: Float64Array;
  /** PNG and integer TIFF: the largest representable value (255 or 65535, 2^depth − 1). */
  maxValue?: number;
}

function fromTiffPage(file: string, page: TiffPage): ArrayFile {
  const shape = page.channels === 1 ? [page.height, page.width] : [page.height, page.width, 3];
  return { file, format: 'tiff', shape, values: Float64Array.from(page.data), maxValue: page.maxValue };
}

/** Every page of a TIFF stack as an ArrayFile named "<file> (page i of n)". */
export function readArrayStack(file: string): ArrayFile[] {
  const pages = readTiffPages(file);
  return pages.map((p, i) => fromTiffPage(pages.length > 1 ? `${file} (page ${i + 1} of ${pages.length})` : file, p));
}

export function readArrayFile(file: string): ArrayFile {
  const bytes = readBytes(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    const npy = parseNpy(bytes, file);
    return { file, format: 'npy', shape: npy.shape, values: npy.data };
  }
  if (ext === '.npz') {
    const { key, array } = pickNpzArray(parseNpz(bytes, file), file);
    return { file: `${file}:${key}`, format: 'npy', shape: array.shape, values: array.data };
  }
  if (ext === '.png') {
    const img = decodePng(bytes, file);
    const shape = img.channels === 1 ? [img.height, img.width] : [img.height, img.width, 3];
    return { file, format: 'png', shape, values: Float64Array.from(img.data), maxValue: 2 ** img.bitDepth - 1 };
  }
  if (isTiff(file)) return fromTiffPage(file, readTiffImage(file));
  throw new Error(`${file}: unsupported file type '${ext}' (use ${ARRAY_EXTENSIONS.join(', ')})`);
}

/** Up to `limit` distinct values, sorted. */
export function distinctValues(values: ArrayLike<number>, limit = 6): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < values.length && seen.size < limit; i++) seen.add(values[i]);
  return [...seen].sort((a, b) => a - b);
}

/** The first NaN's index, or −1. */
export function firstNaN(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return i;
  return -1;
}

/** The first value that is not finite: its flat index and how it reads (NaN, +Inf, -Inf), or undefined. */
export function firstNonFinite(values: ArrayLike<number>): { index: number; what: string } | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) return { index: i, what: Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf' };
  }
  return undefined;
}

/**
 * The rule for values that are not finite, the same for every prediction SegLab reads (eval, losses,
 * the dashboard): NaN is an error in any channel; ±Inf is an error in probabilities, and allowed in
 * logits (`fromLogits`), where it is the limit of the sigmoid or softmax. `where` locates the value
 * ("flat index 7", or with channels "pixel 3, channel 1").
 */
export function checkPredictionValues(file: string, values: ArrayLike<number>, fromLogits: boolean, channels = 1): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) || (fromLogits && !Number.isNaN(v))) continue;
    const what = Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
    const where = channels > 1 ? `pixel ${Math.floor(i / channels)}, channel ${i % channels}` : `flat index ${i}`;
    const hint = Number.isNaN(v) ? '' : ' (probabilities must be finite; logits may be ±Inf: pass --from-logits if these are logits)';
    throw new Error(`${file}: ${what} in predictions at ${where}${hint}`);
  }
}

/**
 * Predictions as probabilities in [0, 1]: a PNG or integer TIFF stored as 0/1 is taken as is, others
 * are scaled by 2^depth − 1 (8-bit 255 → 1, 16-bit 65535 → 1); .npy and float TIFF values are used
 * as stored (probabilities, or logits when the caller says so). Values that are not finite follow
 * checkPredictionValues.
 */
export function asPredictionValues(a: ArrayFile, fromLogits = false): Float64Array {
  checkPredictionValues(a.file, a.values, fromLogits);
  if (a.format === 'npy' || a.maxValue === undefined) return a.values;
  const distinct = distinctValues(a.values, 3);
  if (distinct.length <= 2 && distinct.every((v) => v === 0 || v === 1)) return a.values;
  return a.values.map((v) => v / a.maxValue!);
}

/**
 * A binary ground-truth mask (1 = foreground). Without `foreground`, the file must hold two values at
 * most, 0 and one other (0/1, 0/255, 0/65535, …): non-zero is foreground. With `foreground = v`,
 * pixels equal to v are foreground (e.g. 0 for the ISBI membranes) and the file must still be binary.
 */
export function asBinaryMask(a: ArrayFile, foreground?: number): Uint8Array {
  const nan = firstNaN(a.values);
  if (nan >= 0) throw new Error(`${a.file}: NaN in mask at flat index ${nan}`);
  const distinct = distinctValues(a.values, 3);
  const problem = binaryMaskProblem(distinct.length > 2 ? distinctValues(a.values, 7) : distinct, foreground);
  if (problem) throw new Error(`${a.file}: ground truth ${problem}`);
  return mapToBytes(a.values, (v) => (isForeground(v, foreground) ? 1 : 0));
}

/** [H, W] of a 2-D file (a PNG, or an .npy of shape [H, W] / [1, H, W] / [H, W, 1] / [1, H, W, 1]). */
export function spatialShape(a: ArrayFile): [number, number] {
  const dims = a.shape.filter((d, i) => !(d === 1 && (i === 0 || i === a.shape.length - 1)) || a.shape.length <= 2);
  if (dims.length !== 2) {
    throw new Error(`${a.file}: expected a single 2-D mask or map, got shape [${a.shape.join(', ')}]`);
  }
  return [dims[0], dims[1]];
}

/** How a 3-D or 4-D prediction array holds its channels (PyTorch saves [N, C, H, W]). */
export type ChannelLayout = 'first' | 'last';

/** Arrays with more channels than this on an axis are not taken for channels when guessing. */
const MAX_GUESSED_CHANNELS = 16;

/**
 * One image's prediction as H·W·C values (channels last): [H, W], [1, H, W], [H, W, 1], [C, H, W],
 * [H, W, C], [1, C, H, W] or [1, H, W, C]. Where the shape does not say which axis holds channels
 * (both ends small, or both large), `layout` must: the error names the shape and the two options.
 */
export function predictionChannels(a: ArrayFile, layout?: ChannelLayout): { h: number; w: number; c: number; values: Float64Array } {
  let s = a.shape;
  if (a.format !== 'npy') {
    if (s.length === 3)
      throw new Error(`${a.file}: a colour ${a.format.toUpperCase()}; predictions must be gray-scale (one value per pixel)`);
    return { h: s[0], w: s[1], c: 1, values: a.values };
  }
  if (s.length === 4) {
    if (s[0] !== 1) throw new Error(`${a.file}: shape [${s.join(', ')}] holds ${s[0]} images; save one image per file`);
    s = s.slice(1);
  }
  if (s.length === 2) return { h: s[0], w: s[1], c: 1, values: a.values };
  if (s.length !== 3) throw new Error(`${a.file}: expected a 2-D map or one image with channels, got shape [${a.shape.join(', ')}]`);
  let first: boolean;
  if (layout) first = layout === 'first';
  else if (s[0] === 1 || s[2] === 1) first = s[0] === 1;
  else if (s[0] <= MAX_GUESSED_CHANNELS && s[2] > MAX_GUESSED_CHANNELS) first = true;
  else if (s[2] <= MAX_GUESSED_CHANNELS && s[0] > MAX_GUESSED_CHANNELS) first = false;
  else {
    throw new Error(
      `${a.file}: shape [${a.shape.join(', ')}] could hold channels first or last; say ` +
        `which with --channels-first ([C, H, W], PyTorch) or --channels-last ([H, W, C])`,
    );
  }
  if (!first) return { h: s[0], w: s[1], c: s[2], values: a.values };
  const [c, h, w] = s;
  const values = new Float64Array(a.values.length);
  for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) values[p * c + k] = a.values[k * h * w + p];
  return { h, w, c, values };
}

/**
 * The foreground map of a binary prediction: a single channel as stored (probabilities, a mask, or
 * logits), or of two channels (a softmax head: background, foreground) the foreground probability,
 * or from logits z1 − z0 (softmax(z)[1] = σ(z1 − z0), so thresholding it at 0 is thresholding the
 * softmax at ½).
 */
export function binaryPrediction(
  a: ArrayFile,
  layout: ChannelLayout | undefined,
  fromLogits: boolean,
): { h: number; w: number; values: Float64Array } {
  const p = predictionChannels(a, layout);
  if (p.c === 1) return { h: p.h, w: p.w, values: asPredictionValues({ ...a, values: p.values }, fromLogits) };
  if (p.c !== 2) {
    throw new Error(`${a.file}: ${p.c} channels; a binary ground truth needs 1 channel or 2 (background, foreground)`);
  }
  checkPredictionValues(a.file, p.values, fromLogits, 2); // both channels, not only the one that is kept
  const n = p.h * p.w;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i] = fromLogits ? p.values[2 * i + 1] - p.values[2 * i] : p.values[2 * i + 1];
    if (Number.isNaN(values[i]))
      throw new Error(`${a.file}: both logits at pixel ${i} are ${p.values[2 * i] > 0 ? '+' : '-'}Inf (∞ − ∞ is undefined)`);
  }
  return { h: p.h, w: p.w, values: asPredictionValues({ ...a, shape: [p.h, p.w], values }, fromLogits) };
}
