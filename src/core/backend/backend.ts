/**
 * Chooses the TensorFlow.js backend at run time.
 *
 * Order for `auto`: `webgpu` when Dawn (the optional `webgpu` package) finds a hardware GPU (a software
 * adapter such as llvmpipe is passed over: slower than the CPU backends; force it to test with it), then
 * `tensorflow` (the optional `@tensorflow/tfjs-node` package, fastest on CPU), then `wasm`
 * (`@tensorflow/tfjs-backend-wasm` with SIMD, plus SegLab's own multi-threaded convolution kernels from
 * `kernels/`), then `cpu` (pure JS, slow but always present). A forced choice that cannot load is an
 * error, never a silent fallback.
 *
 * The choice comes from, in order: the argument, the `SEGLAB_BACKEND` environment variable, `auto`.
 * `SEGLAB_TFJS_NODE_PATH` loads tfjs-node from a folder it was installed into (tfjsNode.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from '../kernels/tfjsWasm';
import { kernelPool, KernelVariant } from '../kernels/pool';
import { loadTfjsNodeFrom } from './tfjsNode';
import { adapterLine, findAdapter, GpuAdapter, registerWebgpuBackend } from './webgpu';

import { BACKEND_NAMES, BackendChoice, BackendName, isBackendChoice } from './names';

export { BACKEND_NAMES, isBackendChoice };
export type { BackendChoice, BackendName };

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** What was asked for, and where the request came from. */
  requested: BackendChoice;
  requestedBy: 'argument' | 'environment' | 'default';
  /** Why faster backends were passed over (empty when the first choice loaded). */
  skipped: string[];
  /** wasm only: whether SIMD is in use. */
  simd?: boolean;
  /** wasm only: threads SegLab's convolution kernels use (SEGLAB_THREADS, default every core). */
  threads?: number;
  /** wasm only: the build of SegLab's kernels in use (`relaxed`: fused multiply-adds; SEGLAB_KERNELS). */
  kernels?: KernelVariant;
  /** webgpu only: the adapter (GPU) in use. */
  adapter?: GpuAdapter;
}

let active: BackendInfo | null = null;

/** The backend chosen by the last `initBackend` call, or null before any. */
export function activeBackend(): BackendInfo | null {
  return active;
}

function loadTensorflow(): void {
  // SEGLAB_TFJS_NODE_PATH: a folder where tfjs-node was installed (the extension's seglab.tfjsNodePath).
  const dir = process.env.SEGLAB_TFJS_NODE_PATH;
  if (dir) return loadTfjsNodeFrom(dir);
  // Optional dependency: absent on machines where its install script could not download libtensorflow.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when chosen, and may be missing
  require('@tensorflow/tfjs-node');
}

function loadWasm(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the backend when chosen, not at import
  require('@tensorflow/tfjs-backend-wasm');
}

async function tryBackend(name: BackendName, auto: boolean): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      // auto takes a GPU only: a software adapter is correct but slower than the CPU backends
      const { info } = await findAdapter();
      if (auto && info.software) return `only a software adapter (${adapterLine(info)}); force it with backend 'webgpu'`;
      await registerWebgpuBackend();
    }
    if (name === 'tensorflow') loadTensorflow();
    if (name === 'wasm') loadWasm();
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    if (name === 'cpu') silenceCpuBanner();
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/**
 * The cpu backend prints a "install tfjs-node" banner on its first tensor upload. SegLab reports the
 * backend itself (and why faster ones were skipped), so the banner is only noise on stdout.
 */
function silenceCpuBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (typeof backend.firstUse === 'boolean') backend.firstUse = false;
}

/**
 * Selects and initialises a backend. Safe to call again: a repeated call with the same resolved
 * choice returns the active backend.
 */
export async function initBackend(choice?: string): Promise<BackendInfo> {
  let requested: string = 'auto';
  let requestedBy: BackendInfo['requestedBy'] = 'default';
  if (choice !== undefined) {
    requested = choice;
    requestedBy = 'argument';
  } else if (process.env.SEGLAB_BACKEND) {
    requested = process.env.SEGLAB_BACKEND;
    requestedBy = 'environment';
  }
  if (!isBackendChoice(requested)) {
    const from = requestedBy === 'environment' ? 'SEGLAB_BACKEND' : 'backend';
    throw new Error(`${from}: '${requested}' is not a backend; use one of auto, ${BACKEND_NAMES.join(', ')}`);
  }
  if (active && (active.requested === requested || active.name === requested)) {
    if (active.name === 'wasm') {
      // the pool may have been resized or rebuilt
      active.threads = kernelPool().threads;
      active.kernels = kernelPool().variant;
    }
    return active;
  }

  const order: BackendName[] = requested === 'auto' ? [...BACKEND_NAMES] : [requested];
  const skipped: string[] = [];
  for (const name of order) {
    const failure = await tryBackend(name, requested === 'auto');
    if (failure === null) {
      active = { name, requested, requestedBy, skipped };
      if (name === 'webgpu') active.adapter = (await findAdapter()).info;
      if (name === 'wasm') {
        active.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
        // wasm has no Conv2DBackpropFilter kernel, and its convolutions use one core: SegLab's own.
        registerWasmKernels();
        active.threads = kernelPool().threads;
        active.kernels = kernelPool().variant;
      }
      return active;
    }
    skipped.push(`${name}: ${failure}`);
  }
  const hint = requested === 'tensorflow' ? ' (install @tensorflow/tfjs-node, or choose auto / wasm / cpu)' : '';
  throw new Error(`backend '${requested}' could not be loaded: ${skipped.join('; ')}${hint}`);
}

/**
 * The cpu backend, set synchronously, for callers that compute before `initBackend` resolved
 * (e.g. a script that calls `computeLoss` straight away). Exact, just slower.
 */
export function ensureSomeBackend(): void {
  if (active) return;
  tf.setBackend('cpu');
  silenceCpuBanner();
  active = { name: 'cpu', requested: 'cpu', requestedBy: 'default', skipped: [] };
}

/**
 * Whether runs with this backend choice (a config's `backend`; 'auto' defers to SEGLAB_BACKEND as the
 * engine does) will train on a GPU: forced webgpu, or auto with a hardware adapter. Runs that share one
 * GPU run one at a time unless told otherwise (--parallel).
 */
export async function choosesGpu(choice: string | undefined): Promise<boolean> {
  const c = choice && choice !== 'auto' ? choice : process.env.SEGLAB_BACKEND || 'auto';
  if (c === 'webgpu') return true;
  if (c !== 'auto') return false;
  try {
    return !(await findAdapter()).info.software;
  } catch {
    return false;
  }
}
