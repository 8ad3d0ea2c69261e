/**
 * VS Code glue only (activation, commands). The science lives in src/core; heavy work will run in the
 * engine process. This first version exposes the loss library's documentation.
 */
import * as vscode from 'vscode';
import { lossDefinitions } from '../core/losses/registry';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('SegLab');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('seglab.showLossLibrary', () => {
      output.clear();
      for (const d of lossDefinitions()) {
        output.appendLine(`${d.name} (${d.modes.join(', ')}): ${d.summary}`);
        output.appendLine(`    reference: ${d.reference}`);
        for (const [key, spec] of Object.entries(d.options)) {
          output.appendLine(`    ${key} = ${JSON.stringify(spec.default ?? null)}: ${spec.description}`);
        }
      }
      output.show(true);
    }),
  );
}

export function deactivate(): void {}
