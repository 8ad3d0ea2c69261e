/**
 * `npm run bench -- --real-nets` and `--data-scaling` (issue 23: CPU at real sizes), measured before
 * any kernel work so that the next steps aim at the real costs:
 *   realNets:    the U-Nets users train — depth 3 / 16 filters / 256², depth 4 / 32 / 128², depth 4 / 32 /
 *                256², batch 4, with and without batch norm — SegLab (wasm, every core) and PyTorch
 *                (bench/torch_reference.py, as many threads) back to back in --rounds, the ratio the
 *                median of the rounds' ratios (the machine's speed drifts ±30 % over minutes);
 *   kernelShare: one training step of the widest net through tf.profile: time per tfjs kernel, summed by
 *                kernel name, as a share of the step (Conv2D and its two gradients, Conv2DTranspose,
 *                Concat, the Adam update's element-wise kernels, batch norm);
 *   dataScaling: the peak RSS of `seglab train` (CLI and engine) on 100 and on --scaling-images (default
 *                2000) synthetic 512² PNG pairs with the same small net and steps: what the dataset costs,
 *                with dataset.cacheMB --scaling-cache-mb (default 128; a folder dataset keeps at most
 *                that much decoded and reads the rest from disk ahead of each step).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend/backend';
import { encodePng8 } from '../src/core/data/png';
import { tiffBytes, TiffTestPage } from '../test/unit/tiffBytes';
import { defaultThreadCount, setKernelThreads } from '../src/core/kernels/pool';
import { buildUnet } from '../src/core/model/unet';

export interface Net {
  depth: number;
  filters: number;
  size: number;
  batchNorm: boolean;
}

export const REAL_NETS: Net[] = [
  { depth: 3, filters: 16, size: 256, batchNorm: false },
  { depth: 4, filters: 32, size: 128, batchNorm: false },
  { depth: 4, filters: 32, size: 256, batchNorm: false },
].flatMap((n) => [n, { ...n, batchNorm: true }]);

const BATCH = 4;

/** The median; of an even count, the mean of the middle two (of two rounds, their mean, not the better). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const label = (n: Net) => `depth ${n.depth} / ${n.filters} filters / ${n.size}²${n.batchNorm ? ' + BN' : ''}`;

/** A net, its optimizer and one batch, ready to step (the bench's step: Adam, BCE with logits). */
export function makeStep(n: Net, batch = BATCH): { step: () => Promise<void>; dispose: () => void; parameters: number } {
  const model = buildUnet({ inputChannels: 1, depth: n.depth, baseFilters: n.filters, batchNorm: n.batchNorm, head: 'sigmoid1', seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, n.size, n.size, 1], 0, 1, 'float32', 1);
  const y = tf.cast(tf.greater(tf.randomNormal([batch, n.size, n.size, 1], 0, 1, 'float32', 2), 0.5), 'float32');
  const step = async () => {
    const loss = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    await loss?.data();
    loss?.dispose();
  };
  return {
    step,
    // trainable weights only: PyTorch counts batch norm's running statistics as buffers, not parameters
    parameters: model.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, d) => x * (d ?? 1), 1), 0),
    dispose: () => {
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
    },
  };
}

/** In this process: SegLab's training images/s on `n`, median of `steps` timed steps after a warm-up step. */
async function seglabRateHere(n: Net, steps: number): Promise<{ imagesPerSecond: number; parameters: number; wasmMiB: number }> {
  await initBackend('wasm');
  setKernelThreads(defaultThreadCount());
  const s = makeStep(n);
  await s.step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await s.step();
    times.push(performance.now() - t0);
  }
  s.dispose();
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length ?? 0;
  return { imagesPerSecond: +((BATCH * 1000) / median(times)).toFixed(3), parameters: s.parameters, wasmMiB: Math.round(heap / 2 ** 20) };
}

/**
 * Runs `what` for REAL_NETS[index] in a fresh process: WebAssembly memory only grows, so nets measured
 * one after another in one process would share (and exhaust) one 4 GiB heap.
 */
/** The longest a child may take (--child-timeout seconds, default 600): a net at the 4 GiB WebAssembly ceiling can crawl for hours. */
const CHILD_TIMEOUT_S = Number(process.argv[process.argv.indexOf('--child-timeout') + 1]) || 600;

function inChild<T>(what: 'rate' | 'profile', index: number, steps: number): T | { skipped: string } {
  const r = spawnSync(process.execPath, [__filename, what, String(index), String(steps)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: CHILD_TIMEOUT_S * 1000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    return {
      skipped: `SegLab did not finish ${what === 'rate' ? `${steps} steps` : 'a profiled step'} of ${label(REAL_NETS[index])} in ${CHILD_TIMEOUT_S} s`,
    };
  if (r.status !== 0)
    return { skipped: `SegLab failed on ${label(REAL_NETS[index])}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}` };
  process.stderr.write(r.stderr);
  return JSON.parse(r.stdout) as T;
}

function seglabRate(index: number, steps: number) {
  return inChild<{ imagesPerSecond: number; parameters: number; wasmMiB: number }>('rate', index, steps);
}

/** PyTorch's training images/s on `n`, or the reason it could not run. */
function torchRate(
  n: Net,
  steps: number,
  threads: number,
): { imagesPerSecond: number; torch: string; parameters: number } | { skipped: string } {
  const python = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';
  const script = path.join(__dirname, '..', '..', 'bench', 'torch_reference.py');
  const args = [script, '--threads', String(threads), '--depth', String(n.depth), '--base', String(n.filters), '--size', String(n.size)];
  args.push('--batch', String(BATCH), '--steps', String(steps), '--training-only', ...(n.batchNorm ? ['--bn'] : []));
  const r = spawnSync(python, args, { encoding: 'utf8' });
  if (r.error) return { skipped: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `${python} torch_reference.py exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout) as { torch: string; training: { imagesPerSecond: number; parameters: number } };
  return { imagesPerSecond: out.training.imagesPerSecond, torch: out.torch, parameters: out.training.parameters };
}

/** Every real net, SegLab then PyTorch back to back in `rounds`; ratios SegLab/PyTorch. */
export async function benchRealNets(rounds: number, steps: number): Promise<Record<string, unknown>> {
  const threads = defaultThreadCount();
  const out: Record<string, unknown>[] = [];
  for (const [index, n] of REAL_NETS.entries()) {
    const paired: { seglab: number; pytorch: number; ratio: number }[] = [];
    let parameters = 0;
    let wasmMiB = 0;
    let skipped: string | undefined;
    for (let r = 0; r < rounds; r++) {
      const mine = seglabRate(index, steps);
      if ('skipped' in mine) {
        skipped = mine.skipped;
        break;
      }
      [parameters, wasmMiB] = [mine.parameters, mine.wasmMiB];
      const theirs = torchRate(n, steps, threads);
      if ('skipped' in theirs) {
        skipped = theirs.skipped;
        paired.push({ seglab: mine.imagesPerSecond, pytorch: NaN, ratio: NaN });
        break;
      }
      if (theirs.parameters !== parameters) skipped = `PyTorch's net has ${theirs.parameters} parameters, SegLab's ${parameters}`;
      paired.push({
        seglab: mine.imagesPerSecond,
        pytorch: theirs.imagesPerSecond,
        ratio: +(mine.imagesPerSecond / theirs.imagesPerSecond).toFixed(3),
      });
    }
    const ratio = skipped ? null : +median(paired.map((p) => p.ratio)).toFixed(3);
    process.stderr.write(
      `  ${label(n)}: ${paired.map((p) => `${p.seglab} vs ${p.pytorch}`).join(', ')} img/s → ratio ${ratio ?? skipped}\n`,
    );
    out.push({ ...n, batch: BATCH, parameters, wasmMiB, rounds: paired, ratio, skipped });
  }
  return {
    threads,
    note: "SegLab/PyTorch training img/s, batch 4, Adam, BCE; median of the rounds' ratios (issue 23 targets: ≥ 0.7 for depth 4 / 32 / 256², ≥ 0.5 for every net)",
    nets: out,
  };
}

/** tf.profile of one step of REAL_NETS[index] (in a fresh process). */
export function benchKernelShare(index: number): Record<string, unknown> {
  return inChild<Record<string, unknown>>('profile', index, 1);
}

/** tf.profile of one step of `n`: milliseconds per kernel name and its share of the kernels' total. */
async function kernelShareHere(n: Net): Promise<Record<string, unknown>> {
  await initBackend('wasm');
  setKernelThreads(defaultThreadCount());
  const s = makeStep(n);
  await s.step();
  const t0 = performance.now();
  const info = await tf.profile(() => s.step() as unknown as tf.TensorContainer);
  const wallMs = performance.now() - t0;
  s.dispose();
  const byKernel = new Map<string, { ms: number; calls: number }>();
  // tf.profile lists an op wrapping a kernel (fusedConv2d__op) beside the kernel (FusedConv2D): the
  // wrapper's time is the kernel's, so only kernels are summed.
  for (const k of info.kernels.filter((e) => !e.name.endsWith('__op'))) {
    const ms = Number(await k.kernelTimeMs);
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    byKernel.set(k.name, { ms: e.ms + (Number.isFinite(ms) ? ms : 0), calls: e.calls + 1 });
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  const kernels = [...byKernel.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, e]) => ({ name, calls: e.calls, ms: +e.ms.toFixed(1), share: +(e.ms / total).toFixed(4) }));
  for (const k of kernels.slice(0, 12))
    process.stderr.write(`  ${label(n)} ${k.name}: ${k.ms} ms (${(k.share * 100).toFixed(1)} %, ${k.calls} calls)\n`);
  return { net: { ...n, batch: BATCH }, profiledWallMs: +wallMs.toFixed(1), kernelsMs: +total.toFixed(1), kernels };
}

/** Synthetic 512² image/mask pair i: a bright disc on noise. */
function syntheticPair(i: number): { img: Uint8Array; mask: Uint8Array } {
  const size = 512;
  const [cx, cy, r] = [100 + ((i * 37) % 300), 100 + ((i * 91) % 300), 40 + (i % 60)];
  const img = new Uint8Array(size * size);
  const mask = new Uint8Array(size * size);
  for (let p = 0; p < size * size; p++) {
    const [x, y] = [p % size, Math.floor(p / size)];
    const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
    mask[p] = inside ? 255 : 0;
    img[p] = (inside ? 170 : 60) + ((p * 2654435761 + i) >>> 27);
  }
  return { img, mask };
}

/**
 * `count` synthetic 512² pairs in `dir`: PNG files in images/ and masks/ (folders), or two
 * uncompressed multi-page TIFFs images.tif and masks.tif (stacks). Returns the dataset's two paths.
 */
function writeDataset(dir: string, count: number, layout: 'folders' | 'stacks'): { images: string; masks: string } {
  fs.mkdirSync(dir, { recursive: true });
  if (layout === 'stacks') {
    const pairs = Array.from({ length: count }, (_, i) => syntheticPair(i));
    const page = (data: Uint8Array): TiffTestPage => ({
      width: 512,
      height: 512,
      rowsPerStrip: 64,
      strips: Array.from({ length: 8 }, (_, k) => data.subarray(k * 64 * 512, (k + 1) * 64 * 512)),
    });
    fs.writeFileSync(path.join(dir, 'images.tif'), tiffBytes(pairs.map((p) => page(p.img))));
    fs.writeFileSync(path.join(dir, 'masks.tif'), tiffBytes(pairs.map((p) => page(p.mask))));
    return { images: 'images.tif', masks: 'masks.tif' };
  }
  for (const sub of ['images', 'masks']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (let i = 0; i < count; i++) {
    const { img, mask } = syntheticPair(i);
    fs.writeFileSync(path.join(dir, 'images', `s${i}.png`), encodePng8(img, 512, 512));
    fs.writeFileSync(path.join(dir, 'masks', `s${i}.png`), encodePng8(mask, 512, 512));
  }
  return { images: 'images', masks: 'masks' };
}

/** Peak RSS (MiB) of `seglab train` — the CLI and its engine, the larger — on `count` 512² images. */
function trainPeakRss(
  root: string,
  count: number,
  cacheMB: number,
  layout: 'folders' | 'stacks',
): { images: number; peakRssMiB: number; seconds: number } {
  const dir = path.join(root, `${layout}-${count}`);
  const { images, masks } = writeDataset(dir, count, layout);
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: `scaling-${count}`,
      dataset: { images, masks, cacheMB },
      validation: { count: 4 },
      crop: 128,
      model: { depth: 2, baseFilters: 8 },
      epochs: 1,
      stepsPerEpoch: 2,
      batchSize: 4,
      predictions: 0,
      runsDir: 'runs',
    }),
  );
  const rssFile = path.join(dir, 'peak-rss');
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--require', path.join(__dirname, '..', '..', 'bench', 'peakRss.js'), cli, 'train', config], {
    encoding: 'utf8',
    env: { ...process.env, SEGLAB_PEAK_RSS_FILE: rssFile, SEGLAB_BACKEND: 'wasm' },
  });
  if (r.status !== 0) throw new Error(`seglab train on ${count} images (${layout}) failed: ${r.stderr || r.stdout}`);
  const kib = Math.max(...fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
  return { images: count, peakRssMiB: +(kib / 1024).toFixed(1), seconds: +((Date.now() - t0) / 1000).toFixed(1) };
}

/**
 * Peak RSS of training on 100 and on `many` images, from PNG folders and from two multi-page TIFF
 * stacks (issue 23 target: within 200 MB of each other).
 */
export function benchDataScaling(many: number, cacheMB: number): Record<string, unknown> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-scaling-'));
  try {
    const measure = (layout: 'folders' | 'stacks') => {
      const points = [100, many].map((n) => {
        const p = trainPeakRss(root, n, cacheMB, layout);
        process.stderr.write(`  seglab train on ${n} 512² images (${layout}): peak RSS ${p.peakRssMiB} MiB (${p.seconds} s)\n`);
        return p;
      });
      fs.rmSync(root, { recursive: true, force: true });
      fs.mkdirSync(root);
      return { points, growthMiB: +(points[1].peakRssMiB - points[0].peakRssMiB).toFixed(1) };
    };
    const folders = measure('folders');
    return {
      note: 'peak RSS of seglab train (CLI or engine, the larger); issue 23 target: the two within 200 MB',
      cacheMB,
      ...folders,
      stacks: measure('stacks'),
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [what, index, steps] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const n = REAL_NETS[index];
  (what === 'rate' ? seglabRateHere(n, steps) : kernelShareHere(n))
    .then((r) => process.stdout.write(JSON.stringify(r)))
    .catch((e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    });
}
