/** SegLab's JSON codec: non-finite numbers survive files, CLI output and the engine's IPC. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeJson, encodeJson } from '../../src/core/common/json';
import { startTraining } from '../../src/engine/client';
import { TrainEvent } from '../../src/core/train/trainer';
import { readEpochs, RunWriter } from '../../src/core/runs/store';
import { tinyExperiment } from './helpers';
import { fromWire, HostMessage, RunView, toWire } from '../../src/webview/contract';

describe('JSON codec (NaN and ±Infinity as "NaN", "Infinity", "-Infinity")', () => {
  it('writes standard JSON any reader parses, and reads the numbers back', () => {
    const value = {
      dice: NaN,
      hd95: Infinity,
      low: -Infinity,
      list: [1, NaN],
      f32: Float32Array.from([0.5, 2]),
      name: 'run-1',
      none: null,
    };
    const text = encodeJson(value, 0);
    assert.strictEqual(
      text,
      '{"dice":"NaN","hd95":"Infinity","low":"-Infinity","list":[1,"NaN"],"f32":[0.5,2],"name":"run-1","none":null}',
    );
    assert.deepStrictEqual(JSON.parse(text).hd95, 'Infinity'); // a plain reader sees strings, never a syntax error
    const back = decodeJson(text) as typeof value & { f32: number[] };
    assert.ok(Number.isNaN(back.dice) && Number.isNaN(back.list[1]));
    assert.strictEqual(back.hd95, Infinity);
    assert.strictEqual(back.low, -Infinity);
    assert.deepStrictEqual(back.f32, [0.5, 2]);
    assert.strictEqual(back.none, null); // null stays null (absent), it is not NaN
    assert.strictEqual(back.name, 'run-1');
  });

  it('nesting: 256 levels read, 257 and 5000 are a named error (no stack overflow); brackets in strings do not count', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    assert.ok(Array.isArray(decodeJson(nested(256))));
    assert.throws(() => decodeJson(nested(257)), /^Error: JSON nested deeper than 256 levels \(at character 257\)$/);
    assert.throws(() => decodeJson(`{"a": ${nested(5000)}}`), /JSON nested deeper than 256 levels/);
    assert.deepStrictEqual(decodeJson(JSON.stringify({ s: '['.repeat(1000) + '\\"{' })), { s: '['.repeat(1000) + '\\"{' });
  });

  it("strings that name Object.prototype's members stay strings (an image called constructor.png)", () => {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    const back = decodeJson(JSON.stringify({ images: names })) as { images: unknown[] };
    assert.deepStrictEqual(back.images, names);
  });

  it('metrics.jsonl keeps hd95 = Infinity and a NaN loss through a run folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-json-'));
    try {
      const run = RunWriter.create(dir, 'json');
      run.appendEpoch({ epoch: 1, trainLoss: NaN, seconds: 1, val: { dice: 0, hd95: Infinity } });
      const [epoch] = readEpochs(run.dir);
      assert.ok(Number.isNaN(epoch.trainLoss));
      assert.strictEqual(epoch.val!.hd95, Infinity);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the engine's IPC carries Infinity and NaN as numbers (structured clone, not JSON)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ipc-'));
    const fake = path.join(dir, 'engine.js');
    // A stand-in engine: one epoch event with non-finite values, then exit.
    fs.writeFileSync(
      fake,
      "process.send({ type: 'event', event: { type: 'epoch', record: { epoch: 1, trainLoss: NaN, seconds: 0, val: { hd95: Infinity } }, best: false, etaSeconds: 0 } }, () => process.exit(0));\n",
    );
    try {
      const events: TrainEvent[] = [];
      await startTraining(tinyExperiment(dir), { enginePath: fake, onEvent: (e) => events.push(e) }).result;
      const epoch = events.find((e) => e.type === 'epoch') as Extract<TrainEvent, { type: 'epoch' }>;
      assert.ok(epoch, 'the epoch event arrived');
      assert.strictEqual(epoch.record.val!.hd95, Infinity);
      assert.ok(Number.isNaN(epoch.record.trainLoss));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the dashboard boundary: a run with hd95 = Infinity and a NaN loss survives postMessage (JSON) both ways', () => {
    const run = {
      id: 'r',
      label: 'r',
      status: 'done',
      epochs: [{ epoch: 1, trainLoss: NaN, seconds: 1, val: { hd95: Infinity } }],
      predictions: [],
    };
    const sent: HostMessage = { type: 'runs', runs: [run as unknown as RunView], threshold: 0.5 };
    const overJson = JSON.parse(JSON.stringify(toWire(sent))) as HostMessage; // what VS Code's postMessage does
    const got = fromWire(overJson) as Extract<HostMessage, { type: 'runs' }>;
    assert.strictEqual(got.runs[0].epochs[0].val!.hd95, Infinity);
    assert.ok(Number.isNaN(got.runs[0].epochs[0].trainLoss));
    // Without the codec the same trip gives null:
    const plain = JSON.parse(JSON.stringify(sent)) as Extract<HostMessage, { type: 'runs' }>;
    assert.strictEqual(plain.runs[0].epochs[0].val!.hd95, null);
  });
});
