/** SegLab's settings (contributes.configuration in package.json). */
import * as vscode from 'vscode';

export interface SegLabSettings {
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Overrides each config's runsDir when set (relative to the workspace folder). */
  runsFolder: string;
  defaultThreshold: number;
  maxParallelRuns: number;
}

export function readSettings(): SegLabSettings {
  const c = vscode.workspace.getConfiguration('seglab');
  return {
    backend: c.get<SegLabSettings['backend']>('backend', 'auto'),
    runsFolder: c.get<string>('runsFolder', ''),
    defaultThreshold: c.get<number>('defaultThreshold', 0.5),
    maxParallelRuns: Math.max(1, c.get<number>('maxParallelRuns', 2)),
  };
}
