/**
 * `npm run bench`: timings as machine-readable JSON (bench/results/<time>.json, and stdout).
 *   losses: each registered loss on 8×512×512×1 logits (multiclass losses on 8×512×512×2), forward only
 *           and forward + gradient, per backend (default: the one `auto` picks; --backends wasm,cpu);
 *   metrics: computeMetrics (confusion + HD + HD95) on 512×512 ISBI masks;
 *   edt: the exact distance transform on a 1024×1024 mask; the U-Net weight map of a 512×512 label;
 *   training: U-Net steps (depth 3, 16 filters, batch 8, Adam, forward + backward + update) at 128²
 *           and 256², images/s per backend (the pure-JS cpu backend only with --cpu-training: it
 *           takes minutes per step), with the process's peak resident memory.
 * Median of --repeats runs (default 5) after one warm-up. Tensor counts before/after expose leaks.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend';
import { decodePng } from '../src/core/data/png';
import { compileLoss, lossDefinitions } from '../src/core/losses/registry';
import { LossInput } from '../src/core/losses/types';
import { computeMetrics } from '../src/core/metrics/evaluate';
import { squaredDistanceTransform } from '../src/core/weightmap/edt';
import { unetWeightMap } from '../src/core/weightmap/unetWeightMap';
import { buildUnet } from '../src/core/model/unet';

const ROOT = path.resolve(__dirname, '..', '..');
const ISBI = path.resolve(ROOT, '..', 'shared', 'data', 'isbi2012-membrane');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, repeats: number): { medianMs: number; minMs: number; runs: number } {
  fn();
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { medianMs: +median(runs).toFixed(3), minMs: +Math.min(...runs).toFixed(3), runs: repeats };
}

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isbiLabels(count: number): { masks: Uint8Array[]; source: string } {
  if (fs.existsSync(ISBI)) {
    const masks = Array.from({ length: count }, (_, i) => {
      const img = decodePng(fs.readFileSync(path.join(ISBI, 'label', `${i}.png`)), `${i}.png`);
      return Uint8Array.from(img.data, (v) => (v === 0 ? 1 : 0)); // membrane = foreground
    });
    return { masks, source: 'ISBI 2012 labels (membrane = foreground)' };
  }
  const r = rng(1);
  const masks = Array.from({ length: count }, () => Uint8Array.from({ length: 512 * 512 }, () => (r() < 0.22 ? 1 : 0)));
  return { masks, source: 'random masks (ISBI data not found)' };
}

async function benchLosses(backend: string, repeats: number) {
  const info = await initBackend(backend);
  const [n, h, w] = [8, 512, 512];
  const { masks } = isbiLabels(n);
  const target1 = tf.tensor4d(Float32Array.from(masks.flatMap((m) => Array.from(m))), [n, h, w, 1]);
  const r = rng(2);
  const logits1 = tf.tensor4d(Float32Array.from({ length: n * h * w }, () => (r() - 0.5) * 8), [n, h, w, 1]);
  const logits2 = tf.concat([tf.neg(logits1), logits1], -1) as tf.Tensor4D;
  const weights = Float32Array.from({ length: n * h * w }, () => 0.5 + r() * 4);
  const results: Record<string, unknown>[] = [];
  for (const def of lossDefinitions()) {
    const multiclass = !def.modes.includes('binary');
    const input: LossInput = multiclass
      ? { pred: logits2, target: target1, fromLogits: true, mode: 'multiclass' }
      : { pred: logits1, target: target1, fromLogits: true, mode: 'binary' };
    const loss = compileLoss(def.name, def.requires?.includes('weights') ? { weights } : {});
    const before = tf.memory().numTensors;
    // Scalars are read back (a full-size readback would time the copy, not the loss).
    const forward = time(() => tf.tidy(() => loss.apply(input).dataSync()), repeats);
    const gradient = time(
      () => tf.tidy(() => tf.sum(tf.grad((p: tf.Tensor) => loss.apply({ ...input, pred: p as tf.Tensor4D }))(input.pred)).dataSync()),
      Math.max(1, Math.min(repeats, 3)),
    );
    results.push({
      loss: def.name,
      shape: input.pred.shape,
      forward,
      forwardAndGradient: gradient,
      leakedTensors: tf.memory().numTensors - before,
    });
    process.stderr.write(`  ${info.name} ${def.name}: ${forward.medianMs} ms, with gradient ${gradient.medianMs} ms\n`);
  }
  tf.dispose([target1, logits1, logits2]);
  return { backend: info.name, simd: info.simd, skipped: info.skipped, results };
}

function benchMetrics(repeats: number) {
  const { masks, source } = isbiLabels(2);
  const pred = masks[1];
  const gt = masks[0];
  const metrics = time(() => computeMetrics(pred, gt, [512, 512]), repeats);
  const r = rng(3);
  const big = Uint8Array.from({ length: 1024 * 1024 }, () => (r() < 0.001 ? 1 : 0));
  const edt = time(() => squaredDistanceTransform(big, [1024, 1024]), repeats);
  const cells = Uint8Array.from(masks[0], (v) => 1 - v);
  const weightMap = time(() => unetWeightMap(cells, [512, 512]), repeats);
  return {
    metricsWithHd95_512: { ...metrics, masks: source },
    edt_1024: { ...edt, featureDensity: 0.001 },
    unetWeightMap_512: { ...weightMap, masks: 'ISBI label 0, cells as objects' },
  };
}

async function benchTraining(backend: string, steps: number) {
  const info = await initBackend(backend);
  const out: Record<string, unknown>[] = [];
  for (const size of [128, 256]) {
    const model = buildUnet({ inputChannels: 1, depth: 3, baseFilters: 16, batchNorm: false, head: 'sigmoid1', seed: 1 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomNormal([8, size, size, 1], 0, 1, 'float32', 1);
    const y = tf.cast(tf.greater(tf.randomNormal([8, size, size, 1], 0, 1, 'float32', 2), 0.5), 'float32');
    const step = () => {
      const loss = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      loss?.dataSync();
      loss?.dispose();
    };
    const tensorsBefore = (step(), tf.memory().numTensors);
    const timing = time(step, steps);
    out.push({
      backend: info.name,
      size,
      batch: 8,
      secondsPerStep: +(timing.medianMs / 1000).toFixed(3),
      imagesPerSecond: +((8 * 1000) / timing.medianMs).toFixed(2),
      leakedTensorsPerStep: (tf.memory().numTensors - tensorsBefore) / steps,
      peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    });
    process.stderr.write(`  ${info.name} training ${size}²: ${((8 * 1000) / timing.medianMs).toFixed(2)} img/s\n`);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  return out;
}

async function main() {
  const repeats = Number(arg('repeats', '5'));
  const backends = arg('backends', 'auto').split(',');
  const started = new Date();
  const losses = [];
  for (const b of backends) losses.push(await benchLosses(b, repeats));
  const training = [];
  for (const b of backends) {
    if (b === 'cpu' && !process.argv.includes('--cpu-training')) continue;
    training.push(...(await benchTraining(b, Number(arg('train-steps', '3')))));
  }
  const out = {
    date: started.toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
    repeats,
    losses,
    training,
    ...benchMetrics(repeats),
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  };
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
