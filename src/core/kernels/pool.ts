/**
 * The kernel module (kernels.c compiled to WebAssembly with SIMD) on a shared memory, run by this
 * thread plus `threads − 1` worker threads that each instantiate the same module on the same
 * memory. A call splits an index range [0, total) into one contiguous part per thread; the kernels
 * are written so that every output element belongs to one part and is summed in the same order
 * whatever the split, so results do not depend on the thread count.
 *
 * Synchronisation is a generation counter and a pending counter in a SharedArrayBuffer
 * (Atomics.wait / notify): this thread blocks until every part is done, so a call is synchronous,
 * as TensorFlow.js kernels must be.
 */
import * as os from 'os';
import * as v8 from 'v8';
import { Worker } from 'worker_threads';
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasmBinary';

const PAGE = 65536;
/**
 * Shadow stack per thread. The module's own stack (this thread's) ends at `__heap_base`; worker
 * thread i (1-based) sets its `__stack_pointer` to __heap_base + i·STACK, so stacks never overlap
 * in the shared memory. Scratch blocks start above the last stack.
 */
const STACK = 65536;
const MAX_PAGES = 65536; // 4 GiB, wasm32's limit: reserved address space, committed as it grows.

// Control block layout (Int32 slots): shared fields, then per thread t a triple at SLOT(t):
// [go (that thread's generation counter), first, last].
const PENDING = 0;
const FN = 1;
const ARGC = 2;
const ERROR = 3;
/** Streamed call: 1 when workers run their part index by index as the caller stages it. */
const STREAM = 4;
/** Streamed call: the workers' indices below READY are staged (they start at the first worker's part). */
const READY = 5;
const SLOT = (t: number) => 6 + 3 * t;
const MAX_ARGS = 16; // arguments travel as float64 (exact for int32, and floats stay floats)
/**
 * This thread's share of a staged call, against 1 for each worker. It copies every part (c for the
 * whole range) and then computes its own, while a worker computes each index as soon as it is
 * copied; with compute k for the whole range, equal finishing times give (k − c)/2k for two threads:
 * 0.33 (weight 0.5) for the fused Dice sums (c ≈ 0.35 k), about 0.4 (weight 0.7) for BCE, whose
 * terms cost more; 0.6 serves both.
 */
const STAGED_SHARE = 0.6;

type KernelExports = Record<string, (...args: number[]) => number> & { __heap_base: WebAssembly.Global };

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { module, memory, control, argBuffer, names, index } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
exports.__stack_pointer.value = exports.__heap_base.value + index * ${STACK};
const ctrl = new Int32Array(control);
const argv = new Float64Array(argBuffer);
const go = ${SLOT(0)} + 3 * index;
let gen = 0;
for (;;) {
  // Wait until the generation changes. Atomics.wait can return while it has not: a notify sent for
  // the previous generation may arrive after this thread has already run it and waits again (the
  // caller is preempted between its add and its notify); running twice would count down twice.
  while (Atomics.load(ctrl, go) === gen) Atomics.wait(ctrl, go, gen);
  gen = Atomics.load(ctrl, go);
  const fn = ctrl[${FN}];
  if (fn < 0) break;
  const first = ctrl[go + 1], last = ctrl[go + 2];
  if (first < last) {
    const args = Array.from(argv.subarray(0, ctrl[${ARGC}]));
    try {
      if (ctrl[${STREAM}]) {
        // One index at a time, each once the caller has staged it (READY only grows within a call).
        for (let i = first; i < last; i++) {
          let ready;
          while ((ready = Atomics.load(ctrl, ${READY})) <= i) Atomics.wait(ctrl, ${READY}, ready);
          exports[names[fn]](...args, i, i + 1, index);
        }
      } else exports[names[fn]](...args, first, last, index);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, index + 1);
    }
  }
  if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
}
`;

/** Which build of kernels.c runs: with relaxed SIMD (fused multiply-add) or SIMD128 only. */
export type KernelVariant = 'relaxed' | 'baseline';

const BINARIES: Record<KernelVariant, string> = { relaxed: KERNELS_RELAXED_WASM_BASE64, baseline: KERNELS_WASM_BASE64 };

/**
 * The variant a new pool uses: SEGLAB_KERNELS (`relaxed` or `baseline`) when set, else relaxed where
 * this engine validates it. V8 ships relaxed SIMD from 11.4 (VS Code's Electron); Node 20's V8 11.3
 * has it behind --experimental-wasm-relaxed-simd, which is set here only when the module does not
 * validate without it. The relaxed build measured 10–20 % faster training steps on this project's
 * 2-core machine (the convolutions' multiply-adds fused); its values differ from the baseline's in
 * the last bits (one rounding instead of two), and neither depends on the thread count.
 */
export function defaultKernelVariant(): KernelVariant {
  const env = process.env.SEGLAB_KERNELS;
  if (env !== undefined && env !== '') {
    if (env !== 'relaxed' && env !== 'baseline') throw new Error(`SEGLAB_KERNELS must be 'relaxed' or 'baseline', got '${env}'`);
    if (env === 'relaxed' && !relaxedSupported()) throw new Error('SEGLAB_KERNELS=relaxed: this JavaScript engine has no relaxed SIMD');
    return env;
  }
  return relaxedSupported() ? 'relaxed' : 'baseline';
}

let relaxedChecked: boolean | undefined;
function relaxedSupported(): boolean {
  if (relaxedChecked !== undefined) return relaxedChecked;
  const bytes = Buffer.from(KERNELS_RELAXED_WASM_BASE64, 'base64');
  relaxedChecked = WebAssembly.validate(bytes);
  if (!relaxedChecked) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedChecked = WebAssembly.validate(bytes);
    } catch {
      relaxedChecked = false;
    }
  }
  return relaxedChecked;
}

/**
 * Compiles the kernels with V8's optimising compiler up front. By default V8 first runs wasm code
 * from its baseline compiler (Liftoff) and tiers a function up only after it has run a while; a
 * worker thread's long kernel call cannot switch tiers mid-call and ran up to 2× slower (measured: the
 * fused Dice sums took 5.1 ms on two threads with tier-up, 2.5 ms compiled optimised). The flag is set
 * only around this one (eager) compile.
 */
function compileOptimized(variant: KernelVariant): WebAssembly.Module {
  if (variant === 'relaxed' && !relaxedSupported()) throw new Error('this JavaScript engine has no relaxed SIMD');
  v8.setFlagsFromString('--no-liftoff');
  v8.setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(Buffer.from(BINARIES[variant], 'base64'));
  } finally {
    v8.setFlagsFromString('--liftoff');
    v8.setFlagsFromString('--wasm-lazy-compilation');
  }
}

/** Threads a process should use when nothing says otherwise: every core it may run on. */
export function defaultThreadCount(): number {
  const env = process.env.SEGLAB_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SEGLAB_THREADS must be a positive integer, got '${env}'`);
    return n;
  }
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export class KernelPool {
  readonly threads: number;
  readonly variant: KernelVariant;
  readonly memory: WebAssembly.Memory;
  private readonly exports: KernelExports;
  private readonly names: string[];
  private readonly control: Int32Array;
  private readonly argv: Float64Array;
  private readonly workers: Worker[] = [];
  private readonly scratchStart: number;
  private scratchTop: number;

  constructor(threads: number, variant: KernelVariant = defaultKernelVariant()) {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.variant = variant;
    const module = compileOptimized(variant);
    this.memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    const heapBase = this.exports.__heap_base.value as number;
    this.scratchStart = Math.ceil((heapBase + threads * STACK) / PAGE) * PAGE;
    this.scratchTop = this.scratchStart;
    this.names = Object.keys(this.exports).filter((k) => typeof this.exports[k] === 'function');
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOT(threads)));
    this.argv = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory: this.memory, control: this.control.buffer, argBuffer: this.argv.buffer, names: this.names, index },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Frees every scratch allocation (call at the start of each kernel). */
  resetScratch(): void {
    this.scratchTop = this.scratchStart;
  }

  /** A 16-byte aligned scratch block of `floats` float32s; grows the memory when needed. */
  alloc(floats: number): number {
    const offset = this.scratchTop;
    this.scratchTop = offset + Math.ceil((floats * 4) / 16) * 16;
    const needed = this.scratchTop - this.memory.buffer.byteLength;
    if (needed > 0) {
      const pages = Math.ceil(needed / PAGE);
      if (this.memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
        throw new Error(`kernel scratch memory would exceed 4 GiB (asked for ${(this.scratchTop / 2 ** 30).toFixed(2)} GiB)`);
      }
      this.memory.grow(pages);
    }
    return offset;
  }

  /** A scratch block holding a copy of `x`; returns its offset. */
  copyIn(x: ArrayLike<number>): number {
    const offset = this.alloc(x.length);
    this.f32(offset, x.length).set(x);
    return offset;
  }

  /** A Float32Array view of a scratch block (valid until the memory next grows). */
  f32(offset: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, floats);
  }

  /** Calls an exported kernel without splitting (this thread only). */
  call(name: string, ...args: number[]): number {
    return this.exports[name](...args);
  }

  /**
   * Runs kernel `name(...args, first, last, thread)` over [0, total) split into contiguous parts, one
   * per thread (fewer when total is small); returns when every part is done. `thread` (0 … threads−1)
   * lets a kernel use its own slot of a scratch block; kernels that do not need it leave it unread. With `stage`, this thread
   * calls stage(i, i + 1) for every index of the workers' parts, in order, and the workers run each
   * index (as its own kernel call) as soon as it is staged; then it stages and runs its own part. So
   * copying the input overlaps with the workers' compute (kernels used this way must give the same
   * result for [a, b) as for [a, i) then [i, b) — true of the chunked loss kernels).
   */
  parallel(name: string, args: number[], total: number, stage?: (first: number, last: number) => void): void {
    const fn = this.names.indexOf(name);
    if (fn < 0) throw new Error(`no kernel '${name}'`);
    if (args.length > MAX_ARGS) throw new Error(`kernel '${name}': at most ${MAX_ARGS} arguments`);
    const parts = Math.max(1, Math.min(this.threads, total));
    if (parts === 1 || this.workers.length === 0) {
      stage?.(0, total);
      this.exports[name](...args, 0, total, 0);
      return;
    }
    const c = this.control;
    c[FN] = fn;
    c[ARGC] = args.length;
    this.argv.set(args);
    c[ERROR] = 0;
    Atomics.store(c, PENDING, this.workers.length);
    // With a stage, this thread copies every part before computing its own: it takes a smaller part.
    const own = stage ? STAGED_SHARE : 1;
    const edge = (t: number) => (t === 0 ? 0 : Math.floor((total * (own + t - 1)) / (own + this.threads - 1)));
    c[STREAM] = stage ? 1 : 0;
    Atomics.store(c, READY, stage ? edge(1) : total);
    let released = 1;
    const release = (t: number, first: number, last: number) => {
      c[SLOT(t) + 1] = first;
      c[SLOT(t) + 2] = last;
      Atomics.add(c, SLOT(t), 1);
      Atomics.notify(c, SLOT(t));
    };
    try {
      for (; released < this.threads; released++) release(released, edge(released), edge(released + 1));
      if (stage) {
        for (let i = edge(1); i < total; i++) {
          stage(i, i + 1);
          Atomics.store(c, READY, i + 1);
          Atomics.notify(c, READY);
        }
      }
      stage?.(0, edge(1));
      this.exports[name](...args, 0, edge(1), 0);
    } finally {
      // Workers not released still count down, with nothing to do; after a failed stage, streaming
      // workers run out their indices (the call throws, so what they compute is never read).
      for (; released < this.threads; released++) release(released, 0, 0);
      Atomics.store(c, READY, total);
      Atomics.notify(c, READY);
      let pending: number;
      while ((pending = Atomics.load(c, PENDING)) !== 0) Atomics.wait(c, PENDING, pending);
    }
    const failed = Atomics.load(c, ERROR);
    if (failed) throw new Error(`kernel '${name}' failed in worker thread ${failed - 1}`);
  }

  /** Stops the worker threads. */
  async dispose(): Promise<void> {
    this.control[FN] = -1;
    for (let t = 1; t < this.threads; t++) {
      Atomics.add(this.control, SLOT(t), 1);
      Atomics.notify(this.control, SLOT(t));
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

let shared: KernelPool | null = null;

/** The process's kernel pool, created on first use with `defaultThreadCount()` threads. */
export function kernelPool(): KernelPool {
  if (!shared) shared = new KernelPool(defaultThreadCount());
  return shared;
}

/**
 * Replaces the process's pool (e.g. a run's `threads` setting); the old one is stopped. The variant
 * stays what it was unless given.
 */
export function setKernelThreads(threads: number, variant: KernelVariant = shared?.variant ?? defaultKernelVariant()): KernelPool {
  if (shared?.threads === threads && shared.variant === variant) return shared;
  void shared?.dispose();
  shared = new KernelPool(threads, variant);
  return shared;
}
