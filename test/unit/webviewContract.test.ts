/** Messages from the webview are validated before the extension acts on them. */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodePng8 } from '../../src/core/data/png';
import { evaluateFolders } from '../../src/core/metrics/evaluateFolders';
import { csv } from '../../src/core/common/csv';
import type { SweepFile } from '../../src/core/runs/sweep';
import { evaluationView, overlayForDisplay, runView, snapshotFile, sweepView } from '../../src/extension/host/views';
import { emaSmooth } from '../../src/webview/ui/smoothing';
import { curveMetrics } from '../../src/webview/ui/curveMetrics';
import { evaluationCsv } from '../../src/webview/ui/evaluation';
import { calibrationCsv } from '../../src/webview/ui/calibration';
import { fromWire, HostMessage, parseViewMessage, RunView, toWire } from '../../src/webview/contract';

const LOSS_REFUSED = 'requestLossMap: loss must be a loss expression of at most 200 characters';

describe('webview message validation', () => {
  it('accepts the known messages', () => {
    assert.deepStrictEqual(parseViewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseViewMessage({ type: 'requestRunOverlay', runIds: ['20261123-run-a', 'b'], image: 'shape-002', extra: 1 }), {
      type: 'requestRunOverlay',
      runIds: ['20261123-run-a', 'b'],
      image: 'shape-002',
    });
    assert.deepStrictEqual(
      parseViewMessage({ type: 'requestLossMap', runIds: ['r1', 'r2'], image: 'slice-07', loss: '0.5*log1p(bce) + monai:DiceLoss' }),
      { type: 'requestLossMap', runIds: ['r1', 'r2'], image: 'slice-07', loss: '0.5*log1p(bce) + monai:DiceLoss' },
    );
    assert.deepStrictEqual(parseViewMessage({ type: 'requestEvaluationOverlay', index: 3 }), {
      type: 'requestEvaluationOverlay',
      index: 3,
    });
  });

  it('rejects paths, wrong types and unknown messages, saying why', () => {
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['../../etc'], image: 'x' }),
      'requestRunOverlay: runIds must be 1 or 2 run ids',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['a'], image: '/etc/passwd' }),
      'requestRunOverlay: image must be an image name',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['a', 'b', 'c'], image: 'x' }),
      'requestRunOverlay: runIds must be 1 or 2 run ids',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestEvaluationOverlay', index: -1 }),
      'requestEvaluationOverlay: index must be a non-negative integer',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestEvaluationOverlay', index: '2' }),
      'requestEvaluationOverlay: index must be a non-negative integer',
    );
    assert.strictEqual(parseViewMessage({ type: 'readFile', path: '/etc/passwd' }), "unknown message type 'readFile'");
    assert.strictEqual(
      parseViewMessage({ type: 'requestLossMap', runIds: ['a'], image: 'x', loss: 'bce; rm -rf /' }).toString(),
      LOSS_REFUSED,
    );
    assert.strictEqual(parseViewMessage({ type: 'requestLossMap', runIds: ['a'], image: 'x', loss: 'd'.repeat(201) }), LOSS_REFUSED);
    assert.strictEqual(parseViewMessage({ type: 'requestLossMap', runIds: ['a'], image: 'x', loss: '' }), LOSS_REFUSED);
    assert.strictEqual(parseViewMessage({ type: 'requestLossMap', runIds: ['a'], image: 'x', loss: 7 }), LOSS_REFUSED);
    assert.strictEqual(
      parseViewMessage({ type: 'requestLossMap', runIds: ['..'], image: 'x', loss: 'bce' }),
      'requestLossMap: runIds must be 1 or 2 run ids',
    );
    assert.strictEqual(parseViewMessage('ready'), 'message must be an object with a string type');
  });
});

describe('what the dashboard is sent', () => {
  it('an empty prediction evaluates to HD95 ∞, and ∞ reaches the webview as ∞ (not null)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-view-'));
    for (const sub of ['pred', 'gt']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, 'pred', 'a.png'), encodePng8(new Array(16).fill(0), 4, 4));
    fs.writeFileSync(path.join(dir, 'gt', 'a.png'), encodePng8([0, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0], 4, 4));
    const view = evaluationView(evaluateFolders(path.join(dir, 'pred'), path.join(dir, 'gt')));
    // postMessage is JSON: what toWire sends must come back with fromWire as the same numbers.
    const received = fromWire(JSON.parse(JSON.stringify(toWire({ type: 'evaluation', evaluation: view })))) as Extract<
      HostMessage,
      { type: 'evaluation' }
    >;
    assert.deepStrictEqual(received.evaluation.images[0], { name: 'a', dice: 0, iou: 0, precision: 1, recall: 0, hd95: Infinity });
    assert.strictEqual(received.evaluation.mean.hd95, Infinity);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('overlays of large images', () => {
  it('are sent downsampled: mean of each block for the image, max for ground truth and probabilities (by hand)', () => {
    // 4×4 into at most 4 pixels: factor 2, 2×2 blocks
    const view = {
      title: 'big',
      width: 4,
      height: 4,
      image: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150],
      gt: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      layers: [{ label: 'p', prob: [0.1, 0.2, 0, 0, 0.3, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5] }],
    };
    const small = overlayForDisplay(view, 4);
    assert.deepStrictEqual(small, {
      title: 'big (shown at 1/2 scale: 4×4 → 2×2)',
      width: 2,
      height: 2,
      image: [25, 45, 105, 125],
      gt: [0, 1, 0, 0],
      layers: [{ label: 'p', prob: [0.9, 0, 0, 0.5] }],
    });
    assert.strictEqual(overlayForDisplay(view, 16), view, 'small enough: unchanged');
    // 5×3 with at most 4 pixels: factor ⌈√(15/4)⌉ = 2 → 3×2, edge blocks partial
    const odd = overlayForDisplay(
      { ...view, width: 5, height: 3, image: new Array(15).fill(0).map((_, i) => i), gt: new Array(15).fill(0), layers: [] },
      4,
    );
    assert.deepStrictEqual([odd.width, odd.height, odd.image], [3, 2, [3, 5, 6.5, 10.5, 12.5, 14]]);
  });
});

describe('the run list the dashboard is sent', () => {
  it('a run with a corrupt metrics.jsonl line is listed with the problem and its other epochs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-runview-'));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"epoch":1,"trainLoss":0.5,"val":{"dice":0.7}}\n{"epoch":2,"tr\n');
    const view = runView({ id: 'r1', dir, summary: null });
    assert.deepStrictEqual(view.epochs, [{ epoch: 1, trainLoss: 0.5, val: { dice: 0.7 } }]);
    assert.strictEqual(view.problem, `${path.join(dir, 'metrics.jsonl')}:2: not valid JSON (line skipped)`);
    assert.strictEqual(runView({ id: 'r2', dir: path.join(dir, 'none'), summary: null }).problem, undefined);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('dashboard messages for sweeps, exports and epoch snapshots', () => {
  it('validates openSweepCell, exportFile and an overlay epoch', () => {
    assert.deepStrictEqual(parseViewMessage({ type: 'openSweepCell', index: 2 }), { type: 'openSweepCell', index: 2 });
    assert.strictEqual(parseViewMessage({ type: 'openSweepCell', index: 1.5 }), 'openSweepCell: index must be a non-negative integer');
    assert.deepStrictEqual(parseViewMessage({ type: 'requestRunOverlay', runIds: ['a'], image: 'x', epoch: 3 }), {
      type: 'requestRunOverlay',
      runIds: ['a'],
      image: 'x',
      epoch: 3,
    });
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['a'], image: 'x', epoch: 0 }),
      'requestRunOverlay: epoch must be a positive integer',
    );
    assert.deepStrictEqual(parseViewMessage({ type: 'exportFile', name: 'validation Dice.csv', format: 'csv', data: 'epoch\n1\n' }), {
      type: 'exportFile',
      name: 'validation Dice.csv',
      format: 'csv',
      data: 'epoch\n1\n',
    });
    assert.strictEqual(
      parseViewMessage({ type: 'exportFile', name: '../x.csv', format: 'csv', data: 'a' }),
      'exportFile: name must be a plain file name',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'exportFile', name: 'x.exe', format: 'exe', data: 'a' }),
      'exportFile: format must be one of csv, svg, png',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'exportFile', name: 'x.png', format: 'png', data: '<svg/>' }),
      'exportFile: a PNG comes as a data:image/png;base64 URL',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'exportFile', name: 'x.csv', format: 'csv', data: '' }),
      'exportFile: data must be a non-empty string of at most 20 MiB',
    );
  });

  it('the curves offer every validation metric the runs recorded (clDice, V_Rand, ECE …) after the usual ones', () => {
    const run = (val: Record<string, number>): RunView => ({
      ...{ id: 'r', label: 'r', head: 'sigmoid1', status: 'done', final: null, predictions: [], snapshots: [], params: {} },
      epochs: [{ epoch: 1, trainLoss: 1, val }],
    });
    const offered = curveMetrics([run({ dice: 0.5, clDice: 0.7 }), run({ vRand: 0.4, ece: 0.1, notAMetric: 3 })]);
    assert.deepStrictEqual(Object.keys(offered), [
      'trainLoss',
      'val.loss',
      'val.dice',
      'val.iou',
      'val.pixelError',
      'val.hd95',
      'val.vRand',
      'val.clDice',
      'val.ece',
    ]);
    assert.strictEqual(offered['val.clDice'], 'validation clDice');
  });

  it('smooths curves as TensorBoard does (debiased EMA; by hand), passing gaps and ∞ through', () => {
    // w = 0.5: m1 = 0.5·0 + 0.5·2 = 1, s1 = 1 / (1 − 0.5) = 2; m2 = 0.5·1 + 0.5·4 = 2.5, s2 = 2.5 / (1 − 0.25); null and ∞ untouched.
    const out = emaSmooth([2, null, 4, Infinity, 0], 0.5);
    assert.strictEqual(out[0], 2);
    assert.strictEqual(out[1], null);
    assert.ok(Math.abs((out[2] as number) - 2.5 / 0.75) < 1e-12);
    assert.strictEqual(out[3], Infinity);
    // third finite value: m3 = 0.5·2.5 + 0.5·0 = 1.25, s3 = 1.25 / (1 − 0.125)
    assert.ok(Math.abs((out[4] as number) - 1.25 / 0.875) < 1e-12);
    assert.deepStrictEqual(emaSmooth([1, 5, 3], 0), [1, 5, 3]);
    assert.throws(() => emaSmooth([1], 1), /smoothing weight must be in \[0, 1\)/);
  });

  it('writes CSV that numpy reads back: nan / inf, missing as empty, quoted text', () => {
    assert.strictEqual(
      csv(
        ['a', 'b,c'],
        [
          [NaN, -Infinity],
          ['x"y', null],
          [0.1 + 0.2, Infinity],
        ],
      ),
      'a,"b,c"\nnan,-inf\n"x""y",\n0.30000000000000004,inf\n',
    );
  });

  it('CSV quotes a field holding a carriage return (RFC 4180), so a reader does not end the row there (issue 22)', () => {
    const text = csv(['name', 'dice'], [['a\rb.png', 0.5]]);
    assert.strictEqual(text, 'name,dice\n"a\rb.png",0.5\n');
    const r = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import csv, sys, json; print(json.dumps(list(csv.reader(sys.stdin, lineterminator="\\n"))))'],
      {
        input: text,
        encoding: 'utf8',
      },
    );
    assert.deepStrictEqual(
      JSON.parse(r.stdout),
      [
        ['name', 'dice'],
        ['a\rb.png', '0.5'],
      ],
      r.stderr,
    );
  });

  it('exports the evaluation table as CSV: images, mean, pooled; ∞ as inf, no HD95 when pooled', () => {
    const text = evaluationCsv({
      predDir: 'p',
      gtDir: 'g',
      images: [
        { name: 'a.png', dice: 0.5, iou: 1 / 3, precision: 1, recall: 1 / 3, hd95: Infinity },
        { name: 'b,c.png', dice: null, iou: null, precision: null, recall: null, hd95: null },
      ],
      mean: { dice: 0.5, iou: 1 / 3, precision: 1, recall: 1 / 3, hd95: Infinity },
      pooled: { dice: 0.5, iou: 1 / 3, precision: 1, recall: 1 / 3 },
    });
    assert.strictEqual(
      text,
      'image,dice,iou,precision,recall,hd95\n' +
        'a.png,0.5,0.3333333333333333,1,0.3333333333333333,inf\n' +
        '"b,c.png",,,,,\n' +
        'mean,0.5,0.3333333333333333,1,0.3333333333333333,inf\n' +
        'pooled,0.5,0.3333333333333333,1,0.3333333333333333,\n',
    );
  });

  it("lists a run's parameters and the epochs it saved predictions at", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-runparams-'));
    fs.mkdirSync(path.join(dir, 'predictions'));
    fs.writeFileSync(path.join(dir, 'predictions', 'shape-001_image.png'), '');
    for (const step of [1, 3, 11]) {
      fs.mkdirSync(path.join(dir, 'plots', 'images', 'shape-001_prob'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'plots', 'images', 'shape-001_prob', `${step}.png`), '');
    }
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ seed: 3, batchSize: 8, epochs: 12, optimizer: { learningRate: 0.002, schedule: 'cosine' } }),
    );
    const view = runView({ id: 'r', dir, summary: null });
    assert.deepStrictEqual(view.snapshots, [2, 4, 12], 'DVCLive step + 1, in numeric order');
    assert.deepStrictEqual(view.params, { seed: '3', lr: '0.002 (cosine)', batch: '8', epochs: '12' });
    assert.strictEqual(snapshotFile(dir, 'shape-001', 4), path.join(dir, 'plots', 'images', 'shape-001_prob', '3.png'));
    fs.rmSync(dir, { recursive: true });
  });

  it('sends a sweep with every cell, its interval and the verdicts on the primary metric, ∞ intact', () => {
    const stat = {
      mean: 5,
      std: 1,
      n: 2,
      of: 3,
      posInf: 1,
      values: [Infinity, 4, 6],
      seeds: [1, 2, 3],
      ci95: [-7.7, 17.7] as [number, number],
    };
    const sweep = {
      id: 's',
      name: 'n',
      status: 'done',
      updatedAt: 't',
      progress: { total: 3, done: 3, failed: 0, cancelled: 0, running: 0, pending: 0 },
      axes: [{ key: 'optimizer.learningRate', values: [0.001] }],
      seeds: [1, 2, 3],
      primaryMetric: 'dice',
      cells: [
        {
          id: 'optimizer.learningRate=0.001',
          label: 'learningRate 0.001',
          params: { 'optimizer.learningRate': 0.001 },
          n: 3,
          runs: ['a', 'b', 'c'],
          metrics: { hd95: stat },
        },
      ],
      comparisons: [
        { metric: 'dice', axis: 'best', verdict: 'v1' },
        { metric: 'hd95', axis: 'best', verdict: 'v2' },
      ],
      best: 'optimizer.learningRate=0.001',
      runs: [],
    } as unknown as SweepFile;
    const view = sweepView(sweep);
    assert.deepStrictEqual(view.axes, [{ key: 'optimizer.learningRate', values: ['0.001'] }]);
    assert.deepStrictEqual(view.cells[0].params, { 'optimizer.learningRate': '0.001' });
    assert.deepStrictEqual(view.cells[0].runIds, ['a', 'b', 'c']);
    assert.deepStrictEqual(view.cells[0].metrics.hd95, { mean: 5, std: 1, n: 2, of: 3, values: [Infinity, 4, 6], low: -7.7, high: 17.7 });
    assert.deepStrictEqual(view.verdicts, [{ axis: 'best', text: 'v1' }]);
    const wire = fromWire(JSON.parse(JSON.stringify(toWire({ type: 'sweep', sweep: view }))) as HostMessage);
    assert.deepStrictEqual((wire as { sweep: typeof view }).sweep.cells[0].metrics.hd95.values, [Infinity, 4, 6]);
  });
});

describe('calibration messages', () => {
  it('requestCalibration: 1 to 8 run ids, duplicates once, no paths', () => {
    assert.deepStrictEqual(parseViewMessage({ type: 'requestCalibration', runIds: ['a', 'b', 'a'] }), {
      type: 'requestCalibration',
      runIds: ['a', 'b'],
    });
    const bad = 'requestCalibration: runIds must be 1 to 8 run ids';
    assert.strictEqual(parseViewMessage({ type: 'requestCalibration', runIds: [] }), bad);
    assert.strictEqual(parseViewMessage({ type: 'requestCalibration', runIds: Array.from({ length: 9 }, (_, i) => `r${i}`) }), bad);
    assert.strictEqual(parseViewMessage({ type: 'requestCalibration', runIds: ['../other'] }), bad);
    assert.strictEqual(parseViewMessage({ type: 'requestCalibration', runIds: 'a' }), bad);
  });

  it('a NaN ECE reaches the webview as NaN; the CSV has a row per bin with empty means for empty bins, nan kept', () => {
    const run = {
      id: 'r',
      label: 'tiny-sigmoid1',
      head: 'sigmoid1',
      epoch: 3,
      ece: NaN,
      brier: 0.25,
      pixels: 2,
      bars: [
        { lo: 0, hi: 0.5, count: 0, meanProb: null, fraction: null },
        { lo: 0.5, hi: 1, count: 2, meanProb: 0.75, fraction: 0.5 },
      ],
    };
    const wire = fromWire(
      JSON.parse(JSON.stringify(toWire({ type: 'calibration', calibration: { runs: [run], missing: [] } }))) as HostMessage,
    );
    assert.ok(Number.isNaN((wire as { calibration: { runs: (typeof run)[] } }).calibration.runs[0].ece));
    assert.strictEqual(
      calibrationCsv([run]),
      'run,head,epoch,binLow,binHigh,pixels,meanProbability,fractionForeground,ece,brier\n' +
        'tiny-sigmoid1,sigmoid1,3,0,0.5,0,,,nan,0.25\n' +
        'tiny-sigmoid1,sigmoid1,3,0.5,1,2,0.75,0.5,nan,0.25\n',
    );
  });
});
