/**
 * The fuzz suite (issue 22): valid files of every kind SegLab reads — PNG, JPEG, TIFF (single page and
 * stacks, whole and page by page; uncompressed, LZW, Deflate; 8/16-bit, float, RGB) written by Pillow, .npy/.npz written by
 * numpy, and the JSON files of real runs, a comparison and a sweep written by SegLab — are mutated
 * with a seeded generator (truncation, byte flips in headers and bodies, lying sizes and offsets,
 * loops, inserted and deleted bytes; for JSON, fields deleted, nulled, turned negative, huge, deeply
 * nested or renamed to Object.prototype's names) and read through the entry points the CLI uses, in a
 * child process watched for hangs (30 s) and memory (2 GiB). Every result must be a named error (an
 * Error of SegLab's that names the file, no crash phrase) or a value equal to what Pillow or numpy
 * decodes from the same bytes. test/fuzz/crashers/ holds the files that failed once, as regression cases.
 *
 * SEGLAB_FUZZ_SEED=N repeats a run; SEGLAB_FUZZ_CASES=N changes the number of mutants per seed file.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeJson } from '../../src/core/common/json';
import { Rng } from '../../src/core/data/rng';
import type { Decoded, FuzzCase, FuzzKind } from './fuzzWorker';
import { ROOT } from './helpers';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';
const CLI = path.join(ROOT, 'dist', 'cli.js');
const WORKER = path.join(__dirname, 'fuzzWorker.js');
const CRASHERS = path.join(ROOT, 'test', 'fuzz', 'crashers');
const SEED = Number(process.env.SEGLAB_FUZZ_SEED ?? 20261202);
const PER_SEED = Number(process.env.SEGLAB_FUZZ_CASES ?? 300);
const HANG_MS = 30000;
const MAX_RSS_KB = 2 * 1024 * 1024;

interface SeedFile {
  file: string;
  kind: FuzzKind;
}

/** The valid files the mutants start from, written by Pillow and numpy (independent writers). */
const PILLOW_SEEDS = `
import os, sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(7)
g = (rng.random((13, 11)) * 255).astype(np.uint8)
rgb = (rng.random((9, 12, 3)) * 255).astype(np.uint8)
g16 = (rng.random((10, 7)) * 65535).astype(np.uint16)
f32 = (rng.standard_normal((8, 6))).astype(np.float32)
mask = (rng.random((12, 10)) > 0.5).astype(np.uint8) * 255
p = lambda n: os.path.join(out, n)
Image.fromarray(g).save(p('gray8.png'))
Image.fromarray(rgb).save(p('rgb8.png'))
Image.fromarray(g16).save(p('gray16.png'))
Image.fromarray(mask).convert('P').save(p('palette.png'))
Image.fromarray(np.dstack([rgb, rgb[..., :1]]), 'RGBA').save(p('rgba.png'))
Image.fromarray(mask).convert('1').save(p('bits1.png'))
yy, xx = np.mgrid[0:24, 0:32]
smooth = np.dstack([xx * 7, yy * 9, (xx + yy) * 4]).astype(np.uint8)
Image.fromarray(smooth[..., 0]).save(p('gray.jpg'), quality=90)
Image.fromarray(smooth).save(p('rgb.jpg'), quality=90)
Image.fromarray(g).save(p('gray8.tif'))
Image.fromarray(g).save(p('gray8_lzw.tif'), compression='tiff_lzw')
Image.fromarray(rgb).save(p('rgb_deflate.tif'), compression='tiff_adobe_deflate')
Image.fromarray(g16).save(p('gray16.tif'))
Image.fromarray(f32, mode='F').save(p('float32.tif'))
pages = [Image.fromarray(np.roll(mask, k, axis=1)) for k in range(3)]
pages[0].save(p('stack.tif'), save_all=True, append_images=pages[1:])
pages[0].save(p('stack_lzw.tif'), save_all=True, append_images=pages[1:], compression='tiff_lzw')
np.save(p('f32.npy'), f32)
np.save(p('f64_chw.npy'), rng.random((2, 5, 4)))
np.save(p('u8.npy'), mask)
np.save(p('bool.npy'), mask > 0)
np.save(p('f16.npy'), f32.astype(np.float16))
np.save(p('fortran.npy'), np.asfortranarray(rng.random((4, 6))))
np.save(p('bigendian.npy'), f32.astype('>f4'))
np.savez(p('stored.npz'), pred=f32)
np.savez_compressed(p('compressed.npz'), prob=rng.random((6, 5)), other=g)
`;

function kindsOf(file: string): FuzzKind[] {
  const ext = path.extname(file).toLowerCase();
  if (file.includes('stack')) return ['stack', 'stackPages'];
  if (ext === '.jpg') return ['image'];
  if (ext === '.png' || ext === '.tif') return ['image', 'array'];
  return ['array'];
}

/** Byte-level mutations: truncation, flips, lying 32-bit words, loops, insertions, deletions, duplicates. */
function mutateBytes(b: Buffer, rng: Rng): Buffer {
  const out = Buffer.from(b);
  const lies = () => [0, 1, 2, 0xffffffff, 0x7fffffff, 0x80000000, b.length, b.length + 1, 8, 30000, rng.int(b.length)][rng.int(11)];
  const rounds = 1 + rng.int(3);
  let data = out;
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(8);
    const head = Math.min(data.length, 512);
    if (op === 0) data = data.subarray(0, rng.int(data.length));
    else if (op === 1) for (let k = 0; k < 1 + rng.int(4); k++) data[rng.int(head)] ^= 1 << rng.int(8);
    else if (op === 2) for (let k = 0; k < 1 + rng.int(4); k++) data[rng.int(data.length)] = rng.int(256);
    else if (op === 3 || op === 4) {
      const at = 2 * rng.int(head / 2);
      if (at + 4 <= data.length) {
        if (rng.next() < 0.5) data.writeUInt32LE(lies() >>> 0, at);
        else data.writeUInt32BE(lies() >>> 0, at);
      }
    } else if (op === 5) {
      const at = rng.int(data.length + 1);
      data = Buffer.concat([
        data.subarray(0, at),
        Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256))),
        data.subarray(at),
      ]);
    } else if (op === 6) {
      const at = rng.int(data.length);
      data = Buffer.concat([data.subarray(0, at), data.subarray(Math.min(data.length, at + 1 + rng.int(64)))]);
    } else {
      const at = rng.int(data.length);
      const len = rng.int(Math.min(256, data.length - at));
      data = Buffer.concat([data.subarray(0, at + len), data.subarray(at, at + len), data.subarray(at + len)]);
    }
  }
  return Buffer.from(data);
}

/** A JSON value with one node replaced, deleted or renamed; the path is chosen at random. */
function mutateJson(value: unknown, rng: Rng): unknown {
  const hostile = (): unknown =>
    [
      null,
      -1,
      0,
      1.5,
      1e308,
      'inf',
      'nan',
      '',
      'x'.repeat(200000),
      [],
      {},
      true,
      [null],
      JSON.parse('{"__proto__": 1}'),
      nest(300 + rng.int(200)),
    ][rng.int(15)];
  const root = { v: JSON.parse(JSON.stringify(value)) as unknown };
  let parent: Record<string, unknown> | unknown[] = root;
  let key: string | number = 'v';
  for (let depth = 0; depth < 8; depth++) {
    const node: unknown = (parent as Record<string, unknown>)[key as string];
    if (typeof node !== 'object' || node === null || rng.next() < 0.25) break;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string, unknown>;
    key = keys[rng.int(keys.length)];
  }
  const op = rng.int(4);
  if (op === 0 && !Array.isArray(parent) && parent !== root) delete (parent as Record<string, unknown>)[key as string];
  else if (op === 1 && !Array.isArray(parent) && parent !== root) {
    const p = parent as Record<string, unknown>;
    const name = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty'][rng.int(5)];
    Object.defineProperty(p, name, { value: p[key as string], enumerable: true, configurable: true, writable: true });
    delete p[key as string];
  } else (parent as Record<string, unknown>)[key as string] = hostile();
  return root.v;
}

function nest(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** SegLab's own JSON files from a tiny real comparison and sweep (written by the CLI, as users get them). */
function segLabSeeds(dir: string): SeedFile[] {
  const tiny = {
    name: 'fz',
    dataset: { builtin: 'shapes', count: 8, size: 16 },
    model: { depth: 2, baseFilters: 4 },
    epochs: 1,
    batchSize: 4,
    stepsPerEpoch: 1,
  };
  const config = path.join(dir, 'fz.json');
  fs.writeFileSync(config, JSON.stringify({ ...tiny, runsDir: path.join(dir, 'runs') }, null, 2));
  // The sweep is a tuned one with ASHA (2 epochs: a rung at 1), so that sweep.json has every section.
  const config2 = path.join(dir, 'fz2.json');
  fs.writeFileSync(config2, JSON.stringify({ ...tiny, epochs: 2, runsDir: path.join(dir, 'runs') }, null, 2));
  const env = { ...process.env, SEGLAB_BACKEND: 'wasm' };
  for (const args of [
    ['compare', config, '--heads', 'sigmoid1,softmax2', '--seeds', '1'],
    [
      ...['sweep', config2, '--set', 'loss=bce,dice', '--set', 'optimizer.learningRate=0.001,0.01,0.1'],
      ...['--tune', 'optimizer.learningRate', '--then-seeds', '1', '--prune', 'asha', '--parallel', '1'],
    ],
  ]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`seglab ${args[0]} failed: ${r.stderr}`);
  }
  const runs = path.join(dir, 'runs');
  const run = fs.readdirSync(runs).find((d) => fs.existsSync(path.join(runs, d, 'summary.json')))!;
  const cmp = fs.readdirSync(path.join(runs, 'comparisons'))[0];
  const sweep = fs.readdirSync(path.join(runs, 'sweeps'))[0];
  return [
    { file: config, kind: 'config' },
    { file: path.join(runs, run, 'summary.json'), kind: 'summary' },
    { file: path.join(runs, run, 'metrics.jsonl'), kind: 'metrics' },
    { file: path.join(runs, run, 'config.json'), kind: 'runconfig' },
    { file: path.join(runs, run, 'calibration.json'), kind: 'calibration' },
    { file: path.join(runs, run, 'checkpoints', 'best', 'model.json'), kind: 'model' },
    { file: path.join(runs, 'comparisons', cmp, 'comparison.json'), kind: 'comparison' },
    { file: path.join(runs, 'sweeps', sweep, 'sweep.json'), kind: 'sweep' },
  ];
}

const FOLDER_KINDS = new Set<FuzzKind>(['summary', 'metrics', 'sweep', 'runconfig', 'calibration']);

/** Writes a mutant where its reader looks for it: a file, or a folder holding the file under its own name. */
function place(casesDir: string, n: number, seed: SeedFile, bytes: Buffer): FuzzCase {
  const name = path.basename(seed.file);
  if (FOLDER_KINDS.has(seed.kind)) {
    const d = path.join(casesDir, `${String(n).padStart(5, '0')}-${seed.kind}`);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, name), bytes);
    return { path: d, kind: seed.kind };
  }
  const f = path.join(casesDir, `${String(n).padStart(5, '0')}-${name}`);
  fs.writeFileSync(f, bytes);
  return { path: f, kind: seed.kind };
}

function mutant(seed: SeedFile, bytes: Buffer, rng: Rng): Buffer {
  if (seed.kind === 'metrics') {
    const lines = bytes.toString('utf8').split('\n');
    const i = rng.int(Math.max(1, lines.length - 1));
    if (lines[i] && rng.next() < 0.7) lines[i] = String(JSON.stringify(mutateJson(JSON.parse(lines[i]), rng)));
    else return mutateBytes(bytes, rng);
    return Buffer.from(lines.join('\n'));
  }
  if (['config', 'summary', 'sweep', 'comparison', 'runconfig', 'model', 'calibration'].includes(seed.kind) && rng.next() < 0.75)
    return Buffer.from(String(JSON.stringify(mutateJson(JSON.parse(bytes.toString('utf8')), rng))));
  return mutateBytes(bytes, rng);
}

interface Outcome {
  ok: boolean;
  value?: Decoded | Decoded[] | null;
  error?: string;
  named?: boolean;
  type?: string;
  hang?: boolean;
}

/** Runs the cases in worker processes; a case with no answer within HANG_MS is a hang, and the next worker resumes after it. */
async function runCases(casesFile: string, count: number): Promise<{ outcomes: Outcome[]; maxRssKb: number }> {
  const outcomes: Outcome[] = new Array(count);
  let maxRssKb = 0;
  for (let from = 0; from < count;) {
    const next = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--max-old-space-size=2048', '--stack-size=984', WORKER, casesFile, String(from)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let current = from;
      let buffer = '';
      let timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const msg = decodeJson(buffer.slice(0, nl)) as { start?: number; i?: number; maxRssKb?: number } & Outcome;
          buffer = buffer.slice(nl + 1);
          if (msg.start !== undefined) {
            current = msg.start;
            clearTimeout(timer);
            timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
          } else if (msg.i !== undefined) outcomes[msg.i] = msg;
          else if (msg.maxRssKb !== undefined) maxRssKb = Math.max(maxRssKb, msg.maxRssKb);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (outcomes[current] === undefined && current < count) {
          outcomes[current] = {
            ok: false,
            hang: signal === 'SIGKILL',
            error: `worker ended (${signal ?? code}) while reading`,
            named: false,
          };
          resolve(current + 1);
        } else resolve(count);
      });
    });
    from = next;
  }
  return { outcomes, maxRssKb };
}

function sameValue(a: Decoded, b: { shape: number[]; values: (number | string)[] }, jpeg: boolean): string | undefined {
  const shape = a.shape.filter((d, i) => !(a.shape.length === 3 && i === 2 && d === 1));
  const refShape = b.shape.filter((d, i) => !(b.shape.length === 3 && i === 2 && d === 1));
  if (JSON.stringify(shape) !== JSON.stringify(refShape)) return `shape ${JSON.stringify(a.shape)} vs ${JSON.stringify(b.shape)}`;
  const num = (v: number | string) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity);
  let total = 0;
  for (let i = 0; i < a.values.length; i++) {
    const [x, y] = [a.values[i], num(b.values[i])];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    const d = x === y ? 0 : Math.abs(x - y);
    if (!jpeg && !(d === 0)) return `value ${i}: ${x} vs ${y}`;
    total += d;
  }
  // jpeg-js and libjpeg round the inverse DCT and upsample chroma differently: a few levels on average.
  const mean = total / Math.max(1, a.values.length);
  return jpeg && !(mean <= 3) ? `JPEG samples differ by ${mean.toFixed(1)} levels on average` : undefined;
}

/**
 * Whether a JPEG mutant keeps its seed's marker layout (the same segments with the same lengths) and
 * differs only in segment contents — quantisation and Huffman table values, compressed scan data. JPEG
 * has no checksum: such a file is valid syntax that no decoder can tell from an image, and jpeg-js and
 * libjpeg decode damaged scan data differently. Damage to the structure (markers, lengths, frame
 * header, truncation) must be caught.
 */
function jpegScanOnly(seed: Buffer, mutated: Buffer): boolean {
  const layout = (b: Buffer): string => {
    const out: string[] = [];
    for (let at = 2; at + 2 <= b.length;) {
      const marker = b[at + 1];
      if (b[at] !== 0xff) return 'damaged';
      if (marker === 0xd9) return out.join(' ');
      if (at + 4 > b.length) return 'damaged';
      const length = b.readUInt16BE(at + 2);
      out.push(`${marker.toString(16)}:${length}`);
      at += 2 + length;
      if (marker === 0xda)
        while (at + 1 < b.length && !(b[at] === 0xff && b[at + 1] !== 0 && !(b[at + 1] >= 0xd0 && b[at + 1] <= 0xd7))) at++;
    }
    return 'damaged';
  };
  return layout(seed) === layout(mutated);
}

describe("fuzz: mutated files of every kind SegLab reads (seeded; named error or the independent reader's value)", function () {
  this.timeout(20 * 60 * 1000);
  let dir: string;
  let seeds: SeedFile[];
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-fuzz-'));
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    const r = spawnSync(PYTHON, ['-c', PILLOW_SEEDS, corpus], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${PYTHON} with Pillow and numpy failed (apt-get install python3-pil python3-numpy): ${r.stderr}`);
    seeds = fs.readdirSync(corpus).flatMap((f) => kindsOf(f).map((kind) => ({ file: path.join(corpus, f), kind })));
    seeds.push(...segLabSeeds(dir));
    process.stdout.write(`      (fuzz seed ${SEED}, ${PER_SEED} mutants per seed file; SEGLAB_FUZZ_SEED=${SEED} repeats them)\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("every seed, mutant and recorded crasher: a named error or Pillow/numpy's value; no hang, no process over 2 GiB", async () => {
    const casesDir = path.join(dir, 'cases');
    fs.mkdirSync(casesDir);
    const rng = new Rng(SEED);
    const cases: FuzzCase[] = [];
    const origin: string[] = [];
    const seedOf: string[] = [];
    for (const seed of seeds) {
      const bytes = fs.readFileSync(seed.file);
      cases.push(place(casesDir, cases.length, seed, bytes));
      origin.push(`${path.basename(seed.file)} as ${seed.kind} (unchanged)`);
      seedOf.push(seed.file);
      for (let k = 0; k < PER_SEED; k++) {
        cases.push(place(casesDir, cases.length, seed, mutant(seed, bytes, rng)));
        origin.push(`${path.basename(seed.file)} as ${seed.kind}, mutant ${k}`);
        seedOf.push(seed.file);
      }
    }
    for (const f of fs.existsSync(CRASHERS) ? fs.readdirSync(CRASHERS).sort() : []) {
      const kind = f.split('-')[0] as FuzzKind;
      const seed = { file: path.join(CRASHERS, f), kind };
      cases.push(place(casesDir, cases.length, { ...seed, file: `${f.slice(kind.length + 1)}` }, fs.readFileSync(seed.file)));
      origin.push(`crasher ${f}`);
    }
    const casesFile = path.join(dir, 'cases.json');
    fs.writeFileSync(casesFile, JSON.stringify(cases));
    const { outcomes, maxRssKb } = await runCases(casesFile, cases.length);

    // Accepted images and arrays against Pillow and numpy.
    const decodable = cases
      .map((c, i) => ({ c, i }))
      .filter(({ c, i }) => outcomes[i].ok && ['image', 'array', 'stack', 'stackPages'].includes(c.kind));
    const refFile = path.join(dir, 'reference.json');
    fs.writeFileSync(refFile, JSON.stringify(decodable.map(({ c }) => c)));
    const ref = spawnSync(PYTHON, [path.join(ROOT, 'test', 'fuzz', 'reference.py'), refFile], { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.strictEqual(ref.status, 0, ref.stderr);
    const refs = JSON.parse(ref.stdout) as { ok: boolean; value?: unknown; error?: string }[];

    const failures: string[] = [];
    const failed: number[] = [];
    let scanDamage = 0;
    const keep = (i: number, why: string) => {
      if (
        /\.jpe?g$/i.test(cases[i].path) &&
        outcomes[i].ok &&
        seedOf[i] &&
        jpegScanOnly(fs.readFileSync(seedOf[i]), fs.readFileSync(cases[i].path))
      ) {
        scanDamage++;
        return;
      }
      failures.push(`${origin[i]} → ${cases[i].path}: ${why}`);
      failed.push(i);
    };
    outcomes.forEach((o, i) => {
      if (o.hang) keep(i, `no answer in ${HANG_MS / 1000} s`);
      else if (!o.ok && !o.named) keep(i, `not a named error: ${o.type}: ${o.error}`);
    });
    decodable.forEach(({ c, i }, k) => {
      const mine = outcomes[i].value as Decoded | Decoded[];
      const theirs = refs[k];
      if (!theirs.ok) return keep(i, `SegLab read it, Pillow/numpy refuse it (${theirs.error})`);
      const pages = c.kind === 'stack' || c.kind === 'stackPages';
      const pairs = pages
        ? (mine as Decoded[]).map((m, p) => [m, (theirs.value as Decoded[])[p]] as const)
        : [[mine as Decoded, theirs.value as Decoded] as const];
      if (pages && (mine as Decoded[]).length !== (theirs.value as Decoded[]).length)
        return keep(i, `${(mine as Decoded[]).length} pages vs ${(theirs.value as Decoded[]).length}`);
      for (const [a, b] of pairs) {
        const diff = b ? sameValue(a, b, /\.jpe?g$/i.test(c.path)) : 'page missing';
        if (diff) return keep(i, `SegLab and Pillow/numpy differ: ${diff}`);
      }
    });
    const named = outcomes.filter((o) => !o.ok && o.named).length;
    process.stdout.write(
      `      ${cases.length} cases: ${cases.length - named} read (${decodable.length} checked against Pillow/numpy; ` +
        `${scanDamage} JPEGs damaged only in table values or scan data, which no decoder can detect), ${named} named errors; peak ${Math.round(maxRssKb / 1024)} MiB\n`,
    );
    if (process.env.SEGLAB_FUZZ_KEEP && failed.length) {
      fs.mkdirSync(process.env.SEGLAB_FUZZ_KEEP, { recursive: true });
      for (const i of failed)
        fs.cpSync(cases[i].path, path.join(process.env.SEGLAB_FUZZ_KEEP, `${cases[i].kind}-${path.basename(cases[i].path)}`), {
          recursive: true,
        });
    }
    assert.ok(maxRssKb < MAX_RSS_KB, `a worker reached ${Math.round(maxRssKb / 1024)} MiB`);
    assert.deepStrictEqual(failures.slice(0, 25), [], `${failures.length} failing case(s)`);
  });
});
