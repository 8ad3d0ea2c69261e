/**
 * Search spaces for sweeps: Sobol points against SciPy (Debian's python3-scipy through /usr/bin/python3:
 * scipy.stats.qmc.Sobol(scramble=False)), ranges and trials by hand.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { gridValues, parseSpace, parseSpaces, searchAxes, sobolPoints, valueAt } from '../../src/core/runs/search';
import { sweepCells } from '../../src/core/runs/sweep';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

describe('sweep search spaces: ranges, random and Sobol trials', () => {
  it('the first 256 Sobol points in 10 dimensions equal scipy.stats.qmc.Sobol(scramble=False)', () => {
    const script =
      'import json, warnings\nwarnings.simplefilter("ignore")\nfrom scipy.stats import qmc\n' +
      'print(json.dumps(qmc.Sobol(d=10, scramble=False).random(256).tolist()))';
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${PYTHON} with SciPy failed (apt-get install python3-scipy): ${r.stderr || r.error}`);
    assert.deepStrictEqual(sobolPoints(256, 10), JSON.parse(r.stdout));
  });

  it('ranges by hand: log-uniform, uniform, integers with both ends; a list is categorical', () => {
    const log = parseSpace('optimizer.learningRate', 'log:1e-4..1e-2');
    assert.deepStrictEqual([valueAt(log, 0), valueAt(log, 0.5), valueAt(log, 0.75)], [0.0001, 0.001, 0.003162]);
    assert.deepStrictEqual(gridValues(log, 3), [0.0001, 0.001, 0.01]);
    const int = parseSpace('model.baseFilters', 'int:8..10');
    assert.deepStrictEqual([valueAt(int, 0), valueAt(int, 0.34), valueAt(int, 0.99)], [8, 9, 10], 'each integer a third of [0, 1)');
    assert.deepStrictEqual(gridValues(int, 5), [8, 9, 10], 'a short int range gives every integer');
    assert.deepStrictEqual(gridValues(parseSpace('k', 'lin:0..1'), 5), [0, 0.25, 0.5, 0.75, 1]);
    const list = parseSpace('loss', 'bce,dice');
    assert.deepStrictEqual([valueAt(list, 0.49), valueAt(list, 0.5)], ['bce', 'dice']);
  });

  it('bad ranges and keys are named', () => {
    assert.throws(() => parseSpace('k', 'log:0..1'), /a log range needs LOW > 0/);
    assert.throws(() => parseSpace('k', 'lin:2..1'), /needs LOW < HIGH/);
    assert.throws(() => parseSpace('k', 'int:1.5..3'), /integer ends/);
    assert.throws(() => parseSpace('k', 'log:1e-4'), /write a range as log:LOW\.\.HIGH/);
    assert.throws(() => parseSpaces(['seed=int:1..3']), /seeds come from --seeds N/);
    assert.throws(() => parseSpaces(['a=lin:0..1', 'a=lin:0..2']), /--set a is given twice/);
  });

  it('Sobol trials are the sequence mapped through each space: 4 trials of a log range and a list, by hand', () => {
    // Sobol points (0, 0), (½, ½), (¾, ¼), (¼, ¾)
    const { axes, zip } = searchAxes(parseSpaces(['optimizer.learningRate=log:1e-4..1e-2', 'loss=bce,dice']), 'sobol', 4);
    assert.strictEqual(zip, true);
    assert.deepStrictEqual(sweepCells(axes, zip), [
      { 'optimizer.learningRate': 0.0001, loss: 'bce' },
      { 'optimizer.learningRate': 0.001, loss: 'dice' },
      { 'optimizer.learningRate': 0.003162, loss: 'bce' },
      { 'optimizer.learningRate': 0.0003162, loss: 'dice' },
    ]);
  });

  it('random trials: the same seed gives the same trials, another seed others; repeats of a small space are dropped', () => {
    const spaces = parseSpaces(['optimizer.learningRate=log:1e-4..1e-2', 'model.depth=int:2..4']);
    const a = searchAxes(spaces, 'random', 6, 7);
    assert.deepStrictEqual(searchAxes(spaces, 'random', 6, 7), a);
    assert.notDeepStrictEqual(searchAxes(spaces, 'random', 6, 8).axes, a.axes);
    for (const lr of a.axes[0].values as number[]) assert.ok(lr >= 1e-4 && lr <= 1e-2, String(lr));
    const small = searchAxes(parseSpaces(['loss=bce,dice']), 'random', 20, 1);
    assert.deepStrictEqual([...(small.axes[0].values as string[])].sort(), ['bce', 'dice'], 'two values, each once');
  });

  it('a grid search expands ranges and keeps the Cartesian product', () => {
    const { axes, zip } = searchAxes(parseSpaces(['optimizer.learningRate=log:1e-3..1e-1', 'loss=bce,dice']), 'grid', 3);
    assert.strictEqual(zip, false);
    assert.strictEqual(sweepCells(axes, zip).length, 6);
    assert.deepStrictEqual(axes[0].values, [0.001, 0.01, 0.1]);
  });
});
