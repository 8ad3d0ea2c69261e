/**
 * The runs feature's Calibration view: the reliability diagrams (calibration.json) of the runs the
 * webview names, read with every field checked; a run without one is listed with the reason.
 */
import * as vscode from 'vscode';
import { readCalibration } from '../../core/runs/store';
import { CalibrationView, ViewMessage } from '../../webview/contract';
import { DashboardHost, ViewFeature } from '../host/dashboard';

export class RunCalibration implements ViewFeature {
  readonly handles = ['requestCalibration'] as const;
  private readonly posted = new vscode.EventEmitter<CalibrationView>();
  /** The diagrams just sent to the webview (what the Calibration view shows). */
  readonly onDidPost = this.posted.event;

  constructor(private readonly host: DashboardHost) {}

  handle(m: ViewMessage): void {
    if (m.type !== 'requestCalibration') return;
    const view = this.calibration(m.runIds);
    this.host.post({ type: 'calibration', calibration: view });
    this.posted.fire(view);
  }

  dispose(): void {
    this.posted.dispose();
  }

  private calibration(runIds: readonly string[]): CalibrationView {
    const view: CalibrationView = { runs: [], missing: [] };
    for (const id of runIds) {
      const run = this.host.model.findRun(id)?.run;
      if (!run) {
        view.missing.push({ label: id, why: 'no such run in this workspace' });
        continue;
      }
      const label = run.summary?.name ?? run.id;
      try {
        const c = readCalibration(run.dir);
        if (c) view.runs.push({ id: run.id, label, ...c });
        else view.missing.push({ label, why: 'no calibration.json (not validated yet, or trained before SegLab wrote it)' });
      } catch (err) {
        view.missing.push({ label, why: (err as Error).message });
      }
    }
    return view;
  }
}
