/**
 * The SegLab dashboard webview's shell: the panel (strict CSP with a nonce, scripts and styles only
 * from the extension's dist/ and media/ folders; pixel data reaches the webview as messages, so it
 * needs no access to data folders), the message queue, validation of every message from the webview
 * (which names things only by run id / image name / index into what the extension sent), the live
 * curves of the runs, exports, and routing every other message to the feature that handles it
 * (runs/overlays.ts, sweeps/sweepView.ts, evaluation/evaluationView.ts, losses/lossViews.ts).
 */
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { HostMessage, parseViewMessage, RunView, toWire, ViewMessage, ViewName } from '../../webview/contract';
import { runView } from './views';
import { readSettings } from './settings';
import { WorkspaceRuns } from './workspaceRuns';

/** What a feature's part of the dashboard may do with the panel. */
export interface DashboardHost {
  readonly context: vscode.ExtensionContext;
  readonly model: WorkspaceRuns;
  readonly output: vscode.OutputChannel;
  readonly isOpen: boolean;
  open(view?: ViewName): void;
  post(message: HostMessage): void;
  selectRuns(runIds: string[]): void;
}

/** A feature's part of the dashboard: the webview messages it answers. */
export interface ViewFeature {
  readonly handles: readonly ViewMessage['type'][];
  handle(m: ViewMessage): Promise<void> | void;
  /** The workspace's runs changed (a feature showing something live refreshes it). */
  runsChanged?(): void;
  dispose?(): void;
}

export class Dashboard implements vscode.Disposable, DashboardHost {
  private readonly features: ViewFeature[] = [];
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private queue: HostMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private selectedRunIds: string[] = [];
  private readonly runsPosted = new vscode.EventEmitter<readonly RunView[]>();
  /** The runs (with their epochs) just sent to the webview: what its curves show. */
  readonly onDidPostRuns = this.runsPosted.event;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly model: WorkspaceRuns,
    readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      this.runsPosted,
      model.onDidChange(() => {
        if (!this.panel) return;
        this.postRuns();
        for (const f of this.features) f.runsChanged?.();
      }),
    );
  }

  /** Adds a feature's part: the messages it handles come to it. */
  addFeature<F extends ViewFeature>(feature: F): F {
    this.features.push(feature);
    return feature;
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
    // Runs of a sweep are listed under it in the curves (the sweeps each config owns name their runs).
    const group = new Map<string, string>();
    for (const info of this.model.configs.flatMap((c) => c.sweeps)) {
      for (const r of info.sweep?.runs ?? []) if (r.runId) group.set(r.runId, `sweep ${info.sweep!.name} · ${info.id}`);
      // A tuned sweep's tuning runs (pruned ones drawn as stopped lines) under their own heading.
      for (const r of info.sweep?.tuning?.runs ?? []) if (r.runId) group.set(r.runId, `sweep ${info.sweep!.name} · ${info.id} · tuning`);
    }
    const runs = all
      .filter((r, i) => i < 60 || this.selectedRunIds.includes(r.id))
      .map((r) => ({ ...runView(r), ...(group.has(r.id) ? { group: group.get(r.id) } : {}) }));
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
      case 'exportFile': {
        const target = await this.exportTarget(m.name, m.format);
        if (!target) return;
        const content =
          m.format === 'png' ? Buffer.from(m.data.slice('data:image/png;base64,'.length), 'base64') : Buffer.from(m.data, 'utf8');
        await vscode.workspace.fs.writeFile(target, content);
        void vscode.window.showInformationMessage(`SegLab: saved ${target.fsPath}`);
        return;
      }
      case 'revealRun':
        await vscode.commands.executeCommand('seglab.experiments.focus');
        return;
      default: {
        const feature = this.features.find((f) => f.handles.includes(m.type));
        if (!feature) throw new Error(`nothing handles '${m.type}'`);
        await feature.handle(m);
      }
    }
  }

  dispose(): void {
    for (const f of this.features) f.dispose?.();
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
