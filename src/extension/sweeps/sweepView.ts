/**
 * The sweeps feature's part of the dashboard: the Sweep view of one sweep folder, kept up to date while
 * it runs (a Slurm sweep through `seglab sweep status`), a cell's runs opened in the curves, the report.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SweepFile } from '../../core/runs/sweep';
import { effectiveSweep, readSweepFile } from '../../core/runs/sweepStore';
import { ViewMessage } from '../../webview/contract';
import { DashboardHost, ViewFeature } from '../host/dashboard';
import { runCliJson } from '../host/cliProcess';
import { sweepView } from '../host/views';

export class SweepView implements ViewFeature {
  readonly handles = ['openSweepCell', 'openSweepReport'] as const;

  constructor(private readonly host: DashboardHost) {}

  /** The sweep the Sweep view shows (its folder), and the cells' run ids as last sent. */
  private sweepDir: string | undefined;
  private sweepCells: string[][] = [];

  get shown(): string | undefined {
    return this.sweepDir;
  }

  /** Opens the Sweep view on a sweep folder (kept up to date while it runs). */
  show(dir: string): void {
    this.sweepDir = dir;
    this.host.open('sweep');
    this.postSweep(true);
  }

  private postSweep(reportErrors: boolean): void {
    if (!this.sweepDir) return;
    try {
      const sweep = effectiveSweep(readSweepFile(this.sweepDir));
      this.sendSweep(sweep);
      if (sweep.launcher === 'slurm' && sweep.status === 'running') this.followSlurm(this.sweepDir);
    } catch (err) {
      if (reportErrors) this.host.post({ type: 'error', message: (err as Error).message });
    }
  }

  private sendSweep(sweep: SweepFile): void {
    const view = sweepView(sweep);
    this.sweepCells = view.cells.map((c) => c.runIds);
    this.host.post({ type: 'sweep', sweep: view });
  }

  private slurmTimer: NodeJS.Timeout | undefined;

  /**
   * A Slurm sweep on screen: nothing on this machine writes its sweep.json, so `seglab sweep status`
   * (a CLI process: squeue never blocks the host) brings it up to date every 10 s while it runs.
   */
  private followSlurm(dir: string): void {
    if (this.slurmTimer) return;
    const tick = () => {
      this.slurmTimer = undefined;
      if (!this.host.isOpen || this.sweepDir !== dir) return;
      runCliJson<SweepFile>(this.host.context, ['sweep', 'status', dir, '--json']).then(
        (sweep) => {
          if (this.sweepDir !== dir) return;
          this.sendSweep(sweep);
          if (sweep.status === 'running') this.slurmTimer = setTimeout(tick, 10000);
        },
        (err: Error) => {
          this.host.output.appendLine(`sweep status ${dir}: ${err.message}`);
          this.slurmTimer = setTimeout(tick, 30000);
        },
      );
    };
    this.slurmTimer = setTimeout(tick, 0);
  }

  async handle(m: ViewMessage): Promise<void> {
    if (m.type === 'openSweepCell') {
      const ids = this.sweepCells[m.index];
      if (!ids) throw new Error('no such sweep cell');
      if (ids.length === 0) throw new Error('this cell has no runs yet');
      this.host.selectRuns(ids);
    } else if (m.type === 'openSweepReport') {
      if (!this.sweepDir) throw new Error('no sweep is open');
      const report = path.join(this.sweepDir, 'report.html');
      if (!fs.existsSync(report)) throw new Error('the report is written when the sweep ends; it has not ended yet');
      await vscode.env.openExternal(vscode.Uri.file(report));
    }
  }

  runsChanged(): void {
    if (this.sweepDir) this.postSweep(false);
  }

  dispose(): void {
    if (this.slurmTimer) clearTimeout(this.slurmTimer);
  }
}
