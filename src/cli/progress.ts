/** Terminal progress for training jobs: a live status line on a TTY, one line per epoch otherwise. */
import type { TrainEvent } from '../core/train/trainer';
import { formatDuration } from '../core/common/duration';
import { formatNumber } from './format';

export { formatDuration };

function bar(fraction: number, width = 16): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export class ProgressView {
  private readonly status = new Map<string, string>();
  private readonly epochs = new Map<string, number>();
  private lastDraw = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  private clearLine(): void {
    if (this.tty) this.write('\r\x1b[2K');
  }

  private draw(force = false): void {
    if (!this.tty || this.status.size === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.clearLine();
    this.write([...this.status.values()].join('  │  ').slice(0, (process.stdout.columns || 160) - 1));
  }

  /** Prints a line above the live status. */
  line(text: string): void {
    this.clearLine();
    this.write(text + '\n');
    this.draw(true);
  }

  event(label: string, e: TrainEvent): void {
    switch (e.type) {
      case 'start':
        this.epochs.set(label, e.epochs);
        for (const w of e.warnings ?? []) process.stderr.write(`${label}: warning: ${w}\n`);
        this.line(
          `${label}: run ${e.runDir} (backend ${e.backend}${e.threads ? ` × ${e.threads} thread${e.threads > 1 ? 's' : ''}` : ''}${e.gpu ? ` on ${e.gpu}` : ''}, ` +
            `loss ${e.loss}, ${e.trainImages} train / ${e.valImages} val images, ${e.stepsPerEpoch} steps/epoch)`,
        );
        break;
      case 'batch': {
        const total = this.epochs.get(label) ?? 1;
        const done = (e.epoch - 1 + e.step / e.steps) / total;
        this.status.set(
          label,
          `${label} ${bar(done)} ep ${e.epoch}/${total} loss ${formatNumber(e.loss)} ` +
            `${e.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(e.etaSeconds)}`,
        );
        this.draw();
        break;
      }
      case 'epoch': {
        const v = e.record.val;
        const val = v
          ? ` val loss ${formatNumber(v.loss)} dice ${formatNumber(v.dice)}${v.pixelError !== undefined ? ` pixel error ${formatNumber(v.pixelError)}` : ''}`
          : '';
        this.line(
          `${label}: epoch ${e.record.epoch}/${this.epochs.get(label) ?? '?'} train loss ` +
            `${formatNumber(e.record.trainLoss)}${val} (${e.record.seconds.toFixed(1)}s${e.best ? ', best' : ''})`,
        );
        break;
      }
      case 'end':
        this.status.delete(label);
        this.line(
          `${label}: ${e.summary.status}${e.summary.reason ? ` — ${e.summary.reason}` : ''} ` +
            `after ${formatDuration(e.summary.durations.totalSeconds)}`,
        );
        break;
    }
  }
}
