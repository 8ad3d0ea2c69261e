/** What every SegLab command gets: the extension's parts and a `register` that reports errors. */
import * as vscode from 'vscode';
import { Dashboard } from './dashboard';
import { JobManager } from '../host/jobs';
import { WorkspaceRuns } from '../host/workspaceRuns';

export const COMMANDS = [
  'seglab.newExperimentConfig',
  'seglab.runExperiment',
  'seglab.compareHeads',
  'seglab.runSweep',
  'seglab.openSweep',
  'seglab.stopRun',
  'seglab.openRun',
  'seglab.compareRuns',
  'seglab.deleteRun',
  'seglab.openDashboard',
  'seglab.evaluateMaskFolder',
  'seglab.computeLosses',
  'seglab.exportReport',
  'seglab.refreshRuns',
  'seglab.showLossLibrary',
  'seglab.installTfjsNode',
  'seglab.installGpuSupport',
] as const;
export type CommandId = (typeof COMMANDS)[number];

export interface CommandContext {
  context: vscode.ExtensionContext;
  model: WorkspaceRuns;
  jobs: JobManager;
  dashboard: Dashboard;
  output: vscode.OutputChannel;
  /** Registers a command whose errors go to the output channel, an error message and `onError`. */
  register(id: CommandId, fn: (...args: never[]) => unknown): void;
}

export function commandContext(
  parts: Omit<CommandContext, 'register'>,
  /** Told of every error a command reports to the user (the extension's commandError event). */
  onError: (message: string) => void,
): CommandContext {
  const { context, output } = parts;
  const register = (id: CommandId, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          output.appendLine(`${id}: ${(err as Error).message}`);
          onError(`${id}: ${(err as Error).message}`);
          void vscode.window.showErrorMessage(`SegLab: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
  return { ...parts, register };
}
