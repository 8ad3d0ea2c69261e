/**
 * Mini-batches for training: per-channel normalisation, random crops, flips and 90° rotations, all
 * driven by one seeded generator so that two runs with the same seed see the same batches in the
 * same order whatever their head.
 */
import { Sample } from './dataset';
import { Rng } from './rng';

export interface Normalization {
  mean: number[];
  std: number[];
}

export function computeNormalization(samples: readonly Sample[], channels: number): Normalization {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  let count = 0;
  for (const s of samples) {
    for (let i = 0; i < s.image.length; i++) {
      const c = i % channels;
      sum[c] += s.image[i];
      sq[c] += s.image[i] * s.image[i];
    }
    count += s.height * s.width;
  }
  const mean = Array.from(sum, (v) => v / count);
  const std = Array.from(sq, (v, c) => Math.sqrt(Math.max(v / count - mean[c] * mean[c], 1e-12)));
  return { mean, std };
}

export interface AugmentSpec {
  /** Crop side in pixels, or null for whole images. */
  crop: number | null;
  randomCrop: boolean;
  flips: boolean;
  rotate90: boolean;
}

export interface Batch {
  /** [B, h, w, C] normalised images. */
  x: Float32Array;
  /** [B, h, w] class indices. */
  y: Uint8Array;
  shape: [number, number, number, number];
  names: string[];
}

/** Copies a window of one sample, applying flips and a rotation by k·90°, into the batch arrays. */
function writeWindow(
  s: Sample,
  channels: number,
  norm: Normalization,
  top: number,
  left: number,
  h: number,
  w: number,
  flipX: boolean,
  flipY: boolean,
  k: number,
  x: Float32Array,
  y: Uint8Array,
  offset: number,
): void {
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      // Output (oy, ox) comes from window position (wy, wx) after rotation, then flips.
      let wy = oy;
      let wx = ox;
      if (k === 1) [wy, wx] = [w - 1 - ox, oy];
      else if (k === 2) [wy, wx] = [h - 1 - oy, w - 1 - ox];
      else if (k === 3) [wy, wx] = [ox, h - 1 - oy];
      if (flipY) wy = h - 1 - wy;
      if (flipX) wx = w - 1 - wx;
      const src = (top + wy) * s.width + left + wx;
      const dst = oy * w + ox;
      y[offset + dst] = s.mask[src];
      for (let c = 0; c < channels; c++) x[(offset + dst) * channels + c] = (s.image[src * channels + c] - norm.mean[c]) / norm.std[c];
    }
  }
}

/**
 * A fingerprint of a batch's contents (normalised inputs and integer masks, after augmentation):
 * FNV-1a over the inputs' float32 bit patterns as 32-bit words, then the mask bytes, as 8 hex
 * digits. Two runs whose batches have equal digests trained on the same data (e.g. the two heads
 * of a comparison with one seed).
 */
export function batchDigest(batch: Batch): string {
  let h = 0x811c9dc5;
  const words = new Uint32Array(batch.x.buffer, batch.x.byteOffset, batch.x.length);
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619);
  for (let i = 0; i < batch.y.length; i++) h = Math.imul(h ^ batch.y[i], 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export class BatchSampler {
  private order: number[] = [];
  private cursor = 0;
  private readonly rng: Rng;

  constructor(
    private readonly samples: readonly Sample[],
    private readonly channels: number,
    private readonly norm: Normalization,
    private readonly spec: AugmentSpec,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    if (samples.length === 0) throw new Error('no training samples');
    const crop = spec.crop;
    for (const s of samples) {
      if (crop !== null && (s.height < crop || s.width < crop)) {
        throw new Error(`${s.name}: image is ${s.width}×${s.height}, smaller than the crop ${crop}×${crop}`);
      }
      if (crop === null && (s.height !== samples[0].height || s.width !== samples[0].width)) {
        throw new Error(
          `${s.name}: ${s.width}×${s.height} differs from ${samples[0].name} (${samples[0].width}×${samples[0].height}); set a crop size`,
        );
      }
    }
  }

  next(batchSize: number): Batch {
    const h = this.spec.crop ?? this.samples[0].height;
    const w = this.spec.crop ?? this.samples[0].width;
    const x = new Float32Array(batchSize * h * w * this.channels);
    const y = new Uint8Array(batchSize * h * w);
    const names: string[] = [];
    for (let b = 0; b < batchSize; b++) {
      if (this.cursor >= this.order.length) {
        this.order = this.rng.shuffle(this.samples.map((_, i) => i));
        this.cursor = 0;
      }
      const s = this.samples[this.order[this.cursor++]];
      const random = this.spec.randomCrop;
      const top = random ? this.rng.int(s.height - h + 1) : Math.floor((s.height - h) / 2);
      const left = random ? this.rng.int(s.width - w + 1) : Math.floor((s.width - w) / 2);
      const flipX = this.spec.flips && this.rng.next() < 0.5;
      const flipY = this.spec.flips && this.rng.next() < 0.5;
      const k = this.spec.rotate90 && h === w ? this.rng.int(4) : 0;
      writeWindow(s, this.channels, this.norm, top, left, h, w, flipX, flipY, k, x, y, b * h * w);
      names.push(s.name);
    }
    return { x, y, shape: [batchSize, h, w, this.channels], names };
  }
}

/**
 * One whole normalised image, edge-padded at the bottom and right to a multiple of `multiple`
 * (the U-Net's 2^depth), as [1, H', W', C].
 */
export function paddedImage(
  s: Sample,
  channels: number,
  norm: Normalization,
  multiple: number,
): { x: Float32Array; shape: [number, number, number, number] } {
  const H = Math.ceil(s.height / multiple) * multiple;
  const W = Math.ceil(s.width / multiple) * multiple;
  const x = new Float32Array(H * W * channels);
  for (let yy = 0; yy < H; yy++) {
    const sy = Math.min(yy, s.height - 1);
    for (let xx = 0; xx < W; xx++) {
      const sx = Math.min(xx, s.width - 1);
      for (let c = 0; c < channels; c++) {
        x[(yy * W + xx) * channels + c] = (s.image[(sy * s.width + sx) * channels + c] - norm.mean[c]) / norm.std[c];
      }
    }
  }
  return { x, shape: [1, H, W, channels] };
}

/** Deterministic train/validation split: `valCount` samples chosen by the seed. */
export function splitSamples<T>(samples: readonly T[], valCount: number, seed: number): { train: T[]; val: T[] } {
  if (samples.length < 2) throw new Error(`need at least 2 image/mask pairs for a train/validation split, got ${samples.length}`);
  const n = Math.min(Math.max(1, valCount), samples.length - 1);
  const order = new Rng(seed + 7919).shuffle(samples.map((_, i) => i));
  const valSet = new Set(order.slice(0, n));
  return { train: samples.filter((_, i) => !valSet.has(i)), val: samples.filter((_, i) => valSet.has(i)) };
}
