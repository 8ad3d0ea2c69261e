import * as assert from 'assert';
import * as path from 'path';
import { ExperimentConfig, validateConfig } from '../../src/core/config/config';

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
