/**
 * `npm run bench`: timings as machine-readable JSON (bench/results/<time>.json, and stdout).
 *   losses: each registered loss on 8×512×512×1 logits (multiclass losses on 8×512×512×2), forward only
 *           and forward + gradient, per backend (default: the one `auto` picks; --backends wasm,cpu);
 *   metrics: computeMetrics (confusion + HD + HD95) on 512×512 ISBI masks;
 *   edt: the exact distance transform on a 1024×1024 mask; the U-Net weight map of a 512×512 label;
 *   training: U-Net steps (depth 3, 16 filters, no batch norm, batch 8, Adam, BCE with logits,
 *           forward + backward + update) at 128² and 256², images/s per backend and, on wasm, per
 *           thread count (1 and every core); the pure-JS cpu backend only with --cpu-training;
 *   computeLoss: bceWithLogits, crossEntropy (2 channels) and dice on 8×512×512 logits through the
 *           public computeLoss (fused kernels);
 *   reference: the same network, batch and losses in PyTorch (bench/torch_reference.py, Debian's
 *           /usr/bin/python3 with python3-torch) with as many threads as SegLab used, measured in this
 *           run, and the ratios: training SegLab/PyTorch img/s (target ≥ 0.5), loss PyTorch/SegLab
 *           time (target ≥ 0.5). Training is measured in --rounds (default 3) of SegLab then PyTorch
 *           back to back, and the ratio is the median of the rounds' ratios: on a shared machine the
 *           speed of both drifts by ±30 % over minutes, so only neighbouring measurements compare.
 *           Skipped, with the reason, when torch is not importable;
 *   isbi:     with --isbi, the wall time and final metrics of `seglab compare
 *           examples/isbi-membrane.experiment.json` (both heads; ~4–6 min);
 *   gpu:      with --backend webgpu, that backend's losses, training and (--isbi) ISBI comparison, its
 *           adapter, and its training img/s at 128² against the wasm and PyTorch rounds of this run
 *           (--train-sizes 128 skips 256²; a software adapter is slow: it measures, it does not race);
 *   predictMemory: `seglab predict` on a --predict-size (default 4096) square image, tiled within the
 *           default memory budget: wall time and the process's peak RSS (0 skips it).
 *   realNets, kernelShare: with --real-nets, the U-Nets users train (depth 3/16/256², depth 4/32/128²,
 *           depth 4/32/256², batch 4, ± batch norm) against PyTorch in --rounds, and the widest net's
 *           step split by tfjs kernel (bench/realNets.ts);
 *   dataScaling: with --data-scaling, seglab train's peak RSS on 100 and --scaling-images (2000) 512²
 *           images, from PNG folders and from two multi-page TIFF stacks, dataset.cacheMB
 *           --scaling-cache-mb (128). --only measures just these two sections.
 * Median of --repeats runs (default 5) after one warm-up. Tensor counts before/after expose leaks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend/backend';
import { Rng } from '../src/core/data/rng';
import { defaultThreadCount, kernelPool, setKernelThreads } from '../src/core/kernels/pool';
import { computeLoss } from '../src/core/losses/compute';
import { decodePng, encodePng8 } from '../src/core/data/png';
import { DEFAULT_MEMORY_BUDGET_MB } from '../src/core/train/tiles';
import { compileLoss, lossDefinitions } from '../src/core/losses/registry';
import { LossInput } from '../src/core/losses/types';
import { computeMetrics } from '../src/core/metrics/evaluate';
import { squaredDistanceTransform } from '../src/core/common/edt';
import { unetWeightMap } from '../src/core/weightmap/unetWeightMap';
import { benchDataScaling, benchKernelShare, benchRealNets, makeStep, median } from './realNets';

const ROOT = path.resolve(__dirname, '..', '..');
const ISBI = path.resolve(ROOT, '..', 'shared', 'data', 'isbi2012-membrane');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Median and minimum of `repeats` timed calls after a warm-up; an async `fn` is awaited (GPU reads). */
async function time(fn: () => unknown, repeats: number): Promise<{ medianMs: number; minMs: number; runs: number }> {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { medianMs: +median(runs).toFixed(3), minMs: +Math.min(...runs).toFixed(3), runs: repeats };
}

/** Computes a scalar in a tidy scope and reads it back asynchronously. */
async function readScalar(fn: () => tf.Tensor): Promise<void> {
  const t = tf.tidy(fn);
  await t.data();
  t.dispose();
}

function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
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
  const targetValues = Float32Array.from(masks.flatMap((m) => Array.from(m)));
  const target1 = tf.tensor4d(targetValues, [n, h, w, 1]);
  const r = rng(2);
  const logits1 = tf.tensor4d(
    Float32Array.from({ length: n * h * w }, () => (r() - 0.5) * 8),
    [n, h, w, 1],
  );
  const logits2 = tf.concat([tf.neg(logits1), logits1], -1) as tf.Tensor4D;
  const weights = Float32Array.from({ length: n * h * w }, () => 0.5 + r() * 4);
  const results: Record<string, unknown>[] = [];
  for (const def of lossDefinitions()) {
    const multiclass = !def.modes.includes('binary');
    const input: LossInput = multiclass
      ? { pred: logits2, target: target1, targetValues, fromLogits: true, mode: 'multiclass' }
      : { pred: logits1, target: target1, targetValues, fromLogits: true, mode: 'binary' };
    const loss = compileLoss(def.name, def.requires?.includes('weights') ? { weights } : {});
    const before = tf.memory().numTensors;
    // Scalars are read back (a full-size readback would time the copy, not the loss), asynchronously:
    // the only read a GPU backend offers in Node.
    const forward = await time(() => readScalar(() => loss.apply(input)), repeats);
    const gradient = await time(
      () => readScalar(() => tf.sum(tf.grad((p: tf.Tensor) => loss.apply({ ...input, pred: p as tf.Tensor4D }))(input.pred))),
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
  return { backend: info.name, simd: info.simd, kernels: info.kernels, skipped: info.skipped, results };
}

async function benchMetrics(repeats: number) {
  const { masks, source } = isbiLabels(2);
  const pred = masks[1];
  const gt = masks[0];
  const metrics = await time(() => computeMetrics(pred, gt, [512, 512]), repeats);
  const r = rng(3);
  const big = Uint8Array.from({ length: 1024 * 1024 }, () => (r() < 0.001 ? 1 : 0));
  const edt = await time(() => squaredDistanceTransform(big, [1024, 1024]), repeats);
  const cells = Uint8Array.from(masks[0], (v) => 1 - v);
  const weightMap = await time(() => unetWeightMap(cells, [512, 512]), repeats);
  return {
    metricsWithHd95_512: { ...metrics, masks: source },
    edt_1024: { ...edt, featureDensity: 0.001 },
    unetWeightMap_512: { ...weightMap, masks: 'ISBI label 0, cells as objects' },
  };
}

/** U-Net training steps (the network of the speed issue and of bench/torch_reference.py). */
async function benchTraining(backend: string, steps: number, threads: number | undefined, sizes = [128, 256]) {
  const info = await initBackend(backend);
  if (info.name === 'wasm' && threads !== undefined) setKernelThreads(threads);
  const used = info.name === 'wasm' ? (threads ?? defaultThreadCount()) : undefined;
  const out: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const { step, dispose } = makeStep({ depth: 3, filters: 16, size, batchNorm: false }, 8);
    await step();
    const tensorsBefore = tf.memory().numTensors;
    const timing = await time(step, steps);
    out.push({
      backend: info.name,
      threads: used,
      kernels: info.name === 'wasm' ? kernelPool().variant : undefined,
      size,
      batch: 8,
      secondsPerStep: +(timing.medianMs / 1000).toFixed(3),
      imagesPerSecond: +((8 * 1000) / timing.medianMs).toFixed(2),
      leakedTensorsPerStep: (tf.memory().numTensors - tensorsBefore) / steps,
      peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    });
    process.stderr.write(
      `  ${info.name}${used ? ` ×${used}` : ''} training ${size}²: ${((8 * 1000) / timing.medianMs).toFixed(2)} img/s\n`,
    );
    dispose();
  }
  return out;
}

/** computeLoss on 8×512×512 logits (the loss-evaluation target of the speed issue). */
async function benchComputeLoss(repeats: number) {
  const [n, h, w] = [8, 512, 512];
  const px = n * h * w;
  const r = rng(2);
  const logits = Float32Array.from({ length: px }, () => (r() - 0.5) * 8);
  const target = Float32Array.from({ length: px }, () => (r() < 0.22 ? 1 : 0));
  const logits2 = new Float32Array(2 * px);
  logits.forEach((v, i) => {
    logits2[2 * i] = -v;
    logits2[2 * i + 1] = v;
  });
  const cases = {
    bceWithLogits: () => computeLoss('bceWithLogits', { pred: logits, target, shape: [n, h, w, 1], fromLogits: true }),
    crossEntropy: () => computeLoss('crossEntropy', { pred: logits2, target, shape: [n, h, w, 2], fromLogits: true }),
    dice: () => computeLoss('dice', { pred: logits, target, shape: [n, h, w, 1], fromLogits: true }),
  };
  const out: Record<string, number> = {};
  for (const [name, fn] of Object.entries(cases)) {
    out[name] = (await time(fn, Math.max(repeats, 7))).medianMs;
    process.stderr.write(`  computeLoss ${name} 8×512×512: ${out[name]} ms\n`);
  }
  return out;
}

interface TorchReference {
  torch: string;
  threads: number;
  training: { size: number; batch: number; secondsPerStep: number; imagesPerSecond: number };
  lossesMs: Record<string, number>;
}

/** bench/torch_reference.py with `threads` threads, or the reason it could not run. */
function torchReference(threads: number): TorchReference | { skipped: string } {
  const python = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';
  const script = path.join(ROOT, 'bench', 'torch_reference.py');
  const r = spawnSync(python, [script, '--threads', String(threads)], { encoding: 'utf8' });
  if (r.error) return { skipped: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `${python} ${path.basename(script)} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  return JSON.parse(r.stdout) as TorchReference;
}

/** `seglab compare` on the ISBI example (on `backend`, else the config's): wall time and final metrics per head. */
function benchIsbi(backend?: string) {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const config = path.join(ROOT, 'examples', 'isbi-membrane.experiment.json');
  if (!fs.existsSync(ISBI)) return { skipped: `ISBI data not found at ${ISBI}` };
  const t0 = Date.now();
  const args = [cli, 'compare', config, '--json', ...(backend ? ['--backend', backend] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (Date.now() - t0) / 1000;
  const last = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((e) => e.type === 'comparison');
  if (r.status !== 0 || !last) return { skipped: `compare exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`, seconds };
  const comparison = JSON.parse(fs.readFileSync(path.join(last.dir, 'comparison.json'), 'utf8'));
  const final = Object.fromEntries(
    comparison.runs.map((run: { head: string; final: Record<string, number> | null }) => [
      run.head,
      { dice: run.final?.dice, pixelError: run.final?.pixelError, hd95: run.final?.hd95 },
    ]),
  );
  process.stderr.write(`  ISBI comparison${backend ? ` on ${backend}` : ''}: ${(seconds / 60).toFixed(2)} min\n`);
  return { seconds, minutes: +(seconds / 60).toFixed(2), final, report: last.report };
}

/**
 * The GPU's figures beside the CPU's of the same run: its adapter, training img/s per size, and the
 * ratios at 128² against the wasm rounds and PyTorch (medians of the rounds).
 */
async function gpuSummary(
  backend: string,
  training: Record<string, unknown>[],
  wasm128: number[],
  pytorch128: number[],
  isbi: ReturnType<typeof benchIsbi> | null,
) {
  const info = await initBackend(backend);
  const rows = training.filter((t) => t.backend === info.name);
  const at128 = rows.find((t) => t.size === 128)?.imagesPerSecond as number | undefined;
  const ratio = (of: number[]) => (at128 !== undefined && of.length ? +(at128 / median(of)).toFixed(3) : null);
  return {
    backend: info.name,
    adapter: info.adapter,
    training: rows,
    vsWasm128: ratio(wasm128),
    vsPyTorchCpu128: ratio(pytorch128),
    isbi: isbi ?? { skipped: 'pass --isbi' },
  };
}

/**
 * `seglab predict` on a size×size image (tiled: the default memory budget) with a U-Net of depth 3 and
 * 16 base filters trained for a moment on builtin:shapes: wall time and the process's peak RSS.
 */
function benchPredictMemory(size: number) {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-bench-predict-'));
  try {
    const config = {
      name: 'p',
      dataset: { builtin: 'shapes', count: 12, size: 64 },
      model: { depth: 3, baseFilters: 16 },
      epochs: 1,
      stepsPerEpoch: 2,
    };
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify(config));
    const t = spawnSync(process.execPath, [cli, 'train', 'c.json'], { cwd: dir, encoding: 'utf8' });
    const run = /run folder: (.*)/.exec(t.stdout)?.[1];
    if (t.status !== 0 || !run) return { skipped: `train exited ${t.status}: ${t.stderr.trim().split('\n').pop()}` };
    fs.mkdirSync(path.join(dir, 'img'));
    const pixels = new Uint8Array(size * size).map((_, i) => ((((i % size) >> 5) + ((i / size) >> 5)) % 2 ? 200 : 40));
    fs.writeFileSync(path.join(dir, 'img', 'big.png'), encodePng8(pixels, size, size));
    const rssFile = path.join(dir, 'rss');
    const t0 = Date.now();
    const p = spawnSync(
      process.execPath,
      ['--require', path.join(ROOT, 'bench', 'peakRss.js'), cli, 'predict', run, '--images', 'img', '--out', 'out'],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, SEGLAB_PEAK_RSS_FILE: rssFile },
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    if (p.status !== 0) return { skipped: `predict exited ${p.status}: ${p.stderr.trim().split('\n').pop()}` };
    const peakRssMiB = +(Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number)) / 1024).toFixed(1);
    process.stderr.write(`  predict ${size}×${size}: ${seconds.toFixed(1)} s, peak RSS ${peakRssMiB} MiB\n`);
    return { size, seconds: +seconds.toFixed(1), peakRssMiB, memoryBudgetMiB: DEFAULT_MEMORY_BUDGET_MB };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Training at 128² on wasm then PyTorch, back to back, `rounds` times; the ratios (training: median of
 * the rounds' ratios; losses: PyTorch's median time over SegLab's).
 */
async function pytorchRounds(rounds: number, steps: number, cores: number, lossEvaluationMs: Record<string, number>) {
  const paired: { seglab: number; pytorch: number; ratio: number }[] = [];
  let reference: TorchReference | { skipped: string } = { skipped: 'no rounds' };
  const referenceLosses: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    const [mine] = await benchTraining('wasm', Math.max(steps, 5), cores, [128]);
    reference = torchReference(cores);
    if (!('training' in reference)) break;
    const seglab = mine.imagesPerSecond as number;
    paired.push({ seglab, pytorch: reference.training.imagesPerSecond, ratio: +(seglab / reference.training.imagesPerSecond).toFixed(3) });
    for (const [k, v] of Object.entries(reference.lossesMs)) (referenceLosses[k] ??= []).push(v);
    process.stderr.write(`  round ${r + 1}: SegLab ${seglab} img/s, PyTorch ${reference.training.imagesPerSecond} img/s\n`);
  }
  let ratios: Record<string, unknown> | null = null;
  if ('training' in reference) {
    ratios = {
      note: 'SegLab/PyTorch img/s for training (median of the ratios of the rounds), PyTorch/SegLab time for losses; ≥ 0.5 is the target',
      threads: cores,
      training128: +median(paired.map((p) => p.ratio)).toFixed(3),
      trainingRounds: paired,
      losses: Object.fromEntries(Object.entries(lossEvaluationMs).map(([k, v]) => [k, +(median(referenceLosses[k]) / v).toFixed(3)])),
    };
    process.stderr.write(`  ratios vs PyTorch (${cores} threads): ${JSON.stringify(ratios)}\n`);
  } else process.stderr.write(`  PyTorch reference skipped: ${reference.skipped}\n`);
  return { paired, reference, ratios };
}

/** --real-nets / --data-scaling (bench/realNets.ts); with --only, nothing else is measured. */
async function realSizes(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (process.argv.includes('--real-nets')) {
    out.realNets = await benchRealNets(Number(arg('rounds', '3')), Number(arg('train-steps', '3')));
    out.kernelShare = [benchKernelShare(4), benchKernelShare(5)];
  }
  if (process.argv.includes('--data-scaling'))
    out.dataScaling = benchDataScaling(Number(arg('scaling-images', '2000')), Number(arg('scaling-cache-mb', '128')));
  return out;
}

function writeResults(out: Record<string, unknown>, started: Date): void {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

async function main() {
  if (process.argv.includes('--only')) {
    const started = new Date();
    return writeResults({ date: started.toISOString(), machine: machine(), ...(await realSizes()) }, started);
  }
  const repeats = Number(arg('repeats', '5'));
  // --backend B (webgpu): the GPU measured beside the CPU backends (losses, training, --isbi) and against
  // the wasm and PyTorch figures of the same run.
  const gpu = arg('backend', '');
  const backends = [...new Set([...arg('backends', 'auto').split(','), ...(gpu ? [gpu] : [])])];
  const sizes = arg('train-sizes', '128,256').split(',').map(Number);
  const steps = Number(arg('train-steps', '3'));
  const started = new Date();
  const losses = [];
  for (const b of backends) losses.push(await benchLosses(b, repeats));
  const training = [];
  const cores = defaultThreadCount();
  for (const b of backends) {
    if (b === 'cpu' && !process.argv.includes('--cpu-training')) continue;
    const info = await initBackend(b);
    const counts = info.name === 'wasm' ? [...new Set([1, cores])] : [undefined];
    for (const threads of counts) training.push(...(await benchTraining(b, steps, threads, sizes)));
  }
  setKernelThreads(cores);
  const lossEvaluationMs = await benchComputeLoss(repeats);
  const { paired, reference, ratios } = await pytorchRounds(Number(arg('rounds', '3')), steps, cores, lossEvaluationMs);
  const predictSize = Number(arg('predict-size', '4096'));
  const predictMemory = predictSize > 0 ? benchPredictMemory(predictSize) : { skipped: '--predict-size 0' };
  const isbi = process.argv.includes('--isbi') ? benchIsbi() : { skipped: 'pass --isbi (runs the ISBI example comparison, ~4–6 min)' };
  // wasm at 128² on every core: the rounds beside PyTorch, else the training section's figure
  const wasm128 = paired.length
    ? paired.map((p) => p.seglab)
    : training.filter((t) => t.backend === 'wasm' && t.size === 128 && t.threads === cores).map((t) => t.imagesPerSecond as number);
  const isbiGpu = gpu && process.argv.includes('--isbi') ? benchIsbi(gpu) : null;
  const gpuResults = gpu
    ? await gpuSummary(
        gpu,
        training,
        wasm128,
        paired.map((p) => p.pytorch),
        isbiGpu,
      )
    : undefined;
  const sized = await realSizes();
  const out = {
    date: started.toISOString(),
    machine: machine(),
    repeats,
    losses,
    training,
    lossEvaluationMs,
    reference,
    ratios,
    isbi,
    gpu: gpuResults,
    predictMemory,
    ...(await benchMetrics(repeats)),
    ...sized,
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  };
  writeResults(out, started);
}

function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version };
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
