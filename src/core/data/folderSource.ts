/**
 * A folder dataset read from disk as training needs it: every pair was decoded and checked once when
 * the dataset was opened (dataset.ts), and only what fits in a bounded cache (`dataset.cacheMB`) was
 * kept, as decoded (uint8/uint16 stay so). A batch's files that are not cached are decoded ahead by a
 * worker thread while the previous step runs (prefetch/ready); without one, or if it fails, they are
 * decoded here when the batch is built, with the same code (pairDecode.ts) and so the same values.
 * Memory is the cache plus one batch ahead, whatever the number of images.
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { decodePair, DecodedPair, FolderDatasetOptions, PairFiles } from './pairDecode';
import type { ImageStats, RawSample, SampleInfo, SampleSource } from './source';
import { pageWhere } from './tiffPages';

/** A quarter of the memory free when the run starts, at most 2 GiB, at least 64 MiB. */
export function defaultCacheMB(): number {
  return Math.max(64, Math.min(2048, Math.floor(os.freemem() / 2 ** 20 / 4)));
}

export function rawBytes(r: RawSample): number {
  return r.image.byteLength + r.mask.byteLength;
}

/** Least-recently-used samples within a byte budget; a sample larger than the budget is not kept. */
export class SampleCache {
  private readonly entries = new Map<number, RawSample>();
  private used = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get(i: number): RawSample | undefined {
    const r = this.entries.get(i);
    if (r) {
      this.entries.delete(i);
      this.entries.set(i, r); // most recent last
    }
    return r;
  }

  has(i: number): boolean {
    return this.entries.has(i);
  }

  /** Keeps r (evicting the least recently used); false when r alone exceeds the budget. */
  put(i: number, r: RawSample): boolean {
    const size = rawBytes(r);
    if (size > this.budgetBytes) return false;
    const prior = this.entries.get(i);
    if (prior) {
      this.entries.delete(i);
      this.used -= rawBytes(prior);
    }
    for (const [k, v] of this.entries) {
      if (this.used + size <= this.budgetBytes) break;
      this.entries.delete(k);
      this.used -= rawBytes(v);
    }
    this.entries.set(i, r);
    this.used += size;
    return true;
  }

  /** Whether r would be kept without evicting anything. */
  fits(r: RawSample): boolean {
    return this.used + rawBytes(r) <= this.budgetBytes;
  }
}

export type { PairFiles } from './pairDecode';

type Kind = 'u8' | 'u16' | 'f32' | 'f64';
const KINDS: Record<Kind, new (b: ArrayBuffer) => RawSample['image']> = {
  u8: Uint8Array,
  u16: Uint16Array,
  f32: Float32Array,
  f64: Float64Array,
};

/** What decodeWorker.ts answers: the pair's buffers (transferred), or the problems found. */
export type WorkerReply =
  | {
      id: number;
      ok: true;
      width: number;
      height: number;
      channels: 1 | 3;
      maxValue: number;
      kind: Kind;
      image: ArrayBuffer;
      mask: ArrayBuffer;
    }
  | { id: number; ok: false; problems: string[] };

export interface WorkerJob extends PairFiles {
  id: number;
  options: FolderDatasetOptions;
}

/** A typed array's bytes as an ArrayBuffer of its own (a copy only if it is a view into a larger one). */
export function ownBuffer(a: ArrayBufferView): ArrayBuffer {
  const b = a.buffer as ArrayBuffer;
  return a.byteOffset === 0 && a.byteLength === b.byteLength ? b : b.slice(a.byteOffset, a.byteOffset + a.byteLength);
}

export function replyFor(id: number, d: DecodedPair): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  const img = d.raw.image;
  const kind: Kind = img instanceof Uint8Array ? 'u8' : img instanceof Uint16Array ? 'u16' : img instanceof Float32Array ? 'f32' : 'f64';
  const image = ownBuffer(img);
  const mask = ownBuffer(d.raw.mask);
  return {
    reply: { id, ok: true, width: d.width, height: d.height, channels: d.raw.channels, maxValue: d.raw.maxValue, kind, image, mask },
    transfer: [image, mask],
  };
}

function pairFromReply(r: Extract<WorkerReply, { ok: true }>): DecodedPair {
  return {
    raw: { image: new KINDS[r.kind](r.image), maxValue: r.maxValue, channels: r.channels, mask: new Uint8Array(r.mask) },
    width: r.width,
    height: r.height,
  };
}

/** Where the worker's script lies: beside this module (tsc's out/) or this bundle (dist/). */
export const DECODE_WORKER_FILE = path.join(__dirname, 'decodeWorker.js');

/** One worker thread decoding pairs in order of request. Any failure of the thread itself marks it broken. */
class DecodeWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (d: DecodedPair) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  broken = false;

  constructor(file: string) {
    this.worker = new Worker(file);
    this.worker.on('message', (r: WorkerReply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (r.ok) w.resolve(pairFromReply(r));
      else w.reject(new Error(r.problems.join('; ')));
    });
    const fail = (err: unknown) => {
      this.broken = true;
      for (const w of this.waiting.values()) w.reject(err instanceof Error ? err : new Error(String(err)));
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the decoding thread exited (code ${code})`)));
    // Referenced only while a request is pending (a caller awaiting ready() must not see the process
    // exit under it), so an idle source that is never disposed does not keep the process alive. After
    // the listeners: adding a 'message' listener references the thread again.
    this.worker.unref();
  }

  decode(files: PairFiles, options: FolderDatasetOptions): Promise<DecodedPair> {
    if (this.broken) return Promise.reject(new Error('the decoding thread has failed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...files, options } satisfies WorkerJob);
    });
  }

  /**
   * Ends the thread after the job it is decoding: terminating it inside zlib's inflate aborts the whole
   * process in Node 20 ("close before init" in the worker's cleanup), seen once in CI.
   */
  dispose(): void {
    this.broken = true;
    this.worker.postMessage({ stop: true });
    this.worker.unref();
  }
}

export interface FolderSourceParts {
  files: readonly PairFiles[];
  items: readonly SampleInfo[];
  stats: readonly ImageStats[];
  channels: 1 | 3;
  classes: number;
  source: string;
  options: FolderDatasetOptions;
  cache: SampleCache;
  /** The worker's script (tests: a missing one exercises decoding here). */
  workerFile?: string;
}

/** Counts of where a source's samples came from (the bench and tests read them). */
export interface SourceCounts {
  cacheHits: number;
  prefetched: number;
  decodedHere: number;
}

export class FolderSource implements SampleSource {
  readonly files: readonly PairFiles[];
  readonly items: readonly SampleInfo[];
  readonly stats: readonly ImageStats[];
  readonly channels: 1 | 3;
  readonly classes: number;
  readonly source: string;
  readonly counts: SourceCounts = { cacheHits: 0, prefetched: 0, decodedHere: 0 };
  private readonly options: FolderDatasetOptions;
  private readonly cache: SampleCache;
  private readonly workerFile: string;
  private worker: DecodeWorker | null = null;
  /** Decoded ahead, waiting for the batch that asked for them. */
  private readonly held = new Map<number, RawSample>();
  private readonly loading = new Map<number, Promise<void>>();

  constructor(p: FolderSourceParts) {
    ({ files: this.files, items: this.items, stats: this.stats, channels: this.channels, classes: this.classes } = p);
    ({ source: this.source, options: this.options, cache: this.cache } = p);
    this.workerFile = p.workerFile ?? DECODE_WORKER_FILE;
  }

  get cacheBytes(): number {
    return this.cache.bytes;
  }

  raw(i: number): RawSample {
    const cached = this.cache.get(i);
    if (cached) {
      this.counts.cacheHits++;
      return cached;
    }
    let r = this.held.get(i);
    if (r) this.counts.prefetched++;
    else {
      r = this.decodeHere(i);
      this.counts.decodedHere++;
    }
    this.cache.put(i, r);
    return r;
  }

  prefetch(indices: readonly number[]): void {
    const wanted = new Set(indices);
    for (const k of this.held.keys()) if (!wanted.has(k)) this.held.delete(k);
    for (const i of wanted) {
      if (this.cache.has(i) || this.held.has(i) || this.loading.has(i)) continue;
      const worker = this.startWorker();
      if (!worker) return;
      const done = worker.decode(this.files[i], this.options).then(
        (d) => {
          if (this.matches(i, d)) this.held.set(i, d.raw);
        },
        () => undefined, // decoded here instead, where the problem is reported with the run
      );
      this.loading.set(
        i,
        done.finally(() => this.loading.delete(i)),
      );
    }
  }

  async ready(indices: readonly number[]): Promise<void> {
    await Promise.all(indices.map((i) => this.loading.get(i)).filter((p) => p !== undefined));
  }

  dispose(): void {
    this.worker?.dispose();
    this.held.clear();
  }

  private startWorker(): DecodeWorker | null {
    if (this.worker && !this.worker.broken) return this.worker;
    if (this.worker) return null; // it failed once: decode here from now on
    try {
      this.worker = new DecodeWorker(this.workerFile);
    } catch {
      return null;
    }
    return this.worker;
  }

  private matches(i: number, d: DecodedPair): boolean {
    const info = this.items[i];
    return d.width === info.width && d.height === info.height && d.raw.channels === info.channels;
  }

  private decodeHere(i: number): RawSample {
    const problems: string[] = [];
    const files = this.files[i];
    const d = decodePair(files, this.options, problems);
    if (!d) throw new Error(`${problems.join('; ')} (read again during training: the file changed after the dataset was checked)`);
    if (!this.matches(i, d)) {
      const info = this.items[i];
      throw new Error(
        `${files.imagePage ? pageWhere(files.imagePage) : files.imageFile}: changed after the dataset was checked (was ${info.width}×${info.height}×${info.channels}, ` +
          `now ${d.width}×${d.height}×${d.raw.channels})`,
      );
    }
    return d.raw;
  }
}
