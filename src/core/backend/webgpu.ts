/**
 * The WebGPU backend: `@tensorflow/tfjs-backend-webgpu` on Dawn's Node bindings (the optional `webgpu`
 * package; Vulkan on Linux, Metal on macOS, D3D12 on Windows). No CUDA, no Python.
 *
 * Dawn's module is loaded from SegLab's node_modules or, with `SEGLAB_WEBGPU_PATH`, from a folder where
 * `npm install webgpu@<WEBGPU_VERSION>` ran (the extension's *Install GPU Support*). SegLab requests the
 * adapter and device itself (instead of tfjs's own factory) so that it can report the adapter, tell a
 * hardware GPU from a software rasterizer (auto uses only the former) and turn a lost device or an
 * allocation failure into a named run failure.
 *
 * In Node, tfjs-backend-webgpu can only read tensors asynchronously (`data()`): its `dataSync()` needs
 * a browser's OffscreenCanvas. SegLab's training, validation, prediction and loss paths read with
 * `data()` only; `readTidy` names the problem when a synchronous read is asked for on this backend.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { registerWebgpuKernels } from './webgpuKernels';

/** The Dawn bindings version SegLab is tested with (the extension installs this one). */
export const WEBGPU_VERSION = '0.6.2';

/** What `seglab backend`, summary.json and the dashboard say about the GPU in use. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU rasterizer (llvmpipe/lavapipe, SwiftShader, WARP): correct but slow; auto passes it over. */
  software: boolean;
  /** The largest single buffer (bytes) and the largest storage binding a kernel may use. */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: unknown): Promise<DeviceLike>;
}
export interface DeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  onuncapturederror: ((event: { error?: { message?: string; constructor?: { name?: string } } }) => void) | null;
}

/** The Dawn binary inside an installed `webgpu` package (the layout its own index.js loads from). */
export function dawnBinary(packageDir: string): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return path.join(packageDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

function webgpuPackageDir(): string {
  const dir = process.env.SEGLAB_WEBGPU_PATH;
  if (dir) {
    const pkg = path.join(path.resolve(dir), 'node_modules', 'webgpu');
    if (!fs.existsSync(path.join(pkg, 'package.json'))) {
      throw new Error(
        `SEGLAB_WEBGPU_PATH=${dir} has no node_modules/webgpu; run "seglab backend --install webgpu --dir ${dir}" ` +
          `or npm install webgpu@${WEBGPU_VERSION} there`,
      );
    }
    return pkg;
  }
  try {
    return path.dirname(require.resolve('webgpu/package.json'));
  } catch {
    throw new Error(`the optional package 'webgpu' (Dawn) is not installed; run "seglab backend --install webgpu"`);
  }
}

function loadDawn(): DawnModule {
  const pkg = webgpuPackageDir();
  const binary = dawnBinary(pkg);
  if (!fs.existsSync(binary)) throw new Error(`${pkg} has no Dawn build for ${process.platform}-${process.arch} (${binary})`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon at a path known only at run time
    return require(binary) as DawnModule;
  } catch (e) {
    throw new Error(`loading Dawn (${binary}) failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Software rasterizers: Mesa's llvmpipe/lavapipe, Google's SwiftShader, Microsoft's WARP. */
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function describeAdapter(adapter: AdapterLike): GpuAdapter {
  const info = adapter.info ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const a = {
    vendor: text(info.vendor),
    architecture: text(info.architecture),
    device: text(info.device),
    description: text(info.description),
  };
  const software = adapter.isFallbackAdapter === true || a.architecture === 'software' || SOFTWARE.test(`${a.device} ${a.description}`);
  return {
    ...a,
    software,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

/** The adapter's name for a person: "NVIDIA H200 (hopper)", "llvmpipe: Mesa 25.0.7 … (mesa, software)". */
export function adapterName(a: GpuAdapter): string {
  const name = a.description || a.device || a.vendor || 'unknown adapter';
  const detail = [a.vendor, a.architecture].filter((s) => s && !name.toLowerCase().includes(s.toLowerCase()));
  if (a.software && !detail.includes('software')) detail.push('software');
  return `${name}${detail.length ? ` (${detail.join(', ')})` : ''}`;
}

/** adapterName with the limits that matter: "NVIDIA H200 (hopper); max buffer 4096 MiB, …". */
export function adapterLine(a: GpuAdapter): string {
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  return `${adapterName(a)}; max buffer ${mib(a.maxBufferSize)}, max storage binding ${mib(a.maxStorageBufferBindingSize)}`;
}

interface Setup {
  gpu: GpuLike;
  adapter: AdapterLike;
  info: GpuAdapter;
}
let setup: Promise<Setup> | null = null;
let device: DeviceLike | null = null;
/** Why the device was lost, once it was (the training loop ends the run with it). */
let lostReason: string | null = null;
/** The first error Dawn reported for this device that nothing handled (out of memory, validation). */
let deviceError: string | null = null;

function exposeGlobals(dawn: DawnModule, gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  // tfjs-backend-webgpu uses the WebGPU globals (GPUBufferUsage, GPUMapMode, …) and navigator.gpu.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav && typeof nav === 'object') Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/** Loads Dawn and finds an adapter (once per process). Rejects with a reason a person can act on. */
export function findAdapter(): Promise<Setup> {
  setup ??= (async () => {
    const dawn = loadDawn();
    const gpu = dawn.create([]);
    exposeGlobals(dawn, gpu);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      throw new Error(
        'Dawn found no WebGPU adapter (no Vulkan/Metal/D3D12 device; on Debian 12 install Mesa 25 from bookworm-backports ' +
          'for a software one)',
      );
    }
    return { gpu, adapter, info: describeAdapter(adapter) };
  })();
  setup.catch(() => (setup = null));
  return setup;
}

/** The device tfjs-backend-webgpu asks for: the adapter's own limits for the ones its kernels need. */
async function createDevice(adapter: AdapterLike): Promise<DeviceLike> {
  const l = adapter.limits;
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const d = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  d.lost.then((info) => {
    // 'destroyed' is SegLab's own dispose at exit, not a failure.
    if (info?.reason !== 'destroyed') lostReason = info?.message || info?.reason || 'unknown reason';
  });
  // An error no scope caught: tfjs-backend-webgpu pushes none, so every one lands here, and the work it
  // belonged to produced nothing meaningful. The first one is kept for the run's failure reason.
  d.onuncapturederror = (event) => {
    const error = event?.error;
    const message = (error?.message ?? 'unknown error').split('\n')[0];
    if (deviceError !== null) return;
    const memory =
      error?.constructor?.name === 'GPUOutOfMemoryError' || /out of memory|exceeds the max(imum)? buffer size|allocat/i.test(message);
    deviceError = memory ? `GPU out of memory: ${message}` : `GPU error: ${message}`;
  };
  return d;
}

/**
 * Registers the `webgpu` tfjs backend on the adapter `findAdapter` found (replacing tfjs's own factory,
 * which would request another adapter and device). Returns the adapter's description.
 */
export async function registerWebgpuBackend(): Promise<GpuAdapter> {
  const { adapter, info } = await findAdapter();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when chosen: it registers its kernels on import
  const webgpu = require('@tensorflow/tfjs-backend-webgpu') as {
    WebGPUBackend: new (device: DeviceLike, info?: unknown) => tf.KernelBackend;
    webgpu_util: Parameters<typeof registerWebgpuKernels>[0];
  };
  registerWebgpuKernels(webgpu.webgpu_util);
  if (!device) device = await createDevice(adapter);
  const d = device;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(d, adapter.info), 3);
  return info;
}

/** A GPU failure that ends a run, or null: the device was lost, an allocation failed, a kernel was refused. */
export function gpuFailure(): string | null {
  if (lostReason !== null) return `GPU device lost: ${lostReason}`;
  return deviceError;
}
