import * as path from 'path';
import * as vscode from 'vscode';

/** dist/engine.js inside the installed extension. */
export function defaultEnginePathFor(context: vscode.ExtensionContext): string {
  return path.join(context.extensionPath, 'dist', 'engine.js');
}
