/** The script interface: dist/core.js loads in plain Node and exposes the documented functions. */
import * as assert from 'assert';
import * as path from 'path';
import { ROOT } from './helpers';

describe('dist/core.js (interface for scripts)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require(path.join(ROOT, 'dist', 'core.js'));

  it('exports lossNames, computeLoss, computeMetrics, unetWeightMap and ready', () => {
    for (const name of ['lossNames', 'computeLoss', 'computeMetrics', 'unetWeightMap', 'ready', 'lossGradient']) {
      assert.strictEqual(typeof core[name], 'function', name);
    }
    assert.ok(core.lossNames().includes('lovaszSoftmax'));
  });

  it('computeLoss on flat arrays: the seed article BCE (0.6622) and a compound', async () => {
    await core.ready('cpu');
    const input = { pred: [0.656, 0.5859, 0.6172, 0.6802], target: [1, 0, 0, 1], shape: [1, 2, 2, 1], fromLogits: false, mode: 'binary' };
    assert.ok(Math.abs(core.computeLoss('bce', input) - 0.66221) < 5e-5);
    const sum = core.computeLoss('bce', input) + core.computeLoss('dice', input);
    assert.ok(Math.abs(core.computeLoss('bce+dice', input) - sum) < 1e-6);
  });

  it('computeMetrics and unetWeightMap', () => {
    const m = core.computeMetrics([1, 1, 0, 0], [1, 0, 0, 0], [2, 2]);
    assert.deepStrictEqual([m.tp, m.fp, m.fn, m.tn], [1, 1, 0, 2]);
    const w = core.unetWeightMap([1, 0, 1], [1, 3], { classWeights: 'none' });
    assert.ok(Math.abs(w[1] - (1 + 10 * Math.exp(-4 / 50))) < 1e-5);
  });
});
