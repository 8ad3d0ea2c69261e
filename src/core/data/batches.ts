/**
 * Mini-batches for training: per-channel normalisation, random crops, flips and 90° rotations, all
 * driven by one seeded generator so that two runs with the same seed see the same batches in the
 * same order whatever their head.
 */
import { Sample } from './dataset';
import { imageStats, memorySource, RawSample, SampleSource, scaled } from './source';
import { Rng } from './rng';

export interface Normalization {
  mean: number[];
  std: number[];
}

/**
 * Per-channel mean and standard deviation over the images `indices` of a source: each image's
 * float64 sums (ImageStats), added in index order; a gray image in an RGB dataset counts for each
 * channel, as its replicated copy would.
 */
export function normalizationOf(source: Pick<SampleSource, 'stats' | 'channels'>, indices: readonly number[]): Normalization {
  const channels = source.channels;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  let count = 0;
  for (const i of indices) {
    const st = source.stats[i];
    for (let c = 0; c < channels; c++) {
      const k = st.sum.length === 1 ? 0 : c;
      sum[c] += st.sum[k];
      sq[c] += st.sq[k];
    }
    count += st.pixels;
  }
  const mean = Array.from(sum, (v) => v / count);
  const std = Array.from(sq, (v, c) => Math.sqrt(Math.max(v / count - mean[c] * mean[c], 1e-12)));
  return { mean, std };
}

/** normalizationOf for samples in memory (`channels` per pixel). */
export function computeNormalization(samples: readonly Sample[], channels: number): Normalization {
  const stats = samples.map((s) => imageStats({ image: s.image, maxValue: 1, channels: channels as 1 | 3 }));
  return normalizationOf(
    { stats, channels: channels as 1 | 3 },
    stats.map((_, i) => i),
  );
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

/** Where one batch element comes from: a sample, a window and the flips and rotation applied to it. */
export interface BatchPick {
  /** Index into the source. */
  index: number;
  top: number;
  left: number;
  flipX: boolean;
  flipY: boolean;
  /** Rotation by k·90°. */
  k: number;
}

/** A batch decided but not yet built: which samples and windows, drawn from the sampler's generator. */
export interface BatchPlan {
  picks: BatchPick[];
  h: number;
  w: number;
}

/**
 * Copies a window of one sample, applying flips and a rotation by k·90°, into the batch arrays,
 * scaling and normalising its values on the way (a gray image in an RGB batch is replicated).
 */
function writeWindow(
  raw: RawSample,
  width: number,
  channels: number,
  norm: Normalization,
  p: BatchPick,
  h: number,
  w: number,
  x: Float32Array,
  y: Uint8Array,
  offset: number,
): void {
  const rc = raw.channels;
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      // Output (oy, ox) comes from window position (wy, wx) after rotation, then flips.
      let wy = oy;
      let wx = ox;
      if (p.k === 1) [wy, wx] = [w - 1 - ox, oy];
      else if (p.k === 2) [wy, wx] = [h - 1 - oy, w - 1 - ox];
      else if (p.k === 3) [wy, wx] = [ox, h - 1 - oy];
      if (p.flipY) wy = h - 1 - wy;
      if (p.flipX) wx = w - 1 - wx;
      const src = (p.top + wy) * width + p.left + wx;
      const dst = oy * w + ox;
      y[offset + dst] = raw.mask[src];
      for (let c = 0; c < channels; c++) {
        x[(offset + dst) * channels + c] = (scaled(raw, src * rc + (rc === 1 ? 0 : c)) - norm.mean[c]) / norm.std[c];
      }
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

/**
 * Random batches from some of a source's samples (`indices`; an array of samples is used whole). A
 * batch is planned (samples, windows, flips: every draw of the generator) before it is built, so the
 * trainer can read the next batch's files while the current step runs; plan-then-build gives the same
 * batches as building at once.
 */
export class BatchSampler {
  private order: number[] = [];
  private cursor = 0;
  private readonly rng: Rng;
  private readonly source: SampleSource;
  private readonly indices: readonly number[];

  constructor(
    samples: readonly Sample[] | { source: SampleSource; indices: readonly number[] },
    private readonly channels: number,
    private readonly norm: Normalization,
    private readonly spec: AugmentSpec,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    if (Array.isArray(samples)) {
      const list = samples as readonly Sample[];
      this.source = memorySource({ samples: list.slice(), channels: channels as 1 | 3, classes: 2, source: 'samples' });
      this.indices = list.map((_, i) => i);
    } else {
      ({ source: this.source, indices: this.indices } = samples as { source: SampleSource; indices: readonly number[] });
    }
    if (this.indices.length === 0) throw new Error('no training samples');
    const crop = spec.crop;
    const first = this.source.items[this.indices[0]];
    for (const i of this.indices) {
      const s = this.source.items[i];
      if (crop !== null && (s.height < crop || s.width < crop)) {
        throw new Error(`${s.name}: image is ${s.width}×${s.height}, smaller than the crop ${crop}×${crop}`);
      }
      if (crop === null && (s.height !== first.height || s.width !== first.width)) {
        throw new Error(`${s.name}: ${s.width}×${s.height} differs from ${first.name} (${first.width}×${first.height}); set a crop size`);
      }
    }
  }

  /** The next batch's samples and windows (draws from the generator; reads no pixels). */
  plan(batchSize: number): BatchPlan {
    const first = this.source.items[this.indices[0]];
    const h = this.spec.crop ?? first.height;
    const w = this.spec.crop ?? first.width;
    const picks: BatchPick[] = [];
    for (let b = 0; b < batchSize; b++) {
      if (this.cursor >= this.order.length) {
        this.order = this.rng.shuffle(this.indices.map((_, i) => i));
        this.cursor = 0;
      }
      const index = this.indices[this.order[this.cursor++]];
      const s = this.source.items[index];
      const random = this.spec.randomCrop;
      const top = random ? this.rng.int(s.height - h + 1) : Math.floor((s.height - h) / 2);
      const left = random ? this.rng.int(s.width - w + 1) : Math.floor((s.width - w) / 2);
      const flipX = this.spec.flips && this.rng.next() < 0.5;
      const flipY = this.spec.flips && this.rng.next() < 0.5;
      const k = this.spec.rotate90 && h === w ? this.rng.int(4) : 0;
      picks.push({ index, top, left, flipX, flipY, k });
    }
    return { picks, h, w };
  }

  /** The planned batch, normalised and augmented (reads each sample's pixels from the source). */
  build(plan: BatchPlan): Batch {
    const { picks, h, w } = plan;
    const x = new Float32Array(picks.length * h * w * this.channels);
    const y = new Uint8Array(picks.length * h * w);
    picks.forEach((p, b) => {
      const info = this.source.items[p.index];
      writeWindow(this.source.raw(p.index), info.width, this.channels, this.norm, p, h, w, x, y, b * h * w);
    });
    return { x, y, shape: [picks.length, h, w, this.channels], names: picks.map((p) => this.source.items[p.index].name) };
  }

  next(batchSize: number): Batch {
    return this.build(this.plan(batchSize));
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
