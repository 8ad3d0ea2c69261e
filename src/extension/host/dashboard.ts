/**
 * The SegLab dashboard webview: loss curves (live), mask overlays, evaluation tables, the loss
 * explorer and U-Net weight maps. Strict CSP with a nonce, scripts and styles only from the
 * extension's dist/ and media/ folders; pixel data reaches the webview as messages, so it needs no
 * access to data folders. Every message from the webview is validated and names things only by
 * run id / image name / index into what the extension sent.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../../core/data/arrayFile';
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { HostMessage, OverlayView, parseViewMessage, RunView, toWire, ViewMessage, ViewName } from '../../webview/contract';
import type { SweepFile } from '../../core/runs/sweep';
import { effectiveSweep, readSweepFile } from '../../core/runs/sweepStore';
import { evaluationView, overlayForDisplay, runView, snapshotFile, sweepView } from './views';
import type { RunInfo } from '../../core/runs/store';
import { runCliJson } from './cliProcess';
import { readSettings } from './settings';
import { WorkspaceRuns } from './workspaceRuns';

/** The runs and image (and epoch) of an overlay the webview asked for. */
export interface OverlayRequest {
  readonly runIds: readonly string[];
  readonly image: string;
  readonly epoch?: number;
}

export class Dashboard implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private queue: HostMessage[] = [];
  private evaluation: FolderEvaluation | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private selectedRunIds: string[] = [];
  private readonly runsPosted = new vscode.EventEmitter<readonly RunView[]>();
  /** The runs (with their epochs) just sent to the webview: what its curves show. */
  readonly onDidPostRuns = this.runsPosted.event;
  private readonly overlayRequested = new vscode.EventEmitter<OverlayRequest>();
  /** The webview asked for the overlay of these runs and image (and epoch): what Overlays shows. */
  readonly onDidRequestOverlay = this.overlayRequested.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly model: WorkspaceRuns,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      this.runsPosted,
      this.overlayRequested,
      model.onDidChange(() => {
        if (!this.panel) return;
        this.postRuns();
        if (this.sweepDir) this.postSweep(false);
      }),
    );
  }

  /** The sweep the Sweep view shows (its folder), and the cells' run ids as last sent. */
  private sweepDir: string | undefined;
  private sweepCells: string[][] = [];

  get shownSweep(): string | undefined {
    return this.sweepDir;
  }

  /** Opens the Sweep view on a sweep folder (kept up to date while it runs). */
  showSweep(dir: string): void {
    this.sweepDir = dir;
    this.open('sweep');
    this.postSweep(true);
  }

  private postSweep(reportErrors: boolean): void {
    if (!this.sweepDir) return;
    try {
      const sweep = effectiveSweep(readSweepFile(this.sweepDir));
      this.sendSweep(sweep);
      if (sweep.launcher === 'slurm' && sweep.status === 'running') this.followSlurm(this.sweepDir);
    } catch (err) {
      if (reportErrors) this.post({ type: 'error', message: (err as Error).message });
    }
  }

  private sendSweep(sweep: SweepFile): void {
    const view = sweepView(sweep);
    this.sweepCells = view.cells.map((c) => c.runIds);
    this.post({ type: 'sweep', sweep: view });
  }

  private slurmTimer: NodeJS.Timeout | undefined;

  /**
   * A Slurm sweep on screen: nothing on this machine writes its sweep.json, so `seglab sweep status`
   * (a CLI process: squeue never blocks the host) brings it up to date every 10 s while it runs.
   */
  private followSlurm(dir: string): void {
    if (this.slurmTimer) return;
    const tick = () => {
      this.slurmTimer = undefined;
      if (!this.panel || this.sweepDir !== dir) return;
      runCliJson<SweepFile>(this.context, ['sweep', 'status', dir, '--json']).then(
        (sweep) => {
          if (this.sweepDir !== dir) return;
          this.sendSweep(sweep);
          if (sweep.status === 'running') this.slurmTimer = setTimeout(tick, 10000);
        },
        (err: Error) => {
          this.output.appendLine(`sweep status ${dir}: ${err.message}`);
          this.slurmTimer = setTimeout(tick, 30000);
        },
      );
    };
    this.slurmTimer = setTimeout(tick, 0);
  }

  /** Where an export goes: a save dialog; undefined when the user cancels. */
  private exportTarget(name: string, format: string): Thenable<vscode.Uri | undefined> {
    return vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), name),
      filters: { [format.toUpperCase()]: [format] },
      title: `SegLab: save ${name}`,
    });
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  open(view?: ViewName): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
    } else {
      const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
      const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
      this.panel = vscode.window.createWebviewPanel('seglab.dashboard', 'SegLab', vscode.ViewColumn.Active, {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [dist, media],
      });
      this.panel.iconPath = vscode.Uri.joinPath(media, 'seglab.svg');
      this.panel.webview.html = this.html(this.panel.webview);
      this.ready = false;
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
      });
      this.panel.webview.onDidReceiveMessage((m) => void this.receive(m));
      this.postRuns();
    }
    if (view) this.post({ type: 'show', view });
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data: blob:`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}">
<title>SegLab</title></head>
<body><div id="app" data-threshold="${Number(readSettings().defaultThreshold)}"></div>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  post(message: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready && message.type !== 'runs') {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(toWire(message));
  }

  postRuns(): void {
    if (!this.panel) return;
    const all = this.model.configs.flatMap((c) => c.runs);
    // The newest 60, and any selected run beyond them (a sweep cell's runs can be older).
    const runs = all.filter((r, i) => i < 60 || this.selectedRunIds.includes(r.id)).map(runView);
    void this.panel.webview.postMessage(toWire({ type: 'runs', runs, threshold: readSettings().defaultThreshold }));
    this.runsPosted.fire(runs);
  }

  /** Opens the curves of these runs (one run: Open Run; several: Compare Selected Runs). */
  selectRuns(runIds: string[]): void {
    this.selectedRunIds = [...runIds];
    this.open('curves');
    this.postRuns(); // the webview knows these runs (and their saved predictions) before it selects them
    this.post({ type: 'selectRuns', runIds });
  }

  get selectedRuns(): readonly string[] {
    return this.selectedRunIds;
  }

  showEvaluation(result: FolderEvaluation): void {
    this.evaluation = result;
    const view = evaluationView(result);
    this.open('evaluation');
    this.post({ type: 'evaluation', evaluation: view });
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseViewMessage(raw);
    if (typeof message === 'string') {
      this.output.appendLine(`webview sent an invalid message (ignored): ${message}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (err) {
      this.post({ type: 'error', message: (err as Error).message });
    }
  }

  private async handle(m: ViewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.postRuns();
        for (const q of this.queue.splice(0)) void this.panel?.webview.postMessage(toWire(q));
        return;
      case 'requestRunOverlay':
        this.overlayRequested.fire({ runIds: [...m.runIds], image: m.image, ...(m.epoch !== undefined ? { epoch: m.epoch } : {}) });
        this.post({ type: 'overlay', overlay: this.runOverlay(m.runIds, m.image, m.epoch) });
        return;
      case 'openSweepCell': {
        const ids = this.sweepCells[m.index];
        if (!ids) throw new Error('no such sweep cell');
        if (ids.length === 0) throw new Error('this cell has no runs yet');
        this.selectRuns(ids);
        return;
      }
      case 'openSweepReport': {
        if (!this.sweepDir) throw new Error('no sweep is open');
        const report = path.join(this.sweepDir, 'report.html');
        if (!fs.existsSync(report)) throw new Error('the report is written when the sweep ends; it has not ended yet');
        await vscode.env.openExternal(vscode.Uri.file(report));
        return;
      }
      case 'exportFile': {
        const target = await this.exportTarget(m.name, m.format);
        if (!target) return;
        const content =
          m.format === 'png' ? Buffer.from(m.data.slice('data:image/png;base64,'.length), 'base64') : Buffer.from(m.data, 'utf8');
        await vscode.workspace.fs.writeFile(target, content);
        void vscode.window.showInformationMessage(`SegLab: saved ${target.fsPath}`);
        return;
      }
      case 'requestEvaluationOverlay':
        this.post({ type: 'overlay', overlay: this.evaluationOverlay(m.index) });
        return;
      case 'requestLossCurves':
        this.post({ type: 'lossCurves', curves: await runCliJson(this.context, ['loss-curves', '--points', '81']) });
        return;
      case 'requestWeightMap': {
        const found = this.model.findRun(m.runId);
        if (!found) throw new Error(`no run ${m.runId}`);
        const gt = path.join(found.run.dir, 'predictions', `${m.image}_gt.png`);
        if (!fs.existsSync(gt)) throw new Error(`run ${m.runId} has no saved ground truth for ${m.image}`);
        const map = await runCliJson<{ width: number; height: number; max: number; weights: number[] }>(this.context, [
          'weight-map',
          '--mask',
          gt,
        ]);
        this.post({ type: 'weightMap', map: { title: `${m.image} (${found.run.summary?.name ?? m.runId})`, ...map } });
        return;
      }
      case 'revealRun':
        await vscode.commands.executeCommand('seglab.experiments.focus');
        return;
    }
  }

  private runOverlay(runIds: string[], image: string, epoch?: number): OverlayView {
    const runs = runIds.map((id) => {
      const found = this.model.findRun(id);
      if (!found) throw new Error(`no run ${id}`);
      return found.run;
    });
    const file = (run: RunInfo, kind: string) => path.join(run.dir, 'predictions', `${image}_${kind}.png`);
    const base = readArrayFile(file(runs[0], 'image'));
    const [height, width] = spatialShape(base);
    const gt = asBinaryMask(readArrayFile(file(runs[0], 'gt')));
    return overlayForDisplay({
      title: epoch === undefined ? image : `${image} at epoch ${epoch}`,
      width,
      height,
      image: Array.from(base.values),
      gt: Array.from(gt),
      layers: runs.map((run) => {
        const label = run.summary ? `${run.summary.head} (${run.summary.name})` : run.id;
        if (epoch === undefined) return { label, prob: Array.from(asPredictionValues(readArrayFile(file(run, 'prob')))) };
        const snap = snapshotFile(run.dir, image, epoch);
        if (!fs.existsSync(snap)) throw new Error(`run ${run.id} saved no prediction of ${image} at epoch ${epoch}`);
        const prob = readArrayFile(snap);
        const [h, w] = spatialShape(prob);
        const values = asPredictionValues(prob);
        // Snapshots of large images are subsampled by an integer factor f (trainer.ts): each pixel back to f×f.
        const f = Math.ceil(Math.max(width / w, height / h));
        if (Math.ceil(width / f) !== w || Math.ceil(height / f) !== h)
          throw new Error(`${snap}: ${w}×${h} does not fit the ${width}×${height} image`);
        const full = new Array<number>(width * height);
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++) full[y * width + x] = values[Math.floor(y / f) * w + Math.floor(x / f)];
        return { label, prob: full };
      }),
    });
  }

  private evaluationOverlay(index: number): OverlayView {
    const e = this.evaluation;
    if (!e || index >= e.images.length) throw new Error('no such evaluated image');
    const row = e.images[index];
    const pred = readArrayFile(row.pred);
    const [height, width] = spatialShape(pred);
    const gt = asBinaryMask(readArrayFile(row.gt), e.options.foreground);
    // The evaluated folders hold masks, not photographs: the ground truth doubles as the backdrop.
    return overlayForDisplay({
      title: row.name,
      width,
      height,
      image: Array.from(gt, (v) => (v ? 200 : 40)),
      gt: Array.from(gt),
      layers: [{ label: 'prediction', prob: Array.from(asPredictionValues(pred)) }],
    });
  }

  dispose(): void {
    if (this.slurmTimer) clearTimeout(this.slurmTimer);
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
