/** Every SegLab command. Heavy work goes to the engine or the CLI process; the host only orchestrates. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ExperimentConfig, loadConfig, starterConfig, validateConfig } from '../core/config/config';
import { FolderEvaluation } from '../core/metrics/evaluateFolders';
import { HEADS, Head } from '../core/model/unet';
import { deleteRun } from '../core/runs/store';
import { describeDefault, lossDefinitions } from '../core/losses/registry';
import { installTfjsNode } from '../engine/installTfjsNode';
import { runCli, runCliJson } from './cliProcess';
import { Dashboard } from './dashboard';
import { TreeNode } from './experimentsTree';
import { JobManager } from './jobs';
import { readSettings } from './settings';
import { WorkspaceRuns } from './workspaceRuns';

export const COMMANDS = [
  'seglab.newExperimentConfig',
  'seglab.runExperiment',
  'seglab.compareHeads',
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
] as const;

const GT_MEMORY = 'seglab.groundTruthFor';

/** The answers of the scaffolding quick picks (also accepted as an argument, for scripts and tests). */
export interface ScaffoldPreset {
  dataset: 'builtin' | 'folders';
  images?: string;
  masks?: string;
  head?: Head;
  loss?: string;
}

export function registerCommands(
  context: vscode.ExtensionContext,
  model: WorkspaceRuns,
  jobs: JobManager,
  dashboard: Dashboard,
  output: vscode.OutputChannel,
  /** Every error a command reported to the user (newest last), for the extension's own tests. */
  errors: string[] = [],
): void {
  const register = (id: (typeof COMMANDS)[number], fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          output.appendLine(`${id}: ${(err as Error).message}`);
          errors.push(`${id}: ${(err as Error).message}`);
          void vscode.window.showErrorMessage(`SegLab: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );

  const requireTrust = () => {
    if (!vscode.workspace.isTrusted) {
      throw new Error(
        'training is disabled in an untrusted workspace (it runs code on your data); trust the workspace to run experiments. Viewing runs works.',
      );
    }
  };

  const pickConfig = async (uri?: vscode.Uri): Promise<vscode.Uri | undefined> => {
    if (uri instanceof vscode.Uri) return uri;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && active.fsPath.endsWith('.experiment.json')) return active;
    await model.refresh();
    const items = model.configs.map((c) => ({ label: c.name, description: vscode.workspace.asRelativePath(c.uri), uri: c.uri }));
    if (items.length === 0) throw new Error('no *.experiment.json in the workspace; run "SegLab: New Experiment Config" first');
    if (items.length === 1) return items[0].uri;
    return (await vscode.window.showQuickPick(items, { title: 'SegLab: choose an experiment config' }))?.uri;
  };

  const configWithSettings = (uri: vscode.Uri): ExperimentConfig => {
    const config = loadConfig(uri.fsPath);
    const s = readSettings();
    const entry = model.configs.find((c) => c.uri.fsPath === uri.fsPath);
    return { ...config, backend: config.backend === 'auto' ? s.backend : config.backend, runsDir: entry?.runsDir ?? config.runsDir };
  };

  register('seglab.newExperimentConfig', async (folderArg?: vscode.Uri, preset?: ScaffoldPreset) => {
    const folder = folderArg instanceof vscode.Uri ? folderArg : vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) throw new Error('open a folder first');
    if (preset) return writeConfig(folder, preset);
    const source = await vscode.window.showQuickPick(
      [
        { label: 'Built-in synthetic shapes', description: 'no data needed', value: 'builtin' },
        { label: 'Image and mask folders…', description: 'PNG/JPEG images, PNG masks paired by name', value: 'folders' },
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
    const loss = await vscode.window.showQuickPick(
      [
        'bce',
        'bce+dice',
        'dice',
        'focal',
        'lovaszHinge',
        ...lossDefinitions()
          .map((d) => d.name)
          .filter((n) => !['bce', 'dice', 'focal', 'lovaszHinge'].includes(n)),
      ],
      { title: 'SegLab: loss (written for the sigmoid head; mapped for softmax heads)' },
    );
    if (!loss) return;
    return writeConfig(folder, { dataset: source.value as 'builtin' | 'folders', images, masks, head: head as Head, loss });
  });

  /** Writes a validated starter config next to the others (never over an existing file) and opens it. */
  const writeConfig = async (folder: vscode.Uri, p: ScaffoldPreset): Promise<vscode.Uri> => {
    const config: Record<string, unknown> = starterConfig({ images: p.images, masks: p.masks, head: p.head, loss: p.loss });
    delete config.$schema; // the schema comes from the extension's jsonValidation
    validateConfig(config);
    let file = vscode.Uri.joinPath(folder, 'seglab.experiment.json');
    for (let i = 2; fs.existsSync(file.fsPath); i++) file = vscode.Uri.joinPath(folder, `seglab-${i}.experiment.json`);
    fs.writeFileSync(file.fsPath, JSON.stringify(config, null, 2) + '\n');
    await vscode.window.showTextDocument(file);
    await model.refresh();
    return file;
  };

  /** What every training command does first: trust check, config choice, settings, the dashboard. */
  const prepareTraining = async (uri?: vscode.Uri): Promise<{ file: vscode.Uri; config: ExperimentConfig } | undefined> => {
    requireTrust();
    const file = await pickConfig(uri);
    if (!file) return undefined;
    const config = configWithSettings(file);
    dashboard.open('curves');
    return { file, config };
  };

  register('seglab.runExperiment', async (uri?: vscode.Uri) => {
    const prepared = await prepareTraining(uri);
    if (!prepared) return;
    const { config } = prepared;
    await jobs.train(config, `${config.name} (${config.head})`);
    await model.refresh();
  });

  register('seglab.compareHeads', async (uri?: vscode.Uri) => {
    const prepared = await prepareTraining(uri);
    if (!prepared) return;
    const { file, config } = prepared;
    const report = await jobs.compare(config, ['sigmoid1', 'softmax2'], [config.seed], readSettings().maxParallelRuns, file.fsPath);
    await model.refresh();
    if (report) {
      const open = await vscode.window.showInformationMessage(`SegLab: comparison written to ${report}`, 'Open Report');
      if (open) await vscode.env.openExternal(vscode.Uri.file(report));
    }
    return report;
  });

  register('seglab.stopRun', async () => {
    const running = jobs.running;
    if (running.length === 0) {
      void vscode.window.showInformationMessage('SegLab: no run in progress.');
      return;
    }
    const pick =
      running.length === 1 ? running[0] : (await vscode.window.showQuickPick(running.map((j) => ({ label: j.label, job: j }))))?.job;
    pick?.cancel();
  });

  register('seglab.openRun', async (node?: TreeNode) => {
    if (node?.kind === 'run') dashboard.selectRuns([node.run.id]);
    else dashboard.open('curves');
  });

  // From the tree (the clicked run and the multi-selection) or the palette (a multi-pick of runs).
  register('seglab.compareRuns', async (node?: TreeNode, selection?: TreeNode[]) => {
    let ids = (selection ?? (node ? [node] : []))
      .filter((n) => n.kind === 'run')
      .map((n) => (n as Extract<TreeNode, { kind: 'run' }>).run.id);
    if (ids.length === 0) {
      const runs = model.configs.flatMap((c) =>
        c.runs.map((r) => ({
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
    if (ids.length > 0) dashboard.selectRuns(ids);
    return ids;
  });

  register('seglab.deleteRun', async (node?: TreeNode) => {
    if (!node || node.kind !== 'run') throw new Error('choose a run in the SegLab view');
    if (node.run.summary?.status === 'running') throw new Error('the run is still training; stop it first');
    const ok = await vscode.window.showWarningMessage(`Delete run ${node.run.id}? Its folder is removed.`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return;
    deleteRun(node.run.dir);
    await model.refresh();
  });

  register('seglab.openDashboard', () => dashboard.open());
  register('seglab.refreshRuns', () => model.refresh());
  register('seglab.showLossLibrary', () => {
    output.clear();
    for (const d of lossDefinitions()) {
      output.appendLine(`${d.name} (${d.modes.join(', ')}): ${d.summary}`);
      output.appendLine(`    reference: ${d.reference}`);
      for (const [key, spec] of Object.entries(d.options)) output.appendLine(`    ${key} = ${describeDefault(spec)}: ${spec.description}`);
    }
    output.show(true);
  });

  const askGroundTruth = async (pred: vscode.Uri): Promise<vscode.Uri | undefined> => {
    const memory = context.workspaceState.get<Record<string, string>>(GT_MEMORY, {});
    const remembered = memory[pred.fsPath];
    if (remembered && fs.existsSync(remembered)) {
      const choice = await vscode.window.showQuickPick(
        [
          { label: `Use ${vscode.workspace.asRelativePath(remembered)}`, value: 'same' },
          { label: 'Choose another ground-truth folder…', value: 'other' },
        ],
        {
          title: 'SegLab: ground truth',
        },
      );
      if (!choice) return undefined;
      if (choice.value === 'same') return vscode.Uri.file(remembered);
    }
    const gt = (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        title: 'Ground-truth masks folder',
        openLabel: 'Use as ground truth',
      })
    )?.[0];
    if (gt) await context.workspaceState.update(GT_MEMORY, { ...memory, [pred.fsPath]: gt.fsPath });
    return gt;
  };

  register('seglab.evaluateMaskFolder', async (pred?: vscode.Uri, gtArg?: vscode.Uri) => {
    const predDir =
      pred instanceof vscode.Uri
        ? pred
        : (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Predictions folder' }))?.[0];
    if (!predDir) return;
    const gtDir = gtArg instanceof vscode.Uri ? gtArg : await askGroundTruth(predDir);
    if (!gtDir) return;
    const threshold = String(readSettings().defaultThreshold);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SegLab: evaluating…', cancellable: true },
      async (_p, token) => {
        const tmp = path.join(context.globalStorageUri.fsPath, `eval-${Date.now()}.json`);
        fs.mkdirSync(path.dirname(tmp), { recursive: true });
        await runCli(
          context,
          ['eval', '--pred', predDir.fsPath, '--gt', gtDir.fsPath, '--threshold', threshold, '--json', tmp, '--quiet'],
          token,
        );
        const text = fs.readFileSync(tmp, 'utf8');
        fs.rmSync(tmp, { force: true });
        return JSON.parse(text) as FolderEvaluation;
      },
    );
    dashboard.showEvaluation(result);
    return result;
  });

  // On a prediction file (with a target file) or a folder of probability maps (with a target folder,
  // paired by name; the folder choice is remembered like the evaluation's ground truth).
  register('seglab.computeLosses', async (pred?: vscode.Uri, targetArg?: vscode.Uri) => {
    const predUri =
      pred instanceof vscode.Uri
        ? pred
        : (
            await vscode.window.showOpenDialog({
              canSelectMany: false,
              canSelectFolders: true,
              canSelectFiles: true,
              filters: { Predictions: ['png', 'npy'] },
              title: 'Predictions: a probability map or a folder of them',
            })
          )?.[0];
    if (!predUri) return;
    const folder = fs.statSync(predUri.fsPath).isDirectory();
    const target =
      targetArg instanceof vscode.Uri
        ? targetArg
        : folder
          ? await askGroundTruth(predUri)
          : (
              await vscode.window.showOpenDialog({
                canSelectMany: false,
                filters: { Masks: ['png', 'npy'] },
                title: 'Target mask',
                defaultUri: vscode.Uri.file(path.dirname(predUri.fsPath)),
              })
            )?.[0];
    if (!target) return;
    type Row = { name: string; value: number | string };
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SegLab: computing losses…', cancellable: true },
      (_p, token) =>
        runCliJson<{ losses?: Row[]; files?: { name: string; losses: Row[] }[]; mean?: Row[] }>(
          context,
          ['losses', '--pred', predUri.fsPath, '--target', target.fsPath, '--json'],
          token,
        ),
    );
    const fmt = (v: number | string) => (typeof v === 'number' ? v.toFixed(6) : String(v));
    output.appendLine(`losses of ${predUri.fsPath} against ${target.fsPath}:`);
    if (result.files && result.mean) {
      const names = result.mean.map((m) => m.name);
      output.appendLine(`  ${'file'.padEnd(20)} ${names.map((n) => n.padStart(14)).join(' ')}`);
      for (const f of result.files) output.appendLine(`  ${f.name.padEnd(20)} ${f.losses.map((l) => fmt(l.value).padStart(14)).join(' ')}`);
      output.appendLine(`  ${'mean'.padEnd(20)} ${result.mean.map((l) => fmt(l.value).padStart(14)).join(' ')}`);
    } else {
      for (const l of result.losses ?? []) output.appendLine(`  ${l.name.padEnd(24)} ${fmt(l.value)}`);
    }
    output.show(true);
    return result;
  });

  // TensorFlow's native backend, for users whose machine can download libtensorflow: npm installs it
  // into the extension's global storage (never into the workspace), then seglab.tfjsNodePath points
  // the engine at it. `dirArg` is for tests and scripts.
  register('seglab.installTfjsNode', async (dirArg?: string) => {
    const dir = typeof dirArg === 'string' ? dirArg : path.join(context.globalStorageUri.fsPath, 'tfjs-node');
    output.appendLine(`installing @tensorflow/tfjs-node into ${dir}`);
    const result = await vscode.window
      .withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'SegLab: installing tfjs-node (npm)…', cancellable: false },
        (progress) =>
          installTfjsNode(dir, {
            onOutput: (line) => {
              output.appendLine(`npm: ${line}`);
              progress.report({ message: line.slice(0, 80) });
            },
          }),
      )
      .then(undefined, (err: Error) => {
        // The notification shows the reason; npm's details go to the output channel.
        output.appendLine(err.message);
        throw new Error(`${err.message.split('\n')[0]} (details: Output → SegLab)`);
      });
    await vscode.workspace.getConfiguration('seglab').update('tfjsNodePath', result.dir, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(
      `SegLab: tfjs-node ${result.version} installed; new runs use the 'tensorflow' backend (setting seglab.backend: auto).`,
    );
    return result;
  });

  register('seglab.exportReport', async () => {
    const reports = model.configs.flatMap((c) => {
      const dir = path.join(c.runsDir, 'comparisons');
      return fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .map((d) => path.join(dir, d, 'report.html'))
            .filter((f) => fs.existsSync(f))
        : [];
    });
    if (reports.length === 0) throw new Error('no comparison report yet; run "SegLab: Compare Sigmoid vs Softmax" first');
    const pick = await vscode.window.showQuickPick(
      reports
        .sort()
        .reverse()
        .map((r) => ({ label: path.basename(path.dirname(r)), description: r, file: r })),
      { title: 'SegLab: report to export' },
    );
    if (!pick) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(path.dirname(pick.file), '..', `${path.basename(path.dirname(pick.file))}.html`)),
      filters: { HTML: ['html'] },
    });
    if (!target) return;
    fs.copyFileSync(pick.file, target.fsPath);
    void vscode.window.showInformationMessage(`SegLab: report exported to ${target.fsPath}`);
    return target.fsPath;
  });
}
