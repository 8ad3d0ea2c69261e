/** SegLab's settings (contributes.configuration in package.json). */
import * as vscode from 'vscode';

export interface SegLabSettings {
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Overrides each config's runsDir when set (relative to the workspace folder). */
  runsFolder: string;
  defaultThreshold: number;
  maxParallelRuns: number;
  /** A folder where tfjs-node was installed (SegLab: Install TensorFlow Native Backend); '' for none. */
  tfjsNodePath: string;
}

export function readSettings(): SegLabSettings {
  const c = vscode.workspace.getConfiguration('seglab');
  return {
    backend: c.get<SegLabSettings['backend']>('backend', 'auto'),
    runsFolder: c.get<string>('runsFolder', ''),
    defaultThreshold: c.get<number>('defaultThreshold', 0.5),
    maxParallelRuns: Math.max(1, c.get<number>('maxParallelRuns', 2)),
    tfjsNodePath: c.get<string>('tfjsNodePath', '').trim(),
  };
}

/** The environment of an engine process: SEGLAB_TFJS_NODE_PATH when tfjs-node was installed for SegLab. */
export function engineEnv(settings: SegLabSettings = readSettings()): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (settings.tfjsNodePath) env.SEGLAB_TFJS_NODE_PATH = settings.tfjsNodePath;
  return env;
}
