/**
 * Every SegLab command, one folder per feature (as vscode-dvc): runs/ (experiments, training, runs on
 * disk), sweeps/, evaluation/ (predictions made elsewhere), backend/ (the native and GPU backends);
 * each folder also holds its part of the dashboard. Heavy work goes to the engine or the CLI process;
 * the host only orchestrates.
 */
import * as vscode from 'vscode';
import { registerBackendCommands } from './backend/commands';
import { Dashboard } from './host/dashboard';
import { EvaluationView } from './evaluation/evaluationView';
import { registerEvaluationCommands } from './evaluation/commands';
import { commandContext } from './host/commandContext';
import { JobManager } from './host/jobs';
import { WorkspaceRuns } from './host/workspaceRuns';
import { registerRunCommands } from './runs/commands';
import { registerExperimentCommands } from './runs/experimentCommands';
import { registerSweepCommands } from './sweeps/commands';
import { SweepView } from './sweeps/sweepView';

export { COMMANDS } from './host/commandContext';
export type { ScaffoldPreset } from './runs/experimentCommands';
export type { SweepPreset } from './sweeps/commands';

export function registerCommands(
  parts: {
    context: vscode.ExtensionContext;
    model: WorkspaceRuns;
    jobs: JobManager;
    dashboard: Dashboard;
    output: vscode.OutputChannel;
    sweepView: SweepView;
    evaluationView: EvaluationView;
  },
  /** Told of every error a command reports to the user. */
  onError: (message: string) => void = () => undefined,
): void {
  const { sweepView, evaluationView, ...shared } = parts;
  const c = commandContext(shared, onError);
  registerExperimentCommands(c);
  registerRunCommands(c);
  registerSweepCommands(c, sweepView);
  registerEvaluationCommands(c, evaluationView);
  registerBackendCommands(c);
}
