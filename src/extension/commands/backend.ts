/** Install TensorFlow Native Backend: tfjs-node into the extension's global storage, for the engine. */
import * as path from 'path';
import * as vscode from 'vscode';
import { installTfjsNode } from '../../engine/installBackend';
import { CommandContext } from './context';

export function registerBackendCommands(c: CommandContext): void {
  // TensorFlow's native backend, for users whose machine can download libtensorflow: npm installs it
  // into the extension's global storage (never into the workspace), then seglab.tfjsNodePath points
  // the engine at it. `dirArg` is for tests and scripts.
  c.register('seglab.installTfjsNode', async (dirArg?: string) => {
    const dir = typeof dirArg === 'string' ? dirArg : path.join(c.context.globalStorageUri.fsPath, 'tfjs-node');
    c.output.appendLine(`installing @tensorflow/tfjs-node into ${dir}`);
    const result = await vscode.window
      .withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'SegLab: installing tfjs-node (npm)…', cancellable: false },
        (progress) =>
          installTfjsNode(dir, {
            onOutput: (line) => {
              c.output.appendLine(`npm: ${line}`);
              progress.report({ message: line.slice(0, 80) });
            },
          }),
      )
      .then(undefined, (err: Error) => {
        // The notification shows the reason; npm's details go to the output channel.
        c.output.appendLine(err.message);
        throw new Error(`${err.message.split('\n')[0]} (details: Output → SegLab)`);
      });
    await vscode.workspace.getConfiguration('seglab').update('tfjsNodePath', result.dir, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(
      `SegLab: tfjs-node ${result.version} installed; new runs use the 'tensorflow' backend (setting seglab.backend: auto).`,
    );
    return result;
  });
}
