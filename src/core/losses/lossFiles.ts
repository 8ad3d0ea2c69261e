/**
 * Prediction and target files → the flat NHWC arrays `computeLoss` takes.
 * Layout of .npy predictions: 2-D [H, W] one single-channel image; 3-D [H, W, C] one image; 4-D
 * [N, H, W, C] a batch. With `channelsFirst` (PyTorch's layout) 3-D is [C, H, W] and 4-D [N, C, H, W].
 * PNG predictions are one gray image (8-bit /255, 16-bit /65535).
 * Targets: binary/multilabel as a mask per channel (PNG 0/255 or 0/1, or a `foreground` value);
 * multiclass as class indices (a label PNG or an integer .npy) or one-hot with C channels.
 */
import { asBinaryMask, asPredictionValues, ArrayFile, readArrayFile } from '../data/arrayFile';
import { LossData } from './compute';
import { BINARY_MODE, LossMode, MULTICLASS_MODE } from './types';

export interface LossFileOptions {
  mode?: LossMode;
  fromLogits?: boolean;
  channelsFirst?: boolean;
  /** Binary/multilabel targets: the mask value that is foreground (default: any non-zero). */
  foreground?: number;
}

/** NHWC shape and values of an array file (see the layout rules above). */
function toNhwc(a: ArrayFile, values: Float64Array, channelsFirst: boolean): { shape: number[]; values: Float64Array } {
  const s = a.shape;
  if (a.format === 'png' || a.format === 'tiff') {
    if (s.length === 3) throw new Error(`${a.file}: a colour ${a.format.toUpperCase()}; predictions and masks must be gray-scale`);
    return { shape: [1, s[0], s[1], 1], values };
  }
  if (s.length === 2) return { shape: [1, s[0], s[1], 1], values };
  if (s.length === 3 && !channelsFirst) return { shape: [1, ...s], values };
  if (s.length === 4 && !channelsFirst) return { shape: s, values };
  if (s.length === 3 || s.length === 4) {
    const [n, c, h, w] = s.length === 3 ? [1, ...s] : s;
    const out = new Float64Array(values.length);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(i * h * w + p) * c + k] = values[(i * c + k) * h * w + p];
    return { shape: [n, h, w, c], values: out };
  }
  throw new Error(`${a.file}: shape [${s.join(', ')}] is not 2-D, 3-D or 4-D`);
}

export function loadLossData(predFile: string, targetFile: string, o: LossFileOptions = {}): LossData & { mode: LossMode } {
  const predArray = readArrayFile(predFile);
  const pred = toNhwc(predArray, asPredictionValues(predArray, o.fromLogits ?? false), o.channelsFirst ?? false);
  const [n, h, w, c] = pred.shape;
  const mode = o.mode ?? (c === 1 ? BINARY_MODE : MULTICLASS_MODE);
  const targetArray = readArrayFile(targetFile);
  const isIndexTarget = mode === MULTICLASS_MODE;
  const raw = isIndexTarget ? targetArray.values : Float64Array.from(asBinaryMask(targetArray, o.foreground));
  if (isIndexTarget && targetArray.values.some((v) => Number.isNaN(v))) throw new Error(`${targetFile}: NaN in target`);
  const target = toNhwc(targetArray, raw, o.channelsFirst ?? false);
  const [tn, th, tw, tc] = target.shape;
  if (tn !== n || th !== h || tw !== w) {
    throw new Error(`shape mismatch: ${predFile} is ${n}×${h}×${w}×${c} (N×H×W×C) but ${targetFile} is ${tn}×${th}×${tw}×${tc}`);
  }
  if (!isIndexTarget && tc !== c) {
    throw new Error(`shape mismatch: ${predFile} has ${c} channels, ${targetFile} has ${tc}`);
  }
  if (isIndexTarget && tc !== 1 && tc !== c) {
    throw new Error(`${targetFile}: multiclass targets are class indices (1 channel) or one-hot with ${c} channels, got ${tc}`);
  }
  if (isIndexTarget && tc === 1) {
    const bad = target.values.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= c);
    if (bad >= 0) {
      throw new Error(`${targetFile}: value ${target.values[bad]} at flat index ${bad} is not a class index in [0, ${c - 1}]`);
    }
  }
  return { pred: pred.values, target: target.values, shape: pred.shape, fromLogits: o.fromLogits ?? false, mode };
}
