/**
 * The experiments in the workspace: config files (*.experiment.json) and the runs in each config's
 * runs folder, re-read when files change on disk (so runs made by the CLI appear too).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseJson, resolvePaths, validateConfig } from '../../core/config/config';
import { listRuns, RunInfo } from '../../core/runs/store';
import { assignRuns } from './runGroups';
import { readSettings } from './settings';

export const CONFIG_GLOB = '**/*.experiment.json';

export interface ConfigEntry {
  uri: vscode.Uri;
  name: string;
  runsDir: string;
  /** The config's validation problem, when it does not validate. */
  problem?: string;
  runs: RunInfo[];
}

export class WorkspaceRuns implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private entries: ConfigEntry[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    const configs = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
    const summaries = vscode.workspace.createFileSystemWatcher('**/summary.json');
    for (const w of [configs, summaries]) {
      this.disposables.push(
        w,
        w.onDidCreate(() => this.scheduleRefresh()),
        w.onDidChange(() => this.scheduleRefresh()),
        w.onDidDelete(() => this.scheduleRefresh()),
      );
    }
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('seglab') && this.scheduleRefresh()));
  }

  get configs(): readonly ConfigEntry[] {
    return this.entries;
  }

  /** Debounced: a training run rewrites summary.json every epoch. */
  scheduleRefresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 300);
  }

  async refresh(): Promise<void> {
    const uris = await vscode.workspace.findFiles(CONFIG_GLOB, '**/{node_modules,.vscode-test}/**', 200);
    const settings = readSettings();
    const parsed = uris
      .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
      .map((uri) => {
        const folder = vscode.workspace.getWorkspaceFolder(uri);
        const fallbackRuns = path.join(path.dirname(uri.fsPath), 'runs');
        try {
          const config = resolvePaths(validateConfig(parseJson(fs.readFileSync(uri.fsPath, 'utf8'), uri.fsPath), uri.fsPath), uri.fsPath);
          const runsDir = settings.runsFolder && folder ? path.resolve(folder.uri.fsPath, settings.runsFolder) : config.runsDir;
          return { uri, name: config.name, runsDir };
        } catch (err) {
          return { uri, name: path.basename(uri.fsPath), runsDir: fallbackRuns, problem: (err as Error).message };
        }
      });
    // Each run once, under the config it came from (runGroups.ts), when configs share a runs folder.
    const runs = assignRuns(
      parsed.map((p) => ({ file: p.uri.fsPath, name: p.name, runsDir: p.runsDir })),
      (dir) => (fs.existsSync(dir) ? listRuns(dir) : []),
    );
    this.entries = parsed.map((p, i) => ({ ...p, runs: runs[i] }));
    this.changed.fire();
  }

  findRun(id: string): { entry: ConfigEntry; run: RunInfo } | undefined {
    for (const entry of this.entries) {
      const run = entry.runs.find((r) => r.id === id);
      if (run) return { entry, run };
    }
    return undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
