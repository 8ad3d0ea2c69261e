/**
 * VS Code glue: activation, the experiments view, the dashboard, commands. The science lives in
 * src/core; training runs in engine processes and evaluation in CLI processes, so the extension host
 * stays responsive.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Dashboard } from './dashboard';
import { ExperimentsTree } from './experimentsTree';
import { JobManager } from './jobs';
import { WorkspaceRuns } from './workspaceRuns';

/** What activate() returns: used by the extension's own tests in a real VS Code. */
export interface SegLabApi {
  model: WorkspaceRuns;
  dashboard: Dashboard;
  jobs: JobManager;
  tree: ExperimentsTree;
}

export function activate(context: vscode.ExtensionContext): SegLabApi {
  const output = vscode.window.createOutputChannel('SegLab');
  const model = new WorkspaceRuns();
  const jobs = new JobManager(context, output);
  const dashboard = new Dashboard(context, model, output);
  const tree = new ExperimentsTree(model);
  context.subscriptions.push(output, model, jobs, dashboard, vscode.window.createTreeView('seglab.experiments', { treeDataProvider: tree, showCollapseAll: true }));
  registerCommands(context, model, jobs, dashboard, output);
  void model.refresh();
  return { model, dashboard, jobs, tree };
}

export function deactivate(): void {}
