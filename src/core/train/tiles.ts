/**
 * Sliding-window (tiled) inference for images too large to predict at once, as MONAI's
 * sliding_window_inference: windows of `tile` pixels overlapping by a fraction, the last window of
 * each axis aligned to the image's end, each window's logits weighted by a Gaussian importance map
 * (σ = 0.125 · window size per axis, scaled to a maximum of 1, its smallest non-zero value as the
 * floor) and the weighted sums divided by the summed weights. Pointwise heads give exactly the
 * whole-image result; convolutional ones differ only near window borders, where the Gaussian weight
 * is small. Memory then depends on the window, not the image.
 */

export interface Tiling {
  /** Window side in pixels (a multiple of 2^depth). */
  tile: number;
  /** Fraction of a window shared with its neighbour, in [0, 1). MONAI's default is 0.25. */
  overlap: number;
}

/** Default overlap (MONAI sliding_window_inference's default). */
export const DEFAULT_OVERLAP = 0.25;
/** Default memory budget for one window's activations, in MiB. */
export const DEFAULT_MEMORY_BUDGET_MB = 512;

/**
 * The window side a memory budget allows: a U-Net's peak activation memory while predicting is about
 * 64·baseFilters bytes per input pixel (the skip connections of every level plus two live tensors, in
 * float32; measured on the wasm backend), rounded down to a multiple of 2^depth, at least 2^depth.
 */
export function tileForBudget(memoryBudgetMB: number, baseFilters: number, multiple: number): number {
  if (!(memoryBudgetMB > 0)) throw new Error(`memory budget must be a positive number of MiB, got ${memoryBudgetMB}`);
  const pixels = (memoryBudgetMB * 2 ** 20) / (64 * baseFilters);
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

/** The Gaussian importance map of a h×w window, row-major (see the file comment). */
export function importanceMap(h: number, w: number): Float32Array {
  const axis = (n: number) => {
    const sigma = 0.125 * n;
    const centre = (n - 1) / 2;
    return Array.from({ length: n }, (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)));
  };
  const [gy, gx] = [axis(h), axis(w)];
  const map = new Float32Array(h * w);
  let max = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) max = Math.max(max, (map[y * w + x] = gy[y] * gx[x]));
  let floor = Infinity;
  for (let i = 0; i < map.length; i++) {
    map[i] /= max;
    if (map[i] > 0) floor = Math.min(floor, map[i]);
  }
  for (let i = 0; i < map.length; i++) if (map[i] < floor) map[i] = floor;
  return map;
}

/**
 * Blends window predictions into one H·W·C map. `predictWindow(y0, x0, h, w)` returns the logits of
 * that window as h·w·C values (C the same for every window).
 */
export function slidingWindow(
  height: number,
  width: number,
  tiling: Tiling,
  predictWindow: (y0: number, x0: number, h: number, w: number) => { data: Float32Array; channels: number },
): { data: Float32Array; channels: number } {
  if (!(tiling.overlap >= 0 && tiling.overlap < 1)) throw new Error(`overlap must be in [0, 1), got ${tiling.overlap}`);
  const [h, w] = [Math.min(tiling.tile, height), Math.min(tiling.tile, width)];
  const weights = importanceMap(h, w);
  const weightSum = new Float32Array(height * width);
  let out: Float32Array | undefined;
  let channels = 0;
  for (const y0 of windowStarts(height, h, tiling.overlap)) {
    for (const x0 of windowStarts(width, w, tiling.overlap)) {
      const p = predictWindow(y0, x0, h, w);
      if (!out) {
        channels = p.channels;
        out = new Float32Array(height * width * channels);
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const wt = weights[y * w + x];
          const o = (y0 + y) * width + x0 + x;
          weightSum[o] += wt;
          for (let c = 0; c < channels; c++) out[o * channels + c] += wt * p.data[(y * w + x) * channels + c];
        }
      }
    }
  }
  for (let o = 0; o < weightSum.length; o++) for (let c = 0; c < channels; c++) out![o * channels + c] /= weightSum[o];
  return { data: out!, channels };
}
