/** The series name of a ramped loss term's weight: loss_weight_<term> (a file name: no ':' from monai:/smp:). */
const lossWeightName = (term: string) => `loss_weight_${term.replace(/[^\w]/g, '_')}`;

/**
 * Writing a run folder (the format: store.ts): RunWriter creates `runs/<id>/` with its marker and
 * reserve, and writes every file atomically, the TensorBoard event file appended by whole records.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeJson } from '../common/json';
import { appendWhole, makeDirs, writeFileAtomic } from './atomicWrite';
import { RUN_MARKER } from './deletion';
import { dvcStep, dvcYaml, metricsSummary, metricTsv, toYaml } from './dvclive';
import { RESERVE, RESERVE_BYTES, withReserve } from './reserve';
import { EpochImage, EpochRecord, RunSummary } from './runFiles';
import { eventFileName, fileVersionEvent, SummaryValue, summaryEvent, tfRecord } from './tensorboard';

function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class RunWriter {
  private readonly epochs: EpochRecord[] = [];
  /** When each epoch was appended (ms since 1970): the DVCLive TSVs' timestamp column. */
  private readonly times: number[] = [];
  /** The TensorBoard event file (appended to, one whole epoch of records at a time). */
  private readonly eventFile: string;
  /** Its opening record (file_version), written with the first epoch. */
  private eventHeader: Buffer | null;
  private hasImages = false;

  constructor(
    readonly dir: string,
    readonly id: string,
  ) {
    const now = Date.now() / 1000;
    this.eventFile = eventFileName(now, os.hostname());
    this.eventHeader = tfRecord(fileVersionEvent(now));
  }

  /** Creates `runsDir/<timestamp>-<name>` (a suffix keeps parallel runs apart). */
  static create(runsDir: string, name: string): RunWriter {
    makeDirs(runsDir);
    const base = `${timestamp()}-${name}`;
    for (let i = 0; i < 1000; i++) {
      const id = i === 0 ? base : `${base}-${i + 1}`;
      const dir = path.join(runsDir, id);
      try {
        fs.mkdirSync(dir);
        writeFileAtomic(path.join(dir, RUN_MARKER), encodeJson({ seglabRun: id }) + '\n');
        fs.writeFileSync(path.join(dir, RESERVE), new Uint8Array(RESERVE_BYTES));
        return new RunWriter(dir, id);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new Error(`${dir}: cannot create the run folder (${(err as NodeJS.ErrnoException).code})`);
      }
    }
    throw new Error(`${runsDir}: too many runs named ${base}`);
  }

  file(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), encodeJson(value) + '\n');
  }

  /** summary.json, even on a full disk (the run's reserve is given up for it, see RESERVE). */
  writeSummary(summary: RunSummary): void {
    withReserve(this.dir, () => this.writeJson('summary.json', summary));
  }

  /** The run has ended: its reserve is no longer needed. */
  releaseReserve(): void {
    fs.rmSync(this.file(RESERVE), { force: true });
  }

  /** params.yaml (the resolved config) and dvc.yaml: what DVC needs to list the run. */
  writeParams(config: unknown): void {
    writeFileAtomic(this.file('params.yaml'), toYaml(config));
    writeFileAtomic(this.file('dvc.yaml'), dvcYaml(this.hasImages));
  }

  /**
   * One finished epoch: metrics.jsonl, the DVCLive files (TSVs, metrics.json, images) and the
   * TensorBoard event file, all at DVCLive step epoch − 1.
   */
  appendEpoch(record: EpochRecord, images: EpochImage[] = []): void {
    const now = Date.now();
    this.epochs.push(record);
    this.times.push(now);
    writeFileAtomic(this.file('metrics.jsonl'), this.epochs.map((e) => encodeJson(e, 0)).join('\n') + '\n');
    const series: Record<string, Record<string, { timestamp: number; step: number; value: number }[]>> = { train: { loss: [] }, val: {} };
    this.epochs.forEach((e, i) => {
      const at = { timestamp: this.times[i], step: dvcStep(e.epoch) };
      series.train.loss.push({ ...at, value: e.trainLoss });
      if (e.learningRate !== undefined) (series.train.learning_rate ??= []).push({ ...at, value: e.learningRate });
      for (const [k, v] of Object.entries(e.lossWeights ?? {})) (series.train[lossWeightName(k)] ??= []).push({ ...at, value: v });
      for (const [k, v] of Object.entries(e.val ?? {})) (series.val[k] ??= []).push({ ...at, value: v });
    });
    const latest: Record<string, Record<string, number>> = {};
    for (const [split, metrics] of Object.entries(series)) {
      for (const [name, rows] of Object.entries(metrics)) {
        writeFileAtomic(this.file('plots', 'metrics', split, `${name}.tsv`), metricTsv(name, rows));
        (latest[split] ??= {})[name] = rows[rows.length - 1].value;
      }
    }
    const step = dvcStep(record.epoch);
    writeFileAtomic(this.file('metrics.json'), metricsSummary(latest, step));
    for (const image of images) this.writeFile(path.join('plots', 'images', image.name, `${step}.png`), image.png);
    if (images.length > 0 && !this.hasImages) {
      this.hasImages = true;
      writeFileAtomic(this.file('dvc.yaml'), dvcYaml(true));
    }
    const values: SummaryValue[] = [{ tag: 'train/loss', scalar: record.trainLoss }];
    if (record.learningRate !== undefined) values.push({ tag: 'train/learning_rate', scalar: record.learningRate });
    for (const [k, v] of Object.entries(record.lossWeights ?? {})) values.push({ tag: `train/${lossWeightName(k)}`, scalar: v });
    for (const [k, v] of Object.entries(record.val ?? {})) values.push({ tag: `val/${k}`, scalar: v });
    for (const im of images)
      values.push({ tag: `val/${im.name}`, image: { png: im.png, width: im.width, height: im.height, colorspace: 1 } });
    const event = tfRecord(summaryEvent(now / 1000, step, values));
    appendWhole(this.file(this.eventFile), this.eventHeader ? Buffer.concat([this.eventHeader, event]) : event);
    this.eventHeader = null;
  }

  writeFile(relative: string, content: string | Uint8Array): void {
    writeFileAtomic(this.file(relative), content);
  }
}
