/**
 * Sliding-window (tiled) inference for images too large to predict at once, as MONAI's
 * sliding_window_inference: windows of `tile` pixels overlapping by a fraction, the last window of
 * each axis aligned to the image's end, each window's logits weighted by a Gaussian importance map
 * (σ = 0.125 · window size per axis, scaled to a maximum of 1) and the weighted sums divided by the
 * summed weights. Pointwise heads give exactly the
 * whole-image result; convolutional ones differ only near window borders, where the Gaussian weight
 * is small. Memory then depends on the window, not the image.
 */

export interface Tiling {
  /** Window side in pixels (a multiple of 2^depth). */
  tile: number;
  /** Fraction of a window shared with its neighbour, in [0, 1). MONAI's default is 0.25. */
  overlap: number;
}

/** A window's (or a whole image's) logits read back from the backend: flat h·w·C. */
export interface WindowLogits {
  data: Float32Array;
  channels: number;
}

/** Default overlap (MONAI sliding_window_inference's default). */
export const DEFAULT_OVERLAP = 0.25;
/** Default memory budget for one window's activations, in MiB. */
export const DEFAULT_MEMORY_BUDGET_MB = 512;

/**
 * The window side a memory budget allows: a U-Net's peak activation memory while predicting is about
 * 64·baseFilters bytes per input pixel (the skip connections of every level plus two live tensors, in
 * float32; measured on the wasm backend), rounded down to a multiple of 2^depth, at least 2^depth.
 * On a GPU, `maxBindingBytes` (the adapter's largest storage buffer binding) also bounds it: the
 * largest single tensor, the full-resolution skip concatenation (2·baseFilters channels, 8·baseFilters
 * bytes per pixel), must fit one binding.
 */
export function tileForBudget(memoryBudgetMB: number, baseFilters: number, multiple: number, maxBindingBytes?: number): number {
  if (!(memoryBudgetMB > 0)) throw new Error(`memory budget must be a positive number of MiB, got ${memoryBudgetMB}`);
  const byBudget = (memoryBudgetMB * 2 ** 20) / (64 * baseFilters);
  const pixels = maxBindingBytes ? Math.min(byBudget, maxBindingBytes / (8 * baseFilters)) : byBudget;
  return Math.max(multiple, Math.floor(Math.sqrt(pixels) / multiple) * multiple);
}

/** Window starts along an axis of `size` pixels for windows of `window` (≤ size) pixels. */
export function windowStarts(size: number, window: number, overlap: number): number[] {
  if (window >= size) return [0];
  const stride = Math.max(1, Math.floor(window * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + window < size; s += stride) starts.push(s);
  starts.push(size - window);
  return starts;
}

/** One axis of the Gaussian importance map: exp(−(i − centre)² / 2σ²), σ = 0.125·n, maximum 1. */
export function importanceAxis(n: number): Float64Array {
  const sigma = 0.125 * n;
  const centre = (n - 1) / 2;
  const g = Float64Array.from({ length: n }, (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)));
  const max = Math.max(...g);
  return g.map((v) => v / max);
}

/**
 * The Gaussian importance map of a h×w window, row-major: the outer product of the two axes, kept
 * separable. This differs from MONAI at window borders: sliding_window_inference raises every weight
 * below 1e-3 to 1e-3 (`clamp(map, min=max(map.min(), 1e-3))`), which covers each window's edges (an
 * axis falls to e^−8 ≈ 3.4e-4 there) and corners (≈ 1.1e-7). SegLab keeps the Gaussian's own values,
 * so where a pixel is covered by two windows and one of them only by its border, that window counts
 * less here than in MONAI; where one window covers a pixel alone, the weight cancels and both agree.
 */
export function importanceMap(h: number, w: number): Float32Array {
  const [gy, gx] = [importanceAxis(h), importanceAxis(w)];
  const map = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) map[y * w + x] = gy[y] * gx[x];
  return map;
}

/**
 * Blends window predictions into one H·W·C map. `predictWindow(y0, x0, h, w)` returns the logits of
 * that window as h·w·C values (C the same for every window). The windows form a grid and the weights
 * are separable, so the summed weight at (y, x) is Sy(y)·Sx(x): no image-sized weight array.
 */
export async function slidingWindow(
  height: number,
  width: number,
  tiling: Tiling,
  predictWindow: (y0: number, x0: number, h: number, w: number) => Promise<WindowLogits> | WindowLogits,
): Promise<WindowLogits> {
  if (!(tiling.overlap >= 0 && tiling.overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${tiling.overlap}`);
  const [h, w] = [Math.min(tiling.tile, height), Math.min(tiling.tile, width)];
  const [gy, gx] = [importanceAxis(h), importanceAxis(w)];
  const [startsY, startsX] = [windowStarts(height, h, tiling.overlap), windowStarts(width, w, tiling.overlap)];
  const sum = (size: number, starts: number[], g: Float64Array) => {
    const s = new Float64Array(size);
    for (const s0 of starts) for (let i = 0; i < g.length; i++) s[s0 + i] += g[i];
    return s;
  };
  const [sy, sx] = [sum(height, startsY, gy), sum(width, startsX, gx)];
  let out: Float32Array | undefined;
  let channels = 0;
  for (const y0 of startsY) {
    for (const x0 of startsX) {
      const p = await predictWindow(y0, x0, h, w);
      if (!out) {
        channels = p.channels;
        out = new Float32Array(height * width * channels);
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const wt = (gy[y] * gx[x]) / (sy[y0 + y] * sx[x0 + x]);
          const o = ((y0 + y) * width + x0 + x) * channels;
          for (let c = 0; c < channels; c++) out[o + c] += wt * p.data[(y * w + x) * channels + c];
        }
      }
    }
  }
  return { data: out!, channels };
}
