/**
 * Sweeps: the grid, config paths, per-cell statistics and paired comparisons (reference values from
 * SciPy 1.10.1: stats.t.interval, stats.ttest_rel; the ETA and grids derived by hand), and the CLI
 * as a user runs it: a sweep on the built-in data, killed midway and resumed.
 */
import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeJson } from '../../src/core/common/json';
import {
  cellId,
  cellLabel,
  cellSlug,
  compareSweepCells,
  gridCells,
  parseAxes,
  parseSweepValues,
  setConfigPath,
  summarizeCells,
  sweepFingerprint,
  sweepProgress,
  SweepFile,
  SweepRunRecord,
} from '../../src/core/runs/sweep';
import { effectiveSweep, readSweepFile, writeSweep } from '../../src/core/runs/sweepStore';
import { readRun } from '../../src/core/runs/store';
import { sweepReport } from '../../src/core/runs/sweepReport';
import { categoryChart, scatterChart } from '../../src/core/runs/svgCharts';
import { paretoFront } from '../../src/core/runs/pareto';
import { planSweep, runSweep, TUNED_RATES, tunedLearningRate } from '../../src/engine/sweep';
import { ROOT } from './helpers';

/**
 * SIGKILLs a sweep process (no chance to clean up) once its sweep.json — the only sweep under `root` —
 * satisfies `when`; resolves to that sweep.json. A sweep.json is replaced atomically: it always parses.
 */
function killWhen(child: ChildProcess, root: string, when: (s: SweepFile) => boolean): Promise<SweepFile> {
  return new Promise<SweepFile>((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        const sub = fs.existsSync(root) ? fs.readdirSync(root) : [];
        // The folder is made a moment before its first sweep.json.
        if (sub.length !== 1 || !fs.existsSync(path.join(root, sub[0], 'sweep.json'))) return;
        const s = readSweepFile(path.join(root, sub[0]));
        if (when(s)) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(s);
        }
      } catch (err) {
        clearInterval(timer);
        reject(err);
      }
    }, 100);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the sweep ended before it could be killed'));
    });
  });
}

describe('sweep grid and config paths', () => {
  it('splits values at top-level commas and reads JSON where it parses', () => {
    assert.deepStrictEqual(parseSweepValues('bce,dice,bce+0.5*dice'), ['bce', 'dice', 'bce+0.5*dice']);
    assert.deepStrictEqual(parseSweepValues('0.001, 3e-4,true'), [0.001, 0.0003, true]);
    assert.deepStrictEqual(parseSweepValues('[1,2],[3],"a,b",{"name":"focal","options":{"gamma":2}}'), [
      [1, 2],
      [3],
      'a,b',
      { name: 'focal', options: { gamma: 2 } },
    ]);
    assert.throws(
      () => parseSweepValues('0.001,1e-3', 'optimizer.learningRate'),
      /optimizer.learningRate: the value 0.001 is listed twice/,
    );
    assert.throws(() => parseSweepValues('bce,,dice', 'loss'), /--set loss=bce,,dice: an empty value/);
  });

  it('parses --set options and refuses keys the sweep owns or that overlap', () => {
    assert.deepStrictEqual(parseAxes(['loss=bce,dice', 'head=sigmoid1,softmax2']), [
      { key: 'loss', values: ['bce', 'dice'] },
      { key: 'head', values: ['sigmoid1', 'softmax2'] },
    ]);
    assert.throws(() => parseAxes(['seed=1,2']), /seeds come from --seeds N/);
    assert.throws(() => parseAxes(['loss']), /write KEY=V1,V2/);
    assert.throws(() => parseAxes(['loss=bce', 'loss=dice']), /--set loss is given twice/);
    assert.throws(() => parseAxes(['loss=bce', 'loss.options.gamma=1,2']), /one sets part of the other/);
    assert.throws(() => parseAxes(['1x=2']), /'1x' is not a dotted config key/);
  });

  it('sets dotted keys, turning a loss name into an object when an option is set', () => {
    const base = { loss: 'focal', optimizer: { name: 'adam', learningRate: 0.002 } };
    assert.deepStrictEqual(setConfigPath(base, 'loss.options.gamma', 3), {
      loss: { name: 'focal', options: { gamma: 3 } },
      optimizer: base.optimizer,
    });
    assert.deepStrictEqual(setConfigPath(base, 'optimizer.learningRate', 0.01).optimizer, { name: 'adam', learningRate: 0.01 });
    assert.deepStrictEqual(setConfigPath(base, 'model.baseFilters', 8).model, { baseFilters: 8 });
    assert.strictEqual(base.loss, 'focal', 'the base is not changed');
    assert.throws(() => setConfigPath(base, 'optimizer.name.x', 1), /--set optimizer.name.x: optimizer.name is "adam", not an object/);
  });

  it("a key naming an object's machinery is refused before anything is written (no Object.prototype pollution)", () => {
    for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'model.__proto__.polluted', 'model..x']) {
      assert.throws(() => setConfigPath({ model: {} }, key, 1), new RegExp(`--set ${key.replace(/\./g, '\\.')}: '.*' is not a config key`));
    }
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    // a key that exists only on the prototype ('toString') is a new key, not Object.prototype.toString
    assert.deepStrictEqual(setConfigPath({}, 'toString.x', 1), { toString: { x: 1 } });
  });

  it('makes every combination, the first key varying slowest, with stable ids and names', () => {
    const cells = gridCells([
      { key: 'loss', values: ['bce', 'bce+dice'] },
      { key: 'optimizer.learningRate', values: [0.001, 0.01, 0.1] },
    ]);
    assert.strictEqual(cells.length, 6);
    assert.deepStrictEqual(cells[1], { loss: 'bce', 'optimizer.learningRate': 0.01 });
    assert.deepStrictEqual(cells[3], { loss: 'bce+dice', 'optimizer.learningRate': 0.001 });
    assert.strictEqual(cellId(cells[3]), 'loss=bce+dice,optimizer.learningRate=0.001');
    assert.strictEqual(cellLabel(cells[3]), 'bce+dice · learningRate 0.001');
    assert.strictEqual(cellSlug(cells[3]), 'bce_dice-learningRate0.001');
    assert.strictEqual(
      cellLabel({ loss: { name: 'dice+boundary', ramps: { boundary: { from: 0, to: 1, epochs: [1, 2] } } }, head: 'softmax2' }),
      'dice+boundary (ramps) · softmax2',
    );
    assert.strictEqual(cellLabel({ 'optimizer.schedule': { a: 1 } }), 'schedule {"a":1}');
    assert.deepStrictEqual(gridCells([]), [{}]);
    const f = sweepFingerprint({ a: 1, b: { c: 2, d: 3 } }, [{ key: 'loss', values: ['bce'] }], [1, 2]);
    assert.strictEqual(
      sweepFingerprint({ b: { d: 3, c: 2 }, a: 1 }, [{ key: 'loss', values: ['bce'] }], [1, 2]),
      f,
      'key order does not matter',
    );
    assert.notStrictEqual(sweepFingerprint({ a: 1, b: { c: 2, d: 3 } }, [{ key: 'loss', values: ['bce'] }], [1, 2, 3]), f);
  });
});

describe('sweep statistics', () => {
  const done = (cell: string, seed: number, dice: number, extra: Record<string, number> = {}): SweepRunRecord => ({
    cell,
    seed,
    status: 'done',
    runId: `${cell}-${seed}`,
    seconds: 10,
    final: { dice, iou: dice / 2, hd95: 5, pixelError: 0.1, precision: 0.5, recall: 0.5, loss: 0.3, ...extra },
  });
  const params = gridCells([{ key: 'head', values: ['sigmoid1', 'softmax2'] }]);
  const A = 'head=sigmoid1';
  const B = 'head=softmax2';

  it('gives each cell mean, std, the 95 % t interval and the per-seed values (SciPy t.interval)', () => {
    const cells = summarizeCells(params, [1, 2, 3], [done(A, 1, 0.8), done(A, 2, 0.82), done(A, 3, 0.84), done(B, 1, 0.7)]);
    const d = cells[0].metrics.dice!;
    assert.strictEqual(cells[0].n, 3);
    assert.deepStrictEqual(cells[0].runs, [`${A}-1`, `${A}-2`, `${A}-3`]);
    assert.ok(Math.abs(d.mean - 0.82) < 1e-12 && Math.abs(d.std - 0.02) < 1e-12);
    // scipy.stats.t.interval(0.95, 2, loc=0.82, scale=sem([0.80, 0.82, 0.84]))
    assert.ok(Math.abs(d.ci95![0] - 0.770317245763125) < 1e-9 && Math.abs(d.ci95![1] - 0.8696827542368749) < 1e-9, String(d.ci95));
    assert.deepStrictEqual(d.values, [0.8, 0.82, 0.84]);
    assert.deepStrictEqual(d.seeds, [1, 2, 3]);
    assert.strictEqual(cells[1].n, 1);
    assert.strictEqual(cells[1].metrics.dice!.ci95, undefined, 'one seed: no interval');
  });

  it('keeps ∞ and NaN in the values and leaves them out of the mean', () => {
    const cells = summarizeCells(
      params,
      [1, 2, 3],
      [done(A, 1, 0.8, { hd95: Infinity }), done(A, 2, 0.8, { hd95: 4 }), done(A, 3, 0.8, { hd95: 6 })],
    );
    const h = cells[0].metrics.hd95!;
    assert.deepStrictEqual(h.values, [Infinity, 4, 6]);
    assert.strictEqual(h.mean, 5);
    assert.strictEqual(h.n, 2);
    assert.strictEqual(h.posInf, 1);
    // Through sweep.json and back: ∞ stays ∞.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweepfile-'));
    const progress = { total: 3, done: 3, failed: 0, cancelled: 0, running: 0, pending: 0 };
    const [id, now] = ['s', new Date().toISOString()];
    writeSweep(tmp, {
      ...{
        format: 'seglab-sweep',
        version: 1,
        id,
        name: id,
        createdAt: now,
        updatedAt: now,
        status: 'done',
        fingerprint: 'f',
        launcher: 'local',
      },
      ...{ parallel: 1, axes: [], seeds: [1, 2, 3], primaryMetric: 'dice', progress, cells, comparisons: [], runs: [], baseConfig: {} },
    });
    assert.deepStrictEqual(readSweepFile(tmp).cells[0].metrics.hd95!.values, [Infinity, 4, 6]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('pairs cells by seed, not by position (SciPy ttest_rel), along each key and from the best cell', () => {
    // softmax2 seed 1 failed: the pair is over seeds 2 and 3 only.
    const runs = [
      done(A, 1, 0.71),
      done(A, 2, 0.74),
      done(A, 3, 0.69),
      { cell: B, seed: 1, status: 'failed' as const, reason: 'x' },
      done(B, 2, 0.7),
      done(B, 3, 0.66),
    ];
    const cells = summarizeCells(params, [1, 2, 3], runs);
    const comps = compareSweepCells(cells, [{ key: 'head', values: ['sigmoid1', 'softmax2'] }], 'dice');
    const along = comps.find((c) => c.axis === 'head' && c.metric === 'dice')!;
    assert.strictEqual(along.cell, B);
    assert.strictEqual(along.baseline, A);
    assert.deepStrictEqual(along.seeds, [2, 3]);
    // scipy.stats.ttest_rel([0.70, 0.66], [0.74, 0.69]): |t| = 7.0, p = 0.0903344706017342
    assert.ok(Math.abs(along.p! - 0.0903344706017342) < 1e-9, String(along.p));
    assert.ok(Math.abs(along.mean + 0.035) < 1e-12);
    // t.interval(0.95, 1, loc=-0.035, scale=sem([-0.04, -0.03]))
    assert.ok(Math.abs(along.ci95![0] + 0.09853102368216049) < 1e-9 && Math.abs(along.ci95![1] - 0.028531023682160483) < 1e-9);
    assert.match(
      along.verdict,
      /^softmax2 − sigmoid1: −0\.035 Dice, 95 % CI \[−0\.099, \+0\.029\], p = 0\.090: not distinguishable with 2 seeds; at this spread about 3 seeds would find it 80 % of the time \(α 0\.05\)$/,
    );
    const best = comps.filter((c) => c.axis === 'best');
    assert.strictEqual(best.length, 1);
    assert.strictEqual(best[0].cell, A, 'sigmoid1 has the larger mean Dice');
    // Headline metrics along the key; only the primary one from the best cell.
    assert.deepStrictEqual(
      comps.filter((c) => c.axis === 'head').map((c) => c.metric),
      ['dice', 'iou', 'hd95', 'pixelError'],
    );
  });

  it('Holm decides: three pairs each at raw p = 1 − t/√(t² + 2) ≈ 0.035 (t = 3√3, df 2) are 3p ≈ 0.105 adjusted, so none is told apart', () => {
    // a, b = a + (0.02, 0.04, 0.03), c = a + (0.04, 0.08, 0.06): b − a, c − a and c − b each have mean/sd = 3 → t = 3√3.
    const a = [0.7, 0.72, 0.74];
    const values: Record<string, number[]> = {
      a,
      b: a.map((v, i) => v + [0.02, 0.04, 0.03][i]),
      c: a.map((v, i) => v + [0.04, 0.08, 0.06][i]),
    };
    const axes = [{ key: 'loss', values: ['a', 'b', 'c'] }];
    const runs = Object.entries(values).flatMap(([loss, v]) => v.map((dice, i) => done(`loss=${loss}`, i + 1, dice)));
    const comps = compareSweepCells(summarizeCells(gridCells(axes), [1, 2, 3], runs), axes, 'dice').filter((c) => c.metric === 'dice');
    const t = 3 * Math.sqrt(3);
    const raw = 1 - t / Math.sqrt(t * t + 2);
    // along loss: b − a, c − a; best (c) against a (the same pair as c − a) and b: 3 distinct pairs
    assert.strictEqual(comps.length, 4);
    for (const c of comps) {
      assert.ok(Math.abs(c.p! - raw) < 1e-9, `raw p ${c.p}`);
      assert.ok(Math.abs(c.pHolm! - 3 * raw) < 1e-9, `Holm p ${c.pHolm}`);
      assert.strictEqual(c.family, 3);
      assert.match(
        c.verdict,
        /p = 0\.035, Holm-adjusted p = 0\.105 \(3 comparisons\): not distinguishable with 3 seeds; at this spread about \d+ seeds would find it 80 % of the time \(α 0\.05\/3\)$/,
      );
      // planned at Holm's strictest level, 0.05/3: more seeds than the 3 that were not enough
      assert.ok(c.seedsNeeded! > 3, String(c.seedsNeeded));
    }
  });

  it('a cell interval past the metric range is cut and marked (Dice above 1, HD95 below 0); a difference interval past ±1 likewise', () => {
    const cells = summarizeCells(
      params,
      [1, 2, 3],
      [
        done(A, 1, 0.99),
        done(A, 2, 0.6),
        done(A, 3, 0.98),
        done(B, 1, 0.1, { hd95: 1 }),
        done(B, 2, 0.9, { hd95: 100 }),
        done(B, 3, 0.2, { hd95: 2 }),
      ],
    );
    // HD95 1, 100, 2: SciPy's stats.t.interval(0.95, 2, loc=mean, scale=sem) is (−106.94255807910363,
    // 175.60922474577032); the lower end is cut at 0, HD95's least value.
    const h = cells[1].metrics.hd95!;
    assert.strictEqual(h.ci95![0], 0);
    assert.ok(Math.abs(h.ci95![1] - 175.60922474577032) < 1e-7, String(h.ci95));
    assert.strictEqual(h.ci95Clipped, true);
    const d = cells[0].metrics.dice!;
    assert.strictEqual(d.ci95![1], 1, `the t interval reaches ${d.mean} + ${d.std} · 4.30 / √3 > 1`);
    assert.strictEqual(d.ci95Clipped, true);
    assert.strictEqual(cells[0].metrics.hd95!.ci95Clipped, undefined, 'HD95 has no upper bound');
    const diff = compareSweepCells(cells, [{ key: 'head', values: ['sigmoid1', 'softmax2'] }], 'dice').find((c) => c.axis === 'head')!;
    assert.ok(diff.ci95![0] >= -1 && diff.ci95![1] <= 1 && diff.ci95Clipped, String(diff.ci95));
    assert.match(diff.verdict, /\(cut to the metric’s range\)/);
  });

  it('pairs along a key only cells that agree on every other key', () => {
    const axes = [
      { key: 'loss', values: ['bce', 'dice'] },
      { key: 'head', values: ['sigmoid1', 'softmax2'] },
    ];
    const grid = gridCells(axes);
    const runs = grid.flatMap((p, k) => [1, 2].map((seed) => done(cellId(p), seed, 0.5 + 0.1 * k + 0.01 * seed)));
    const comps = compareSweepCells(summarizeCells(grid, [1, 2], runs), axes, 'dice').filter(
      (c) => c.metric === 'dice' && c.axis !== 'best',
    );
    assert.deepStrictEqual(
      comps.map((c) => [c.axis, c.cell, c.baseline]),
      [
        ['loss', 'loss=dice,head=sigmoid1', 'loss=bce,head=sigmoid1'],
        ['loss', 'loss=dice,head=softmax2', 'loss=bce,head=softmax2'],
        ['head', 'loss=bce,head=softmax2', 'loss=bce,head=sigmoid1'],
        ['head', 'loss=dice,head=softmax2', 'loss=dice,head=sigmoid1'],
      ],
    );
    // Cell k has Dice 0.5 + 0.1·k (+ the seed's 0.01·seed on both sides): loss pairs differ by 0.2, head pairs by 0.1.
    assert.deepStrictEqual(
      comps.map((c) => Math.round(c.mean * 1000) / 1000),
      [0.2, 0.2, 0.1, 0.1],
    );
  });

  it('estimates the time left from the finished runs and the runs at a time', () => {
    const r = (status: SweepRunRecord['status'], seconds?: number): SweepRunRecord => ({ cell: 'c', seed: 1, status, seconds });
    const p = sweepProgress(
      [r('done', 10), r('done', 20), r('running'), r('pending'), r('pending'), r('pending'), r('failed'), r('pruned', 3)],
      2,
    );
    assert.deepStrictEqual(
      { ...p, etaSeconds: undefined },
      { total: 8, done: 2, failed: 1, cancelled: 0, pruned: 1, running: 1, pending: 3, etaSeconds: undefined },
    );
    // 3 pending + ½ of the running one, 15 s each on average (a pruned run's 3 s is not a run's time), 2 at a time.
    assert.strictEqual(p.etaSeconds, (15 * 3.5) / 2);
    assert.strictEqual(sweepProgress([r('pending')], 2).etaSeconds, undefined);
  });

  it('draws one point per cell with its interval, and the report lists every cell', () => {
    const svg = categoryChart('t', ['a', 'b'], [{ label: 's', colour: '#000', points: [{ mean: 1, low: 0, high: 2 }, undefined] }], 'y');
    assert.strictEqual((svg.match(/<circle /g) ?? []).length, 2, 'the point and its legend mark');
    assert.match(svg, /<line x1="([\d.]+)" x2="\1" y1="([\d.]+)" y2="([\d.]+)" stroke="#000"\/>/);
    const cells = summarizeCells(params, [1], [done(A, 1, 0.8), done(B, 1, 0.7)]);
    const html = sweepReport({
      format: 'seglab-sweep',
      version: 1,
      id: 'x',
      name: 'n',
      createdAt: '',
      updatedAt: '',
      status: 'done',
      fingerprint: 'f',
      launcher: 'local',
      parallel: 1,
      axes: [{ key: 'head', values: ['sigmoid1', 'softmax2'] }],
      seeds: [1],
      primaryMetric: 'dice',
      progress: sweepProgress([], 1),
      cells,
      comparisons: compareSweepCells(cells, [{ key: 'head', values: ['sigmoid1', 'softmax2'] }], 'dice'),
      best: A,
      runs: [],
      baseConfig: {},
    } as SweepFile);
    assert.match(html, /<tr class="best"><th>sigmoid1<\/th><td>1 of 1<\/td><td>0\.800<\/td>/);
    assert.match(html, /<tr><th>softmax2<\/th><td>1 of 1<\/td><td>0\.700<\/td>/);
    assert.match(html, /One seed:<\/b> single values, no spread; no conclusion/);
    assert.match(html, /softmax2 − sigmoid1: −0\.100 Dice from 1 seed — no conclusion is possible/);
    assert.doesNotMatch(
      html,
      /<script|(src|href)="https?:|url\(/,
      'no script, no remote resource (the SVG namespace URI is a name, not a fetch)',
    );
  });
});

describe("the Sweep view's scatter: the Pareto front by hand", () => {
  it('Dice up, HD95 down: (0.8, 10) and (0.7, 5) are on the front, (0.6, 12) is dominated, ties both stay, NaN is out', () => {
    const pts = [
      { x: 0.8, y: 10 },
      { x: 0.7, y: 5 },
      { x: 0.6, y: 12 },
      { x: 0.8, y: 10 },
      { x: NaN, y: 1 },
      { x: 0.9, y: Infinity },
    ];
    assert.deepStrictEqual(paretoFront(pts, false, true), [true, true, false, true, false, false]);
    assert.deepStrictEqual(
      paretoFront(pts.slice(0, 3), true, true),
      [false, true, true],
      'both lower-is-better: (0.6, 12) has the lowest x',
    );
    const svg = scatterChart(
      't',
      pts.slice(0, 3).map((p, i) => ({ id: `c${i}`, label: `c${i}`, ...p, front: i < 2 })),
      'Dice',
      'HD95',
    );
    assert.deepStrictEqual(
      [...svg.matchAll(/data-cell="(c\d)" data-x="([^"]+)" data-y="([^"]+)" data-front="(\w+)"/g)].map((m) => m.slice(1)),
      [
        ['c0', '0.8', '10', 'true'],
        ['c1', '0.7', '5', 'true'],
        ['c2', '0.6', '12', 'false'],
      ],
    );
  });
});

describe('seglab sweep (built-in data)', function () {
  this.timeout(600000);
  const CLI = path.join(ROOT, 'dist', 'cli.js');
  let dir: string;
  let config: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-'));
    config = path.join(dir, 'tiny.experiment.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        name: 'tiny',
        dataset: { builtin: 'shapes', count: 12, size: 32 },
        model: { depth: 2, baseFilters: 4 },
        loss: 'bce',
        epochs: 2,
        batchSize: 4,
        seed: 5,
        predictions: 1,
      }),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const seglab = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, SEGLAB_BACKEND: 'wasm' } });
  const args = [
    'sweep',
    'tiny.experiment.json',
    '--set',
    'loss=bce,dice',
    '--set',
    'head=sigmoid1,softmax2',
    '--seeds',
    '2',
    '--parallel',
    '1',
    '--threads',
    '1',
  ];

  it('refuses a bad key before any run starts, naming the cell and the key', () => {
    const r = seglab('sweep', 'tiny.experiment.json', '--set', 'model.depht=2,3');
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /--set model.depht=2: .*tiny.experiment.json with model.depht=2.*depht/s);
    assert.ok(!fs.existsSync(path.join(dir, 'runs')), 'nothing was written');
    const s = seglab('sweep', 'tiny.experiment.json', '--set', 'seed=1,2');
    assert.strictEqual(s.status, 2);
    assert.match(s.stderr, /seeds come from --seeds N/);
    const plan = planSweep({ configFile: config, axes: parseAxes(['loss=bce,dice']), seeds: [5, 6] });
    assert.deepStrictEqual(
      plan.jobs.map((j) => [j.cell, j.seed, j.config.seed, j.config.loss, j.config.name]),
      [
        ['loss=bce', 5, 5, 'bce', 'tiny-bce-s5'],
        ['loss=dice', 5, 5, 'dice', 'tiny-dice-s5'],
        ['loss=bce', 6, 6, 'bce', 'tiny-bce-s6'],
        ['loss=dice', 6, 6, 'dice', 'tiny-dice-s6'],
      ],
    );
  });

  it('a long value (a loss with ramps as JSON) gets a name within 64 characters, distinct per cell, valid as a config name', () => {
    const ramp = (to: number) => `{"name":"bce+boundary","ramps":{"boundary":{"from":0.01,"to":${to},"epochs":[1,2]}}}`;
    const plan = planSweep({ configFile: config, axes: parseAxes([`loss=${ramp(0.5)},${ramp(0.9)}`]), seeds: [1] });
    const names = plan.jobs.map((j) => j.config.name);
    assert.strictEqual(names.length, 2);
    assert.notStrictEqual(names[0], names[1]);
    for (const n of names) {
      assert.ok(n.length <= 64 && /^tiny-loss_+name_+bce_boundary[A-Za-z0-9._-]*-[0-9a-f]{8}-s1$/.test(n), n);
    }
  });

  it('--search sobol --trials 2: two trial cells (a range and a list), recorded in sweep.json; the same command resumes it', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-sobol-'));
    fs.copyFileSync(config, path.join(folder, 'tiny.experiment.json'));
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [CLI, 'sweep', 'tiny.experiment.json', '--set', 'optimizer.learningRate=log:1e-3..1e-2', '--set', 'loss=bce,dice', ...extra],
        { cwd: folder, encoding: 'utf8', env: { ...process.env, SEGLAB_BACKEND: 'wasm' } },
      );
    const usage = run();
    assert.strictEqual(usage.status, 2);
    assert.match(usage.stderr, /a range \(log:, lin:, int:\) needs --search grid\|random\|sobol --trials N/);
    assert.match(run('--search', 'sobol').stderr, /--search needs --trials N/);
    const r = run('--search', 'sobol', '--trials', '2', '--threads', '1');
    assert.strictEqual(r.status, 0, r.stderr);
    const root = path.join(folder, 'runs', 'sweeps');
    const sweepDir = path.join(root, fs.readdirSync(root)[0]);
    const sweep = readSweepFile(sweepDir);
    assert.deepStrictEqual(sweep.search, {
      method: 'sobol',
      trials: 2,
      seed: 1,
      spaces: ['optimizer.learningRate=log:1e-3..1e-2', 'loss=bce,dice'],
    });
    // Sobol points (0, 0) and (½, ½): lr 0.001 with bce, lr √(0.001·0.01) = 0.003162 with dice
    assert.deepStrictEqual(
      sweep.cells.map((c) => c.params),
      [
        { 'optimizer.learningRate': 0.001, loss: 'bce' },
        { 'optimizer.learningRate': 0.003162, loss: 'dice' },
      ],
    );
    assert.ok(sweep.cells.every((c) => c.n === 1));
    assert.deepStrictEqual([...new Set(sweep.comparisons.map((c) => c.axis))], ['best'], 'trials: best against the others only');
    const again = run('--search', 'sobol', '--trials', '2', '--threads', '1');
    assert.strictEqual(again.status, 0, again.stderr);
    assert.match(again.stdout, /resuming .*: 2 finished run\(s\) kept/);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('seglab sweep cancel stops a local sweep as Ctrl-C does: runs and sweep end cancelled', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-cancel-'));
    const cfg = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(folder, 'long.experiment.json'), JSON.stringify({ ...cfg, name: 'long', epochs: 500 }));
    const child = spawn(
      process.execPath,
      [CLI, 'sweep', 'long.experiment.json', '--set', 'loss=bce,dice', '--parallel', '2', '--threads', '2'],
      {
        cwd: folder,
        env: { ...process.env, SEGLAB_BACKEND: 'wasm' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const root = path.join(folder, 'runs', 'sweeps');
    let sweepDir = '';
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!fs.existsSync(root) || fs.readdirSync(root).length === 0) continue;
      sweepDir = path.join(root, fs.readdirSync(root)[0]);
      if (!fs.existsSync(path.join(sweepDir, 'sweep.json'))) continue;
      if (readSweepFile(sweepDir).runs.filter((r) => r.runDir).length === 2) break;
    }
    await new Promise((r) => setTimeout(r, 1500));
    const c = spawnSync(process.execPath, [CLI, 'sweep', 'cancel', sweepDir], { encoding: 'utf8' });
    assert.strictEqual(c.status, 0, c.stderr);
    assert.match(c.stdout, /^sent Ctrl-C to the sweep \(pid \d+\)/);
    assert.strictEqual(await exited, 130);
    const s = readSweepFile(sweepDir);
    assert.strictEqual(s.status, 'cancelled');
    assert.strictEqual(s.reason, '2 of 2 runs cancelled; run the same command again to finish the sweep');
    for (const r of s.runs)
      assert.ok(fs.existsSync(path.join(r.runDir!, 'checkpoints', 'last', 'model.json')), 'each run saved a checkpoint');
    const again = spawnSync(process.execPath, [CLI, 'sweep', 'cancel', sweepDir], { encoding: 'utf8' });
    assert.strictEqual(again.status, 1);
    assert.match(again.stderr, /the sweep is not running \(cancelled\)/);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('--tune lr --prune asha: each loss tries the same 3 rates (ASHA within the loss), then 2 fresh seeds at its best; resumes without re-running pruned runs', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-tune-'));
    fs.copyFileSync(config, path.join(folder, 'tiny.experiment.json'));
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, [CLI, 'sweep', 'tiny.experiment.json', '--set', 'loss=bce,dice', ...extra], {
        cwd: folder,
        encoding: 'utf8',
        env: { ...process.env, SEGLAB_BACKEND: 'wasm' },
      });
    const rates = ['--set', 'optimizer.learningRate=0.0001,0.003,0.03'];
    const usage = (extra: string[], message: RegExp) => {
      const r = run(...extra);
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    };
    usage([...rates, '--tune', 'optimizer.learningRate'], /--tune needs --then-seeds S/);
    usage([...rates, '--tune', 'optimizer.lr', '--then-seeds', '2'], /--tune optimizer.lr: no --set optimizer.lr=… gives its values/);
    usage([...rates, '--tune', 'optimizer.learningRate', '--per', 'loss,head', '--then-seeds', '2'], /--per head: no --set head/);
    usage(['--then-seeds', '2'], /--then-seeds goes with --tune KEYS/);
    usage(['--min-epochs', '1'], /--min-epochs and --eta go with --prune asha/);
    usage(['--prune', 'asha', '--eta', '1'], /--eta must be at least 2/);
    const noRung = run('--prune', 'asha', '--min-epochs', '2');
    assert.strictEqual(noRung.status, 1);
    assert.match(noRung.stderr, /--min-epochs 2: the runs train 2 epochs, so there is no rung to prune at/);

    const tuned = [
      ...rates,
      '--tune',
      'optimizer.learningRate',
      '--then-seeds',
      '2',
      '--prune',
      'asha',
      '--parallel',
      '1',
      '--threads',
      '1',
    ];
    const r = run(...tuned);
    assert.strictEqual(r.status, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      /^tuned sweep 2 cell\(s\) × 3 trial\(s\) × 1 tuning seed\(s\), then × 2 fresh seed\(s\) = 10 runs, 1 at a time; ASHA prunes at epochs 1/m,
    );
    const root = path.join(folder, 'runs', 'sweeps');
    const sweepDir = path.join(root, fs.readdirSync(root)[0]);
    const s = readSweepFile(sweepDir);
    const t = s.tuning!;
    assert.deepStrictEqual([t.keys, t.per, t.seeds, t.metric, s.seeds], [['optimizer.learningRate'], ['loss'], [5], 'dice', [6, 7]]);
    assert.deepStrictEqual(t.trials, [
      { 'optimizer.learningRate': 0.0001 },
      { 'optimizer.learningRate': 0.003 },
      { 'optimizer.learningRate': 0.03 },
    ]);
    assert.deepStrictEqual(s.prune, { method: 'asha', minEpochs: 1, eta: 3, rungs: [1], metric: 'dice' });
    for (const loss of ['bce', 'dice']) {
      const mine = t.runs.filter((x) => x.cell.startsWith(`loss=${loss},`));
      assert.strictEqual(mine.length, 3);
      // Epoch 1's Dice of each trial, from its own metrics.jsonl, in the order they ran (one at a time).
      const atRung = mine.map((x) => readRun(x.runDir!).epochs[0].val!.dice);
      mine.forEach((x, i) => {
        // With η = 3 and at most 3 runs at the rung, one goes on: a run is pruned exactly when an
        // earlier trial of its loss did better at epoch 1 (the other loss is another group).
        const behind = atRung.slice(0, i).some((v) => v > atRung[i]);
        assert.strictEqual(x.status, behind ? 'pruned' : 'done', `${x.cell}: ${atRung.join(', ')}`);
        assert.strictEqual(x.epochs, behind ? 1 : 2);
        if (behind) assert.match(x.reason!, /^ASHA rung 1 \(epoch 1\): dice /);
      });
      const cell = t.cells.find((c) => c.cell === `loss=${loss}`)!;
      assert.deepStrictEqual(
        [cell.runs, cell.done, cell.pruned, cell.epochs],
        [
          3,
          mine.filter((x) => x.status === 'done').length,
          mine.filter((x) => x.status === 'pruned').length,
          mine.reduce((a, x) => a + x.epochs!, 0),
        ],
      );
      // Chosen: the finished trial with the best final Dice.
      const done = mine.map((x, i) => ({ x, i })).filter(({ x }) => x.status === 'done');
      const best = done.reduce((a, b) => (b.x.final!.dice > a.x.final!.dice ? b : a));
      assert.deepStrictEqual(cell.chosen, { trial: best.i, params: t.trials[best.i], value: best.x.final!.dice });
      // The compared cell ran its fresh seeds at that rate.
      const compared = s.cells.find((c) => c.id === `loss=${loss}`)!;
      assert.deepStrictEqual(compared.tuned, t.trials[best.i]);
      assert.strictEqual(compared.label, `${loss} (learningRate ${t.trials[best.i]['optimizer.learningRate'] as number})`);
      assert.deepStrictEqual(compared.metrics.dice!.seeds, [6, 7]);
      for (const f of s.runs.filter((x) => x.cell === `loss=${loss}`)) {
        const cfg = decodeJson(fs.readFileSync(path.join(f.runDir!, 'config.json'), 'utf8')) as {
          loss: string;
          optimizer: { learningRate: number };
          seed: number;
          pruning: unknown;
        };
        assert.deepStrictEqual(
          [cfg.loss, cfg.optimizer.learningRate, cfg.seed, cfg.pruning],
          [loss, t.trials[best.i]['optimizer.learningRate'], f.seed, null],
        );
      }
    }
    assert.ok(
      s.comparisons.some((c) => c.axis === 'loss' && c.metric === 'dice' && c.seeds.join() === '6,7'),
      'the cells are compared on the fresh seeds',
    );
    assert.match(
      r.stdout,
      /tuning \(3 trial\(s\) of optimizer.learningRate per cell × tuning seed\(s\) 5, ASHA at epochs 1 keeping 1\/3; chosen by the mean final Dice\):/,
    );
    assert.match(r.stdout, /compared on fresh seeds 6, 7 at each cell's chosen setting:/);
    // Metric names as people write them (the table once lowercased them: hd95, v_rand).
    assert.match(r.stdout, /^ {2}cell +seeds +Dice ↑ +IoU ↑ +HD95 ↓ +pixel error ↓$/m);

    // The same command again: nothing re-runs, pruned runs included; the compared runs are kept from the start.
    const again = run(...tuned);
    assert.strictEqual(again.status, 0, again.stderr);
    const [finished, pruned] = [t.runs.filter((x) => x.status === 'done').length + 4, t.runs.filter((x) => x.status === 'pruned').length];
    assert.match(again.stdout, new RegExp(`: ${finished} finished and ${pruned} pruned run\\(s\\) kept\\)\n`));
    assert.doesNotMatch(again.stdout, /^\[\d+\/10\]/m, 'no run is reported as run again');
    // A pruned run lost (as if killed before it wrote its end): only it runs again, and is pruned again.
    const lost = t.runs.find((x) => x.status === 'pruned')!;
    fs.rmSync(lost.runDir!, { recursive: true });
    const third = run(...tuned, '--json');
    assert.strictEqual(third.status, 0, third.stderr);
    const end = JSON.parse(third.stdout.trim().split('\n').pop()!) as { started: number; reused: number; sweep: SweepFile };
    assert.deepStrictEqual([end.started, end.reused], [1, 9]);
    const redone = end.sweep.tuning!.runs.find((x) => x.cell === lost.cell)!;
    assert.strictEqual(redone.status, 'pruned');
    assert.notStrictEqual(redone.runId, lost.runId);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('VS Code\'s Run Sweep "Tuned per cell" is the CLI\'s tuned sweep: the same fingerprint, so either resumes the other', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-tune-vscode-'));
    fs.copyFileSync(config, path.join(folder, 'tiny.experiment.json'));
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        ...['sweep', 'tiny.experiment.json', '--set', 'loss=bce,dice', '--set', TUNED_RATES, '--search', 'sobol', '--trials', '2'],
        ...['--tune', 'optimizer.learningRate', '--then-seeds', '1', '--prune', 'asha', '--parallel', '1', '--threads', '1'],
      ],
      { cwd: folder, encoding: 'utf8', env: { ...process.env, SEGLAB_BACKEND: 'wasm' } },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    const axes = parseAxes(['loss=bce,dice']);
    const handle = runSweep({
      configFile: path.join(folder, 'tiny.experiment.json'),
      axes,
      seeds: [5],
      ...tunedLearningRate(axes, 2, 5, 1, 2),
      parallel: 1,
      threads: 1,
    });
    const result = await handle.result;
    assert.strictEqual(path.dirname(result.dir), path.join(folder, 'runs', 'sweeps'));
    assert.strictEqual(fs.readdirSync(path.join(folder, 'runs', 'sweeps')).length, 1, 'the same sweep, not a new one');
    assert.deepStrictEqual([result.started, result.reused], [0, 6]);
    assert.deepStrictEqual(
      result.sweep.tuning!.trials,
      [{ 'optimizer.learningRate': 0.0003 }, { 'optimizer.learningRate': 0.001732 }],
      'Sobol points 0 and ½ of log 3e-4…1e-2',
    );
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('a tuned sweep killed during its tuning resumes without re-running finished or pruned runs', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-sweep-tune-kill-'));
    fs.copyFileSync(config, path.join(folder, 'tiny.experiment.json'));
    const tuned = [
      ...['sweep', 'tiny.experiment.json', '--set', 'loss=bce,dice', '--set', 'optimizer.learningRate=0.0001,0.003,0.03'],
      ...['--tune', 'optimizer.learningRate', '--then-seeds', '1', '--prune', 'asha', '--parallel', '1', '--threads', '1'],
    ];
    const env = { ...process.env, SEGLAB_BACKEND: 'wasm' };
    const root = path.join(folder, 'runs', 'sweeps');
    const child = spawn(process.execPath, [CLI, ...tuned], { cwd: folder, env, stdio: 'ignore' });
    // SIGKILL once three tuning runs have ended (done or pruned): no chance to clean up.
    const killedAt = await killWhen(
      child,
      root,
      (s) => s.tuning!.runs.filter((r) => r.status === 'done' || r.status === 'pruned').length >= 3,
    );
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 3000));
    const kept = killedAt.tuning!.runs.filter((r) => r.status === 'done' || r.status === 'pruned');
    assert.ok(kept.length >= 3 && kept.length < 6, `${kept.length} tuning runs ended before the kill`);
    const again = spawnSync(process.execPath, [CLI, ...tuned, '--json'], { cwd: folder, encoding: 'utf8', env });
    assert.strictEqual(again.status, 0, again.stderr);
    const end = JSON.parse(again.stdout.trim().split('\n').pop()!) as { started: number; reused: number; sweep: SweepFile };
    // 6 tuning runs + 2 compared: only those not ended before the kill run now.
    assert.deepStrictEqual([end.started, end.reused], [8 - kept.length, kept.length]);
    for (const k of kept) {
      const now = end.sweep.tuning!.runs.find((r) => r.cell === k.cell && r.seed === k.seed)!;
      assert.deepStrictEqual([now.status, now.runId], [k.status, k.runId], `${k.cell} kept as it was`);
    }
    assert.strictEqual(end.sweep.status, 'done');
    assert.strictEqual(end.sweep.progress.done + (end.sweep.progress.pruned ?? 0), 8);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('killed midway, the same command finishes only what is missing', async () => {
    // Kill the sweep (SIGKILL: no chance to clean up) once two runs have finished.
    const sweepsRoot = path.join(dir, 'runs', 'sweeps');
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, SEGLAB_BACKEND: 'wasm' }, stdio: 'ignore' });
    const killedAt = await killWhen(child, sweepsRoot, (s) => s.progress.done >= 2);
    await new Promise((r) => child.on('exit', r));
    const sweepDir = path.join(sweepsRoot, fs.readdirSync(sweepsRoot)[0]);
    // Its engines notice their parent is gone and stop; give them a moment.
    await new Promise((r) => setTimeout(r, 3000));
    const dead = effectiveSweep(readSweepFile(sweepDir));
    assert.strictEqual(dead.status, 'failed');
    assert.match(dead.reason!, /the sweep process \(pid \d+\) ended before the sweep did; run the same command again/);
    const kept = killedAt.runs.filter((r) => r.status === 'done').map((r) => r.runId);
    assert.ok(kept.length >= 2 && kept.length < 8);

    const again = seglab(...args);
    assert.strictEqual(again.status, 0, again.stderr + again.stdout);
    assert.match(
      again.stdout,
      new RegExp(`resuming ${sweepDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${kept.length} finished run\\(s\\) kept`),
    );
    const s = readSweepFile(sweepDir);
    assert.strictEqual(s.status, 'done');
    assert.strictEqual(s.progress.done, 8);
    assert.strictEqual(s.cells.length, 4);
    for (const c of s.cells) {
      assert.strictEqual(c.n, 2, c.id);
      assert.strictEqual(c.runs.length, 2);
      assert.deepStrictEqual(c.metrics.dice!.seeds, [5, 6]);
      assert.strictEqual(c.metrics.dice!.values.length, 2);
      assert.ok(c.metrics.dice!.ci95, 'two seeds: an interval');
    }
    // The runs done before the kill are the same runs (not trained again).
    const ids = s.runs.map((r) => r.runId);
    for (const id of kept) assert.ok(ids.includes(id), `${id} reused`);
    const started = (again.stdout.match(/^\[\d+\/8\] /gm) ?? []).length;
    assert.strictEqual(started, 8 - kept.length, again.stdout);
    // Every run is an ordinary run folder with the cell's config.
    for (const r of s.runs) {
      const cfg = decodeJson(fs.readFileSync(path.join(r.runDir!, 'config.json'), 'utf8')) as { loss: unknown; head: string; seed: number };
      const cell = s.cells.find((c) => c.id === r.cell)!;
      assert.deepStrictEqual([cfg.loss, cfg.head, cfg.seed], [cell.params.loss, cell.params.head, r.seed]);
    }
    const html = fs.readFileSync(path.join(sweepDir, 'report.html'), 'utf8');
    for (const c of s.cells) assert.ok(html.includes(`<th>${c.params.loss as string}</th><th>${c.params.head as string}</th>`), c.id);
    // A third time: nothing left to run.
    const third = seglab(...args, '--json');
    assert.strictEqual(third.status, 0);
    const last = JSON.parse(third.stdout.trim().split('\n').pop()!) as { started: number; reused: number; dir: string };
    assert.deepStrictEqual([last.started, last.reused, last.dir], [0, 8, sweepDir]);
    const status = seglab('sweep', 'status', sweepDir);
    assert.strictEqual(status.status, 0);
    assert.match(status.stdout, /^tiny: done · 8\/8 runs done/);
    assert.match(status.stdout, /along head:\n {4}(bce|dice) · softmax2 − \1 · sigmoid1: [+−]\d\.\d{3} Dice, 95 % CI/);

    // A damaged sweep.json (issue 22): the field is named, no stack trace.
    const damaged = (name: string, f: (j: Record<string, unknown>) => void): string => {
      const copy = path.join(path.dirname(sweepDir), `damaged-${name}`);
      fs.mkdirSync(copy);
      const j = JSON.parse(fs.readFileSync(path.join(sweepDir, 'sweep.json'), 'utf8'));
      f(j);
      fs.writeFileSync(path.join(copy, 'sweep.json'), JSON.stringify(j));
      const r = seglab('sweep', 'status', copy);
      fs.rmSync(copy, { recursive: true });
      assert.strictEqual(r.status, 1, r.stdout);
      assert.doesNotMatch(r.stderr, /\n\s+at |Cannot read properties/);
      return r.stderr;
    };
    assert.match(
      damaged('progress', (j) => delete j.progress),
      /damaged-progress\/sweep\.json: "progress" is missing/,
    );
    assert.match(
      damaged('cells', (j) => (j.cells = null)),
      /sweep\.json: "cells" must be a list, got null/,
    );
    assert.match(
      damaged('cellruns', (j) => ((j.cells as { runs: unknown }[])[1].runs = null)),
      /"cells\[1\]\.runs" must be a list, got null/,
    );
    assert.match(
      damaged('run', (j) => ((j.runs as unknown[])[0] = null)),
      /"runs\[0\]" must be an object, got null/,
    );
    assert.match(
      damaged('metric', (j) => ((j.cells as { metrics: Record<string, unknown> }[])[0].metrics.dice = { mean: 'x' })),
      /"cells\[0\]\.metrics\.dice\.mean" must be a number, got string/,
    );
  });
});
