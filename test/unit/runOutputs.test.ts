/**
 * A run folder as other tools read it: DVC (DVCLive's documented layout, the YAML parsed by PyYAML
 * through Debian's /usr/bin/python3) and TensorBoard (the event file decoded by a TFRecord/protobuf
 * reader written here, independently of the writer).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { toYaml } from '../../src/core/runs/dvclive';
import { readRun, RunWriter } from '../../src/core/runs/store';
import { crc32c } from '../../src/core/runs/tensorboard';
import { trainRun } from '../../src/core/train/trainer';
import { tinyExperiment } from './helpers';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

/** YAML text → JSON through PyYAML (an independent parser). Non-finite floats come back as strings. */
function pyYaml(text: string): unknown {
  const script =
    'import sys, json, math, yaml\n' +
    'def fix(v):\n' +
    '    if isinstance(v, float) and not math.isfinite(v): return "nan" if v != v else ("inf" if v > 0 else "-inf")\n' +
    '    if isinstance(v, dict): return {k: fix(x) for k, x in v.items()}\n' +
    '    if isinstance(v, list): return [fix(x) for x in v]\n' +
    '    return v\n' +
    'print(json.dumps(fix(yaml.safe_load(sys.stdin.read()))))\n';
  const r = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} with PyYAML failed (apt-get install python3-yaml): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

// ---- a reader for TFRecord + the Event/Summary protobufs, written from the format's description ----
interface Field {
  no: number;
  wire: number;
  value: bigint | Buffer;
}
function readVarint(b: Buffer, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[at++];
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (!(byte & 0x80)) return [v, at];
  }
}
function fields(b: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < b.length) {
    const [k, next] = readVarint(b, at);
    at = next;
    const no = Number(k >> 3n);
    const wire = Number(k & 7n);
    if (wire === 0) {
      const [v, n] = readVarint(b, at);
      out.push({ no, wire, value: v });
      at = n;
    } else if (wire === 1) {
      out.push({ no, wire, value: b.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 5) {
      out.push({ no, wire, value: b.subarray(at, at + 4) });
      at += 4;
    } else if (wire === 2) {
      const [len, n] = readVarint(b, at);
      out.push({ no, wire, value: b.subarray(n, n + Number(len)) });
      at = n + Number(len);
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const masked = (c: number) => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
  images: Record<string, { width: number; height: number; colorspace: number; png: Buffer }>;
}
function readEvents(file: string): DecodedEvent[] {
  const b = fs.readFileSync(file);
  const events: DecodedEvent[] = [];
  let at = 0;
  while (at < b.length) {
    const len = Number(b.readBigUInt64LE(at));
    assert.strictEqual(b.readUInt32LE(at + 8), masked(crc32c(b.subarray(at, at + 8))), `length CRC at byte ${at}`);
    const data = b.subarray(at + 12, at + 12 + len);
    assert.strictEqual(b.readUInt32LE(at + 12 + len), masked(crc32c(data)), `data CRC at byte ${at}`);
    at += 16 + len;
    const e: DecodedEvent = { wallTime: NaN, step: 0, scalars: {}, images: {} };
    for (const f of fields(data)) {
      if (f.no === 1) e.wallTime = (f.value as Buffer).readDoubleLE(0);
      else if (f.no === 2) e.step = Number(f.value);
      else if (f.no === 3) e.fileVersion = (f.value as Buffer).toString('utf8');
      else if (f.no === 5) {
        for (const v of fields(f.value as Buffer).filter((x) => x.no === 1)) {
          const vf = fields(v.value as Buffer);
          const tag = (vf.find((x) => x.no === 1)!.value as Buffer).toString('utf8');
          const simple = vf.find((x) => x.no === 2);
          const image = vf.find((x) => x.no === 4);
          if (simple) e.scalars[tag] = (simple.value as Buffer).readFloatLE(0);
          if (image) {
            const im = fields(image.value as Buffer);
            const num = (no: number) => Number(im.find((x) => x.no === no)!.value);
            e.images[tag] = { height: num(1), width: num(2), colorspace: num(3), png: im.find((x) => x.no === 4)!.value as Buffer };
          }
        }
      }
    }
    events.push(e);
  }
  return events;
}

describe('run outputs other tools read (DVC, TensorBoard)', () => {
  let runsDir: string;
  before(() => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-outputs-'));
  });
  after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  it('CRC-32C gives the catalogue check value (0xE3069283 for "123456789")', () => {
    assert.strictEqual(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.strictEqual(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it('TensorBoard scalars keep ∞ and NaN (float32 holds them)', () => {
    const w = RunWriter.create(runsDir, 'inf');
    w.appendEpoch({ epoch: 1, trainLoss: 0.25, seconds: 1, val: { hd95: Infinity, dice: NaN } });
    const file = fs.readdirSync(w.dir).find((f) => f.startsWith('events.out.tfevents.'))!;
    const [version, epoch] = readEvents(path.join(w.dir, file));
    assert.strictEqual(version.fileVersion, 'brain.Event:2');
    assert.deepStrictEqual(epoch.scalars, { 'train/loss': 0.25, 'val/hd95': Infinity, 'val/dice': NaN });
  });

  it('params YAML: strings that look like other types stay strings; PyYAML reads back the same value', () => {
    const value = {
      name: 'yes',
      plain: 'bce+0.25*dice',
      numberLike: '1e3',
      nullLike: 'null',
      quote: 'a "b" \\ c: d # e',
      unicode: 'σ → ∞',
      'key with spaces': 1,
      on: true,
      n: -0.5,
      big: 1e21,
      small: 5e-7,
      exact: 1.5e-7,
      inf: Infinity,
      nested: { empty: {}, list: [], items: [1, 'two', { three: 3 }, [4, 5]] },
      nothing: null,
    };
    assert.deepStrictEqual(pyYaml(toYaml(value)), { ...value, inf: 'inf' });
  });

  it('params.yaml: strings and keys holding DEL, C1 controls, NEL, U+2028/9 or U+FFFF read back whole in PyYAML (issue 22)', () => {
    const odd = 'a\u007fb\u0080c\u0085d\u009fe\uffff\t\u0000\u2028f\u2029';
    const value = { name: odd, [odd]: 1 };
    assert.deepStrictEqual(pyYaml(toYaml(value)), value);
  });

  it('a finished run is DVCLive output (dvc.yaml, params.yaml, metrics.json, TSVs from step 0, image slider) and a TensorBoard event file', async () => {
    const config = tinyExperiment(runsDir, { epochs: 3, stepsPerEpoch: 2, predictions: 2, validation: { count: 3, every: 2 } });
    let dir = '';
    const summary = await trainRun({
      config,
      emit: (e) => {
        if (e.type === 'start') dir = e.runDir;
      },
    });
    assert.strictEqual(summary.status, 'done', summary.reason);
    const run = readRun(dir);
    const validated = run.epochs.filter((e) => e.val); // epochs 2 and 3 (the last always validates)
    assert.deepStrictEqual(
      validated.map((e) => e.epoch),
      [2, 3],
    );

    // dvc.yaml as DVCLive's make_dvcyaml writes it, every path present.
    const dvc = pyYaml(fs.readFileSync(path.join(dir, 'dvc.yaml'), 'utf8')) as Record<string, unknown>;
    assert.deepStrictEqual(dvc, {
      params: ['params.yaml'],
      metrics: ['metrics.json'],
      plots: [{ 'plots/metrics': { x: 'step' } }, 'plots/images'],
    });
    for (const p of ['params.yaml', 'metrics.json', 'plots/metrics', 'plots/images']) assert.ok(fs.existsSync(path.join(dir, p)), p);

    // params.yaml: the resolved config (what config.json holds without the derived facts).
    const { derived: _derived, ...resolved } = run.config as Record<string, unknown>;
    assert.deepStrictEqual(pyYaml(fs.readFileSync(path.join(dir, 'params.yaml'), 'utf8')), JSON.parse(JSON.stringify(resolved)));

    // metrics.json: the latest values, nested by split, with DVCLive's step (epoch − 1).
    const last = run.epochs[run.epochs.length - 1];
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')), {
      train: { loss: last.trainLoss, learning_rate: last.learningRate },
      val: last.val,
      step: 2,
    });

    // TSVs: timestamp step <name>, one row per epoch (train) or per validation (val), steps from 0.
    const rows = (split: string, name: string) =>
      fs
        .readFileSync(path.join(dir, 'plots', 'metrics', split, `${name}.tsv`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
    const loss = rows('train', 'loss');
    assert.deepStrictEqual(loss[0], ['timestamp', 'step', 'loss']);
    assert.deepStrictEqual(
      loss.slice(1).map((r) => [r[1], Number(r[2])]),
      run.epochs.map((e) => [String(e.epoch - 1), e.trainLoss]),
    );
    const stamps = loss.slice(1).map((r) => Number(r[0]));
    assert.ok(
      stamps.every((t, i) => Number.isInteger(t) && t >= Date.parse(run.summary!.startedAt) - 1000 && (i === 0 || t >= stamps[i - 1])),
    );
    assert.deepStrictEqual(
      rows('val', 'dice')
        .slice(1)
        .map((r) => [r[1], Number(r[2])]),
      validated.map((e) => [String(e.epoch - 1), e.val!.dice]),
    );

    // Images: plots/images/<image>_prob/<step>.png for each validated epoch.
    const folders = fs.readdirSync(path.join(dir, 'plots', 'images')).sort();
    assert.strictEqual(folders.length, 2);
    for (const f of folders) {
      assert.match(f, /_prob$/);
      assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'plots', 'images', f)).sort(), ['1.png', '2.png']);
      const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'plots', 'images', f, '2.png')));
      assert.deepStrictEqual([png.width, png.height], [16, 16]);
    }

    // TensorBoard: one file, a version record, then one Event per epoch with the same scalars.
    const eventFiles = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.strictEqual(eventFiles.length, 1);
    const events = readEvents(path.join(dir, eventFiles[0]));
    assert.strictEqual(events[0].fileVersion, 'brain.Event:2');
    assert.strictEqual(events.length, 1 + run.epochs.length);
    run.epochs.forEach((e, i) => {
      const ev = events[i + 1];
      assert.strictEqual(ev.step, e.epoch - 1);
      assert.ok(Math.abs(ev.wallTime * 1000 - stamps[i]) < 2, 'the event time is the TSV timestamp');
      const expected: Record<string, number> = {
        'train/loss': Math.fround(e.trainLoss),
        'train/learning_rate': Math.fround(e.learningRate!),
      };
      for (const [k, v] of Object.entries(e.val ?? {})) expected[`val/${k}`] = Math.fround(v);
      assert.deepStrictEqual(ev.scalars, expected);
      const images = Object.keys(ev.images).sort();
      assert.deepStrictEqual(images, e.val ? folders.map((f) => `val/${f}`) : []);
      for (const tag of images) {
        const im = ev.images[tag];
        assert.deepStrictEqual([im.width, im.height, im.colorspace], [16, 16, 1]);
        const file = path.join(dir, 'plots', 'images', tag.slice(4), `${e.epoch - 1}.png`);
        assert.ok(im.png.equals(fs.readFileSync(file)), `${tag}: the same PNG as ${file}`);
      }
    });
  });
});
