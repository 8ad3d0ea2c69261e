/**
 * Runs the mocha suites of test/vscode/suite inside a real VS Code extension host (code-server), then
 * the UI test. Exit code: that of the suites (0 = all passed).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { remote, ROOT, startWorkbench } from './codeServer';
import { runUiTest } from './ui';

async function runExtensionSuites(): Promise<number> {
  const wb = await startWorkbench();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ws-'));
  let exitCode: number | undefined;
  try {
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await wb.page.exposeFunction('codeAutomationLog', (...args: unknown[]) => process.stdout.write(`${args.map(String).join(' ')}\n`));
    await wb.page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remote(wb.port, ROOT)],
      ['extensionTestsPath', remote(wb.port, path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js'))],
    ];
    await wb.page.goto(wb.url(workspace, payload));
    const timeout = new Promise<number>((r) => setTimeout(() => r(-1), 10 * 60 * 1000));
    exitCode = await Promise.race([exited, timeout]);
    if (exitCode === -1) process.stdout.write(`the VS Code suites timed out; code-server log:\n${wb.logs.join('').slice(-4000)}\n`);
  } finally {
    await wb.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return exitCode ?? 1;
}

async function main(): Promise<void> {
  const code = await runExtensionSuites();
  process.stdout.write(`VS Code extension suites exited with ${code}\n`);
  if (code !== 0) process.exit(code);
  await runUiTest();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
