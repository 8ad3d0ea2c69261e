/** SegLab inside a real VS Code extension host: activation, commands, scaffolding, a run, evaluation. */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SegLabApi } from '../../../src/extension/extension';
import { validateConfig } from '../../../src/core/config/config';
import { encodePng8 } from '../../../src/core/data/png';
import { writeMaskFolders } from './masks';

const EXTENSION_ID = 'seglab.seglab';

/** A small experiment on the built-in shapes (seconds on the wasm backend). */
function tinyConfig(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    dataset: { builtin: 'shapes', count: 10, size: 16 },
    model: { depth: 2, baseFilters: 4 },
    epochs: 2,
    batchSize: 4,
    stepsPerEpoch: 2,
    predictions: 1,
    backend: 'wasm',
    ...over,
  };
}
let api: SegLabApi;
let workspace: string;

describe('SegLab in VS Code', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension<SegLabApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is loaded`);
    api = await ext.activate();
    workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  it('is the expected copy of the extension (this folder, or the installed .vsix)', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const expect = process.env.SEGLAB_TEST_EXPECT ?? '';
    console.log(`    extension loaded from ${ext.extensionPath}`);
    if (expect === 'installed') {
      // Installed by `code-server --install-extension seglab.vsix` into the test's extensions folder.
      assert.match(ext.extensionPath, /[\\/]extensions[\\/]seglab\.seglab-\d+\.\d+\.\d+$/);
      for (const f of [
        'dist/extension.js',
        'dist/engine.js',
        'dist/webview.js',
        'schemas/experiment.schema.json',
        'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      ]) {
        assert.ok(fs.existsSync(path.join(ext.extensionPath, f)), `the .vsix holds ${f}`);
      }
      assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'src')), 'the .vsix leaves the sources out');
      assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'node_modules', 'webgpu')), 'GPU support is installed on demand, not shipped');
    } else if (expect.startsWith('development:')) {
      assert.strictEqual(ext.extensionPath, expect.slice('development:'.length));
    }
  });

  it('activates and registers every contributed command', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 11);
    for (const c of contributed) assert.ok(registered.has(c), `${c} is registered`);
  });

  it('scaffolds a config that validates against the schema', async () => {
    const uri = (await vscode.commands.executeCommand('seglab.newExperimentConfig', vscode.Uri.file(workspace), {
      dataset: 'builtin',
      head: 'softmax2',
      loss: 'bce+dice',
    })) as vscode.Uri;
    assert.ok(uri && fs.existsSync(uri.fsPath));
    const config = validateConfig(JSON.parse(fs.readFileSync(uri.fsPath, 'utf8')), uri.fsPath);
    assert.strictEqual(config.head, 'softmax2');
    assert.strictEqual(config.loss, 'bce+dice');
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { jsonValidation: { url: string }[] } };
    const schema = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, manifest.contributes.jsonValidation[0].url);
    assert.ok(fs.existsSync(schema), 'the contributed schema exists');
  });

  it('runs a short experiment in the engine and shows the run in the tree', async () => {
    const file = path.join(workspace, 'tiny.experiment.json');
    fs.writeFileSync(file, JSON.stringify(tinyConfig('tiny')));
    await vscode.commands.executeCommand('seglab.runExperiment', vscode.Uri.file(file));
    await api.model.refresh();
    const entry = api.model.configs.find((c) => c.uri.fsPath === file);
    assert.ok(entry, 'the config is listed');
    assert.strictEqual(entry.runs.length, 1);
    assert.strictEqual(entry.runs[0].summary?.status, 'done');
    const roots = api.tree.getChildren();
    const configNode = roots.find((n) => n.kind === 'config' && n.entry.uri.fsPath === file)!;
    const runs = api.tree.getChildren(configNode);
    assert.strictEqual(runs.length, 1);
    const item = api.tree.getTreeItem(runs[0]);
    assert.strictEqual(item.contextValue, 'seglab.run.done');
    assert.match(String(item.description), /^done · dice \d\.\d{3}$/);
    const metrics = api.tree.getChildren(runs[0]).map((n) => String(api.tree.getTreeItem(n).label));
    assert.ok(
      metrics.some((l) => l.startsWith('dice: ')),
      metrics.join(', '),
    );
  });

  it('curves update live while a run trains, and Open Run / Compare Selected Runs select runs', async () => {
    const file = path.join(workspace, 'live.experiment.json');
    const liveSettings = {
      dataset: { builtin: 'shapes', count: 16, size: 64 },
      model: { depth: 2, baseFilters: 8 },
      epochs: 4,
      batchSize: 8,
      stepsPerEpoch: 60,
    };
    fs.writeFileSync(file, JSON.stringify(tinyConfig('live', liveSettings)));
    await vscode.commands.executeCommand('seglab.openDashboard');
    // What the dashboard's curves were given while the run was still training.
    const seenWhileRunning: number[] = [];
    const poll = setInterval(() => {
      const run = api.observed.postedRuns.find((r) => r.label.includes('· live-') && r.status === 'running');
      if (run) seenWhileRunning.push(run.epochs.length);
    }, 50);
    try {
      await vscode.commands.executeCommand('seglab.runExperiment', vscode.Uri.file(file));
    } finally {
      clearInterval(poll);
    }
    assert.ok(
      seenWhileRunning.some((n) => n >= 1 && n < 4),
      `the curves got epochs during the run (epoch counts seen: ${[...new Set(seenWhileRunning)].join(', ')})`,
    );
    await api.model.refresh();
    const runs = api.model.configs.flatMap((c) => c.runs);
    const live = runs.find((r) => r.summary?.name?.startsWith('live-'))!;
    const tiny = runs.find((r) => r.summary?.name?.startsWith('tiny-'))!;
    // The tree's own run nodes, as VS Code passes them to inline actions (clicked node, selection).
    const runNodes = api.tree.getChildren().flatMap((c) => api.tree.getChildren(c));
    const node = (run: typeof live) => runNodes.find((n) => n.kind === 'run' && n.run.id === run.id)!;
    await vscode.commands.executeCommand('seglab.openRun', node(live));
    assert.deepStrictEqual(api.dashboard.selectedRuns, [live.id]);
    const compared = await vscode.commands.executeCommand('seglab.compareRuns', node(live), [node(live), node(tiny)]);
    assert.deepStrictEqual(compared, [live.id, tiny.id]);
    assert.deepStrictEqual(api.dashboard.selectedRuns, [live.id, tiny.id]);
    const posted = api.observed.postedRuns.find((r) => r.id === live.id)!;
    assert.strictEqual(posted.status, 'done');
    assert.strictEqual(posted.epochs.length, 4);
  });

  it('Compare Sigmoid vs Softmax trains both heads and writes the report; Export Report copies it', async () => {
    const file = path.join(workspace, 'pair.experiment.json');
    fs.writeFileSync(file, JSON.stringify(tinyConfig('pair', { epochs: 2 })));
    const report = (await vscode.commands.executeCommand('seglab.compareHeads', vscode.Uri.file(file))) as string;
    assert.ok(report && fs.existsSync(report), `the command returns the report it wrote (${report})`);
    const comparison = JSON.parse(fs.readFileSync(path.join(path.dirname(report), 'comparison.json'), 'utf8')) as {
      runs: { head: string; status: string; final: { dice: number } }[];
    };
    assert.deepStrictEqual(comparison.runs.map((r) => [r.head, r.status]).sort(), [
      ['sigmoid1', 'done'],
      ['softmax2', 'done'],
    ]);
    // The dashboard opens on the comparison: both heads' runs are the selected curves, and the
    // webview asks at once for their overlays side by side (ready in the Overlays tab).
    const ids = comparison.runs.map((r) => (r as unknown as { runId: string }).runId).sort();
    assert.deepStrictEqual([...api.dashboard.selectedRuns].sort(), ids);
    // (An earlier test's selection may still be answered first: wait for this one's request.)
    const requested = (): string[] => [...(api.observed.lastOverlayRequest?.runIds ?? [])].sort();
    for (let i = 0; i < 150 && JSON.stringify(requested()) !== JSON.stringify(ids); i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepStrictEqual(requested(), ids, 'both runs side by side in Overlays');
    // … and for their reliability diagrams (ready in the Calibration tab), read from each run's calibration.json.
    const calibrated = (): string[] => (api.observed.calibration?.runs ?? []).map((r) => r.id).sort();
    for (let i = 0; i < 150 && JSON.stringify(calibrated()) !== JSON.stringify(ids); i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepStrictEqual(calibrated(), ids, 'both runs side by side in Calibration');
    for (const shown of api.observed.calibration!.runs) {
      const run = comparison.runs.find((r) => (r as unknown as { runId: string }).runId === shown.id) as unknown as { runDir: string };
      const file = JSON.parse(fs.readFileSync(path.join(run.runDir, 'calibration.json'), 'utf8'));
      assert.deepStrictEqual([shown.ece, shown.brier, shown.pixels], [file.ece, file.brier, file.pixels], shown.id);
    }
    const html = fs.readFileSync(report, 'utf8');
    for (const run of comparison.runs) {
      // The per-run table shows each run's final Dice to 4 digits.
      assert.ok(html.includes(`<td>${run.final.dice.toFixed(4)}</td>`), `the report shows ${run.head}'s Dice ${run.final.dice}`);
    }
    // A reliability diagram per head, side by side.
    assert.strictEqual((html.match(/aria-label="[^"]*: ECE /g) ?? []).length, 2, 'two reliability diagrams in the report');
    const target = path.join(workspace, 'exported-report.html');
    const exported = await vscode.commands.executeCommand('seglab.exportReport', report, vscode.Uri.file(target));
    assert.strictEqual(exported, target);
    assert.ok(fs.readFileSync(target).equals(fs.readFileSync(report)), 'the exported file is the report');
    const before = api.observed.commandErrors.length;
    await vscode.commands.executeCommand('seglab.exportReport', path.join(workspace, 'missing', 'report.html'), vscode.Uri.file(target));
    assert.match(api.observed.commandErrors[before], /^seglab\.exportReport: .*missing[\\/]report\.html: no such report$/);
  });

  it('Run Sweep… trains 3 losses × 2 heads × 3 seeds, lists the sweep in the sidebar and opens the Sweep view', async function () {
    this.timeout(15 * 60000);
    const file = path.join(workspace, 'grid.experiment.json');
    fs.writeFileSync(file, JSON.stringify(tinyConfig('grid', { epochs: 1, seed: 4 })));
    const preset = { losses: ['bce', 'dice', 'bce+dice'], heads: ['sigmoid1', 'softmax2'], seeds: 3 };
    const dir = (await vscode.commands.executeCommand('seglab.runSweep', vscode.Uri.file(file), preset)) as string;
    assert.ok(
      dir && fs.existsSync(path.join(dir, 'sweep.json')),
      `the command returns the sweep folder (${dir}); errors: ${api.observed.commandErrors.slice(-1)}`,
    );
    const sweep = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as {
      status: string;
      seeds: number[];
      cells: { id: string; n: number; runs: string[]; params: Record<string, string> }[];
    };
    assert.strictEqual(sweep.status, 'done');
    assert.deepStrictEqual(sweep.seeds, [4, 5, 6], "three seeds from the config's");
    assert.deepStrictEqual(
      sweep.cells.map((c) => [c.params.loss, c.params.head, c.n]),
      ['bce', 'dice', 'bce+dice'].flatMap((l) => [
        [l, 'sigmoid1', 3],
        [l, 'softmax2', 3],
      ]),
    );
    assert.ok(fs.readFileSync(path.join(dir, 'report.html'), 'utf8').includes('Paired comparisons'));
    // The Sweep view follows it; the sidebar shows the sweep under its config, cells under the sweep, runs under each cell.
    assert.strictEqual(api.sweepView.shown, dir);
    await api.model.refresh();
    const configNode = api.tree.getChildren().find((n) => n.kind === 'config' && n.entry.uri.fsPath === file)!;
    const children = api.tree.getChildren(configNode);
    const sweepNode = children.find((n) => n.kind === 'sweep')!;
    assert.ok(sweepNode, 'a sweep node under the config');
    assert.strictEqual(children.filter((n) => n.kind === 'run').length, 0, "the sweep's 18 runs are not listed again beside it");
    assert.match(String(api.tree.getTreeItem(sweepNode).description), /^done · 18\/18 runs · best /);
    const cells = api.tree.getChildren(sweepNode);
    assert.strictEqual(cells.length, 6);
    assert.match(String(api.tree.getTreeItem(cells[0]).description), /^dice \d\.\d{3} ± \d\.\d{3} · 3\/3 seeds$/);
    assert.strictEqual(api.tree.getChildren(cells[0]).length, 3, "a cell's three runs");
    // Running the same sweep again reuses every run (nothing left to train).
    const again = (await vscode.commands.executeCommand('seglab.runSweep', vscode.Uri.file(file), preset)) as string;
    assert.strictEqual(again, dir);
    const reread = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as { cells: { runs: string[] }[] };
    assert.deepStrictEqual(
      reread.cells.map((c) => c.runs),
      sweep.cells.map((c) => c.runs),
    );
  });

  it('Stop Run cancels a training run (it ends cancelled); Delete Run removes it', async () => {
    const file = path.join(workspace, 'long.experiment.json');
    fs.writeFileSync(file, JSON.stringify(tinyConfig('long', { epochs: 500, stepsPerEpoch: 20 })));
    const training = vscode.commands.executeCommand('seglab.runExperiment', vscode.Uri.file(file));
    // Stop once the job is running and has trained a moment (500 epochs would take minutes).
    for (let i = 0; i < 1200 && api.jobs.running.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(api.jobs.running.length, 1, 'one job is running');
    // …and its run folder exists (the engine has started training).
    const longRun = () => api.model.configs.flatMap((c) => c.runs).find((r) => r.summary?.name?.startsWith('long-'));
    for (let i = 0; i < 150 && !longRun(); i++) {
      await new Promise((r) => setTimeout(r, 200));
      await api.model.refresh();
    }
    assert.ok(longRun(), 'the run folder appears');
    await new Promise((r) => setTimeout(r, 500));
    const stopped = await vscode.commands.executeCommand('seglab.stopRun');
    assert.match(String(stopped), /^long/);
    await training;
    await api.model.refresh();
    // The workspace's configs share one runs folder: this config's run is the one named long-….
    const run = longRun()!;
    assert.strictEqual(run.summary?.status, 'cancelled');
    assert.ok(run.summary.epochsCompleted < 500, `stopped early (${run.summary.epochsCompleted} epochs)`);
    assert.strictEqual(api.jobs.running.length, 0);

    const runNodes = () => api.tree.getChildren().flatMap((c) => api.tree.getChildren(c));
    const runNode = runNodes().find((n) => n.kind === 'run' && n.run.id === run.id);
    const count = runNodes().length;
    const deleted = await vscode.commands.executeCommand('seglab.deleteRun', runNode, { confirmed: true });
    assert.strictEqual(deleted, run.dir);
    assert.ok(!fs.existsSync(run.dir), 'the run folder is gone');
    assert.ok(!runNodes().some((n) => n.kind === 'run' && n.run.id === run.id), 'the tree no longer lists it');
    assert.ok(runNodes().length < count && runNodes().length > 0, 'the other runs stay');
  });

  it('Show Loss Library lists every loss with its reference and option defaults', async () => {
    const text = (await vscode.commands.executeCommand('seglab.showLossLibrary')) as string;
    const names = text
      .split('\n\nsmp/MONAI names')[0]
      .split('\n')
      .filter((l) => !l.startsWith(' '))
      .map((l) => l.split(' ')[0]);
    assert.deepStrictEqual(names.slice().sort(), [
      'balancedBce',
      'bce',
      'bceWithLogits',
      'boundary',
      'categoricalCrossEntropy',
      'clDice',
      'crossEntropy',
      'dice',
      'diceClDice',
      'distancePenalizedCE',
      'expLog',
      'focal',
      'focalTversky',
      'generalizedDice',
      'hausdorffDT',
      'hinge',
      'jaccard',
      'logCoshDice',
      'logHausdorffDT',
      'lovaszHinge',
      'lovaszSoftmax',
      'mcc',
      'penaltyGDice',
      'sensitivitySpecificity',
      'squaredHinge',
      'topK',
      'tversky',
      'unetWeighted',
      'unifiedFocal',
      'weightedBce',
    ]);
    assert.strictEqual(text.split('\n').filter((l) => l.startsWith('    reference: ')).length, 30);
    // The smp/MONAI names follow, each with its terms and its class's defaults.
    assert.match(
      text,
      /\n {2}DiceCELoss \(MONAI\) = dice\+bceWithLogits \(one channel\) \/ dice\+crossEntropy; dice\.perImage = true, dice\.smooth = 0\.00001\n/,
    );
    // torchvision's sigmoid_focal_loss defaults, and no alpha in the multiclass focal loss.
    assert.match(text, /\n {4}alpha = 0\.25 \(binary, multilabel\), null \(multiclass\): /);
    assert.match(text, /\n {4}gamma = 2: /);
  });

  it('computes losses on a folder of probability maps against a folder of targets', async () => {
    const pred = path.join(workspace, 'prob');
    const target = path.join(workspace, 'target');
    fs.mkdirSync(pred, { recursive: true });
    fs.mkdirSync(target, { recursive: true });
    // 8-bit probability PNGs: 204/255 = 0.8 and 51/255 = 0.2 against y = (1, 0): bce = −ln 0.8 for both pixels of a.
    fs.writeFileSync(path.join(pred, 'a.png'), encodePng8([204, 51], 2, 1));
    fs.writeFileSync(path.join(target, 'a.png'), encodePng8([255, 0], 2, 1));
    // b: 0.2 on a positive and 0.8 on a negative: bce = −ln 0.2.
    fs.writeFileSync(path.join(pred, 'b.png'), encodePng8([51, 204], 2, 1));
    fs.writeFileSync(path.join(target, 'b.png'), encodePng8([255, 0], 2, 1));
    const result = (await vscode.commands.executeCommand('seglab.computeLosses', vscode.Uri.file(pred), vscode.Uri.file(target))) as {
      files: { name: string; losses: { name: string; value: number }[] }[];
      mean: { name: string; value: number }[];
    };
    assert.deepStrictEqual(
      result.files.map((f) => f.name),
      ['a', 'b'],
    );
    const bce = (row: { name: string; value: number }[]) => row.find((l) => l.name === 'bce')!.value;
    assert.ok(Math.abs(bce(result.files[0].losses) + Math.log(0.8)) < 1e-5, `a: ${bce(result.files[0].losses)}`);
    assert.ok(Math.abs(bce(result.files[1].losses) + Math.log(0.2)) < 1e-5, `b: ${bce(result.files[1].losses)}`);
    assert.ok(Math.abs(bce(result.mean) + (Math.log(0.8) + Math.log(0.2)) / 2) < 1e-5);
  });

  it('evaluates a mask folder against ground truth and shows the result in the dashboard', async () => {
    const { pred, gt } = writeMaskFolders(workspace);
    const result = (await vscode.commands.executeCommand('seglab.evaluateMaskFolder', vscode.Uri.file(pred), vscode.Uri.file(gt))) as {
      images: { name: string; dice: number }[];
    };
    assert.deepStrictEqual(
      result.images.map((m) => [m.name, m.dice]),
      [
        ['a', 2 / 3],
        ['b', 1],
      ],
    );
    assert.ok(api.dashboard.isOpen, 'the dashboard shows the evaluation');
  });

  it('evaluates a TIFF stack against a TIFF stack, page by page (Explorer: Evaluate Predictions Against… on a .tif)', async function () {
    // Two-page stacks written by Pillow (Debian's python3-pil): page 1 Dice 2/3, page 2 Dice 1, as the PNG folders.
    const dir = path.join(workspace, 'stacks');
    fs.mkdirSync(dir, { recursive: true });
    const script = [
      'import sys, numpy as np',
      'from PIL import Image',
      'd = sys.argv[1]',
      'img = lambda v: Image.fromarray(np.array(v, np.uint8).reshape(2, 2))',
      'gt = [img([255, 0, 0, 0]), img([255, 255, 0, 0])]',
      'pr = [img([255, 255, 0, 0]), img([255, 255, 0, 0])]',
      "gt[0].save(d + '/gt.tif', save_all=True, append_images=gt[1:], compression='tiff_lzw')",
      "pr[0].save(d + '/pred.tif', save_all=True, append_images=pr[1:])",
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const result = (await vscode.commands.executeCommand(
      'seglab.evaluateMaskFolder',
      vscode.Uri.file(path.join(dir, 'pred.tif')),
      vscode.Uri.file(path.join(dir, 'gt.tif')),
    )) as { images: { name: string; dice: number }[] };
    assert.deepStrictEqual(
      result.images.map((m) => [m.name, m.dice]),
      [
        ['gt_p1', 2 / 3],
        ['gt_p2', 1],
      ],
    );
  });

  it('a bad mask folder gives a clear error, and the host keeps working', async () => {
    const pred = path.join(workspace, 'pred-bad');
    const gt = path.join(workspace, 'gt-bad');
    fs.mkdirSync(pred, { recursive: true });
    fs.mkdirSync(gt, { recursive: true });
    // A valid ground truth of the same name, so the corrupt prediction itself is what gets reported.
    fs.writeFileSync(path.join(gt, 'a.png'), encodePng8([255, 0, 0, 255], 2, 2));
    fs.writeFileSync(path.join(pred, 'a.png'), Buffer.from('not a png'));
    const before = api.observed.commandErrors.length;
    const result = await vscode.commands.executeCommand('seglab.evaluateMaskFolder', vscode.Uri.file(pred), vscode.Uri.file(gt));
    assert.strictEqual(result, undefined, 'the command reports the error instead of returning a result');
    assert.strictEqual(api.observed.commandErrors.length, before + 1, 'one error shown');
    assert.match(api.observed.commandErrors[before], /^seglab\.evaluateMaskFolder: .*pred-bad[\\/]a\.png: not a PNG file/);
    assert.ok((await vscode.commands.getCommands(true)).includes('seglab.openDashboard'));
  });

  it('Install TensorFlow Native Backend: installs with npm, or (no internet here) reports why and keeps the setting', async function () {
    this.timeout(10 * 60_000);
    const dir = path.join(workspace, '..', `tfjs-node-${Date.now()}`);
    const before = api.observed.commandErrors.length;
    const result = await vscode.commands.executeCommand('seglab.installTfjsNode', dir);
    const setting = vscode.workspace.getConfiguration('seglab').get<string>('tfjsNodePath');
    if (result === undefined) {
      assert.strictEqual(api.observed.commandErrors.length, before + 1, 'one error shown');
      assert.match(
        api.observed.commandErrors[before],
        /^seglab\.installTfjsNode: tfjs-node not installed: .*; SegLab keeps using the wasm backend\. \(details: Output → SegLab\)$/,
      );
      assert.notStrictEqual(setting, dir, 'a failed install does not point the engine at it');
    } else {
      assert.strictEqual(setting, dir, 'a successful install sets seglab.tfjsNodePath');
    }
    assert.ok((await vscode.commands.getCommands(true)).includes('seglab.openDashboard'), 'the host keeps working');
  });
  it('Install GPU Support installs webgpu with npm and sets seglab.webgpuPath; a webgpu run trains in the engine and shows its GPU', async function () {
    this.timeout(10 * 60_000);
    const dir = path.join(workspace, '..', `webgpu-${Date.now()}`);
    const result = await vscode.commands.executeCommand('seglab.installGpuSupport', dir);
    assert.ok(result, `installed (errors: ${api.observed.commandErrors.slice(-1)})`);
    assert.strictEqual(vscode.workspace.getConfiguration('seglab').get<string>('webgpuPath'), dir);
    // The engine loads Dawn from there (the installed .vsix has no webgpu of its own). No adapter: say so.
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    const probe = spawnSync(process.execPath, [cli, 'backend', '--backend', 'webgpu'], {
      encoding: 'utf8',
      env: { ...process.env, SEGLAB_WEBGPU_PATH: dir },
    });
    if (probe.status !== 0) {
      console.log(`    (no WebGPU adapter here: ${probe.stderr.trim()})`);
      this.skip();
    }
    const file = path.join(workspace, 'gpu.experiment.json');
    fs.writeFileSync(file, JSON.stringify(tinyConfig('gpu', { backend: 'webgpu' })));
    await vscode.commands.executeCommand('seglab.runExperiment', vscode.Uri.file(file));
    await api.model.refresh();
    const run = api.model.configs.find((c) => c.uri.fsPath === file)!.runs[0];
    assert.strictEqual(run.summary?.status, 'done', run.summary?.reason);
    assert.strictEqual(run.summary?.backend, 'webgpu');
    const configNode = api.tree.getChildren().find((n) => n.kind === 'config' && n.entry.uri.fsPath === file)!;
    const rows = api.tree.getChildren(api.tree.getChildren(configNode)[0]).map((n) => String(api.tree.getTreeItem(n).label));
    assert.ok(rows.includes('backend: webgpu'), rows.join(', '));
    assert.ok(
      rows.some((l) => l === `GPU: ${run.summary!.adapter!.description}`),
      rows.join(', '),
    );
  });
});
