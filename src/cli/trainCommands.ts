/** `seglab train`, `compare`, `predict`, `init` and `demo`: the experiment commands. */
import { BACKEND_CHOICES } from '../core/backend/names';
import { makeDirs } from '../core/runs/atomicWrite';
import { mapToBytes } from '../core/common/arrays';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { encodeJson } from '../core/common/json';
import { choosesGpu, initBackend } from '../core/backend/backend';
import { ExperimentConfig, loadConfig, resolvePaths, schemaReference, starterConfig, validateConfig } from '../core/config/config';
import { IMAGE_EXTENSIONS, readImage } from '../core/data/image';
import { encodePng8 } from '../core/data/png';
import { Head, HEADS, sizeMultiple } from '../core/model/unet';
import { loadCheckpoint, restoreCheckpoint } from '../core/runs/checkpoint';
import { formatMetric, HEADLINE_METRICS, METRICS, metricLabel } from '../core/common/metrics';
import { formatStat } from '../core/runs/compare';
import { isRunDir, readJsonFile } from '../core/runs/store';
import { readRunConfig } from '../core/runs/runConfig';
import { decideArray, predictLogitsArray } from '../core/train/predict';
import { DEFAULT_MEMORY_BUDGET_MB, DEFAULT_OVERLAP, tileForBudget } from '../core/train/tiles';
import { startTraining } from '../engine/client';
import { runComparison } from '../engine/compare';
import { choiceValue, numberValue, positiveInteger, parseCommand, requireValue, UsageError } from './args';
import { ProgressView } from './progress';

type Write = (s: string) => void;

/**
 * Ctrl-C: the first asks the engine(s) to stop after the current batch and save a checkpoint; the
 * second kills them at once (the command then reports the runs as cancelled without a checkpoint).
 */
export function onInterrupt(first: () => void, second: () => void): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      process.stderr.write('\nstopping after the current batch (a checkpoint is saved); press Ctrl-C again to stop at once\n');
      first();
    } else if (count === 2) {
      process.stderr.write('\nstopped at once: no checkpoint was saved on stopping\n');
      second();
    } else process.exit(130);
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

function withBackend(config: ExperimentConfig, backend: string | undefined): ExperimentConfig {
  if (backend === undefined) return config;
  return validateConfig({ ...config, backend }, '--backend');
}

export const TRAIN_USAGE = `usage: seglab train CONFIG [--backend ${BACKEND_CHOICES.join('|')}] [--threads N] [--run-name NAME]
                   [--origin FILE] [--json]
  Trains one run in a separate engine process; writes runs/<time>-<name>/. Ctrl-C stops after the
  current batch and saves a checkpoint; a second Ctrl-C stops at once, without one. SIGTERM (Slurm's
  time limit, scancel) stops after the current batch too.
  --threads: cores the wasm kernels use (default: all).
  --run-name: the run's name (its folder is <time>-<name>; default <config name>-<head>).
  --origin: the experiment config this one was made from (a sweep's variant), recorded in the run.`;

export async function trainCommand(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      backend: { type: 'string' },
      threads: { type: 'string' },
      origin: { type: 'string' },
      'run-name': { type: 'string' },
      json: { type: 'boolean' },
    },
    TRAIN_USAGE,
  );
  const file = requireValue(positionals[0], 'CONFIG (a positional argument)', TRAIN_USAGE);
  const config = withBackend(loadConfig(file), values.backend);
  const threads = positiveInteger(values.threads, 'threads');
  const runName = values['run-name'];
  if (runName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runName))
    throw new UsageError(`--run-name '${runName}': letters, digits, . _ - only`);
  const view = new ProgressView(write, !values.json && Boolean(process.stdout.isTTY));
  const job = startTraining(config, {
    threads,
    runName,
    configFile: path.resolve(values.origin ?? file),
    onEvent: (e) => (values.json ? write(encodeJson({ job: config.head, ...e }, 0) + '\n') : view.event(config.head, e)),
    onLog: (l) => process.stderr.write(`engine: ${l}\n`),
  });
  const release = onInterrupt(
    () => job.cancel(),
    () => job.abort(),
  );
  // A batch scheduler's stop (time limit, scancel): as a first Ctrl-C, before its SIGKILL follows.
  const onTerm = () => {
    process.stderr.write('\nSIGTERM: stopping after the current batch (a checkpoint is saved)\n');
    job.cancel();
  };
  process.on('SIGTERM', onTerm);
  const result = await job.result;
  release();
  process.off('SIGTERM', onTerm);
  if (values.json) write(encodeJson({ type: 'result', ...result, summary: undefined }, 0) + '\n');
  else {
    if (result.summary?.final) {
      const f = result.summary.final;
      write(
        `final validation: ${Object.entries(f)
          .map(([k, v]) => `${metricLabel(k)} ${formatMetric(k, v)}`)
          .join(', ')}\n`,
      );
    }
    if (result.status !== 'done') write(`run ${result.status}: ${result.reason ?? ''}\n`);
    if (result.runDir) write(`run folder: ${result.runDir}\n`);
  }
  // pruned: the sweep's rule ended it as planned (a Slurm task that pruned its run succeeded)
  return result.status === 'done' || result.status === 'pruned' ? 0 : result.status === 'cancelled' ? 130 : 1;
}

export const COMPARE_USAGE = `usage: seglab compare CONFIG [--heads sigmoid1,softmax2] [--seeds N | --seed-list 1,2,3]
                      [--parallel N] [--threads N] [--backend B] [--json]
  Trains each head (and seed) in its own engine process, then writes comparison.json and report.html.
  --threads is the budget for all runs together (default: every core); --parallel runs at a time
  (default: one per thread; 1 when the runs train on a GPU) share it equally.`;

function parseHeads(value: string | undefined): Head[] {
  const heads = (value ?? 'sigmoid1,softmax2')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (const h of heads)
    if (!(HEADS as readonly string[]).includes(h)) throw new UsageError(`--heads: '${h}' is not a head (${HEADS.join(', ')})`);
  if (new Set(heads).size !== heads.length) throw new UsageError('--heads: a head is listed twice');
  return heads as Head[];
}

async function compareConfig(
  config: ExperimentConfig,
  configFile: string | undefined,
  heads: Head[],
  seeds: number[],
  budget: { parallel?: number; threads?: number },
  json: boolean,
  write: Write,
): Promise<number> {
  const view = new ProgressView(write, !json && Boolean(process.stdout.isTTY));
  if (!json)
    write(
      `comparing ${heads.join(' vs ')} on ` +
        `${config.dataset.builtin ? 'builtin:shapes' : config.dataset.images} (seeds ${seeds.join(', ')})\n`,
    );
  const handle = runComparison(config, {
    heads,
    seeds,
    parallel: budget.parallel,
    threads: budget.threads,
    configFile,
    onEvent: (job, e) => (json ? write(encodeJson({ job, ...e }, 0) + '\n') : view.event(`${job.head}/s${job.seed}`, e)),
    onLog: (l) => process.stderr.write(`engine: ${l}\n`),
  });
  const release = onInterrupt(
    () => handle.cancel(),
    () => handle.abort(),
  );
  const result = await handle.result;
  release();
  if (json) {
    write(encodeJson({ type: 'comparison', dir: result.dir, report: result.report, summary: result.summary }, 0) + '\n');
  } else {
    const seedCount = new Set(result.runs.map((r) => r.seed)).size;
    write(
      seedCount > 1
        ? `\nfinal validation (mean ± std over ${seedCount} seeds):\n`
        : '\nfinal validation (one seed: no spread, no conclusion about the heads):\n',
    );
    for (const h of heads) {
      const s = result.summary.perHead[h];
      // Terminal style: lower-case labels (dice, iou, hd95, pixel error).
      const stats = HEADLINE_METRICS.map((k) => `${metricLabel(k).toLowerCase()} ${formatStat(s[k], METRICS[k].digits)}`);
      write(`  ${h.padEnd(9)} ${stats.join('  ')}\n`);
    }
    const verdicts = result.summary.paired.filter((p) => (HEADLINE_METRICS as readonly string[]).includes(p.metric) && p.verdict);
    if (verdicts.length) {
      write('\npaired over seeds (same data, batches and initial weights per seed; t-test):\n');
      for (const p of verdicts) write(`  ${p.verdict}\n`);
    }
    const failed = result.runs.filter((r) => r.status !== 'done');
    for (const r of failed) write(`  ${r.head} seed ${r.seed}: ${r.status}${r.reason ? ` — ${r.reason}` : ''}\n`);
    write(`\nreport: ${result.report}\n`);
  }
  return result.runs.every((r) => r.status === 'done') ? 0 : 1;
}

export async function compareCommand(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      heads: { type: 'string' },
      seeds: { type: 'string' },
      'seed-list': { type: 'string' },
      parallel: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
    COMPARE_USAGE,
  );
  const file = requireValue(positionals[0], 'CONFIG (a positional argument)', COMPARE_USAGE);
  const config = withBackend(loadConfig(file), values.backend);
  const heads = parseHeads(values.heads);
  const count = numberValue(values.seeds, 'seeds') ?? 1;
  const seeds = values['seed-list']
    ? values['seed-list'].split(',').map((s) => numberValue(s, 'seed-list')!)
    : Array.from({ length: count }, (_, i) => config.seed + i);
  const budget = {
    // runs on one GPU take turns unless --parallel says otherwise
    parallel: positiveInteger(values.parallel, 'parallel') ?? ((await choosesGpu(config.backend)) ? 1 : undefined),
    threads: positiveInteger(values.threads, 'threads'),
  };
  return compareConfig(config, path.resolve(file), heads, seeds, budget, Boolean(values.json), write);
}

export const DEMO_USAGE = `usage: seglab demo [--out DIR] [--epochs N] [--seeds N] [--json]
  The main job: sigmoid1 vs softmax2 on SegLab's built-in synthetic dataset (no download), a few
  minutes on 2 cores. Writes DIR/seglab.experiment.json (default DIR: seglab-demo) and a report.`;

/** The demo's config, written at `file`: a higher learning rate than the starter's, for a short run. */
export function demoConfig(epochs: number, file: string): Record<string, unknown> {
  return {
    $schema: schemaReference(file),
    name: 'demo',
    dataset: { builtin: 'shapes', count: 48, size: 64, foregroundFraction: 0.25 },
    model: { depth: 3, baseFilters: 16 },
    head: 'sigmoid1',
    loss: 'bce',
    optimizer: { name: 'adam', learningRate: 0.002 },
    epochs,
    batchSize: 8,
    seed: 1,
    predictions: 4,
  };
}

export async function demoCommand(argv: string[], write: Write): Promise<number> {
  const { values } = parseCommand(
    argv,
    { out: { type: 'string' }, epochs: { type: 'string' }, seeds: { type: 'string' }, json: { type: 'boolean' } },
    DEMO_USAGE,
  );
  const dir = path.resolve(values.out ?? 'seglab-demo');
  const epochs = numberValue(values.epochs, 'epochs') ?? 12;
  const seeds = numberValue(values.seeds, 'seeds') ?? 1;
  makeDirs(dir);
  const file = path.join(dir, 'seglab.experiment.json');
  fs.writeFileSync(file, JSON.stringify(demoConfig(epochs, file), null, 2) + '\n');
  const config = resolvePaths(validateConfig(readJsonFile(file), file), file);
  return compareConfig(
    config,
    file,
    ['sigmoid1', 'softmax2'],
    Array.from({ length: seeds }, (_, i) => 1 + i),
    {},
    Boolean(values.json),
    write,
  );
}

export const INIT_USAGE = `usage: seglab init [DIR] [--images DIR --masks DIR] [--head H] [--loss L] [--force]
  Writes DIR/seglab.experiment.json (default DIR: .), a starter config that validates.`;

export async function initCommand(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      images: { type: 'string' },
      masks: { type: 'string' },
      head: { type: 'string' },
      loss: { type: 'string' },
      force: { type: 'boolean' },
    },
    INIT_USAGE,
  );
  const dir = path.resolve(positionals[0] ?? '.');
  const file = path.join(dir, 'seglab.experiment.json');
  if (fs.existsSync(file) && !values.force) throw new Error(`${file} exists; pass --force to overwrite it`);
  if (Boolean(values.images) !== Boolean(values.masks)) throw new UsageError('--images and --masks go together');
  const rel = (p: string | undefined) => (p ? path.relative(dir, path.resolve(p)) || '.' : undefined);
  const config = {
    $schema: schemaReference(file),
    ...starterConfig({
      images: rel(values.images),
      masks: rel(values.masks),
      head: choiceValue(values.head, 'head', HEADS),
      loss: values.loss,
    }),
  };
  validateConfig(config, file);
  makeDirs(dir);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  write(`wrote ${file}\nnext: seglab train ${path.relative(process.cwd(), file) || file}\n`);
  return 0;
}

/**
 * The checkpoint folder `predict` uses: the one asked for, which must exist (the error names those
 * that do), or by default best, else last (said on stderr).
 */
export function chooseCheckpoint(runDir: string, asked: 'best' | 'last' | undefined): string {
  for (const c of ['best', 'last']) restoreCheckpoint(path.join(runDir, 'checkpoints', c));
  const existing = (['best', 'last'] as const).filter((c) => fs.existsSync(path.join(runDir, 'checkpoints', c, 'model.json')));
  const has = existing.length > 0 ? `it has only checkpoints/${existing[0]}` : 'it has no checkpoint (the run saved none)';
  if (asked !== undefined && !existing.includes(asked)) {
    throw new Error(`${runDir}: no checkpoints/${asked}; ${has}${existing.length > 0 ? ` (pass --checkpoint ${existing[0]})` : ''}`);
  }
  if (existing.length === 0) throw new Error(`${runDir}: ${has}`);
  const which = asked ?? existing[0];
  if (asked === undefined && which === 'last') process.stderr.write(`${runDir}: no checkpoints/best; using checkpoints/last\n`);
  return path.join(runDir, 'checkpoints', which);
}

export const PREDICT_USAGE = `usage: seglab predict RUN --images DIR --out DIR [--checkpoint best|last] [--threshold T]
                      [--memory-budget MB] [--overlap F]
  Applies a run's model to every PNG, JPEG or TIFF image in DIR; writes <name>_mask.png (0/255) and <name>_prob.png.
  Images larger than the memory budget allows (default ${DEFAULT_MEMORY_BUDGET_MB} MiB for the network's activations)
  are predicted in overlapping windows blended with Gaussian weights (--overlap, default ${DEFAULT_OVERLAP}).`;

export async function predictCommand(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      images: { type: 'string' },
      out: { type: 'string' },
      checkpoint: { type: 'string' },
      threshold: { type: 'string' },
      backend: { type: 'string' },
      'memory-budget': { type: 'string' },
      overlap: { type: 'string' },
    },
    PREDICT_USAGE,
  );
  const runDir = path.resolve(requireValue(positionals[0], 'RUN (a positional argument)', PREDICT_USAGE));
  const imagesDir = requireValue(values.images, 'images', PREDICT_USAGE);
  const outDir = requireValue(values.out, 'out', PREDICT_USAGE);
  const asked = values.checkpoint;
  if (asked !== undefined && asked !== 'best' && asked !== 'last') throw new UsageError(`--checkpoint: '${asked}' is not best or last`);
  if (!isRunDir(runDir)) throw new Error(`${runDir}: not a SegLab run (no config.json or summary.json)`);
  const { config, derived } = readRunConfig(runDir);
  const head = config.head;
  const depth = config.model.depth;
  const budget = numberValue(values['memory-budget'], 'memory-budget') ?? DEFAULT_MEMORY_BUDGET_MB;
  const overlap = numberValue(values.overlap, 'overlap') ?? DEFAULT_OVERLAP;
  if (!(budget > 0)) throw new UsageError(`--memory-budget: ${budget} is not a positive number of MiB`);
  if (!(overlap >= 0 && overlap < 1)) throw new UsageError(`--overlap: ${overlap} is not in [0, 1)`);
  const checkpoint = chooseCheckpoint(runDir, asked as 'best' | 'last' | undefined);
  const backend = await initBackend(values.backend);
  const baseFilters = config.model.baseFilters;
  const tiling = { tile: tileForBudget(budget, baseFilters, sizeMultiple(depth), backend.adapter?.maxStorageBufferBindingSize), overlap };
  const model = await loadCheckpoint(checkpoint);
  const channels = model.inputs[0].shape[3] as number;
  const outputs = model.outputs[0].shape[3] as number;
  if (channels !== derived.normalization.mean.length || outputs !== derived.outputChannels)
    throw new Error(
      `${checkpoint}: the model takes ${channels} channels and gives ${outputs}, but config.json says ` +
        `${derived.normalization.mean.length} and ${derived.outputChannels} (a checkpoint from another run?)`,
    );
  const files = fs.readdirSync(imagesDir).filter((f) => (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(f).toLowerCase()));
  if (files.length === 0) throw new Error(`${imagesDir}: no PNG, JPEG or TIFF images`);
  makeDirs(outDir);
  const threshold = numberValue(values.threshold, 'threshold') ?? config.threshold;
  const classes = (model.outputs[0].shape[3] as number) === 1 ? 2 : (model.outputs[0].shape[3] as number);
  for (const f of files) {
    const ctx = { head, channels, classes, norm: derived.normalization, multiple: sizeMultiple(depth), threshold };
    // The image and the logits are only referenced inside: garbage before the PNGs are encoded.
    const { pred, img } = await (async (image) => {
      if (image.channels !== channels) {
        throw new Error(`${path.join(imagesDir, f)}: ${image.channels}-channel image, the model was trained on ${channels}-channel images`);
      }
      const sample = { name: f, height: image.height, width: image.width, image: image.data, mask: new Uint8Array(0) };
      const logits = await predictLogitsArray(model, sample, ctx, tiling);
      return { pred: await decideArray(logits.data, logits.channels, ctx), img: { width: image.width, height: image.height } };
    })(readImage(path.join(imagesDir, f)));
    const stem = f.replace(/\.[^.]+$/, '');
    const scale = classes > 2 ? Math.floor(255 / (classes - 1)) : 255;
    fs.writeFileSync(
      path.join(outDir, `${stem}_mask.png`),
      encodePng8(
        mapToBytes(pred.labels, (v) => v * scale),
        img.width,
        img.height,
      ),
    );
    fs.writeFileSync(
      path.join(outDir, `${stem}_prob.png`),
      encodePng8(
        mapToBytes(pred.prob, (v) => Math.round(255 * v)),
        img.width,
        img.height,
      ),
    );
  }
  model.dispose();
  write(
    `wrote ${files.length} mask(s) and probability map(s) to ${outDir} (checkpoint ` +
      `${path.basename(checkpoint)}; tensors in use ${tf.memory().numTensors})\n`,
  );
  return 0;
}
