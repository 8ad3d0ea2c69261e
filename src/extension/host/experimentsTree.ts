/** The sidebar tree: configs → runs (status icon) → key metrics. */
import * as vscode from 'vscode';
import { betterArrow, formatMetric, HEADLINE_METRICS, isMetricKey, metricLabel } from '../../core/common/metrics';
import { formatDuration } from '../../core/common/duration';
import { RunInfo } from '../../core/runs/store';
import type { SweepCell } from '../../core/runs/sweep';
import type { SweepInfo } from '../../core/runs/sweepStore';
import { ConfigEntry, WorkspaceRuns } from './workspaceRuns';

export type TreeNode =
  | { kind: 'config'; entry: ConfigEntry }
  | { kind: 'sweep'; entry: ConfigEntry; sweep: SweepInfo }
  | { kind: 'cell'; entry: ConfigEntry; sweep: SweepInfo; cell: SweepCell }
  | { kind: 'run'; entry: ConfigEntry; run: RunInfo }
  | { kind: 'metric'; run: RunInfo; key: string; value: string };

const STATUS_ICON: Record<string, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin'),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash'),
  pruned: new vscode.ThemeIcon('debug-step-out'),
};

export class ExperimentsTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly model: WorkspaceRuns) {
    model.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.model.configs.map((entry) => ({ kind: 'config', entry }));
    if (node.kind === 'config') {
      // A sweep's runs are listed under its cells, not again beside them.
      const inSweeps = new Set(node.entry.sweeps.flatMap((s) => (s.sweep?.runs ?? []).map((r) => r.runDir)));
      return [
        ...node.entry.sweeps.map((sweep): TreeNode => ({ kind: 'sweep', entry: node.entry, sweep })),
        ...node.entry.runs.filter((run) => !inSweeps.has(run.dir)).map((run): TreeNode => ({ kind: 'run', entry: node.entry, run })),
      ];
    }
    if (node.kind === 'sweep')
      return (node.sweep.sweep?.cells ?? []).map((cell) => ({ kind: 'cell', entry: node.entry, sweep: node.sweep, cell }));
    if (node.kind === 'cell') {
      const dirs = (node.sweep.sweep?.runs ?? []).filter((r) => r.cell === node.cell.id && r.runDir).map((r) => r.runDir);
      return node.entry.runs.filter((run) => dirs.includes(run.dir)).map((run) => ({ kind: 'run', entry: node.entry, run }));
    }
    if (node.kind === 'run') {
      const s = node.run.summary;
      if (!s) return [{ kind: 'metric', run: node.run, key: 'problem', value: node.run.problem ?? 'no summary.json yet' }];
      const out: TreeNode[] = [];
      const m = s.final ?? {};
      for (const key of [...HEADLINE_METRICS, 'loss'] as const)
        if (key in m) out.push({ kind: 'metric', run: node.run, key, value: formatMetric(key, m[key]) });
      out.push({ kind: 'metric', run: node.run, key: 'epochs', value: `${s.epochsCompleted}/${s.epochsPlanned}` });
      out.push({ kind: 'metric', run: node.run, key: 'backend', value: s.backend });
      if (s.adapter)
        out.push({ kind: 'metric', run: node.run, key: 'GPU', value: s.adapter.description || s.adapter.device || s.adapter.vendor });
      if (s.reason) out.push({ kind: 'metric', run: node.run, key: 'reason', value: s.reason });
      return out;
    }
    return [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'config') {
      const item = new vscode.TreeItem(node.entry.name, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${node.entry.runs.length} run(s)${node.entry.problem ? ' · invalid config' : ''}`;
      item.tooltip = node.entry.problem ?? node.entry.uri.fsPath;
      item.iconPath = node.entry.problem ? new vscode.ThemeIcon('warning') : new vscode.ThemeIcon('beaker');
      item.resourceUri = node.entry.uri;
      item.contextValue = 'seglab.config';
      item.command = { command: 'vscode.open', title: 'Open config', arguments: [node.entry.uri] };
      return item;
    }
    if (node.kind === 'sweep') return sweepItem(node.sweep);
    if (node.kind === 'cell') {
      const dice = node.cell.metrics.dice;
      const item = new vscode.TreeItem(node.cell.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${node.sweep.dir}#${node.cell.id}`;
      const value =
        dice && dice.n > 0 ? `dice ${formatMetric('dice', dice.mean)}${dice.n > 1 ? ` ± ${dice.std.toFixed(3)}` : ''}` : 'no result yet';
      item.description = `${value} · ${node.cell.n}/${node.sweep.sweep?.seeds.length ?? '?'} seeds`;
      item.iconPath = new vscode.ThemeIcon(node.sweep.sweep?.best === node.cell.id ? 'star-full' : 'symbol-field');
      item.tooltip = `${node.cell.id}${node.sweep.sweep?.best === node.cell.id ? '\nbest cell by Dice' : ''}`;
      item.contextValue = 'seglab.sweepCell';
      return item;
    }
    if (node.kind === 'run') {
      const s = node.run.summary;
      const status = s?.status ?? 'unknown';
      const item = new vscode.TreeItem(s ? `${s.head} · ${s.name}` : node.run.id, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = node.run.dir; // unique: two runs folders can hold runs with the same id
      const dice = s?.final?.dice;
      item.description = `${status}${typeof dice === 'number' ? ` · dice ${dice.toFixed(3)}` : ''}`;
      item.tooltip = `${node.run.dir}\n${status}${s?.reason ? `: ${s.reason}` : ''}`;
      item.iconPath = STATUS_ICON[status] ?? new vscode.ThemeIcon('question');
      item.contextValue = `seglab.run.${status}`;
      item.command = { command: 'seglab.openRun', title: 'Open Run', arguments: [node] };
      return item;
    }
    const item = new vscode.TreeItem(`${node.key}: ${node.value}`, vscode.TreeItemCollapsibleState.None);
    item.contextValue = 'seglab.metric';
    if (isMetricKey(node.key)) item.tooltip = `final validation ${metricLabel(node.key)} (${betterArrow(node.key)} is better)`;
    return item;
  }
}

/** A sweep in the sidebar: progress (runs done/total, ETA) while it runs, the best cell when done. */
export function sweepItem(info: SweepInfo): vscode.TreeItem {
  const s = info.sweep;
  const item = new vscode.TreeItem(
    s ? `sweep · ${s.axes.map((a) => a.key).join(' × ') || 'base'}` : info.id,
    vscode.TreeItemCollapsibleState.Collapsed,
  );
  item.id = info.dir;
  if (!s) {
    item.description = 'unreadable';
    item.tooltip = info.problem;
    item.iconPath = new vscode.ThemeIcon('warning');
    return item;
  }
  const p = s.progress;
  const best = s.cells.find((c) => c.id === s.best);
  const eta = s.status === 'running' && p.etaSeconds !== undefined ? ` · ETA ${formatDuration(p.etaSeconds)}` : '';
  item.description = `${s.status} · ${p.done}/${p.total} runs${eta}${best && s.status !== 'running' ? ` · best ${best.label}` : ''}`;
  item.tooltip = `${info.dir}\n${s.status}${s.reason ? `: ${s.reason}` : ''}\n${s.cells.length} cells × ${s.seeds.length} seeds`;
  item.iconPath = STATUS_ICON[s.status] ?? new vscode.ThemeIcon('question');
  item.contextValue = `seglab.sweep.${s.status}`;
  item.command = { command: 'seglab.openSweep', title: 'Open Sweep', arguments: [info.dir] };
  return item;
}
