/** Predictions made elsewhere: Evaluate Mask Folder and Compute Losses (in the CLI process). */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { decodeJsonAs } from '../../core/common/json';
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { runCli, runCliJson } from '../host/cliProcess';
import { readSettings } from '../host/settings';
import { CommandContext } from '../host/commandContext';
import { EvaluationView } from './evaluationView';

const GT_MEMORY = 'seglab.groundTruthFor';

type Row = { name: string; value: number | string };
type LossesResult = { losses?: Row[]; files?: { name: string; losses: Row[] }[]; mean?: Row[] };

export function registerEvaluationCommands(c: CommandContext, view: EvaluationView): void {
  c.register('seglab.evaluateMaskFolder', (pred?: vscode.Uri, gt?: vscode.Uri) => evaluateMaskFolder(c, view, pred, gt));
  // On a prediction file (with a target file) or a folder of probability maps (with a target folder,
  // paired by name; the folder choice is remembered like the evaluation's ground truth).
  c.register('seglab.computeLosses', (pred?: vscode.Uri, target?: vscode.Uri) => computeLosses(c, pred, target));
}

/**
 * The ground truth for a predictions folder (a folder) or a predictions TIFF stack (a TIFF stack): the
 * remembered one, or a new choice (remembered).
 */
async function askGroundTruth(c: CommandContext, pred: vscode.Uri): Promise<vscode.Uri | undefined> {
  const stack = fs.statSync(pred.fsPath).isFile();
  const memory = c.context.workspaceState.get<Record<string, string>>(GT_MEMORY, {});
  const remembered = memory[pred.fsPath];
  if (remembered && fs.existsSync(remembered)) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: `Use ${vscode.workspace.asRelativePath(remembered)}`, value: 'same' },
        { label: stack ? 'Choose another ground-truth TIFF stack…' : 'Choose another ground-truth folder…', value: 'other' },
      ],
      { title: 'SegLab: ground truth' },
    );
    if (!choice) return undefined;
    if (choice.value === 'same') return vscode.Uri.file(remembered);
  }
  const gt = (
    await vscode.window.showOpenDialog({
      canSelectFolders: !stack,
      canSelectFiles: stack,
      filters: stack ? { 'TIFF stack': ['tif', 'tiff'] } : undefined,
      title: stack ? 'Ground-truth masks: a TIFF stack (page i pairs with page i)' : 'Ground-truth masks folder',
      openLabel: 'Use as ground truth',
    })
  )?.[0];
  if (gt) await c.context.workspaceState.update(GT_MEMORY, { ...memory, [pred.fsPath]: gt.fsPath });
  return gt;
}

async function evaluateMaskFolder(
  c: CommandContext,
  view: EvaluationView,
  pred?: vscode.Uri,
  gtArg?: vscode.Uri,
): Promise<FolderEvaluation | undefined> {
  const predDir =
    pred instanceof vscode.Uri
      ? pred
      : (
          await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: true,
            filters: { 'TIFF stack': ['tif', 'tiff'] },
            title: 'Predictions: a folder, or a multi-page TIFF stack',
          })
        )?.[0];
  if (!predDir) return;
  const gtDir = gtArg instanceof vscode.Uri ? gtArg : await askGroundTruth(c, predDir);
  if (!gtDir) return;
  const threshold = String(readSettings().defaultThreshold);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SegLab: evaluating…', cancellable: true },
    async (_p, token) => {
      const tmp = path.join(c.context.globalStorageUri.fsPath, `eval-${Date.now()}.json`);
      fs.mkdirSync(path.dirname(tmp), { recursive: true });
      const args = ['eval', '--pred', predDir.fsPath, '--gt', gtDir.fsPath, '--threshold', threshold, '--json', tmp, '--quiet'];
      await runCli(c.context, args, token);
      const text = fs.readFileSync(tmp, 'utf8');
      fs.rmSync(tmp, { force: true });
      return decodeJsonAs<FolderEvaluation>(text);
    },
  );
  view.show(result);
  for (const w of Array.isArray(result.warnings) ? result.warnings : [])
    if (typeof w === 'string') void vscode.window.showWarningMessage(`SegLab: ${w}`);
  return result;
}

async function pickPredictions(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    canSelectFolders: true,
    canSelectFiles: true,
    filters: { Predictions: ['png', 'npy', 'tif', 'tiff'] },
    title: 'Predictions: a probability map or a folder of them',
  });
  return picked?.[0];
}

async function pickTarget(c: CommandContext, predUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (fs.statSync(predUri.fsPath).isDirectory()) return askGroundTruth(c, predUri);
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { Masks: ['png', 'npy', 'tif', 'tiff'] },
    title: 'Target mask',
    defaultUri: vscode.Uri.file(path.dirname(predUri.fsPath)),
  });
  return picked?.[0];
}

async function computeLosses(c: CommandContext, pred?: vscode.Uri, targetArg?: vscode.Uri): Promise<LossesResult | undefined> {
  const predUri = pred instanceof vscode.Uri ? pred : await pickPredictions();
  if (!predUri) return;
  const target = targetArg instanceof vscode.Uri ? targetArg : await pickTarget(c, predUri);
  if (!target) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SegLab: computing losses…', cancellable: true },
    (_p, token) => runCliJson<LossesResult>(c.context, ['losses', '--pred', predUri.fsPath, '--target', target.fsPath, '--json'], token),
  );
  const fmt = (v: number | string) => (typeof v === 'number' ? v.toFixed(6) : String(v));
  const out = c.output;
  out.appendLine(`losses of ${predUri.fsPath} against ${target.fsPath}:`);
  if (result.files && result.mean) {
    const names = result.mean.map((m) => m.name);
    out.appendLine(`  ${'file'.padEnd(20)} ${names.map((n) => n.padStart(14)).join(' ')}`);
    for (const f of result.files) out.appendLine(`  ${f.name.padEnd(20)} ${f.losses.map((l) => fmt(l.value).padStart(14)).join(' ')}`);
    out.appendLine(`  ${'mean'.padEnd(20)} ${result.mean.map((l) => fmt(l.value).padStart(14)).join(' ')}`);
  } else {
    for (const l of result.losses ?? []) out.appendLine(`  ${l.name.padEnd(24)} ${fmt(l.value)}`);
  }
  out.show(true);
  return result;
}
