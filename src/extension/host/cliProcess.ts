/**
 * Runs the seglab CLI (dist/cli.js) as a child process and parses its JSON output. Evaluation, loss
 * curves and weight maps run there, not in the extension host, which therefore never blocks on them.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { decodeJsonAs } from '../../core/common/json';

export function cliPath(context: vscode.ExtensionContext): string {
  return path.join(context.extensionPath, 'dist', 'cli.js');
}

/** Resolves with stdout, or rejects with the CLI's own error message (it names the file and problem). */
export function runCli(context: vscode.ExtensionContext, args: string[], token?: vscode.CancellationToken, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(context), ...args], {
      cwd,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const sub = token?.onCancellationRequested(() => child.kill());
    child.on('error', (e) => reject(new Error(`cannot run the SegLab CLI: ${e.message}`)));
    child.on('close', (code, signal) => {
      sub?.dispose();
      const stderr = Buffer.concat(err).toString().trim();
      if (code === 0) resolve(Buffer.concat(out).toString());
      else if (signal) reject(new Error('cancelled'));
      else reject(new Error(stderr.replace(/^seglab [a-z-]+: error: /, '') || `seglab ${args[0]} exited with code ${code}`));
    });
  });
}

export async function runCliJson<T>(context: vscode.ExtensionContext, args: string[], token?: vscode.CancellationToken): Promise<T> {
  const text = await runCli(context, args, token);
  try {
    return decodeJsonAs<T>(text);
  } catch {
    throw new Error(`seglab ${args[0]} printed no JSON: ${text.slice(0, 200)}`);
  }
}
