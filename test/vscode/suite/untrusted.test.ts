/**
 * SegLab in an untrusted (restricted mode) workspace: viewing and evaluating work, training is
 * refused with an explanation and writes nothing.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SegLabApi } from '../../../src/extension/extension';
import { writeMaskFolders } from './masks';

describe('SegLab in an untrusted workspace', () => {
  let api: SegLabApi;
  let workspace: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<SegLabApi>('seglab.seglab');
    assert.ok(ext, 'the extension is loaded in restricted mode (untrustedWorkspaces: limited)');
    api = await ext.activate();
    workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  it('the workspace is untrusted', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  it('Run Experiment and Compare are refused with an explanation, and no run is written', async () => {
    const file = path.join(workspace, 'tiny.experiment.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ name: 'tiny', dataset: { builtin: 'shapes', count: 8, size: 16 }, epochs: 1, runsDir: 'runs' }),
    );
    for (const command of ['seglab.runExperiment', 'seglab.compareHeads']) {
      const before = api.observed.commandErrors.length;
      const result = await vscode.commands.executeCommand(command, vscode.Uri.file(file));
      assert.strictEqual(result, undefined);
      assert.strictEqual(api.observed.commandErrors.length, before + 1, `${command} reported an error`);
      assert.match(api.observed.commandErrors[before], /training is disabled in an untrusted workspace.*trust the workspace/);
    }
    assert.ok(!fs.existsSync(path.join(workspace, 'runs')), 'nothing was trained or written');
    assert.strictEqual(api.jobs.running.length, 0);
  });

  it('viewing works: the config is listed, the dashboard opens, a mask folder is evaluated', async () => {
    await api.model.refresh();
    assert.ok(api.model.configs.some((c) => c.name === 'tiny'));
    await vscode.commands.executeCommand('seglab.openDashboard');
    assert.ok(api.dashboard.isOpen);
    const { pred, gt } = writeMaskFolders(workspace, true);
    const result = (await vscode.commands.executeCommand('seglab.evaluateMaskFolder', vscode.Uri.file(pred), vscode.Uri.file(gt))) as {
      images: { dice: number }[];
    };
    assert.ok(Math.abs(result.images[0].dice - 2 / 3) < 1e-12);
  });
});
