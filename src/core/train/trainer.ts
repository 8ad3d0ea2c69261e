/**
 * The training loop. Emits events (start, batch, epoch, end), polls `shouldStop` between batches,
 * validates on whole images, keeps the best and the last checkpoint, and writes the run to disk.
 * A NaN or infinite loss ends the run as `failed` with the step that produced it; a stop request ends
 * it as `cancelled` after saving a checkpoint.
 */
import { mapToBytes } from '../common/arrays';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, BackendInfo, initBackend } from '../backend/backend';
import { adapterName, gpuFailure } from '../backend/webgpu';
import { DEFAULT_MEMORY_BUDGET_MB, DEFAULT_OVERLAP, tileForBudget, Tiling } from './tiles';
import { ExperimentConfig, lossForHead } from '../config/config';
import { Batch, batchDigest, BatchPlan, BatchSampler, Normalization, normalizationOf, splitSamples } from '../data/batches';
import { Dataset, loadFolderDataset, openDataset } from '../data/dataset';
import { defaultCacheMB } from '../data/folderSource';
import { memorySource, SampleList, SampleSeq, SampleSource } from '../data/source';
import { encodePng8 } from '../data/png';
import { generateShapes } from '../data/shapes';
import { lowerIsBetter } from '../common/metrics';
import { CompiledLoss, compileLoss } from '../losses/registry';
import { LossMode } from '../losses/types';
import { convKernelsFor } from '../kernels/conv';
import { buildUnet, convLayers, Head, headChannels, sizeMultiple } from '../model/unet';
import { saveCheckpoint } from '../runs/checkpoint';
import { EpochImage, EpochRecord, RunSummary, RunWriter } from '../runs/store';
import { lossTarget, PredictContext, validate, ValidationResult } from './predict';

export type TrainEvent =
  | {
      type: 'start';
      runId: string;
      runDir: string;
      backend: string;
      /** wasm: threads SegLab's kernels use. */
      threads?: number;
      /** webgpu: the GPU's name (adapterName). */
      gpu?: string;
      head: Head;
      loss: string;
      trainImages: number;
      valImages: number;
      epochs: number;
      stepsPerEpoch: number;
      /** Things about the data the user should know before trusting the run (also in summary.json). */
      warnings?: string[];
    }
  | {
      type: 'batch';
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      imagesPerSecond: number;
      etaSeconds: number;
      /** batchDigest of the batch trained on: equal digests, same data. */
      data: string;
    }
  | { type: 'epoch'; record: EpochRecord; best: boolean; etaSeconds: number }
  | { type: 'end'; summary: RunSummary };

export interface TrainOptions {
  config: ExperimentConfig;
  /** Run name (default: config.name-head). */
  runName?: string;
  /** The config file the run comes from (absolute), recorded in summary.json and config.json. */
  configFile?: string;
  emit?: (event: TrainEvent) => void;
  /** Polled between batches; true stops the run (status `cancelled`). */
  shouldStop?: () => boolean;
  /** A dataset already in memory (tests, comparisons), or an open source. */
  dataset?: Dataset | SampleSource;
  /** Test hook: replaces a step's loss value (to exercise the NaN path). */
  lossOverride?: (epoch: number, step: number, loss: number) => number;
}

/** The config's dataset with every sample in memory (the script API; training uses openTrainingData). */
export function loadDataset(config: ExperimentConfig): Dataset {
  const d = config.dataset;
  if (d.builtin === 'shapes') return builtinShapes(config);
  return loadFolderDataset(d.images!, d.masks!, { foreground: d.foreground, classes: d.classes });
}

function builtinShapes(config: ExperimentConfig): Dataset {
  const d = config.dataset;
  return generateShapes({
    count: d.count,
    size: d.size,
    seed: config.seed,
    foregroundFraction: d.foregroundFraction,
    noise: d.noise,
    classes: d.classes === 3 ? 3 : 2,
  });
}

/** The config's dataset, checked in full; folders are read from disk as needed through a cache of `cacheMB`. */
export function openTrainingData(config: ExperimentConfig, cacheMB: number): SampleSource {
  const d = config.dataset;
  if (d.builtin === 'shapes') return memorySource(builtinShapes(config));
  return openDataset(d.images!, d.masks!, { foreground: d.foreground, classes: d.classes, cacheMB });
}

export function makeOptimizer(config: Pick<ExperimentConfig, 'optimizer'>): tf.Optimizer {
  const lr = config.optimizer.learningRate;
  if (config.optimizer.name === 'sgd') return tf.train.momentum(lr, config.optimizer.momentum);
  if (config.optimizer.name === 'rmsprop') return tf.train.rmsprop(lr);
  return tf.train.adam(lr);
}

/**
 * The learning rate at a step (0-based) of `total` steps. Cosine follows PyTorch's
 * CosineAnnealingLR (T_max = total, no restarts): η_t = η_min + (η₀ − η_min)·(1 + cos(π t / T)) / 2.
 */
export function learningRateAt(
  optimizer: Pick<ExperimentConfig['optimizer'], 'learningRate' | 'schedule' | 'minLearningRate'>,
  step: number,
  total: number,
): number {
  if (optimizer.schedule !== 'cosine' || total <= 1) return optimizer.learningRate;
  const min = optimizer.minLearningRate ?? 0;
  return min + ((optimizer.learningRate - min) * (1 + Math.cos((Math.PI * Math.min(step, total)) / total))) / 2;
}

/**
 * Sets the learning rate of a tfjs optimizer. Adam and RMSProp read `learningRate` on every update;
 * SGD/momentum keep it as a scalar tensor that `setLearningRate` replaces (and disposes).
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  o.learningRate = lr;
}

/** Whether a validation value beats the best so far by more than minDelta, in the metric's direction. */
export function improves(monitor: string, value: number, best: number | null, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return lowerIsBetter(monitor) ? value < best - minDelta : value > best + minDelta;
}

function saveVisuals(run: RunWriter, samples: SampleSeq, channels: number, result: ValidationResult): void {
  result.predictions.forEach((p, i) => {
    const s = samples.at(i)!;
    const gray = new Uint8Array(s.height * s.width);
    for (let j = 0; j < gray.length; j++) gray[j] = Math.round(255 * s.image[j * channels]);
    run.writeFile(`predictions/${s.name}_image.png`, encodePng8(gray, s.width, s.height));
    run.writeFile(
      `predictions/${s.name}_gt.png`,
      encodePng8(
        mapToBytes(s.mask, (v) => (v ? 255 : 0)),
        s.width,
        s.height,
      ),
    );
    run.writeFile(
      `predictions/${s.name}_prob.png`,
      encodePng8(
        mapToBytes(p.prob, (v) => Math.round(255 * v)),
        s.width,
        s.height,
      ),
    );
    run.writeFile(
      `predictions/${s.name}_mask.png`,
      encodePng8(
        mapToBytes(p.labels, (v) => (v ? 255 : 0)),
        s.width,
        s.height,
      ),
    );
  });
}

/** Longest side of the per-epoch probability snapshots (DVC's image slider, TensorBoard). */
const SNAPSHOT_MAX_SIDE = 512;

/**
 * The probability maps of a validation, as 8-bit gray PNGs (nearest-neighbour subsampled to at most
 * SNAPSHOT_MAX_SIDE on the long side, so a run of large images keeps its per-epoch history small).
 */
export function epochSnapshots(samples: Pick<SampleList, 'info'>, result: ValidationResult): EpochImage[] {
  return result.predictions.map((p, i) => {
    const s = samples.info(i);
    const f = Math.max(1, Math.ceil(Math.max(s.width, s.height) / SNAPSHOT_MAX_SIDE));
    const [w, h] = [Math.ceil(s.width / f), Math.ceil(s.height / f)];
    const gray = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) gray[y * w + x] = Math.round(255 * p.prob[y * f * s.width + x * f]);
    return { name: `${s.name}_prob`, png: encodePng8(gray, w, h), width: w, height: h };
  });
}

/** Everything a run needs once it has started: data, model, optimizer, its folder and summary. */
interface RunState {
  o: TrainOptions;
  config: ExperimentConfig;
  emit: (event: TrainEvent) => void;
  source: SampleSource;
  val: SampleList;
  head: Head;
  classes: number;
  mode: LossMode;
  loss: CompiledLoss;
  sampler: BatchSampler;
  /** The next batch, planned while the current step runs (its files are being read meanwhile). */
  nextPlan: BatchPlan | null;
  stepsPerEpoch: number;
  ctx: PredictContext;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  run: RunWriter;
  summary: RunSummary;
  startedAt: Date;
  /** Milliseconds of each step so far (the throughput and ETA use the last 20). */
  stepTimes: number[];
}

/** summary.json of a run that has just started. */
function newSummary(
  run: RunWriter,
  name: string,
  config: ExperimentConfig,
  d: {
    head: Head;
    mode: LossMode;
    loss: string;
    backend: BackendInfo;
    dataset: string;
    train: readonly unknown[];
    val: readonly unknown[];
  },
  startedAt: Date,
): RunSummary {
  return {
    id: run.id,
    name,
    status: 'running',
    head: d.head,
    mode: d.mode,
    loss: d.loss,
    backend: d.backend.name,
    threads: d.backend.threads,
    adapter: d.backend.adapter,
    dataset: d.dataset,
    trainImages: d.train.length,
    valImages: d.val.length,
    epochsPlanned: config.epochs,
    epochsCompleted: 0,
    monitor: config.monitor,
    bestEpoch: null,
    best: null,
    final: null,
    startedAt: startedAt.toISOString(),
    durations: { totalSeconds: 0, meanEpochSeconds: null },
    pid: process.pid,
    host: os.hostname(),
  };
}

/**
 * What the config asks of the data, checked before a run folder exists: a validation count that
 * leaves images to train on, and images at least 2^depth pixels on each side (the U-Net halves them
 * `depth` times; smaller ones cannot be padded meaningfully).
 */
export function checkDataFitsRun(
  config: ExperimentConfig,
  samples: readonly { name: string; file?: string; height: number; width: number }[],
): void {
  const count = config.validation.count;
  if (count !== undefined && count >= samples.length) {
    throw new Error(
      `validation.count is ${count} but the dataset has ${samples.length} image/mask pair(s); at most ${samples.length - 1} ` +
        'can be held out (at least one must stay for training)',
    );
  }
  const min = 2 ** config.model.depth;
  const small = samples.find((s) => s.height < min || s.width < min);
  if (small) {
    throw new Error(
      `${small.file ?? small.name}: ${small.width}×${small.height} pixels is smaller than ${min}×${min}, the least a U-Net of depth ` +
        `${config.model.depth} can take; use larger images or a smaller model.depth`,
    );
  }
}

/**
 * Whole-image validation of images larger than validation.memoryBudgetMB (and, on a GPU, its largest
 * buffer) allows runs in windows (tiles.ts).
 */
export function validationTiling(config: ExperimentConfig): Tiling {
  const budget = config.validation.memoryBudgetMB ?? DEFAULT_MEMORY_BUDGET_MB;
  const binding = activeBackend()?.adapter?.maxStorageBufferBindingSize;
  return { tile: tileForBudget(budget, config.model.baseFilters, sizeMultiple(config.model.depth), binding), overlap: DEFAULT_OVERLAP };
}

/** Warnings about data that trains but is unlikely to mean what the user wants (no foreground at all). */
export function dataWarnings(samples: readonly { foreground: boolean }[]): string[] {
  const empty = samples.every((s) => !s.foreground);
  return empty
    ? [
        `every one of the ${samples.length} masks is empty (no foreground pixel): ` +
          `the model can only learn to predict background, and Dice/HD95 are undefined`,
      ]
    : [];
}

/**
 * config.json, params.yaml and the first summary.json of a new run folder. If one cannot be written (a
 * full disk), the run is marked failed with the reason (its reserve makes room for that) so that it
 * lists as a failed run; a folder that cannot even say so is removed.
 */
function writeRunFiles(run: RunWriter, config: ExperimentConfig, summary: RunSummary, derived: Record<string, unknown>): void {
  try {
    run.writeJson('config.json', { ...config, derived });
    // DVC: params.yaml holds the config as the user resolved it (derived facts stay in config.json).
    run.writeParams(config);
    run.writeSummary(summary);
  } catch (err) {
    try {
      run.writeSummary({ ...summary, status: 'failed', reason: failureReason(err), endedAt: new Date().toISOString() });
      run.releaseReserve();
    } catch {
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
    throw err;
  }
}

/** The run's data: its source, the split, the normalisation, the sampler and the epoch length. */
interface RunData {
  source: SampleSource;
  /** MiB of decoded samples kept in memory (folder datasets). */
  cacheMB: number | null;
  train: number[];
  val: SampleList;
  norm: Normalization;
  sampler: BatchSampler;
  stepsPerEpoch: number;
}

function openRunData(o: TrainOptions): RunData {
  const config = o.config;
  const folder = !o.dataset && !config.dataset.builtin;
  const cacheMB = folder ? (config.dataset.cacheMB ?? defaultCacheMB()) : null;
  const given = o.dataset;
  const source = given ? ('samples' in given ? memorySource(given) : given) : openTrainingData(config, cacheMB ?? 0);
  try {
    checkDataFitsRun(config, source.items);
    const n = source.items.length;
    const valCount = config.validation.count ?? Math.max(1, Math.round(config.validation.fraction * n));
    const { train, val } = splitSamples(
      source.items.map((_, i) => i),
      valCount,
      config.seed,
    );
    const norm = normalizationOf(source, train);
    const crop = config.crop;
    const sampler = new BatchSampler({ source, indices: train }, source.channels, norm, { crop, ...config.augment }, config.seed);
    const items = train.map((i) => source.items[i]);
    const pixelsPerImage = items.reduce((a, s) => a + s.height * s.width, 0) / items.length;
    const batchPixels = (crop ?? items[0].height) * (crop ?? items[0].width) * config.batchSize;
    const stepsPerEpoch = config.stepsPerEpoch ?? Math.max(1, Math.ceil((items.length * pixelsPerImage) / batchPixels));
    return { source, cacheMB, train, val: new SampleList(source, val), norm, sampler, stepsPerEpoch };
  } catch (err) {
    source.dispose();
    throw err;
  }
}

/**
 * The kernels each convolution of a training step runs on wasm (a fixed rule of its shape: kernels/conv.ts),
 * recorded in config.json's derived section: which layers compute in the Winograd domain.
 */
function trainingConvKernels(config: ExperimentConfig, channels: number, head: Head, classes: number, data: RunData) {
  const first = data.source.items[data.train[0]];
  const [h, w] = config.crop ? [config.crop, config.crop] : [first.height, first.width];
  return convLayers({ inputChannels: channels, depth: config.model.depth, baseFilters: config.model.baseFilters, head, classes }).map(
    (c) => {
      const s = { n: config.batchSize, h: h / 2 ** c.level, w: w / 2 ** c.level, cin: c.cin, cout: c.cout, k: c.k };
      return { layer: c.name, shape: `${s.n}×${s.h}×${s.w}, ${c.cin} → ${c.cout} channels, ${c.k}×${c.k}`, ...convKernelsFor(s) };
    },
  );
}

/** Loads the data, builds the model, creates the run folder with config.json and summary.json, emits start. */
async function startRun(o: TrainOptions): Promise<RunState> {
  const backend: BackendInfo = await initBackend(o.config.backend === 'auto' ? undefined : o.config.backend);
  const data = openRunData(o);
  try {
    return startWithData(o, backend, data);
  } catch (err) {
    data.source.dispose();
    throw err;
  }
}

/** startRun once the data is open. */
function startWithData(o: TrainOptions, backend: BackendInfo, data: RunData): RunState {
  const config = o.config;
  const emit = o.emit ?? (() => undefined);
  const { source, norm, sampler, stepsPerEpoch, train, val } = data;
  const head = config.head;
  const classes = head === 'softmaxN' || head === 'sigmoidN' ? source.classes : 2;
  const { expression, options, mode } = lossForHead(config, head);
  const loss = compileLoss(expression, options);
  const ctx: PredictContext = {
    head,
    channels: source.channels,
    classes,
    norm,
    multiple: sizeMultiple(config.model.depth),
    threshold: config.threshold,
  };
  const model = buildUnet({ inputChannels: source.channels, ...config.model, head, classes, seed: config.seed });
  const optimizer = makeOptimizer(config);
  const name = o.runName ?? `${config.name}-${head}`;
  const startedAt = new Date();
  const warnings = dataWarnings(source.items);
  const derived = {
    loss: expression,
    lossOptions: options,
    mode,
    outputChannels: headChannels(head, classes),
    normalization: norm,
    dataset: source.source,
    ...(data.cacheMB !== null ? { cacheMB: data.cacheMB } : {}),
    trainImages: train.map((i) => source.items[i].name),
    valImages: val.indices.map((i) => source.items[i].name),
    stepsPerEpoch,
    parameters: model.countParams(),
    ...(backend.name === 'wasm' ? { convKernels: trainingConvKernels(config, source.channels, head, classes, data) } : {}),
  };
  let run: RunWriter;
  let summary: RunSummary;
  try {
    run = RunWriter.create(config.runsDir, name);
    summary = newSummary(
      run,
      name,
      config,
      { head, mode, loss: expression, backend, dataset: source.source, train, val: val.indices },
      startedAt,
    );
    if (warnings.length) summary.warnings = warnings;
    if (o.configFile) summary.configFile = path.resolve(o.configFile);
    writeRunFiles(run, config, summary, derived);
  } catch (err) {
    model.dispose(); // nothing else holds the new model's tensors
    optimizer.dispose();
    throw err;
  }
  const gpu = backend.adapter ? adapterName(backend.adapter) : undefined;
  const start = { runId: run.id, runDir: run.dir, backend: backend.name, threads: backend.threads, gpu, head, loss: expression };
  emit({ type: 'start', ...start, trainImages: train.length, valImages: val.length, epochs: config.epochs, stepsPerEpoch, warnings });
  return {
    o,
    config,
    emit,
    source,
    val,
    head,
    classes,
    mode,
    loss,
    sampler,
    nextPlan: null,
    stepsPerEpoch,
    ctx,
    model,
    optimizer,
    run,
    summary,
    startedAt,
    stepTimes: [],
  };
}

/** Writes the run's end state, frees the model, emits end. */
async function finishRun(r: RunState, status: RunSummary['status'], reason?: string): Promise<RunSummary> {
  const endedAt = new Date();
  Object.assign(r.summary, { status, reason, endedAt: endedAt.toISOString() });
  r.summary.durations.totalSeconds = (endedAt.getTime() - r.startedAt.getTime()) / 1000;
  r.run.writeSummary(r.summary);
  r.run.releaseReserve();
  r.model.dispose();
  r.optimizer.dispose();
  r.source.dispose();
  r.emit({ type: 'end', summary: r.summary });
  return r.summary;
}

/**
 * The planned batch, built once its files are in memory; the one after it is planned and its files
 * requested before this returns, so they are read while the step runs.
 */
async function nextBatch(r: RunState): Promise<Batch> {
  const size = r.config.batchSize;
  const plan = r.nextPlan ?? r.sampler.plan(size);
  await r.source.ready(plan.picks.map((p) => p.index));
  const batch = r.sampler.build(plan);
  r.nextPlan = r.sampler.plan(size);
  r.source.prefetch(r.nextPlan.picks.map((p) => p.index));
  return batch;
}

/** One optimizer step on the next batch at the schedule's rate; returns its loss and that rate. */
async function trainStep(r: RunState, epoch: number, step: number): Promise<{ loss: number; learningRate: number; data: string }> {
  const { config, optimizer, model, loss, head, classes, mode, stepsPerEpoch } = r;
  const batch = await nextBatch(r);
  const data = batchDigest(batch);
  const learningRate = learningRateAt(config.optimizer, (epoch - 1) * stepsPerEpoch + step - 1, config.epochs * stepsPerEpoch);
  setLearningRate(optimizer, learningRate);
  const lossTensor = tf.tidy(() => {
    const x = tf.tensor4d(batch.x, batch.shape);
    const y = lossTarget(batch.y, [batch.shape[0], batch.shape[1], batch.shape[2]], head, classes);
    return optimizer.minimize(
      () => loss.apply({ pred: model.apply(x, { training: true }) as tf.Tensor4D, ...y, fromLogits: true, mode }),
      true,
    ) as tf.Scalar;
  });
  const value = (await lossTensor.data())[0];
  lossTensor.dispose();
  // A GPU error (lost device, failed allocation) leaves the step's numbers meaningless: end the run.
  const gpu = gpuFailure();
  if (gpu) throw new Error(gpu);
  return { loss: r.o.lossOverride ? r.o.lossOverride(epoch, step, value) : value, learningRate, data };
}

/** The training steps of one epoch: the mean loss, or how the run ended (stopped, or a non-finite loss). */
async function trainEpoch(
  r: RunState,
  epoch: number,
): Promise<{ trainLoss: number; learningRate: number } | { status: 'cancelled' | 'failed'; reason: string }> {
  const { config, stepsPerEpoch } = r;
  let lossSum = 0;
  let learningRate = config.optimizer.learningRate;
  for (let step = 1; step <= stepsPerEpoch; step++) {
    if (r.o.shouldStop?.()) {
      await saveCheckpoint(r.model, r.run.file('checkpoints', 'last'));
      return { status: 'cancelled', reason: `stopped during epoch ${epoch}, step ${step}; checkpoints/last holds the weights` };
    }
    // A macrotask turn per batch, so that a cancel message (IPC) is delivered while training.
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = Date.now();
    const { loss: value, learningRate: rate, data } = await trainStep(r, epoch, step);
    learningRate = rate;
    if (!Number.isFinite(value)) {
      const lr = config.optimizer.learningRate;
      return { status: 'failed', reason: `loss became ${value} at epoch ${epoch}, step ${step} (learning rate ${lr}; try a lower one)` };
    }
    lossSum += value;
    r.stepTimes.push(Date.now() - t0);
    const recent = r.stepTimes.slice(-20);
    const msPerStep = recent.reduce((a, b) => a + b, 0) / recent.length;
    const remaining = (config.epochs - epoch) * stepsPerEpoch + (stepsPerEpoch - step);
    const imagesPerSecond = (1000 * config.batchSize) / msPerStep;
    const etaSeconds = (remaining * msPerStep) / 1000;
    r.emit({ type: 'batch', epoch, step, steps: stepsPerEpoch, loss: value, imagesPerSecond, etaSeconds, data });
  }
  return { trainLoss: lossSum / stepsPerEpoch, learningRate };
}

/** Tracks the monitored metric across validations: the best value and how many validations since. */
interface Monitor {
  bestValue: number | null;
  sinceBest: number;
  /** The last validation and the epoch it ran after (its predictions become the sample images). */
  last: { epoch: number; result: ValidationResult } | null;
}

/** Validates after `epoch` into `record.val`; saves checkpoints/best when the monitored metric improves. */
async function validateEpoch(r: RunState, epoch: number, record: EpochRecord, m: Monitor): Promise<boolean> {
  const { config, summary } = r;
  const validation = await validate(r.model, r.val, r.loss, r.ctx, config.predictions, validationTiling(config));
  m.last = { epoch, result: validation };
  record.val = Object.fromEntries(
    Object.entries(validation.values).filter(([k]) => k === 'loss' || (config.metrics as string[]).includes(k)),
  );
  summary.final = record.val;
  const monitored = validation.values[config.monitor];
  if (!improves(config.monitor, monitored, m.bestValue, config.earlyStopping?.minDelta ?? 0)) {
    m.sinceBest++;
    return false;
  }
  m.bestValue = monitored;
  m.sinceBest = 0;
  summary.bestEpoch = epoch;
  summary.best = record.val;
  await saveCheckpoint(r.model, r.run.file('checkpoints', 'best'));
  return true;
}

/** The epochs, the last checkpoint and the sample images; the run's end status and reason. */
async function runEpochs(r: RunState): Promise<{ status: RunSummary['status']; reason?: string }> {
  const { config, summary, startedAt } = r;
  const monitor: Monitor = { bestValue: null, sinceBest: 0, last: null };
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const epochStart = Date.now();
    const trained = await trainEpoch(r, epoch);
    if ('status' in trained) return trained;
    const record: EpochRecord = { epoch, trainLoss: trained.trainLoss, seconds: 0, learningRate: trained.learningRate };
    const validates = epoch % config.validation.every === 0 || epoch === config.epochs;
    const isBest = validates ? await validateEpoch(r, epoch, record, monitor) : false;
    record.seconds = (Date.now() - epochStart) / 1000;
    const images = validates && monitor.last?.epoch === epoch ? epochSnapshots(r.val, monitor.last.result) : [];
    r.run.appendEpoch(record, images);
    summary.epochsCompleted = epoch;
    summary.durations.meanEpochSeconds = (Date.now() - startedAt.getTime()) / 1000 / epoch;
    summary.durations.totalSeconds = (Date.now() - startedAt.getTime()) / 1000;
    r.run.writeSummary(summary);
    r.emit({ type: 'epoch', record, best: isBest, etaSeconds: (config.epochs - epoch) * (summary.durations.meanEpochSeconds ?? 0) });
    if (config.earlyStopping && monitor.sinceBest >= config.earlyStopping.patience) {
      summary.reason = `early stopping: no ${config.monitor} improvement in ${monitor.sinceBest} validation(s)`;
      break;
    }
  }
  await saveCheckpoint(r.model, r.run.file('checkpoints', 'last'));
  if (config.predictions > 0) {
    const shown = r.val.slice(0, config.predictions);
    const fresh = monitor.last?.epoch === summary.epochsCompleted ? monitor.last.result : null;
    saveVisuals(
      r.run,
      shown,
      r.source.channels,
      fresh ?? (await validate(r.model, shown, r.loss, r.ctx, shown.length, validationTiling(r.config))),
    );
  }
  return { status: 'done', reason: summary.reason };
}

/**
 * A run's failure reason with the kind named first where it is one a user can act on: memory (V8's
 * heap, a WebAssembly memory that cannot grow: tfjs-wasm reports that as "memory access out of
 * bounds", SegLab's kernels as "would exceed 4 GiB") or a full disk (ENOSPC).
 */
/** What an out-of-memory failure says, from the JS heap, tfjs, WebAssembly or SegLab's kernel pool. */
const OUT_OF_MEMORY =
  /out of memory|allocation failed|Array buffer allocation|memory access out of bounds|Maximum memory size|would exceed 4 GiB|WebAssembly\.Memory/i;

export function failureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  // What the GPU reported explains a failure better than the error it caused downstream.
  const gpu = gpuFailure();
  if (gpu) return message.startsWith(gpu) ? message : gpu;
  if (e?.code === 'ENOSPC' || /ENOSPC|no space left on device/i.test(message)) return `disk full: ${message}`;
  if (OUT_OF_MEMORY.test(message)) {
    return `out of memory: ${message} (try smaller images or crop, a smaller batchSize or model, or --memory-budget for predict)`;
  }
  return message;
}

export async function trainRun(o: TrainOptions): Promise<RunSummary> {
  const r = await startRun(o);
  try {
    const end = await runEpochs(r);
    return await finishRun(r, end.status, end.reason);
  } catch (err) {
    const reason = failureReason(err);
    try {
      return await finishRun(r, 'failed', reason);
    } catch {
      throw err;
    }
  }
}
