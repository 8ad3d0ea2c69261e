/**
 * ASHA (asynchronous successive halving, Li et al. 2020): the rung epochs and the promotion rule on
 * scripted sequences of values (every decision derived by hand below), the rung records on disk, and
 * a training run that a rung stops as `pruned` — checkpoint, curves and summary kept.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ashaDecision, PruningConfig, readRung, recordRung, RECORD_MAX_BYTES, RungEntry, rungEpochs } from '../../src/core/runs/asha';
import { readRun } from '../../src/core/runs/store';
import { trainRun } from '../../src/core/train/trainer';
import { tinyExperiment } from './helpers';

/** Feeds values to one rung in order, as runs arrive; returns each run's decision when it arrived. */
function arrive(values: [string, number][], eta: number, monitor: string): boolean[] {
  const seen: RungEntry[] = [];
  return values.map(([run, value]) => {
    seen.push({ run, value });
    return ashaDecision(seen, run, eta, monitor).promote;
  });
}

describe('ASHA: rungs and promotions', () => {
  it('rungs at R·η^k below the last epoch', () => {
    assert.deepStrictEqual(rungEpochs(1, 3, 12), [1, 3, 9]);
    assert.deepStrictEqual(rungEpochs(2, 3, 10), [2, 6]);
    assert.deepStrictEqual(rungEpochs(1, 2, 8), [1, 2, 4]);
    assert.deepStrictEqual(rungEpochs(3, 3, 9), [3], 'the last epoch is the end, not a rung');
    assert.deepStrictEqual(rungEpochs(5, 3, 5), []);
  });

  it('a scripted arrival order at one rung, η = 3, Dice (higher is better)', () => {
    // A 0.5 alone: goes on. B 0.6 of 2: keep max(1, ⌊2/3⌋) = 1, the best is B: goes on.
    // C 0.4 of 3: keep 1 (0.6): pruned. D 0.7 of 4: keep 1, D is best: on. E 0.55 of 5: keep 1 (0.7): pruned.
    // F 0.65 of 6: keep ⌊6/3⌋ = 2 (0.7, 0.65): on. G 0.62 of 7: keep 2 (0.7, 0.65): pruned.
    const decisions = arrive(
      [
        ['A', 0.5],
        ['B', 0.6],
        ['C', 0.4],
        ['D', 0.7],
        ['E', 0.55],
        ['F', 0.65],
        ['G', 0.62],
      ],
      3,
      'dice',
    );
    assert.deepStrictEqual(decisions, [true, true, false, true, false, true, false]);
  });

  it('η = 2 keeps the top half as it fills: 0.3, 0.2, 0.9, 0.25 → on, pruned, on, pruned', () => {
    // n = 2: keep 1 (0.3) → 0.2 pruned; n = 3: keep 1 (0.9) → on; n = 4: keep 2 (0.9, 0.3) → 0.25 pruned.
    assert.deepStrictEqual(
      arrive(
        [
          ['a', 0.3],
          ['b', 0.2],
          ['c', 0.9],
          ['d', 0.25],
        ],
        2,
        'dice',
      ),
      [true, false, true, false],
    );
  });

  it('lower-is-better metrics (HD95, loss) keep the smallest; ∞ and NaN are the worst; a tie goes on', () => {
    assert.deepStrictEqual(
      arrive(
        [
          ['a', 10],
          ['b', 5],
          ['c', 20],
        ],
        3,
        'hd95',
      ),
      [true, true, false],
    );
    assert.deepStrictEqual(
      arrive(
        [
          ['a', 0.4],
          ['b', Infinity],
        ],
        2,
        'loss',
      ),
      [true, false],
    );
    // A NaN alone goes on (nothing to compare with); beside any number it is the worst.
    assert.deepStrictEqual(
      arrive(
        [
          ['a', NaN],
          ['b', 0.3],
          ['c', NaN],
        ],
        3,
        'dice',
      ),
      [true, true, false],
    );
    assert.deepStrictEqual(
      arrive(
        [
          ['a', 0.5],
          ['b', 0.5],
        ],
        3,
        'dice',
      ),
      [true, true],
    );
    const d = ashaDecision(
      [
        { run: 'a', value: 0.7 },
        { run: 'b', value: 0.6 },
        { run: 'c', value: 0.5 },
      ],
      'c',
      3,
      'dice',
    );
    assert.deepStrictEqual(d, { promote: false, keep: 1, n: 3, cutoff: 0.7 });
  });

  it('rung records on disk: one per run (a second attempt replaces the first), groups apart, ∞ kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-asha-'));
    try {
      const p: PruningConfig = { method: 'asha', minEpochs: 1, eta: 3, rungs: dir, group: 'loss=bce' };
      recordRung(p, 0, { run: 'r1', value: 0.5, epoch: 1 });
      recordRung(p, 0, { run: 'r2', value: Infinity, epoch: 1 });
      const again = recordRung(p, 0, { run: 'r1', value: 0.25, epoch: 1 });
      const byRun = (e: RungEntry[]) => [...e].sort((x, y) => x.run.localeCompare(y.run));
      assert.deepStrictEqual(byRun(again), [
        { run: 'r1', value: 0.25 },
        { run: 'r2', value: Infinity },
      ]);
      assert.deepStrictEqual(readRung({ ...p, group: 'loss=dice' }, 0), [], 'another group sees none of them');
      assert.deepStrictEqual(readRung(p, 1), [], 'nor does another rung');
      // A damaged record (a hand edit) is skipped, not a crash.
      const first = (fs.readdirSync(dir, { recursive: true }) as string[]).find((f) => f.endsWith('.json'))!;
      const rungDir = path.join(dir, path.dirname(first));
      fs.writeFileSync(path.join(rungDir, 'broken.json'), '{"run": 1, "value":');
      fs.writeFileSync(path.join(rungDir, 'null.json'), 'null');
      fs.mkdirSync(path.join(rungDir, 'folder.json'));
      // Oversized: a valid record padded past RECORD_MAX_BYTES is not read (no allocation of what a folder holds).
      fs.writeFileSync(path.join(rungDir, 'big.json'), `{"run": "big", "value": 1, "pad": "${'x'.repeat(RECORD_MAX_BYTES)}"}`);
      assert.deepStrictEqual(byRun(readRung(p, 0)), [
        { run: 'r1', value: 0.25 },
        { run: 'r2', value: Infinity },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ASHA in a training run', function () {
  this.timeout(300000);
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-asha-train-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const config = (rungs: string) => ({
    ...tinyExperiment(path.join(root, 'runs'), { epochs: 4, stepsPerEpoch: 2, batchSize: 4, predictions: 1 }),
    pruning: { method: 'asha' as const, minEpochs: 1, eta: 2, rungs, group: 'all' },
  });

  it('behind a better run at its first rung, a run stops there as pruned, with its checkpoint, curve and reason', async () => {
    const rungs = path.join(root, 'behind');
    // Another run already reached rung 1 (epoch 1) with Dice 1: of 2 runs η = 2 keeps 1, and no run beats 1.
    recordRung({ method: 'asha', minEpochs: 1, eta: 2, rungs, group: 'all' }, 0, { run: 'other', value: 1, epoch: 1 });
    const summary = await trainRun({ config: config(rungs), runName: 'asha-behind' });
    assert.strictEqual(summary.status, 'pruned');
    assert.strictEqual(summary.epochsCompleted, 1);
    assert.match(
      summary.reason ?? '',
      /^ASHA rung 1 \(epoch 1\): dice [0-9.]+ is not in the top 1 of the 2 runs at this rung \(top 1\/2; the last to go on has 1\)$/,
    );
    const run = readRun(path.join(root, 'runs', summary.id));
    assert.strictEqual(run.summary?.status, 'pruned');
    assert.deepStrictEqual(
      run.epochs.map((e) => e.epoch),
      [1],
    );
    assert.strictEqual(typeof run.epochs[0].val?.dice, 'number', 'the rung epoch was validated');
    assert.ok(fs.existsSync(path.join(root, 'runs', summary.id, 'checkpoints', 'last', 'model.json')));
    // Its own value is recorded beside the other's.
    const mine = readRung(config(rungs).pruning, 0).find((e) => e.run === 'asha-behind');
    assert.strictEqual(mine?.value, run.epochs[0].val?.dice);
  });

  it('first at every rung, a run goes on to its last epoch (rungs 1 and 2; 4 is the end) and ends done', async () => {
    const rungs = path.join(root, 'first');
    const summary = await trainRun({ config: config(rungs), runName: 'asha-first' });
    assert.strictEqual(summary.status, 'done');
    assert.strictEqual(summary.epochsCompleted, 4);
    const p = config(rungs).pruning;
    assert.deepStrictEqual(
      [0, 1, 2].map((k) => readRung(p, k).map((e) => e.run)),
      [['asha-first'], ['asha-first'], []],
    );
  });
});
