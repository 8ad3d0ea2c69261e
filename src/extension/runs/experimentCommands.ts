/** Experiment configs and training: New Experiment Config, Run Experiment, Compare Sigmoid vs Softmax, Stop Run. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { lossLibraryLines } from '../../core/losses/library';
import { readComparisonFile } from '../../core/runs/decodeFiles';
import { ExperimentConfig, loadConfig, starterConfig, validateConfig } from '../../core/config/config';
import { lossDefinitions } from '../../core/losses/registry';
import { HEADS, Head } from '../../core/model/unet';
import { readSettings } from '../host/settings';
import { CommandContext } from '../host/commandContext';
import { pickConfig, requireTrust } from '../host/prompts';

/** The answers of the scaffolding quick picks (also accepted as an argument, for scripts and tests). */
export interface ScaffoldPreset {
  dataset: 'builtin' | 'folders';
  images?: string;
  masks?: string;
  head?: Head;
  loss?: string;
}

export function registerExperimentCommands(c: CommandContext): void {
  c.register('seglab.newExperimentConfig', (folder?: vscode.Uri, preset?: ScaffoldPreset) => newExperimentConfig(c, folder, preset));
  c.register('seglab.runExperiment', async (uri?: vscode.Uri) => {
    const prepared = await prepareTraining(c, uri);
    if (!prepared) return;
    const { config, file } = prepared;
    await c.jobs.train(config, `${config.name} (${config.head})`, file.fsPath);
    await c.model.refresh();
  });
  c.register('seglab.compareHeads', (uri?: vscode.Uri) => compareHeads(c, uri));
  c.register('seglab.stopRun', async () => {
    const running = c.jobs.running;
    if (running.length === 0) {
      void vscode.window.showInformationMessage('SegLab: no run in progress.');
      return;
    }
    const pick =
      running.length === 1 ? running[0] : (await vscode.window.showQuickPick(running.map((j) => ({ label: j.label, job: j }))))?.job;
    pick?.cancel();
    return pick?.label;
  });
  // Returns the text it shows (for other extensions and tests).
  c.register('seglab.showLossLibrary', () => {
    const lines = lossLibraryLines();
    c.output.clear();
    for (const line of lines) c.output.appendLine(line);
    c.output.show(true);
    return lines.join('\n');
  });
}

/** The run ids a comparison.json lists (none when it cannot be read: the comparison itself succeeded). */
function comparedRunIds(file: string): string[] {
  try {
    return readComparisonFile(file)
      .runs.map((r) => r.runId)
      .filter((id): id is string => id !== undefined);
  } catch {
    return [];
  }
}

function configWithSettings(c: CommandContext, uri: vscode.Uri): ExperimentConfig {
  const config = loadConfig(uri.fsPath);
  const s = readSettings();
  const entry = c.model.configs.find((e) => e.uri.fsPath === uri.fsPath);
  return { ...config, backend: config.backend === 'auto' ? s.backend : config.backend, runsDir: entry?.runsDir ?? config.runsDir };
}

/** What every training command does first: trust check, config choice, settings, the dashboard. */
async function prepareTraining(c: CommandContext, uri?: vscode.Uri): Promise<{ file: vscode.Uri; config: ExperimentConfig } | undefined> {
  requireTrust();
  const file = await pickConfig(c, uri);
  if (!file) return undefined;
  const config = configWithSettings(c, file);
  c.dashboard.open('curves');
  return { file, config };
}

async function compareHeads(c: CommandContext, uri?: vscode.Uri): Promise<string | undefined> {
  const prepared = await prepareTraining(c, uri);
  if (!prepared) return;
  const { file, config } = prepared;
  const report = await c.jobs.compare(config, ['sigmoid1', 'softmax2'], [config.seed], readSettings().maxParallelRuns, file.fsPath);
  await c.model.refresh();
  // Show the comparison: both heads' runs ticked in the curves (not only the last one that started).
  if (report) {
    const ids = comparedRunIds(path.join(path.dirname(report), 'comparison.json'));
    if (ids.length > 0) c.dashboard.selectRuns(ids);
  }
  // The command ends with the comparison; the notification's button works for as long as it is shown.
  if (report) {
    void vscode.window.showInformationMessage(`SegLab: comparison written to ${report}`, 'Open Report').then((open) => {
      if (open) void vscode.env.openExternal(vscode.Uri.file(report));
    });
  }
  return report;
}

async function newExperimentConfig(c: CommandContext, folderArg?: vscode.Uri, preset?: ScaffoldPreset): Promise<vscode.Uri | undefined> {
  const folder = folderArg instanceof vscode.Uri ? folderArg : vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) throw new Error('open a folder first');
  if (preset) return writeConfig(c, folder, preset);
  const source = await vscode.window.showQuickPick(
    [
      { label: 'Built-in synthetic shapes', description: 'no data needed', value: 'builtin' },
      { label: 'Image and mask folders…', description: 'PNG, JPEG or TIFF images, PNG or TIFF masks paired by name', value: 'folders' },
    ],
    { title: 'SegLab: dataset' },
  );
  if (!source) return;
  let images: string | undefined;
  let masks: string | undefined;
  if (source.value === 'folders') {
    const pick = async (title: string) =>
      (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: folder, title }))?.[0];
    const img = await pick('Images folder');
    const msk = img && (await pick('Masks folder'));
    if (!img || !msk) return;
    images = path.relative(folder.fsPath, img.fsPath) || '.';
    masks = path.relative(folder.fsPath, msk.fsPath) || '.';
  }
  const head = await vscode.window.showQuickPick([...HEADS], { title: 'SegLab: head', placeHolder: 'sigmoid1' });
  if (!head) return;
  const first = ['bce', 'bce+dice', 'dice', 'focal', 'lovaszHinge'];
  const loss = await vscode.window.showQuickPick(
    [
      ...first,
      ...lossDefinitions()
        .map((d) => d.name)
        .filter((n) => !first.includes(n)),
    ],
    { title: 'SegLab: loss (written for the sigmoid head; mapped for softmax heads)' },
  );
  if (!loss) return;
  return writeConfig(c, folder, { dataset: source.value as 'builtin' | 'folders', images, masks, head: head as Head, loss });
}

/** Writes a validated starter config next to the others (never over an existing file) and opens it. */
async function writeConfig(c: CommandContext, folder: vscode.Uri, p: ScaffoldPreset): Promise<vscode.Uri> {
  // No $schema: the extension's jsonValidation gives every *.experiment.json the schema.
  const config = starterConfig({ images: p.images, masks: p.masks, head: p.head, loss: p.loss });
  validateConfig(config);
  let file = vscode.Uri.joinPath(folder, 'seglab.experiment.json');
  for (let i = 2; fs.existsSync(file.fsPath); i++) file = vscode.Uri.joinPath(folder, `seglab-${i}.experiment.json`);
  fs.writeFileSync(file.fsPath, JSON.stringify(config, null, 2) + '\n');
  await vscode.window.showTextDocument(file);
  await c.model.refresh();
  return file;
}
