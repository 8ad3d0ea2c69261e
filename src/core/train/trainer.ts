/**
 * The training loop. Emits events (start, batch, epoch, end), polls `shouldStop` between batches,
 * validates on whole images, keeps the best and the last checkpoint, and writes the run to disk.
 * A NaN or infinite loss ends the run as `failed` with the step that produced it; a stop request ends
 * it as `cancelled` after saving a checkpoint; a sweep's ASHA rule (config.pruning, runs/asha.ts) ends it
 * as `pruned` at a rung, checkpoint and sample images kept as for a finished run. How a run starts (data, model, run folder) is start.ts.
 */
import { mapToBytes } from '../common/arrays';
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend/backend';
import { gpuFailure } from '../backend/webgpu';
import { DEFAULT_MEMORY_BUDGET_MB, DEFAULT_OVERLAP, tileForBudget, Tiling } from './tiles';
import { configAtEpoch, ExperimentConfig, lossForHead } from '../config/config';
import { rampWeights } from '../config/ramps';
import { CompiledLoss, compileLoss } from '../losses/registry';
import { Batch, batchDigest } from '../data/batches';
import { SampleList, SampleSeq } from '../data/source';
import { encodePng8 } from '../data/png';
import { lowerIsBetter } from '../common/metrics';
import { Head, sizeMultiple } from '../model/unet';
import { ashaDecision, prunedReason, recordRung, rungEpochs } from '../runs/asha';
import { saveCheckpoint } from '../runs/checkpoint';
import { CALIBRATION_FILE, calibrationFile, EpochImage, EpochRecord, RunSummary, RunWriter } from '../runs/store';
import { failureReason } from './failure';
import { learningRateAt, setLearningRate } from './optimizer';
import { lossTarget, validate, ValidationResult } from './predict';
import { RunData, RunState, startRun } from './start';

export type { TrainEvent, TrainOptions } from './types';
import type { TrainOptions } from './types';

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

/**
 * Whole-image validation of images larger than validation.memoryBudgetMB (and, on a GPU, its largest
 * buffer) allows runs in windows (tiles.ts).
 */
export function validationTiling(config: ExperimentConfig): Tiling {
  const budget = config.validation.memoryBudgetMB ?? DEFAULT_MEMORY_BUDGET_MB;
  const binding = activeBackend()?.adapter?.maxStorageBufferBindingSize;
  return { tile: tileForBudget(budget, config.model.baseFilters, sizeMultiple(config.model.depth), binding), overlap: DEFAULT_OVERLAP };
}

/** Writes the run's end state, frees the model, emits end. */
async function finishRun(r: RunState, status: RunSummary['status'], reason?: string): Promise<RunSummary> {
  const { run, summary, startedAt } = r.record;
  const endedAt = new Date();
  Object.assign(summary, { status, reason, endedAt: endedAt.toISOString() });
  summary.durations.totalSeconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
  run.writeSummary(summary);
  run.releaseReserve();
  r.learner.model.dispose();
  r.learner.optimizer.dispose();
  r.data.source.dispose();
  r.emit({ type: 'end', summary });
  return summary;
}

/**
 * The planned batch, built once its files are in memory; the one after it is planned and its files
 * requested before this returns, so they are read while the step runs.
 */
async function nextBatch(d: RunData, size: number): Promise<Batch> {
  const plan = d.nextPlan ?? d.sampler.plan(size);
  await d.source.ready(plan.picks.map((p) => p.index));
  const batch = d.sampler.build(plan);
  d.nextPlan = d.sampler.plan(size);
  d.source.prefetch(d.nextPlan.picks.map((p) => p.index));
  return batch;
}

/** One optimizer step on the next batch at the schedule's rate; returns its loss and that rate. */
async function trainStep(r: RunState, epoch: number, step: number): Promise<{ loss: number; learningRate: number; data: string }> {
  const { config } = r.o;
  const { optimizer, model, loss, mode } = r.learner;
  const { head, classes } = r.learner.ctx;
  const stepsPerEpoch = r.data.stepsPerEpoch;
  const batch = await nextBatch(r.data, config.batchSize);
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
  const { config } = r.o;
  const { stepsPerEpoch } = r.data;
  const { stepTimes, run } = r.record;
  let lossSum = 0;
  let learningRate = config.optimizer.learningRate;
  for (let step = 1; step <= stepsPerEpoch; step++) {
    if (r.o.shouldStop?.()) {
      await saveCheckpoint(r.learner.model, run.file('checkpoints', 'last'));
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
    stepTimes.push(Date.now() - t0);
    const recent = stepTimes.slice(-20);
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
  const { config } = r.o;
  const { model, loss, ctx } = r.learner;
  const { summary } = r.record;
  const validation = await validate(model, r.data.val, loss, ctx, config.predictions, validationTiling(config));
  m.last = { epoch, result: validation };
  record.val = Object.fromEntries(
    Object.entries(validation.values).filter(([k]) => k === 'loss' || (config.metrics as string[]).includes(k)),
  );
  summary.final = record.val;
  r.record.run.writeJson(CALIBRATION_FILE, calibrationFile(epoch, r.learner.ctx.head, validation.reliability));
  const monitored = validation.values[config.monitor];
  if (!improves(config.monitor, monitored, m.bestValue, config.earlyStopping?.minDelta ?? 0)) {
    m.sinceBest++;
    return false;
  }
  m.bestValue = monitored;
  m.sinceBest = 0;
  summary.bestEpoch = epoch;
  summary.best = record.val;
  await saveCheckpoint(model, r.record.run.file('checkpoints', 'best'));
  return true;
}

/** The loss of `epoch` for a config with ramped terms (their weights written in, then mapped for the head). */
function rampedLoss(config: ExperimentConfig, head: Head, epoch: number): CompiledLoss {
  const { expression, options } = lossForHead(configAtEpoch(config, epoch), head);
  return compileLoss(expression, options);
}

/** The epochs, the last checkpoint and the sample images; the run's end status and reason. */
async function runEpochs(r: RunState): Promise<{ status: RunSummary['status']; reason?: string }> {
  const { config } = r.o;
  const { run, summary, startedAt } = r.record;
  const monitor: Monitor = { bestValue: null, sinceBest: 0, last: null };
  const ramps = typeof config.loss === 'string' ? undefined : config.loss.ramps;
  const rungs = config.pruning ? rungEpochs(config.pruning.minEpochs, config.pruning.eta, config.epochs) : [];
  let ending: { status: RunSummary['status']; reason?: string } = { status: 'done' };
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const epochStart = Date.now();
    // ramped loss terms: this epoch's weights (training and its validation use the same loss)
    if (ramps && epoch > 1) r.learner.loss = rampedLoss(config, r.learner.ctx.head, epoch);
    const trained = await trainEpoch(r, epoch);
    if ('status' in trained) return trained;
    const record: EpochRecord = { epoch, trainLoss: trained.trainLoss, seconds: 0, learningRate: trained.learningRate };
    if (ramps) record.lossWeights = rampWeights(ramps, epoch);
    const validates = epoch % config.validation.every === 0 || epoch === config.epochs || rungs.includes(epoch);
    const isBest = validates ? await validateEpoch(r, epoch, record, monitor) : false;
    record.seconds = (Date.now() - epochStart) / 1000;
    const images = validates && monitor.last?.epoch === epoch ? epochSnapshots(r.data.val, monitor.last.result) : [];
    run.appendEpoch(record, images);
    summary.epochsCompleted = epoch;
    summary.durations.meanEpochSeconds = (Date.now() - startedAt.getTime()) / 1000 / epoch;
    summary.durations.totalSeconds = (Date.now() - startedAt.getTime()) / 1000;
    run.writeSummary(summary);
    r.emit({ type: 'epoch', record, best: isBest, etaSeconds: (config.epochs - epoch) * (summary.durations.meanEpochSeconds ?? 0) });
    if (config.earlyStopping && monitor.sinceBest >= config.earlyStopping.patience) {
      summary.reason = `early stopping: no ${config.monitor} improvement in ${monitor.sinceBest} validation(s)`;
      break;
    }
    const rung = rungs.indexOf(epoch);
    if (rung >= 0 && config.pruning && monitor.last?.epoch === epoch) {
      const pruned = atRung(config, summary.name, rung, epoch, monitor.last.result.values[config.monitor]);
      if (pruned) {
        ending = { status: 'pruned', reason: pruned };
        break;
      }
    }
  }
  const { model, loss, ctx } = r.learner;
  await saveCheckpoint(model, run.file('checkpoints', 'last'));
  if (config.predictions > 0) {
    const shown = r.data.val.slice(0, config.predictions);
    const fresh = monitor.last?.epoch === summary.epochsCompleted ? monitor.last.result : null;
    saveVisuals(run, shown, ctx.channels, fresh ?? (await validate(model, shown, loss, ctx, shown.length, validationTiling(config))));
  }
  return ending.status === 'done' ? { status: 'done', reason: summary.reason } : ending;
}

/** A run at ASHA rung `rung`: records its value there; the reason it is pruned, or undefined to go on. */
function atRung(config: ExperimentConfig, run: string, rung: number, epoch: number, value: number): string | undefined {
  const p = config.pruning!;
  const entries = recordRung(p, rung, { run, value, epoch });
  const d = ashaDecision(entries, run, p.eta, config.monitor);
  return d.promote ? undefined : prunedReason(rung, epoch, config.monitor, value, d, p.eta);
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
