/** Runs on disk: Open Run, Compare Selected Runs, Delete Run, Open Dashboard, Refresh, Export Report. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { deleteRun } from '../../core/runs/store';
import { TreeNode } from '../host/experimentsTree';
import { CommandContext } from '../host/commandContext';

export function registerRunCommands(c: CommandContext): void {
  c.register('seglab.openRun', async (node?: TreeNode) => {
    if (node?.kind === 'run') c.dashboard.selectRuns([node.run.id]);
    else c.dashboard.open('curves');
  });
  // From the tree (the clicked run and the multi-selection) or the palette (a multi-pick of runs).
  c.register('seglab.compareRuns', (node?: TreeNode, selection?: TreeNode[]) => compareRuns(c, node, selection));
  // `confirmed` (for keybindings, other extensions and tests) skips the modal question.
  c.register('seglab.deleteRun', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    if (!node || node.kind !== 'run') throw new Error('choose a run in the SegLab view');
    if (node.run.summary?.status === 'running') throw new Error('the run is still training; stop it first');
    if (options?.confirmed !== true) {
      const ok = await vscode.window.showWarningMessage(`Delete run ${node.run.id}? Its folder is removed.`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return;
    }
    // In an untrusted window only runs inside the workspace can be deleted (a settings file could point
    // seglab.runsFolder anywhere).
    const within = vscode.workspace.isTrusted ? undefined : (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    deleteRun(node.run.dir, { within });
    await c.model.refresh();
    return node.run.dir;
  });
  c.register('seglab.openDashboard', () => c.dashboard.open());
  c.register('seglab.refreshRuns', () => c.model.refresh());
  c.register('seglab.exportReport', (report?: string, target?: vscode.Uri) => exportReport(c, report, target));
}

async function compareRuns(c: CommandContext, node?: TreeNode, selection?: TreeNode[]): Promise<string[]> {
  let ids = (selection ?? (node ? [node] : []))
    .filter((n) => n.kind === 'run')
    .map((n) => (n as Extract<TreeNode, { kind: 'run' }>).run.id);
  if (ids.length === 0) {
    const runs = c.model.configs.flatMap((e) =>
      e.runs.map((r) => ({
        label: r.summary?.name ?? r.id,
        description: `${r.summary?.head ?? ''} · ${r.summary?.status ?? 'unknown'}`,
        detail: r.dir,
        id: r.id,
      })),
    );
    if (runs.length === 0) throw new Error('no runs yet; run an experiment first');
    const picked = await vscode.window.showQuickPick(runs, { canPickMany: true, title: 'SegLab: runs to compare (curves overlaid)' });
    ids = (picked ?? []).map((p) => p.id);
  }
  if (ids.length > 0) c.dashboard.selectRuns(ids);
  return ids;
}

/** Every comparison report in the workspace's runs folders, newest first. */
function comparisonReports(c: CommandContext): string[] {
  const reports = c.model.configs.flatMap((e) => {
    const dir = path.join(e.runsDir, 'comparisons');
    return fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .map((d) => path.join(dir, d, 'report.html'))
          .filter((f) => fs.existsSync(f))
      : [];
  });
  return [...new Set(reports)].sort().reverse();
}

/** Copies a comparison report (picked, or `report`) to a file (asked for, or `target`); returns where. */
async function exportReport(c: CommandContext, report?: string, target?: vscode.Uri): Promise<string | undefined> {
  if (report === undefined) {
    const reports = comparisonReports(c);
    if (reports.length === 0) throw new Error('no comparison report yet; run "SegLab: Compare Sigmoid vs Softmax" first');
    const items = reports.map((r) => ({ label: path.basename(path.dirname(r)), description: r, file: r }));
    report = (await vscode.window.showQuickPick(items, { title: 'SegLab: report to export' }))?.file;
    if (!report) return;
  } else if (!fs.existsSync(report)) throw new Error(`${report}: no such report`);
  const name = `${path.basename(path.dirname(report))}.html`;
  target ??= await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(path.dirname(report), '..', name)),
    filters: { HTML: ['html'] },
  });
  if (!target) return;
  fs.copyFileSync(report, target.fsPath);
  void vscode.window.showInformationMessage(`SegLab: report exported to ${target.fsPath}`);
  return target.fsPath;
}
