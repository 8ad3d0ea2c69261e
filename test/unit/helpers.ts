import * as assert from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend/backend';
import { findAdapter } from '../../src/core/backend/webgpu';
import { ExperimentConfig, validateConfig } from '../../src/core/config/config';
import { AugmentSpec, BatchSampler, Normalization } from '../../src/core/data/batches';
import type { Sample, SampleSource } from '../../src/core/data/source';

/** The repository root (tests run from out/test/unit). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** ../shared beside the repository: the real ISBI 2012 data lives there, never in the repo. */
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const ISBI = path.join(SHARED, 'data', 'isbi2012-membrane');

/** |actual − expected| ≤ abs + rel·|expected|. */
export function assertClose(actual: number, expected: number, rel = 1e-5, abs = 1e-6, what = ''): void {
  if (Number.isNaN(expected)) {
    if (!Number.isNaN(actual)) assert.fail(`${what}: expected NaN, got ${actual}`);
    return;
  }
  if (!Number.isFinite(expected)) {
    assert.strictEqual(actual, expected, what);
    return;
  }
  const tol = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    assert.fail(`${what}: expected ${expected}, got ${actual} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
  }
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-5, abs = 1e-6, what = ''): void {
  assert.strictEqual(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], rel, abs, `${what}[${i}]`);
}

/** max |a − b| / max |b| < tol: float32 kernels against float64 references (gradients.json). */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.strictEqual(actual.length, expected.length, `${what}: length`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(diff / scale < tol, `${what}: relative error ${(diff / scale).toExponential(2)} ≥ ${tol}`);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A tiny experiment for fast tests: 16×16 shapes, a depth-2 U-Net with 4 filters, wasm. */
export function tinyExperiment(runsDir: string, extra: Record<string, unknown> = {}): ExperimentConfig {
  const c = validateConfig({
    name: 'tiny',
    dataset: { builtin: 'shapes', count: 12, size: 16, foregroundFraction: 0.3 },
    model: { depth: 2, baseFilters: 4 },
    optimizer: { name: 'adam', learningRate: 0.01 },
    epochs: 3,
    batchSize: 4,
    stepsPerEpoch: 3,
    predictions: 1,
    backend: 'wasm',
    ...extra,
  });
  return { ...c, runsDir };
}

/**
 * Hooks that run the enclosing describe on `backend`. webgpu: skipped with the reason where Dawn finds
 * no adapter; every kernel runs on the GPU (tfjs-backend-webgpu otherwise computes small tensors that
 * are still on the CPU with the cpu backend's kernels); a generous timeout (a software GPU compiles
 * each shader on the CPU); wasm again afterwards, for the files that read synchronously.
 */
export function suiteOnBackend(suite: Mocha.Suite, backend: string): void {
  if (backend !== 'webgpu') {
    before(() => initBackend(backend));
    return;
  }
  suite.timeout(600_000);
  let forward: boolean | undefined;
  before(async function () {
    try {
      await findAdapter();
    } catch (e) {
      console.log(`      (WebGPU tests skipped: ${(e as Error).message})`);
      this.skip();
    }
    await initBackend('webgpu');
    // (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD is read once at load; the forward flag on every call.)
    forward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  after(async () => {
    if (forward === undefined) return;
    tf.env().set('WEBGPU_CPU_FORWARD', forward);
    await initBackend('wasm');
  });
}

/**
 * Batches built from `src` with each next batch's files requested while the current one is built (as
 * the trainer does) equal batches from `memory` (the same samples in memory), step by step: names,
 * images and masks (names too unless `names` is false: a stack's pages are named for the stack). One
 * channel.
 */
export async function assertReadAheadBatches(
  src: SampleSource,
  memory: readonly Sample[],
  o: { norm: Normalization; spec: AugmentSpec; seed: number; steps: number; size: number; names?: boolean },
): Promise<void> {
  const lazy = new BatchSampler({ source: src, indices: src.items.map((_, i) => i) }, 1, o.norm, o.spec, o.seed);
  const eager = new BatchSampler(memory, 1, o.norm, o.spec, o.seed);
  let plan = lazy.plan(o.size);
  src.prefetch(plan.picks.map((p) => p.index));
  for (let step = 0; step < o.steps; step++) {
    await src.ready(plan.picks.map((p) => p.index));
    const a = lazy.build(plan);
    plan = lazy.plan(o.size);
    src.prefetch(plan.picks.map((p) => p.index));
    const b = eager.next(o.size);
    if (o.names !== false) assert.deepStrictEqual(a.names, b.names, `step ${step}`);
    assert.deepStrictEqual(a.x, b.x, `step ${step}`);
    assert.deepStrictEqual(a.y, b.y, `step ${step}`);
  }
}
