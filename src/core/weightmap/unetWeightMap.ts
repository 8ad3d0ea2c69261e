/**
 * The U-Net weight map (Ronneberger, Fischer & Brox 2015, eq. 2):
 *   w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))
 * d1, d2: Euclidean distances to the nearest and the second-nearest object (instance); w_c balances
 * class frequencies with background = 1 (foreground weight n_bg / n_fg). The border term is applied
 * on background pixels (as in the paper's Fig. 3d) or, with `borderOn: 'everywhere'`, on all pixels
 * (inside an object d1 = 0 and d2 is the distance to the nearest other object).
 *
 * Distances are exact (Felzenszwalb–Huttenlocher EDT). Each object's transform is computed in its
 * bounding box grown by R = σ·√(2·ln(w0·10¹²)): a pixel farther than R from an object cannot have it as
 * nearest or second-nearest with a border term above 10⁻¹², so the map is exact to 1e-12.
 */
import { squaredDistanceTransform } from '../common/edt';
import { Connectivity, labelComponents } from './label';
import { UNET_WEIGHT_DEFAULTS } from './defaults';

export interface UnetWeightMapOptions {
  /** Border weight w0 (default 10). */
  w0?: number;
  /** Border width σ in pixels (default 5). */
  sigma?: number;
  /** w_c: 'balanced' (background 1, foreground n_bg/n_fg; default), 'none' (1 everywhere) or
   * [background, foreground] weights. */
  classWeights?: 'balanced' | 'none' | [number, number];
  /** Where the border term applies (default 'background'). */
  borderOn?: 'background' | 'everywhere';
  /** How a binary mask is split into objects (default 4, as scipy.ndimage.label). */
  connectivity?: Connectivity;
  /** 'auto' (default): a map with a single non-zero value is a binary mask and is labelled into
   * connected components; otherwise its values are instance ids. 'labels' / 'binary' force one. */
  input?: 'auto' | 'labels' | 'binary';
}

const DEFAULTS = { ...UNET_WEIGHT_DEFAULTS, classWeights: 'balanced', borderOn: 'background', connectivity: 4, input: 'auto' } as const;

/** Instance ids 1..K (0 = background) from an instance map or a binary mask. */
export function instanceLabels(
  map: ArrayLike<number>,
  shape: readonly [number, number],
  input: 'auto' | 'labels' | 'binary' = 'auto',
  connectivity: Connectivity = 4,
): Int32Array {
  const distinct = new Set<number>();
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`unetWeightMap: pixel ${i} has value ${v}; instance maps hold non-negative integers`);
    }
    if (v !== 0 && distinct.size < 2) distinct.add(v);
  }
  const binary = input === 'binary' || (input === 'auto' && distinct.size <= 1);
  if (binary) return labelComponents(map, shape, connectivity).labels;
  return Int32Array.from(map as ArrayLike<number>);
}

/** w0·exp(−(d1+d2)²/(2σ²)) for every pixel, from instance ids (0 = background). */
export function unetBorderTerm(
  instances: Int32Array,
  shape: readonly [number, number],
  w0: number,
  sigma: number,
  borderOn: 'background' | 'everywhere',
): Float32Array {
  const [h, w] = shape;
  const boxes = new Map<number, [number, number, number, number]>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const id = instances[y * w + x];
      if (id === 0) continue;
      const b = boxes.get(id);
      if (!b) boxes.set(id, [y, x, y, x]);
      else {
        if (y > b[2]) b[2] = y;
        if (x < b[1]) b[1] = x;
        if (x > b[3]) b[3] = x;
      }
    }
  }
  const d1 = new Float64Array(h * w).fill(Infinity);
  const d2 = new Float64Array(h * w).fill(Infinity);
  const reach = w0 > 0 ? Math.ceil(sigma * Math.sqrt(2 * Math.log(Math.max(w0, 1) * 1e12))) : 0;
  for (const [id, [y0, x0, y1, x1]] of boxes) {
    const top = Math.max(0, y0 - reach);
    const left = Math.max(0, x0 - reach);
    const bh = Math.min(h - 1, y1 + reach) - top + 1;
    const bw = Math.min(w - 1, x1 + reach) - left + 1;
    const feature = new Uint8Array(bh * bw);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) feature[y * bw + x] = instances[(top + y) * w + left + x] === id ? 1 : 0;
    }
    const sq = squaredDistanceTransform(feature, [bh, bw]);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const i = (top + y) * w + left + x;
        const d = sq[y * bw + x];
        if (d < d1[i]) {
          d2[i] = d1[i];
          d1[i] = d;
        } else if (d < d2[i]) d2[i] = d;
      }
    }
  }
  const out = new Float32Array(h * w);
  const denom = 2 * sigma * sigma;
  for (let i = 0; i < h * w; i++) {
    if (borderOn === 'background' && instances[i] !== 0) continue;
    if (d2[i] === Infinity) continue;
    const s = Math.sqrt(d1[i]) + Math.sqrt(d2[i]);
    out[i] = w0 * Math.exp(-(s * s) / denom);
  }
  return out;
}

/** w_c per pixel for a class map (0 = background): balanced gives class k the weight n_0/n_k. */
export function classBalanceWeights(classes: ArrayLike<number>, classWeights: 'balanced' | 'none' | number | number[]): Float32Array {
  const out = new Float32Array(classes.length);
  if (classWeights === 'none') return out.fill(1);
  if (typeof classWeights === 'number') return out.fill(classWeights); // one weight for every class
  let table: number[];
  if (Array.isArray(classWeights)) table = classWeights;
  else {
    const counts: number[] = [];
    for (let i = 0; i < classes.length; i++) counts[classes[i]] = (counts[classes[i]] ?? 0) + 1;
    const background = counts[0] ?? 0;
    table = Array.from(counts, (n) => (n && background ? background / n : 1));
    table[0] = 1;
  }
  for (let i = 0; i < classes.length; i++) {
    const k = classes[i];
    if (k >= table.length) throw new Error(`classWeights: no weight for class ${k} (${table.length} given)`);
    out[i] = table[k];
  }
  return out;
}

/** The U-Net weight map of one [H, W] instance map or binary mask. */
export function unetWeightMap(map: ArrayLike<number>, shape: readonly [number, number], options: UnetWeightMapOptions = {}): Float32Array {
  // Options given as undefined (e.g. an absent CLI flag) keep their defaults.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...given };
  const [h, w] = shape;
  if (map.length !== h * w) throw new Error(`unetWeightMap: map has ${map.length} pixels, shape ${h}×${w} needs ${h * w}`);
  if (!(o.sigma > 0)) throw new Error(`unetWeightMap: sigma must be > 0, got ${o.sigma}`);
  const instances = instanceLabels(map, shape, o.input, o.connectivity);
  const foreground = Uint8Array.from(instances, (v) => (v !== 0 ? 1 : 0));
  const weights = classBalanceWeights(foreground, o.classWeights as 'balanced' | 'none' | number[]);
  const border = unetBorderTerm(instances, shape, o.w0, o.sigma, o.borderOn);
  for (let i = 0; i < weights.length; i++) weights[i] += border[i];
  return weights;
}
