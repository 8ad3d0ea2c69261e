/**
 * The experiments in the workspace: config files (*.experiment.json) and the runs in each config's
 * runs folder, re-read when files change on disk (so runs made by the CLI appear too).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseJson, resolvePaths, validateConfig } from '../../core/config/config';
import { listRuns, RunInfo, settleStaleRuns } from '../../core/runs/store';
import { listSweeps, SweepInfo } from '../../core/runs/sweepStore';
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
  /** Sweeps made from this config (in its runs folder's sweeps/), newest first. */
  sweeps: SweepInfo[];
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
    const sweeps = vscode.workspace.createFileSystemWatcher('**/sweeps/*/sweep.json');
    for (const w of [configs, summaries, sweeps]) {
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
      (dir) => {
        if (!fs.existsSync(dir)) return [];
        // Listing only reads; a trusted window also writes down runs whose process is gone as failed.
        const listed = listRuns(dir);
        return vscode.workspace.isTrusted && settleStaleRuns(listed).length > 0 ? listRuns(dir) : listed;
      },
    );
    // A sweep belongs to the config file it records, else to the first config using that runs folder.
    const sweeps = parsed.map((): SweepInfo[] => []);
    for (const dir of new Set(parsed.map((p) => path.resolve(p.runsDir)))) {
      const members = parsed.map((p, i) => (path.resolve(p.runsDir) === dir ? i : -1)).filter((i) => i >= 0);
      for (const sweep of listSweeps(dir)) {
        const recorded = sweep.sweep?.configFile;
        const owner =
          members.find((i) => recorded !== undefined && path.resolve(parsed[i].uri.fsPath) === path.resolve(recorded)) ?? members[0];
        sweeps[owner].push(sweep);
      }
    }
    this.entries = parsed.map((p, i) => ({ ...p, runs: runs[i], sweeps: sweeps[i] }));
    this.changed.fire();
  }

  findRun(id: string): { entry: ConfigEntry; run: RunInfo } | undefined {
    for (const entry of this.entries) {
      const run = entry.runs.find((r) => r.id === id);
      if (run) return { entry, run };
    }
    return undefined;
  }

  findSweep(id: string): { entry: ConfigEntry; sweep: SweepInfo } | undefined {
    for (const entry of this.entries) {
      const sweep = entry.sweeps.find((s) => s.id === id);
      if (sweep) return { entry, sweep };
    }
    return undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
