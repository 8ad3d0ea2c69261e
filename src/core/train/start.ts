/**
 * The start of a training run: its data opened and checked, the model, optimizer and loss built, the
 * run folder created with config.json, params.yaml and summary.json, and the start event emitted.
 * What it returns (RunState) is everything the training loop (trainer.ts) needs, grouped by concern.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BackendInfo, initBackend } from '../backend/backend';
import { adapterName } from '../backend/webgpu';
import { configAtEpoch, ExperimentConfig, ignoredLossOptions, lossForHead } from '../config/config';
import { BatchPlan, BatchSampler, Normalization, normalizationOf, splitSamples } from '../data/batches';
import { Dataset, loadFolderDataset, openDataset } from '../data/dataset';
import { defaultCacheMB } from '../data/folderSource';
import { memorySource, SampleList, SampleSource } from '../data/source';
import { generateShapes } from '../data/shapes';
import { CompiledLoss, compileLoss } from '../losses/registry';
import { LossMode } from '../losses/types';
import { convKernelsFor } from '../kernels/conv';
import { buildUnet, convLayers, Head, headChannels, sizeMultiple } from '../model/unet';
import { RunSummary, RunWriter } from '../runs/store';
import { failureReason } from './failure';
import { makeOptimizer } from './optimizer';
import { PredictContext } from './predict';
import { TrainEvent, TrainOptions } from './types';

/** What learns: the model, its optimizer, the compiled loss and what predictions need to know. */
export interface Learner {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  loss: CompiledLoss;
  /** How the loss reads the head's output (lossForHead). */
  mode: LossMode;
  /** Head, channels, classes, normalisation, size multiple and threshold, as validation uses them. */
  ctx: PredictContext;
}

/** The run on disk and its progress. */
export interface RunRecord {
  run: RunWriter;
  summary: RunSummary;
  startedAt: Date;
  /** Milliseconds of each step so far (the throughput and ETA use the last 20). */
  stepTimes: number[];
}

/** Everything a run needs once it has started. */
export interface RunState {
  /** What the caller asked: the config, the callbacks and the test hook. */
  o: TrainOptions;
  emit: (event: TrainEvent) => void;
  data: RunData;
  learner: Learner;
  record: RunRecord;
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
export interface RunData {
  source: SampleSource;
  /** MiB of decoded samples kept in memory (folder datasets). */
  cacheMB: number | null;
  train: number[];
  val: SampleList;
  norm: Normalization;
  sampler: BatchSampler;
  stepsPerEpoch: number;
  /** The next batch, planned while the current step runs (its files are being read meanwhile). */
  nextPlan: BatchPlan | null;
}

/** The config's (or the given) data, split and checked; the source is disposed if a check fails. */
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
    return { source, cacheMB, train, val: new SampleList(source, val), norm, sampler, stepsPerEpoch, nextPlan: null };
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
export async function startRun(o: TrainOptions): Promise<RunState> {
  const backend: BackendInfo = await initBackend(o.config.backend === 'auto' ? undefined : o.config.backend);
  const data = openRunData(o);
  try {
    return startWithData(o, backend, data);
  } catch (err) {
    data.source.dispose();
    throw err;
  }
}

/** The model, optimizer and loss of the config's head on this data; the loss expression and options as resolved. */
function buildLearner(config: ExperimentConfig, data: RunData, backend: BackendInfo) {
  const { source, norm } = data;
  const head = config.head;
  const classes = head === 'softmaxN' || head === 'sigmoidN' ? source.classes : 2;
  const { expression, options, mode } = lossForHead(configAtEpoch(config, 1), head);
  const loss = compileLoss(expression, options);
  const cpuOnly = loss.terms.filter((t) => t.definition.readsPrediction).map((t) => t.definition.name);
  if (backend.name === 'webgpu' && cpuOnly.length) {
    throw new Error(
      `${cpuOnly.join(', ')} thresholds the prediction on the CPU at every step, which the webgpu backend cannot do; ` +
        "train this loss with backend 'wasm' or 'cpu'",
    );
  }
  const ctx: PredictContext = {
    head,
    channels: source.channels,
    classes,
    norm,
    multiple: sizeMultiple(config.model.depth),
    threshold: config.threshold,
  };
  const model = buildUnet({ inputChannels: source.channels, ...config.model, head, classes, seed: config.seed });
  const learner: Learner = { model, optimizer: makeOptimizer(config), loss, mode, ctx };
  return { learner, expression, options };
}

/** config.json's derived section: what SegLab worked out from the config and the data. */
function derivedFacts(config: ExperimentConfig, backend: BackendInfo, data: RunData, l: ReturnType<typeof buildLearner>) {
  const { source, train, val } = data;
  const { head, classes } = l.learner.ctx;
  return {
    loss: l.expression,
    lossOptions: l.options,
    mode: l.learner.mode,
    outputChannels: headChannels(head, classes),
    normalization: data.norm,
    dataset: source.source,
    ...(data.cacheMB !== null ? { cacheMB: data.cacheMB } : {}),
    trainImages: train.map((i) => source.items[i].name),
    valImages: val.indices.map((i) => source.items[i].name),
    stepsPerEpoch: data.stepsPerEpoch,
    parameters: l.learner.model.countParams(),
    ...(backend.name === 'wasm' ? { convKernels: trainingConvKernels(config, source.channels, head, classes, data) } : {}),
  };
}

/** startRun once the data is open. */
function startWithData(o: TrainOptions, backend: BackendInfo, data: RunData): RunState {
  const config = o.config;
  const emit = o.emit ?? (() => undefined);
  const { source, stepsPerEpoch, train, val } = data;
  const built = buildLearner(config, data, backend);
  const { learner, expression } = built;
  const head = config.head;
  const name = o.runName ?? `${config.name}-${head}`;
  const startedAt = new Date();
  const warnings = [...dataWarnings(source.items), ...ignoredLossOptions(config, head)];
  let run: RunWriter;
  let summary: RunSummary;
  try {
    const derived = derivedFacts(config, backend, data, built);
    run = RunWriter.create(config.runsDir, name);
    const facts = { head, mode: learner.mode, loss: expression, backend, dataset: source.source, train, val: val.indices };
    summary = newSummary(run, name, config, facts, startedAt);
    if (warnings.length) summary.warnings = warnings;
    if (o.configFile) summary.configFile = path.resolve(o.configFile);
    writeRunFiles(run, config, summary, derived);
  } catch (err) {
    learner.model.dispose(); // nothing else holds the new model's tensors
    learner.optimizer.dispose();
    throw err;
  }
  const gpu = backend.adapter ? adapterName(backend.adapter) : undefined;
  const start = { runId: run.id, runDir: run.dir, backend: backend.name, threads: backend.threads, gpu, head, loss: expression };
  emit({ type: 'start', ...start, trainImages: train.length, valImages: val.length, epochs: config.epochs, stepsPerEpoch, warnings });
  return { o, emit, data, learner, record: { run, summary, startedAt, stepTimes: [] } };
}
