/** What a training run is given (TrainOptions) and what it reports while it runs (TrainEvent). */
import type { Dataset } from '../data/dataset';
import type { SampleSource } from '../data/source';
import type { ExperimentConfig } from '../config/config';
import type { Head } from '../model/unet';
import type { EpochRecord, RunSummary } from '../runs/store';

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
