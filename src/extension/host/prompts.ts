/** Questions and checks more than one feature's commands share. */
import * as vscode from 'vscode';
import { CommandContext } from './commandContext';

export function requireTrust(): void {
  if (!vscode.workspace.isTrusted) {
    throw new Error(
      'training is disabled in an untrusted workspace (it runs code on your ' +
        'data); trust the workspace to run experiments. Viewing runs works.',
    );
  }
}

export async function pickConfig(c: CommandContext, uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (uri instanceof vscode.Uri) return uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.fsPath.endsWith('.experiment.json')) return active;
  await c.model.refresh();
  const items = c.model.configs.map((e) => ({ label: e.name, description: vscode.workspace.asRelativePath(e.uri), uri: e.uri }));
  if (items.length === 0) throw new Error('no *.experiment.json in the workspace; run "SegLab: New Experiment Config" first');
  if (items.length === 1) return items[0].uri;
  return (await vscode.window.showQuickPick(items, { title: 'SegLab: choose an experiment config' }))?.uri;
}
