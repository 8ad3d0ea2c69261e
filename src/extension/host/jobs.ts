/**
 * Training jobs started from the editor: each runs in an engine process (never in the extension
 * host). Progress goes to a cancellable notification, the status bar and the output channel; events
 * are forwarded to whoever listens (the dashboard).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { formatDuration } from '../../core/common/duration';
import type { ExperimentConfig } from '../../core/config/config';
import { Head } from '../../core/model/unet';
import type { TrainEvent } from '../../core/train/trainer';
import { startTraining, TrainingJob } from '../../engine/client';
import { runComparison } from '../../engine/compare';
import { runSweep, tunedLearningRate } from '../../engine/sweep';
import { loadConfig } from '../../core/config/config';
import type { SweepAxis } from '../../core/runs/sweep';

import { defaultEnginePathFor } from './enginePath';
import { engineEnv } from './settings';

export interface ActiveJob {
  label: string;
  cancel(): void;
}

export class JobManager implements vscode.Disposable {
  private readonly active = new Set<ActiveJob>();
  private readonly status: vscode.StatusBarItem;
  private readonly eventEmitter = new vscode.EventEmitter<{ label: string; event: TrainEvent }>();
  readonly onEvent = this.eventEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.status.command = 'seglab.stopRun';
  }

  get running(): readonly ActiveJob[] {
    return [...this.active];
  }

  private report(label: string, event: TrainEvent, progress: vscode.Progress<{ message?: string; increment?: number }>): void {
    this.eventEmitter.fire({ label, event });
    if (event.type === 'start') {
      const threads = event.threads ? ` × ${event.threads} thread${event.threads > 1 ? 's' : ''}` : '';
      const gpu = event.gpu ? ` on ${event.gpu}` : '';
      this.output.appendLine(`[${label}] run ${event.runDir} · backend ${event.backend}${threads}${gpu} · loss ${event.loss}`);
      for (const w of event.warnings ?? []) {
        this.output.appendLine(`[${label}] warning: ${w}`);
        void vscode.window.showWarningMessage(`SegLab ${label}: ${w}`);
      }
    }
    if (event.type === 'batch') {
      const text = `${label} epoch ${event.epoch} · loss ${event.loss.toFixed(4)} · ETA ${Math.round(event.etaSeconds)}s`;
      this.status.text = `$(sync~spin) SegLab: ${text}`;
      this.status.tooltip = 'SegLab training — click to stop';
      this.status.show();
      progress.report({ message: text });
    }
    if (event.type === 'epoch') {
      const v = event.record.val;
      this.output.appendLine(
        `[${label}] epoch ${event.record.epoch}: train loss ` +
          `${event.record.trainLoss.toFixed(4)}${v ? ` · val dice ${Number(v.dice).toFixed(4)} · val loss ${Number(v.loss).toFixed(4)}` : ''}`,
      );
    }
    if (event.type === 'end')
      this.output.appendLine(`[${label}] ${event.summary.status}${event.summary.reason ? `: ${event.summary.reason}` : ''}`);
  }

  private finished(job: ActiveJob): void {
    this.active.delete(job);
    if (this.active.size === 0) this.status.hide();
  }

  /** One training run of a config. Resolves when it ended; never throws for a failed run. */
  async train(config: ExperimentConfig, label: string, configFile?: string): Promise<void> {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SegLab: training ${label}`, cancellable: true },
      async (progress, token) => {
        const job: TrainingJob = startTraining(config, {
          configFile,
          enginePath: defaultEnginePathFor(this.context),
          env: engineEnv(),
          onEvent: (e) => this.report(label, e, progress),
          onLog: (l) => this.output.appendLine(`[${label}] ${l}`),
        });
        const entry = { label, cancel: () => job.cancel() };
        this.active.add(entry);
        token.onCancellationRequested(() => job.cancel());
        const result = await job.result;
        this.finished(entry);
        if (result.status === 'done') void vscode.window.showInformationMessage(`SegLab: ${label} finished — ${result.runDir}`);
        else if (result.status === 'cancelled')
          void vscode.window.showWarningMessage(`SegLab: ${label} cancelled; a checkpoint was saved.`);
        else if (result.status === 'pruned') void vscode.window.showInformationMessage(`SegLab: ${label} pruned — ${result.reason}`);
        else void vscode.window.showErrorMessage(`SegLab: ${label} failed: ${result.reason}`);
      },
    );
  }

  async compare(
    config: ExperimentConfig,
    heads: Head[],
    seeds: number[],
    parallel: number,
    configFile: string,
  ): Promise<string | undefined> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SegLab: comparing ${heads.join(' vs ')}`, cancellable: true },
      async (progress, token) => {
        const handle = runComparison(config, {
          heads,
          seeds,
          parallel,
          configFile,
          env: engineEnv(),
          onEvent: (job, e) => this.report(`${job.head}/s${job.seed}`, e, progress),
          onLog: (l) => this.output.appendLine(l),
        });
        const entry = { label: `compare ${config.name}`, cancel: () => handle.cancel() };
        this.active.add(entry);
        token.onCancellationRequested(() => handle.cancel());
        try {
          const result = await handle.result;
          const failed = result.runs.filter((r) => r.status !== 'done');
          if (failed.length)
            void vscode.window.showWarningMessage(
              `SegLab: ${failed.length} run(s) of the comparison did not finish: ${failed.map((f) => `${f.head}: ${f.reason}`).join('; ')}`,
            );
          return result.report;
        } catch (err) {
          void vscode.window.showErrorMessage(`SegLab: comparison failed: ${(err as Error).message}`);
          return undefined;
        } finally {
          this.finished(entry);
        }
      },
    );
  }

  /**
   * A sweep (engine/sweep.ts) with a cancellable notification: runs done/total and the ETA. `opened`
   * gets the sweep folder as soon as it exists (the dashboard follows it live). Resolves to the
   * folder when the sweep has ended (done, failed or cancelled), undefined if it could not start.
   */
  async sweep(
    o: {
      configFile: string;
      axes: SweepAxis[];
      seedCount: number;
      /** Tune the learning rate per cell (TUNED_RATES) with this many Sobol trials and ASHA; then seedCount fresh seeds. */
      tuneTrials?: number;
      parallel: number;
      backend?: string;
      runsDir?: string;
    },
    opened?: (dir: string) => void,
  ): Promise<string | undefined> {
    const config = loadConfig(o.configFile);
    const first = config.seed;
    const seeds = o.tuneTrials ? [first] : Array.from({ length: o.seedCount }, (_, i) => first + i);
    const tuning = o.tuneTrials ? tunedLearningRate(o.axes, o.tuneTrials, first, o.seedCount, config.epochs) : {};
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SegLab: sweep', cancellable: true },
      async (progress, token) => {
        let last = 0;
        const handle = runSweep({
          configFile: o.configFile,
          axes: o.axes,
          seeds,
          ...tuning,
          parallel: o.parallel,
          backend: o.backend,
          runsDir: o.runsDir,
          env: engineEnv(),
          onLog: (l) => this.output.appendLine(l),
          onEvent: (job, e) => {
            this.eventEmitter.fire({ label: `${job.cell} s${job.seed}`, event: e });
            if (e.type === 'end')
              this.output.appendLine(
                `[sweep ${job.cell} seed ${job.seed}] ${e.summary.status}${e.summary.reason ? `: ${e.summary.reason}` : ''}`,
              );
          },
          onUpdate: (s) => {
            const p = s.progress;
            const finished = p.done + p.failed + p.cancelled + (p.pruned ?? 0);
            const eta = p.etaSeconds !== undefined && s.status === 'running' ? ` · ETA ${formatDuration(p.etaSeconds)}` : '';
            const text = `${finished}/${p.total} runs${p.failed ? ` (${p.failed} failed)` : ''}${eta}`;
            progress.report({ message: text, increment: p.total ? (100 * (finished - last)) / p.total : undefined });
            last = finished;
            this.status.text = `$(sync~spin) SegLab sweep: ${text}`;
            this.status.tooltip = 'SegLab sweep — click to stop';
            this.status.show();
          },
        });
        opened?.(handle.dir);
        const entry = { label: `sweep ${path.basename(handle.dir)}`, cancel: () => handle.cancel() };
        this.active.add(entry);
        token.onCancellationRequested(() => handle.cancel());
        try {
          const result = await handle.result;
          const s = result.sweep;
          if (s.status === 'done')
            void vscode.window.showInformationMessage(`SegLab: sweep done — ${s.progress.done} runs in ${result.dir}`);
          else void vscode.window.showWarningMessage(`SegLab: sweep ${s.status}: ${s.reason ?? ''}`);
          return result.dir;
        } finally {
          this.finished(entry);
        }
      },
    );
  }

  dispose(): void {
    for (const job of this.active) job.cancel();
    this.status.dispose();
    this.eventEmitter.dispose();
  }
}
