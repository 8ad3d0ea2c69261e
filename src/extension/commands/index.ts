/**
 * Every SegLab command, one module per feature (as vscode-dvc): experiments and training, runs on disk,
 * evaluation of predictions made elsewhere, the native backend. Heavy work goes to the engine or the
 * CLI process; the host only orchestrates.
 */
import * as vscode from 'vscode';
import { Dashboard } from '../host/dashboard';
import { JobManager } from '../host/jobs';
import { WorkspaceRuns } from '../host/workspaceRuns';
import { registerBackendCommands } from './backend';
import { commandContext } from './context';
import { registerEvaluationCommands } from './evaluation';
import { registerExperimentCommands } from './experiments';
import { registerRunCommands } from './runs';
import { registerSweepCommands } from './sweeps';

export { COMMANDS } from './context';
export type { ScaffoldPreset } from './experiments';
export type { SweepPreset } from './sweeps';

export function registerCommands(
  context: vscode.ExtensionContext,
  model: WorkspaceRuns,
  jobs: JobManager,
  dashboard: Dashboard,
  output: vscode.OutputChannel,
  /** Told of every error a command reports to the user. */
  onError: (message: string) => void = () => undefined,
): void {
  const c = commandContext({ context, model, jobs, dashboard, output }, onError);
  registerExperimentCommands(c);
  registerRunCommands(c);
  registerSweepCommands(c);
  registerEvaluationCommands(c);
  registerBackendCommands(c);
}
