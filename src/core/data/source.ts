/**
 * Training data as a SampleSource: what is known of every sample after the dataset was checked (name,
 * size, channels, per-image pixel sums for the normalisation, whether its mask has foreground), and its
 * pixels on request, as decoded (uint8/uint16 stay uint8/uint16 until a batch is built).
 *
 * Two kinds: an ArraySource holds every sample in memory (builtin:shapes, a Dataset handed in); a
 * FolderSource (folderSource.ts) reads image/mask files, or pages of two TIFF stacks, on request through
 * a bounded cache and a decoding worker thread, so memory does not grow with the number of images.
 */
export interface Sample {
  name: string;
  /** The image file it was read from (folder datasets), for messages. */
  file?: string;
  height: number;
  width: number;
  /** H·W·channels, scaled to [0, 1]. */
  image: Float32Array;
  /** H·W class indices (binary: 0 background, 1 foreground). */
  mask: Uint8Array;
}

/** Every sample in memory, as float32 scaled to [0, 1]. */
export interface Dataset {
  samples: Sample[];
  channels: 1 | 3;
  /** Number of classes including background (binary: 2). */
  classes: number;
  /** Where the data came from, for the run record. */
  source: string;
}

export interface SampleInfo {
  name: string;
  /** The image file it was read from (a stack: file and page), for messages. */
  file?: string;
  height: number;
  width: number;
  /** The image's own channels (a gray image in an RGB dataset is replicated when used). */
  channels: 1 | 3;
  /** Whether its mask holds any non-zero value. */
  foreground: boolean;
}

/** A sample's pixels as decoded: image samples not yet scaled, and its mask as class indices. */
export interface RawSample {
  image: Uint8Array | Uint16Array | Float32Array | Float64Array;
  /** The image value that means 1 (255, 65535; 1 for float samples). */
  maxValue: number;
  channels: 1 | 3;
  mask: Uint8Array;
}

/** Per-channel sums of an image's scaled values (float64), for the dataset's normalisation. */
export interface ImageStats {
  sum: number[];
  sq: number[];
  pixels: number;
}

export interface SampleSource {
  readonly items: readonly SampleInfo[];
  readonly stats: readonly ImageStats[];
  /** Channels of the training input: 3 if any image is RGB. */
  readonly channels: 1 | 3;
  /** Number of classes including background (binary: 2). */
  readonly classes: number;
  /** Where the data came from, for the run record. */
  readonly source: string;
  /** Sample i's pixels (read now unless held in memory or prefetched). */
  raw(i: number): RawSample;
  /** Starts reading samples that will be needed soon (no effect for in-memory sources). */
  prefetch(indices: readonly number[]): void;
  /** Resolves once the prefetched samples among `indices` are in memory (never rejects). */
  ready(indices: readonly number[]): Promise<void>;
  /** Stops worker threads; the source must not be used afterwards. */
  dispose(): void;
}

/** An image's scaled value (as the float32 the network sees) at flat index i. */
export function scaled(raw: Pick<RawSample, 'image' | 'maxValue'>, i: number): number {
  return Math.fround(raw.image[i] / raw.maxValue);
}

export function imageStats(raw: Pick<RawSample, 'image' | 'maxValue' | 'channels'>): ImageStats {
  const c = raw.channels;
  const sum = new Array<number>(c).fill(0);
  const sq = new Array<number>(c).fill(0);
  for (let k = 0; k < c; k++) {
    let s = 0;
    let q = 0;
    for (let i = k; i < raw.image.length; i += c) {
      const v = scaled(raw, i);
      s += v;
      q += v * v;
    }
    sum[k] = s;
    sq[k] = q;
  }
  return { sum, sq, pixels: raw.image.length / c };
}

/** Whether any mask value is non-zero. */
export function hasForeground(mask: Uint8Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) return true;
  return false;
}

/** Sample i with its image scaled to [0, 1] as float32 and replicated to the source's channels. */
export function sampleAt(source: SampleSource, i: number): Sample {
  const info = source.items[i];
  const raw = source.raw(i);
  const C = source.channels;
  const n = info.height * info.width;
  const image = new Float32Array(n * C);
  for (let p = 0; p < n; p++) for (let c = 0; c < C; c++) image[p * C + c] = scaled(raw, p * raw.channels + (raw.channels === 1 ? 0 : c));
  return { name: info.name, file: info.file, height: info.height, width: info.width, image, mask: raw.mask };
}

/** Samples that a caller can index like an array: either an array or samples read on request. */
export interface SampleSeq {
  readonly length: number;
  at(i: number): Sample | undefined;
}

/** Some of a source's samples, in the given order, each read when asked for (nothing kept here). */
export class SampleList implements SampleSeq {
  constructor(
    private readonly src: SampleSource,
    readonly indices: readonly number[],
  ) {}

  get length(): number {
    return this.indices.length;
  }

  at(i: number): Sample | undefined {
    return i >= 0 && i < this.indices.length ? sampleAt(this.src, this.indices[i]) : undefined;
  }

  info(i: number): SampleInfo {
    return this.src.items[this.indices[i]];
  }

  slice(start: number, end?: number): SampleList {
    return new SampleList(this.src, this.indices.slice(start, end));
  }
}

/** Every sample in memory. */
export class ArraySource implements SampleSource {
  readonly stats: ImageStats[];

  constructor(
    readonly items: readonly SampleInfo[],
    private readonly raws: readonly RawSample[],
    readonly channels: 1 | 3,
    readonly classes: number,
    readonly source: string,
  ) {
    this.stats = raws.map(imageStats);
  }

  raw(i: number): RawSample {
    return this.raws[i];
  }

  prefetch(): void {}

  async ready(): Promise<void> {}

  dispose(): void {}
}

/** A Dataset already in memory (builtin:shapes, tests) as a source; its float32 images are used as they are. */
export function memorySource(d: Dataset): SampleSource {
  const items = d.samples.map((s) => ({
    name: s.name,
    file: s.file,
    height: s.height,
    width: s.width,
    channels: d.channels,
    foreground: hasForeground(s.mask),
  }));
  const raws = d.samples.map((s) => ({ image: s.image, maxValue: 1, channels: d.channels, mask: s.mask }));
  return new ArraySource(items, raws, d.channels, d.classes, d.source);
}
