/** SegLab's settings (contributes.configuration in package.json). */
import * as vscode from 'vscode';
import { checkSettings, SegLabSettings } from './settingValues';

export type { SegLabSettings };

const reported = new Set<string>();

/** The settings, each checked (settingValues.ts); a bad value is reported once and its default used. */
export function readSettings(): SegLabSettings {
  const c = vscode.workspace.getConfiguration('seglab');
  const { settings, problems } = checkSettings((key) => c.get(key));
  for (const p of problems.filter((x) => !reported.has(x))) {
    reported.add(p);
    void vscode.window.showWarningMessage(`SegLab settings: ${p}`);
  }
  return settings;
}

/**
 * The environment of an engine process: SEGLAB_TFJS_NODE_PATH when tfjs-node was installed for SegLab,
 * SEGLAB_WEBGPU_PATH when GPU support was.
 */
export function engineEnv(settings: SegLabSettings = readSettings()): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (settings.tfjsNodePath) env.SEGLAB_TFJS_NODE_PATH = settings.tfjsNodePath;
  if (settings.webgpuPath) env.SEGLAB_WEBGPU_PATH = settings.webgpuPath;
  return env;
}
