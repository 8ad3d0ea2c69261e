/**
 * VS Code glue: activation, the experiments view, the dashboard, commands. The science lives in
 * src/core; training runs in engine processes and evaluation in CLI processes, so the extension host
 * stays responsive.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Dashboard } from './host/dashboard';
import { EvaluationView } from './evaluation/evaluationView';
import { LossViews } from './losses/lossViews';
import { RunCalibration } from './runs/calibrationView';
import { OverlayRequest, RunOverlays } from './runs/overlays';
import { SweepView } from './sweeps/sweepView';
import type { CalibrationView, RunView } from '../webview/contract';
import { ExperimentsTree } from './host/experimentsTree';
import { JobManager } from './host/jobs';
import { WorkspaceRuns } from './host/workspaceRuns';

/**
 * What the extension showed and sent, as an observer of its events records it (for the extension's
 * own tests in a real VS Code and for other extensions; nothing in SegLab reads it).
 */
export interface Observed {
  /** Errors commands showed to the user, newest last. */
  readonly commandErrors: readonly string[];
  /** The runs (with their epochs) last sent to the dashboard: what its curves show. */
  readonly postedRuns: readonly RunView[];
  /** The last overlay the dashboard asked for: what Overlays shows. */
  readonly lastOverlayRequest: OverlayRequest | null;
  /** The reliability diagrams last sent to the dashboard: what Calibration shows. */
  readonly calibration: CalibrationView | null;
}

/** What activate() returns: used by the extension's own tests in a real VS Code. */
export interface SegLabApi {
  model: WorkspaceRuns;
  dashboard: Dashboard;
  sweepView: SweepView;
  jobs: JobManager;
  tree: ExperimentsTree;
  /** Fired with every error a command shows to the user. */
  onCommandError: vscode.Event<string>;
  observed: Observed;
}

/** An Observed kept up to date by subscribing to the extension's events. */
function observe(
  dashboard: Dashboard,
  overlays: RunOverlays,
  calibration: RunCalibration,
  onCommandError: vscode.Event<string>,
  subscriptions: vscode.Disposable[],
): Observed {
  const observed = {
    commandErrors: [] as string[],
    postedRuns: [] as readonly RunView[],
    lastOverlayRequest: null as OverlayRequest | null,
    calibration: null as CalibrationView | null,
  };
  subscriptions.push(
    onCommandError((message) => observed.commandErrors.push(message)),
    dashboard.onDidPostRuns((runs) => (observed.postedRuns = runs)),
    overlays.onDidRequestOverlay((request) => (observed.lastOverlayRequest = request)),
    calibration.onDidPost((view) => (observed.calibration = view)),
  );
  return observed;
}

export function activate(context: vscode.ExtensionContext): SegLabApi {
  const output = vscode.window.createOutputChannel('SegLab');
  const model = new WorkspaceRuns();
  const jobs = new JobManager(context, output);
  const dashboard = new Dashboard(context, model, output);
  // Each feature's part of the dashboard answers its own messages.
  const overlays = dashboard.addFeature(new RunOverlays(dashboard));
  const calibration = dashboard.addFeature(new RunCalibration(dashboard));
  const sweepView = dashboard.addFeature(new SweepView(dashboard));
  const evaluationView = dashboard.addFeature(new EvaluationView(dashboard));
  dashboard.addFeature(new LossViews(dashboard));
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
  const commandError = new vscode.EventEmitter<string>();
  context.subscriptions.push(commandError);
  const observed = observe(dashboard, overlays, calibration, commandError.event, context.subscriptions);
  registerCommands({ context, model, jobs, dashboard, output, sweepView, evaluationView }, (message) => commandError.fire(message));
  void model.refresh();
  return { model, dashboard, sweepView, jobs, tree, onCommandError: commandError.event, observed };
}

export function deactivate(): void {}
