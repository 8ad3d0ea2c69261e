/**
 * Install TensorFlow Native Backend (tfjs-node) and Install GPU Support (webgpu): npm installs the
 * package into the extension's global storage (never into the workspace), then a setting points the
 * engine at it. Neither ships in the .vsix (tfjs-node downloads libtensorflow; webgpu is ≈130 MB).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { InstallResult, installTfjsNode, installWebgpu } from '../../engine/installBackend';
import { CommandContext } from '../host/commandContext';

/** Runs an installer with a progress notification; npm's lines go to the output channel. */
function withInstallProgress(c: CommandContext, title: string, run: (onOutput: (line: string) => void) => Promise<InstallResult>) {
  return vscode.window
    .withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: false }, (progress) =>
      run((line) => {
        c.output.appendLine(`npm: ${line}`);
        progress.report({ message: line.slice(0, 80) });
      }),
    )
    .then(undefined, (err: Error) => {
      // The notification shows the reason; npm's details go to the output channel.
      c.output.appendLine(err.message);
      throw new Error(`${err.message.split('\n')[0]} (details: Output → SegLab)`);
    });
}

export function registerBackendCommands(c: CommandContext): void {
  // TensorFlow's native backend, for users whose machine can download libtensorflow: npm installs it
  // into the extension's global storage (never into the workspace), then seglab.tfjsNodePath points
  // the engine at it. `dirArg` is for tests and scripts.
  c.register('seglab.installTfjsNode', async (dirArg?: string) => {
    const dir = typeof dirArg === 'string' ? dirArg : path.join(c.context.globalStorageUri.fsPath, 'tfjs-node');
    c.output.appendLine(`installing @tensorflow/tfjs-node into ${dir}`);
    const result = await withInstallProgress(c, 'SegLab: installing tfjs-node (npm)…', (onOutput) => installTfjsNode(dir, { onOutput }));
    await vscode.workspace.getConfiguration('seglab').update('tfjsNodePath', result.dir, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(
      `SegLab: tfjs-node ${result.version} installed; new runs use the 'tensorflow' backend (setting seglab.backend: auto).`,
    );
    return result;
  });
  // GPU support: Dawn's Node bindings (the webgpu package); then seglab.webgpuPath makes the engine's
  // auto choice take a hardware GPU.
  c.register('seglab.installGpuSupport', async (dirArg?: string) => {
    const dir = typeof dirArg === 'string' ? dirArg : path.join(c.context.globalStorageUri.fsPath, 'webgpu');
    c.output.appendLine(`installing webgpu (Dawn) into ${dir}`);
    const result = await withInstallProgress(c, 'SegLab: installing GPU support (npm, ≈130 MB)…', (onOutput) =>
      installWebgpu(dir, { onOutput }),
    );
    await vscode.workspace.getConfiguration('seglab').update('webgpuPath', result.dir, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(
      `SegLab: GPU support (webgpu ${result.version}) installed; new runs train on a hardware GPU when one is found ` +
        "(setting seglab.backend: auto; 'webgpu' forces it). Run 'seglab backend' to see the adapter.",
    );
    return result;
  });
}
