/**
 * Image decoding for training data: PNG (pngjs), JPEG (jpeg-js) and single-page TIFF (tiff.ts),
 * 8/16-bit, gray or RGB; float TIFF samples are kept as stored. Integer values come back scaled to
 * [0, 1].
 */
import * as path from 'path';
import { readBytes } from './readBytes';
import * as jpeg from 'jpeg-js';
import { checkJpegStructure } from './jpegScan';
import { decodePng, libraryFailure } from './png';
import { isTiff, readTiffImage, TiffPage } from './tiff';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff'] as const;

export interface ImageData {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved, scaled to [0, 1]. */
  data: Float32Array;
}

/** Raw decoded samples (not scaled), with the largest representable value. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint16Array | Uint8Array | Float32Array | Float64Array;
  /** 2^depth − 1 for integer samples; 1 for float TIFF samples (used as stored). */
  maxValue: number;
}

/** A decoded TIFF page as a RawImage. */
export function rawFromTiff(page: TiffPage): RawImage {
  return { width: page.width, height: page.height, channels: page.channels, data: page.data, maxValue: page.maxValue ?? 1 };
}

export function readRawImage(file: string): RawImage {
  const bytes = readBytes(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') {
    const img = decodePng(bytes, file);
    return { width: img.width, height: img.height, channels: img.channels, data: img.data, maxValue: 2 ** img.bitDepth - 1 };
  }
  if (ext === '.jpg' || ext === '.jpeg') {
    let decoded: { width: number; height: number; data: Uint8Array };
    checkJpegStructure(bytes, file);
    try {
      decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    } catch (err) {
      throw new Error(`${file}: corrupt or unsupported JPEG (${libraryFailure(err)})`);
    }
    const n = decoded.width * decoded.height;
    let gray = true;
    for (let i = 0; i < n && gray; i++)
      gray = decoded.data[4 * i] === decoded.data[4 * i + 1] && decoded.data[4 * i] === decoded.data[4 * i + 2];
    const channels = gray ? 1 : 3;
    const data = new Uint8Array(n * channels);
    for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = decoded.data[4 * i + c];
    return { width: decoded.width, height: decoded.height, channels, data, maxValue: 255 };
  }
  if (isTiff(file)) return rawFromTiff(readTiffImage(file));
  throw new Error(`${file}: unsupported image type '${ext}' (use PNG, JPEG or TIFF)`);
}

export function readImage(file: string): ImageData {
  return scaleRaw(readRawImage(file), file);
}

/**
 * A NaN or ±Inf sample of a float image (float TIFF), or one beyond float32, is the data's fault, not
 * the training's: an error naming `where` and the pixel. Integer images pass.
 */
export function checkFiniteSamples(raw: RawImage, where: string): void {
  if (raw.maxValue !== 1) return;
  for (let i = 0; i < raw.data.length; i++) {
    if (Number.isFinite(Math.fround(raw.data[i]))) continue;
    const pixel = Math.floor(i / raw.channels);
    const [row, column] = [Math.floor(pixel / raw.width), pixel % raw.width];
    const v = raw.data[i];
    const what = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${v} (beyond float32)` : v > 0 ? '+Inf' : '-Inf';
    throw new Error(`${where}: the image holds ${what} at row ${row}, column ${column}; image values must be finite numbers`);
  }
}

/** Integer samples divided by their largest value; float samples as stored (checkFiniteSamples first). */
export function scaleRaw(raw: RawImage, where: string): ImageData {
  checkFiniteSamples(raw, where);
  const data = new Float32Array(raw.data.length);
  for (let i = 0; i < data.length; i++) data[i] = raw.data[i] / raw.maxValue;
  return { width: raw.width, height: raw.height, channels: raw.channels, data };
}

/** Gray → RGB by replication (so a folder mixing both trains with 3 channels). */
export function toRgb(img: ImageData): ImageData {
  if (img.channels === 3) return img;
  const data = new Float32Array(img.data.length * 3);
  for (let i = 0; i < img.data.length; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.data[i];
  return { ...img, channels: 3, data };
}
