/**
 * `builtin:shapes`: a deterministic synthetic segmentation set generated in process, so the main job
 * needs no download. Each image: a textured background (a few random sinusoids plus smooth blobs),
 * random ellipses and polygons of varying size whose brightness overlaps the background's, and
 * Gaussian noise. `foregroundFraction` steers the class imbalance (objects are added until the mask
 * covers about that fraction). With `classes: 3`, ellipses are class 1 and polygons class 2.
 */
import { Dataset } from './dataset';
import { Rng } from './rng';

export interface ShapesOptions {
  count: number;
  size: number;
  seed: number;
  /** Target share of foreground pixels (default 0.25). */
  foregroundFraction?: number;
  /** Noise standard deviation on the [0, 1] intensity scale (default 0.08). */
  noise?: number;
  /** 2 (binary, default) or 3 (ellipses vs polygons). */
  classes?: 2 | 3;
}

function insidePolygon(x: number, y: number, xs: number[], ys: number[]): boolean {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    if (ys[i] > y !== ys[j] > y && x < ((xs[j] - xs[i]) * (y - ys[i])) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
  }
  return inside;
}

function generateOne(rng: Rng, size: number, fraction: number, noise: number, classes: number) {
  const n = size * size;
  const image = new Float32Array(n);
  const mask = new Uint8Array(n);
  // Background texture.
  const waves = Array.from({ length: 3 }, () => ({
    fx: rng.uniform(0.02, 0.25),
    fy: rng.uniform(0.02, 0.25),
    phase: rng.uniform(0, 6.28),
    amp: rng.uniform(0.03, 0.08),
  }));
  const base = rng.uniform(0.3, 0.45);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = base;
      for (const w of waves) v += w.amp * Math.sin(w.fx * x + w.fy * y + w.phase);
      image[y * size + x] = v;
    }
  }
  // Objects until the foreground share is reached (or a cap).
  let covered = 0;
  for (let attempt = 0; attempt < 40 && covered < fraction * n; attempt++) {
    const isEllipse = rng.next() < 0.5;
    const cx = rng.uniform(0, size);
    const cy = rng.uniform(0, size);
    const r = rng.uniform(0.05, 0.2) * size;
    const brightness = rng.uniform(0.15, 0.35) * (rng.next() < 0.8 ? 1 : -0.6);
    const texture = rng.uniform(0.2, 0.6);
    const cls = classes === 3 ? (isEllipse ? 1 : 2) : 1;
    let xs: number[] = [];
    let ys: number[] = [];
    const rx = r * rng.uniform(0.5, 1.5);
    const ry = r * rng.uniform(0.5, 1.5);
    const angle = rng.uniform(0, Math.PI);
    if (!isEllipse) {
      const k = 3 + rng.int(4);
      const angles = Array.from({ length: k }, (_, i) => (2 * Math.PI * (i + rng.uniform(0, 0.7))) / k);
      xs = angles.map((a) => cx + Math.cos(a) * r * rng.uniform(0.6, 1.2));
      ys = angles.map((a) => cy + Math.sin(a) * r * rng.uniform(0.6, 1.2));
    }
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const reach = Math.ceil(1.6 * r) + 1;
    for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(size, cy + reach); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(size, cx + reach); x++) {
        let inside: boolean;
        if (isEllipse) {
          const dx = x - cx;
          const dy = y - cy;
          const u = (dx * ca + dy * sa) / rx;
          const v = (-dx * sa + dy * ca) / ry;
          inside = u * u + v * v <= 1;
        } else inside = insidePolygon(x + 0.5, y + 0.5, xs, ys);
        if (!inside) continue;
        const i = y * size + x;
        if (mask[i] === 0) covered++;
        mask[i] = cls;
        image[i] = base + brightness + texture * 0.1 * Math.sin(0.9 * x + 0.7 * y);
      }
    }
  }
  for (let i = 0; i < n; i++) image[i] = Math.min(1, Math.max(0, image[i] + noise * rng.normal()));
  return { image, mask };
}

export function generateShapes(o: ShapesOptions): Dataset {
  if (!(o.size >= 8)) throw new Error(`builtin:shapes: size must be ≥ 8, got ${o.size}`);
  if (!(o.count >= 2)) throw new Error(`builtin:shapes: count must be ≥ 2, got ${o.count}`);
  const rng = new Rng(o.seed);
  const classes = o.classes ?? 2;
  const samples = Array.from({ length: o.count }, (_, i) => {
    const { image, mask } = generateOne(rng, o.size, o.foregroundFraction ?? 0.25, o.noise ?? 0.08, classes);
    return { name: `shape-${String(i).padStart(3, '0')}`, height: o.size, width: o.size, image, mask };
  });
  return { samples, channels: 1, classes, source: `builtin:shapes (count ${o.count}, size ${o.size}, seed ${o.seed})` };
}
