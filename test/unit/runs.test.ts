/** The run store: atomic writes, listing, deletion, crash marking; comparison statistics. */
import type { Head } from '../../src/core/model/unet';
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../../src/core/runs/atomicWrite';
import { formatStat, summarizeComparison } from '../../src/core/runs/compare';
import { lineChart } from '../../src/core/runs/svgCharts';
import {
  deleteRun,
  listRuns,
  markRunEnded,
  readEpochs,
  readEpochsTolerant,
  RunSummary,
  RunWriter,
  settleStaleRuns,
} from '../../src/core/runs/store';
import { assertClose } from './helpers';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-runs-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function summary(id: string, status: RunSummary['status']): RunSummary {
  return {
    id,
    name: id,
    status,
    head: 'sigmoid1',
    mode: 'binary',
    loss: 'bce',
    backend: 'wasm',
    dataset: 'x',
    trainImages: 1,
    valImages: 1,
    epochsPlanned: 1,
    epochsCompleted: 0,
    monitor: 'dice',
    bestEpoch: null,
    best: null,
    final: null,
    startedAt: new Date(Date.now() - 5000).toISOString(),
    durations: { totalSeconds: 0, meanEpochSeconds: null },
  };
}

describe('run store', () => {
  it('atomic writes replace whole files and leave no temporary files; a failed write keeps the old file', () => {
    const f = path.join(dir, 'a.json');
    writeFileAtomic(f, 'old');
    writeFileAtomic(f, 'new');
    assert.strictEqual(fs.readFileSync(f, 'utf8'), 'new');
    assert.deepStrictEqual(fs.readdirSync(dir), ['a.json']);
    fs.mkdirSync(path.join(dir, 'taken'));
    assert.throws(() => writeFileAtomic(path.join(dir, 'taken'), 'x'), /taken: cannot write/);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['a.json', 'taken']);
  });

  it('lists runs newest first, reports unreadable summaries, and gives parallel runs distinct folders', () => {
    const a = RunWriter.create(dir, 'exp');
    const b = RunWriter.create(dir, 'exp');
    assert.notStrictEqual(a.dir, b.dir);
    a.writeJson('config.json', {});
    a.writeSummary(summary(a.id, 'done'));
    b.writeJson('config.json', {});
    fs.writeFileSync(b.file('summary.json'), '{ broken');
    fs.mkdirSync(path.join(dir, 'not-a-run'));
    const runs = listRuns(dir);
    assert.deepStrictEqual(
      runs.map((r) => r.id),
      [b.id, a.id],
    );
    assert.match(runs[0].problem ?? '', /summary\.json: not valid JSON/);
    assert.strictEqual(runs[1].summary?.status, 'done');
  });

  it('a corrupt line in metrics.jsonl: the strict reader names it, the tolerant one keeps the other epochs', () => {
    const a = RunWriter.create(dir, 'exp');
    fs.writeFileSync(
      a.file('metrics.jsonl'),
      '{"epoch":1,"trainLoss":0.5,"val":{"dice":0.7}}\n{"epoch":2,"trai\n{"epoch":3,"trainLoss":0.3,"val":{"dice":"Infinity"}}\n',
    );
    assert.throws(() => readEpochs(a.dir), /metrics\.jsonl:2: not valid JSON/);
    const { epochs, problems } = readEpochsTolerant(a.dir);
    assert.deepStrictEqual(
      epochs.map((e) => [e.epoch, e.val?.dice]),
      [
        [1, 0.7],
        [3, Infinity],
      ],
    );
    assert.deepStrictEqual(problems, [`${a.file('metrics.jsonl')}:2: not valid JSON (line skipped)`]);
  });

  it('run files are decoded field by field: a damaged summary or epoch line is named with the field', () => {
    const a = RunWriter.create(dir, 'exp');
    a.writeJson('summary.json', { ...summary(a.id, 'done'), status: 'bogus' });
    const b = RunWriter.create(dir, 'exp');
    b.writeJson('summary.json', { ...summary(b.id, 'done'), final: { dice: '0.8' } });
    fs.writeFileSync(b.file('metrics.jsonl'), '{"epoch":1,"trainLoss":"low"}\n{"epoch":2,"trainLoss":0.4,"val":{"hd95":"Infinity"}}\n');
    const runs = listRuns(dir);
    assert.match(
      runs.find((r) => r.id === a.id)!.problem ?? '',
      /summary\.json: "status" must be one of running, done, failed, cancelled, pruned, got "bogus"/,
    );
    assert.match(
      runs.find((r) => r.id === b.id)!.problem ?? '',
      /summary\.json: "final" must be an object of numbers or null, got \{"dice":"0\.8"\}/,
    );
    const c = RunWriter.create(dir, 'exp');
    const { epochsCompleted: _dropped, ...incomplete } = summary(c.id, 'done');
    c.writeJson('summary.json', incomplete);
    assert.match(listRuns(dir).find((r) => r.id === c.id)!.problem ?? '', /summary\.json: "epochsCompleted" is missing/);
    fs.rmSync(c.dir, { recursive: true });
    const d = RunWriter.create(dir, 'exp');
    d.writeJson('summary.json', {
      ...summary(d.id, 'done'),
      adapter: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'H200' },
    });
    assert.match(
      listRuns(dir).find((r) => r.id === d.id)!.problem ?? '',
      /summary\.json: "adapter" must be an adapter \(vendor, .*\), got \{"vendor":"nvidia"/,
    );
    const adapter = {
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '',
      description: 'H200',
      software: false,
      maxBufferSize: 2 ** 32,
      maxStorageBufferBindingSize: 2 ** 31,
    };
    d.writeJson('summary.json', { ...summary(d.id, 'done'), adapter });
    assert.deepStrictEqual(listRuns(dir).find((r) => r.id === d.id)!.summary?.adapter, adapter);
    fs.rmSync(d.dir, { recursive: true });
    const { epochs, problems } = readEpochsTolerant(b.dir);
    assert.deepStrictEqual(epochs, [{ epoch: 2, trainLoss: 0.4, val: { hd95: Infinity } }]);
    assert.deepStrictEqual(problems, [`${b.file('metrics.jsonl')}:1: "trainLoss" must be a number, got "low" (line skipped)`]);
    fs.rmSync(a.dir, { recursive: true });
    fs.rmSync(b.dir, { recursive: true });
  });

  it("DVCLive TSVs keep ∞ as inf and -inf, NaN as nan (pandas reads them back as such), and metrics.json as DVCLive's strings", () => {
    const a = RunWriter.create(dir, 'exp');
    const before = Date.now();
    a.appendEpoch({ epoch: 1, trainLoss: 0.5, seconds: 1, val: { hd95: Infinity, dice: NaN, loss: -Infinity } });
    const tsv = (name: string) => fs.readFileSync(a.file('plots', 'metrics', 'val', `${name}.tsv`), 'utf8').split('\n');
    const rows = [tsv('hd95'), tsv('dice'), tsv('loss')];
    assert.deepStrictEqual(
      rows.map((r) => [r[0], r[1].split('\t').slice(1).join('\t'), r[2]]),
      [
        ['timestamp\tstep\thd95', '0\tinf', ''],
        ['timestamp\tstep\tdice', '0\tnan', ''],
        ['timestamp\tstep\tloss', '0\t-inf', ''],
      ],
    );
    const stamp = Number(rows[0][1].split('\t')[0]);
    assert.ok(Number.isInteger(stamp) && stamp >= before && stamp <= Date.now(), `timestamp ${stamp} is milliseconds since 1970`);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(a.file('metrics.json'), 'utf8')), {
      train: { loss: 0.5 },
      val: { hd95: 'inf', dice: 'nan', loss: '-inf' },
      step: 0,
    });
    fs.rmSync(a.dir, { recursive: true });
  });

  it('deleteRun removes only folders SegLab made as runs, and with `within` only inside those folders', () => {
    const a = RunWriter.create(dir, 'exp');
    a.writeJson('config.json', {});
    assert.ok(fs.existsSync(a.file('.seglab-run')), 'the marker is written when the folder is made');
    deleteRun(a.dir);
    assert.ok(!fs.existsSync(a.dir));
    // A folder that merely contains a config.json (the case) is not a run.
    fs.mkdirSync(path.join(dir, 'precious'));
    fs.writeFileSync(path.join(dir, 'precious', 'config.json'), '{}');
    assert.throws(
      () => deleteRun(path.join(dir, 'precious')),
      /precious: not a run SegLab made \(no \.seglab-run marker or run summary\); not deleted/,
    );
    assert.ok(fs.existsSync(path.join(dir, 'precious', 'config.json')));
    // A run from before the marker: its summary names the folder as its id.
    const old = path.join(dir, '20250101-000000-old');
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'summary.json'), JSON.stringify(summary('20250101-000000-old', 'done')));
    // Untrusted window: only inside the workspace folders (a link into the workspace does not count as inside).
    const b = RunWriter.create(dir, 'exp');
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ws-'));
    fs.symlinkSync(b.dir, path.join(workspace, 'link'));
    assert.throws(() => deleteRun(path.join(workspace, 'link'), { within: [workspace] }), /outside .*seglab-ws-.*; not deleted/);
    assert.throws(() => deleteRun(b.dir, { within: [workspace] }), /not deleted/);
    assert.ok(fs.existsSync(b.dir));
    deleteRun(b.dir, { within: [workspace, dir] });
    deleteRun(old);
    assert.ok(!fs.existsSync(b.dir) && !fs.existsSync(old));
    fs.rmSync(workspace, { recursive: true });
  });

  it('a running run whose process is gone is listed as failed (listing writes nothing), and written down as failed by settleStaleRuns; other hosts are left alone', () => {
    const a = RunWriter.create(dir, 'exp');
    a.writeJson('config.json', {});
    a.writeSummary({ ...summary(a.id, 'running'), pid: 2 ** 22 + 12345, host: os.hostname() });
    const b = RunWriter.create(dir, 'exp');
    b.writeJson('config.json', {});
    b.writeSummary({ ...summary(b.id, 'running'), pid: process.pid });
    const c = RunWriter.create(dir, 'exp');
    c.writeSummary({ ...summary(c.id, 'running'), pid: 2 ** 22 + 12345, host: 'a-cluster-node' });
    const runs = listRuns(dir);
    const gone = runs.find((r) => r.id === a.id)!.summary!;
    assert.strictEqual(gone.status, 'failed');
    assert.match(gone.reason ?? '', /training process \(pid \d+\) ended without finishing the run/);
    assert.strictEqual(runs.find((r) => r.id === b.id)!.summary!.status, 'running', 'a live process keeps its run running');
    assert.strictEqual(runs.find((r) => r.id === c.id)!.summary!.status, 'running', 'a pid on another machine cannot be checked here');
    // Listing only read (an untrusted window lists runs): the file still says running.
    assert.strictEqual(JSON.parse(fs.readFileSync(a.file('summary.json'), 'utf8')).status, 'running');
    assert.deepStrictEqual(settleStaleRuns(listRuns(dir)), [a.id]);
    const onDisk = JSON.parse(fs.readFileSync(a.file('summary.json'), 'utf8'));
    assert.deepStrictEqual([onDisk.status, onDisk.reason], ['failed', gone.reason]);
    assert.strictEqual(JSON.parse(fs.readFileSync(b.file('summary.json'), 'utf8')).status, 'running', 'a live run is not settled');
    assert.strictEqual(JSON.parse(fs.readFileSync(c.file('summary.json'), 'utf8')).status, 'running', 'nor one on another host');
    assert.deepStrictEqual(settleStaleRuns(listRuns(dir)), [], 'settled once');
  });

  it('markRunEnded marks a running run and leaves finished ones alone', () => {
    const a = RunWriter.create(dir, 'exp');
    a.writeSummary(summary(a.id, 'running'));
    markRunEnded(a.dir, 'failed', 'engine crashed');
    const s = JSON.parse(fs.readFileSync(a.file('summary.json'), 'utf8'));
    assert.strictEqual(s.status, 'failed');
    assert.strictEqual(s.reason, 'engine crashed');
    assert.ok(s.durations.totalSeconds >= 5);
    markRunEnded(a.dir, 'cancelled', 'later');
    assert.strictEqual(JSON.parse(fs.readFileSync(a.file('summary.json'), 'utf8')).status, 'failed');
  });
});

describe('comparison statistics', () => {
  it('mean ± sample std per head, paired differences per seed', () => {
    const run = (head: Head, seed: number, dice: number) => ({
      head,
      seed,
      status: 'done',
      final: { dice, iou: dice - 0.1, hd95: 10, pixelError: 0.1, precision: 1, recall: 1, loss: 0.2 },
      epochs: [],
    });
    const runs = [
      run('sigmoid1', 1, 0.8),
      run('sigmoid1', 2, 0.9),
      run('softmax2', 1, 0.85),
      run('softmax2', 2, 0.92),
      { head: 'softmax2' as const, seed: 3, status: 'failed', final: null, epochs: [] },
    ];
    const s = summarizeComparison(runs, ['sigmoid1', 'softmax2']);
    assertClose(s.perHead.sigmoid1.dice.mean, 0.85, 1e-12);
    assertClose(s.perHead.sigmoid1.dice.std, Math.sqrt(0.005), 1e-12); // sample std of (0.8, 0.9)
    assert.strictEqual(s.perHead.softmax2.dice.n, 2, 'the failed run is not counted');
    const d = s.paired.find((p) => p.metric === 'dice')!;
    assert.deepStrictEqual(
      d.differences.map((x) => +x.toFixed(6)),
      [0.05, 0.02],
    );
    assertClose(d.mean, 0.035, 1e-12);
    // Two seeds: differences 0.05, 0.02 → mean 0.035, sd 0.0212, se 0.015, t = 2.333 on 1 df:
    // p = 0.258 (scipy.stats.ttest_rel), 95 % CI 0.035 ± 12.706·0.015 = [−0.156, +0.226].
    assertClose(d.p!, 0.2578, 1e-3);
    assertClose(d.ci95![0], 0.035 - 12.7062047 * 0.015, 1e-6);
    assert.strictEqual(
      d.verdict,
      'softmax2 − sigmoid1: +0.035 Dice, 95 % CI [−0.156, +0.226], p = 0.258: not distinguishable with 2 seeds; at this spread about 6 seeds would find it 80 % of the time (α 0.05)',
    );
    const one = summarizeComparison(
      runs.filter((r) => r.seed === 1),
      ['sigmoid1', 'softmax2'],
    );
    assert.match(one.paired.find((p) => p.metric === 'dice')!.verdict!, /from 1 seed — no conclusion is possible/);
    // HD95 not tracked by the runs (left out of the config's metrics): no paired entry, rather than a
    // claim that no seed finished with a finite HD95; measured but infinite: that claim.
    const untracked = runs.map((r) => (r.final ? { ...r, final: { dice: r.final.dice, loss: r.final.loss } } : r));
    const u = summarizeComparison(untracked, ['sigmoid1', 'softmax2']);
    assert.deepStrictEqual(
      u.paired.map((p) => p.metric),
      ['dice', 'loss'],
    );
    const infinite = runs.map((r) => (r.final && r.head === 'softmax2' ? { ...r, final: { ...r.final, hd95: Infinity } } : r));
    assert.match(
      summarizeComparison(infinite, ['sigmoid1', 'softmax2']).paired.find((p) => p.metric === 'hd95')!.verdict!,
      /no seed where both finished with a finite HD95/,
    );
    assert.strictEqual(formatStat({ mean: 0.8123, std: 0.0041, n: 3 }), '0.812 ± 0.004');
    assert.strictEqual(formatStat({ mean: NaN, std: NaN, n: 0 }), '—');
  });

  it('report charts: a one-epoch run shows its point (a marker, centred, one x label); longer runs get a marker per epoch', () => {
    const one = lineChart('Validation Dice', [{ label: 'sigmoid1', colour: '#d62728', dashed: false, points: [[1, 0.7]] }], 'Dice');
    const circles = [...one.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // Plot area x from 56 to 508: the single epoch sits in the middle (282); y in the middle of 28…224 (126).
    assert.deepStrictEqual(circles, [[282, 126]]);
    const labels = [...one.matchAll(/text-anchor="middle">(\d+)<\/text>/g)].map((m) => m[1]);
    assert.deepStrictEqual(labels, ['1'], 'one x label, not a made-up range');
    const three = lineChart(
      'loss',
      [
        {
          label: 'a',
          colour: '#000',
          dashed: true,
          points: [
            [1, 0.5],
            [2, 0.4],
            [3, NaN],
          ],
        },
      ],
      'loss',
    );
    assert.strictEqual([...three.matchAll(/<circle /g)].length, 2, 'finite points only');
  });

  it('∞ and NaN are left out of mean ± std but counted, and shown as such ("n of m seeds")', () => {
    const run = (head: Head, seed: number, hd95: number) => ({
      head,
      seed,
      status: 'done',
      final: { dice: 0.5, iou: 0.4, hd95, pixelError: 0.1, precision: 1, recall: 1, loss: 0.2 },
      epochs: [],
    });
    const runs = [
      run('sigmoid1', 1, 3),
      run('sigmoid1', 2, Infinity),
      run('sigmoid1', 3, 5),
      run('softmax2', 1, Infinity),
      run('softmax2', 2, Infinity),
    ];
    const s = summarizeComparison(runs, ['sigmoid1', 'softmax2']);
    // mean and sample std of (3, 5): 4 ± √2
    assert.deepStrictEqual(s.perHead.sigmoid1.hd95, { mean: 4, std: Math.SQRT2, n: 2, of: 3, posInf: 1, negInf: 0, nan: 0 });
    assert.strictEqual(formatStat(s.perHead.sigmoid1.hd95, 2), '4.00 ± 1.41 (2 of 3 seeds; 1 ∞)');
    assert.strictEqual(formatStat(s.perHead.softmax2.hd95, 2), '∞ (all 2 seeds)');
    assert.strictEqual(formatStat({ mean: NaN, std: NaN, n: 0, of: 3, posInf: 1, negInf: 0, nan: 2 }), '— (3 seeds: 1 ∞, 2 NaN)');
    assert.strictEqual(formatStat({ mean: 0.5, std: NaN, n: 1, of: 2, nan: 1 }), '0.500 (1 of 2 seeds; 1 NaN)');
    // Paired: seed 1 has ∞ − 3 (left out), seed 2 ∞ − ∞ (left out): no difference from 2 paired seeds.
    const d = s.paired.find((p) => p.metric === 'hd95')!;
    assert.deepStrictEqual([d.differences, d.of], [[], 2]);
  });
});
