/**
 * Exact Euclidean distance transform in linear time: Felzenszwalb & Huttenlocher, "Distance Transforms
 * of Sampled Functions" (Theory of Computing 8, 2012). A 1-D lower-envelope-of-parabolas pass along
 * the columns, then along the rows; O(H·W), exact (not an approximation such as chamfer distances).
 */

/** Squared distance of every pixel to the nearest feature pixel (`feature[i] !== 0`), in units of
 * `spacing` ([row, column] pixel size). Pixels are Infinity when the image has no feature pixel. */
export function squaredDistanceTransform(
  feature: ArrayLike<number>,
  shape: readonly [number, number],
  spacing: readonly [number, number] = [1, 1],
): Float64Array {
  const [h, w] = shape;
  if (feature.length !== h * w) {
    throw new Error(`distance transform: mask has ${feature.length} pixels, shape ${h}×${w} needs ${h * w}`);
  }
  const out = new Float64Array(h * w);
  for (let i = 0; i < h * w; i++) out[i] = feature[i] !== 0 ? 0 : Infinity;
  const n = Math.max(h, w);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  // Columns (step w, spacing along rows), then rows (step 1).
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = out[y * w + x];
    lowerEnvelope(f, h, spacing[0] * spacing[0], d, v, z);
    for (let y = 0; y < h; y++) out[y * w + x] = d[y];
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) f[x] = out[row + x];
    lowerEnvelope(f, w, spacing[1] * spacing[1], d, v, z);
    for (let x = 0; x < w; x++) out[row + x] = d[x];
  }
  return out;
}

/** Euclidean distance to the nearest feature pixel (square root of `squaredDistanceTransform`). */
export function distanceTransform(
  feature: ArrayLike<number>,
  shape: readonly [number, number],
  spacing: readonly [number, number] = [1, 1],
): Float64Array {
  const sq = squaredDistanceTransform(feature, shape, spacing);
  for (let i = 0; i < sq.length; i++) sq[i] = Math.sqrt(sq[i]);
  return sq;
}

/**
 * d[q] = min_p f[p] + s2·(q − p)² for q < n, by the lower envelope of the parabolas rooted at the
 * finite samples of f. Writes into `d`; `v` and `z` are scratch (parabola roots and boundaries).
 */
function lowerEnvelope(f: Float64Array, n: number, s2: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const fq = f[q] + s2 * q * q;
    let s = -Infinity;
    while (k >= 0) {
      const p = v[k];
      s = (fq - (f[p] + s2 * p * p)) / (2 * s2 * (q - p));
      if (s > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) d[q] = Infinity;
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const dq = q - v[j];
    d[q] = s2 * dq * dq + f[v[j]];
  }
}

/**
 * Each pixel's distance to the boundary of a binary mask: foreground pixels to the nearest background
 * pixel, background pixels to the nearest foreground pixel (pixels touching the boundary are at 1, or
 * √2 diagonally); every pixel is Infinity when the mask has one class only.
 */
export function boundaryDistances(mask: ArrayLike<number>, shape: readonly [number, number]): Float64Array {
  const background = Uint8Array.from(mask, (v) => (v ? 0 : 1));
  const toBackground = distanceTransform(background, shape);
  const toForeground = distanceTransform(mask, shape);
  return Float64Array.from(background, (bg, i) => (bg ? toForeground[i] : toBackground[i]));
}
