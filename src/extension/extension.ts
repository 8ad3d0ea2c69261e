/**
 * VS Code glue: activation, the experiments view, the dashboard, commands. The science lives in
 * src/core; training runs in engine processes and evaluation in CLI processes, so the extension host
 * stays responsive.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Dashboard } from './host/dashboard';
import { ExperimentsTree } from './host/experimentsTree';
import { JobManager } from './host/jobs';
import { WorkspaceRuns } from './host/workspaceRuns';

/** What activate() returns: used by the extension's own tests in a real VS Code. */
export interface SegLabApi {
  model: WorkspaceRuns;
  dashboard: Dashboard;
  jobs: JobManager;
  tree: ExperimentsTree;
  /** Errors commands showed to the user, newest last. */
  commandErrors: readonly string[];
}

export function activate(context: vscode.ExtensionContext): SegLabApi {
  const output = vscode.window.createOutputChannel('SegLab');
  const model = new WorkspaceRuns();
  const jobs = new JobManager(context, output);
  const dashboard = new Dashboard(context, model, output);
  const tree = new ExperimentsTree(model);
  context.subscriptions.push(
    output,
    model,
    jobs,
    dashboard,
    vscode.window.createTreeView('seglab.experiments', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true }),
  );
  // Live curves: every epoch of a run started here refreshes the runs (file watchers only see
  // runs folders inside the workspace).
  context.subscriptions.push(jobs.onEvent(({ event }) => event.type !== 'batch' && model.scheduleRefresh()));
  const commandErrors: string[] = [];
  registerCommands(context, model, jobs, dashboard, output, commandErrors);
  void model.refresh();
  return { model, dashboard, jobs, tree, commandErrors };
}

export function deactivate(): void {}
