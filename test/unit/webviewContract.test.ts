/** Messages from the webview are validated before the extension acts on them. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodePng8 } from '../../src/core/data/png';
import { evaluateFolders } from '../../src/core/metrics/evaluateFolders';
import { evaluationView, overlayForDisplay, runView } from '../../src/extension/host/views';
import { fromWire, HostMessage, parseViewMessage, toWire } from '../../src/webview/contract';

describe('webview message validation', () => {
  it('accepts the known messages', () => {
    assert.deepStrictEqual(parseViewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseViewMessage({ type: 'requestRunOverlay', runIds: ['20261123-run-a', 'b'], image: 'shape-002', extra: 1 }), {
      type: 'requestRunOverlay',
      runIds: ['20261123-run-a', 'b'],
      image: 'shape-002',
    });
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
