/**
 * Runs the mocha suites of test/vscode/suite inside a real VS Code extension host (code-server):
 * first against this folder as the extension under development, then against the packaged .vsix
 * installed into a fresh code-server (what users get); then the UI test. Exit code 0 = all passed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installVsix, remote, ROOT, startWorkbench } from './codeServer';
import { runUiTest } from './ui';

/** `vsce package` into .vscode-test/ (the same command as `npm run package`). */
function packageVsix(): string {
  const out = path.join(ROOT, '.vscode-test', 'seglab-test.vsix');
  fs.rmSync(out, { force: true });
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const r = spawnSync(vsce, ['package', '--allow-missing-repository', '--skip-license', '-o', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0 || !fs.existsSync(out)) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const size = fs.statSync(out).size;
  process.stdout.write(`packaged ${out} (${(size / 1e6).toFixed(2)} MB)\n`);
  // GPU support (≈130 MB) and tfjs-node are installed on demand, never shipped (.vscodeignore).
  if (size > 4e6) throw new Error(`the .vsix is ${(size / 1e6).toFixed(2)} MB, over the 4 MB it must stay under (see .vscodeignore)`);
  return out;
}

/** An extension with no code, only there so that VS Code runs the test runner. */
function harnessExtension(home: string): string {
  const dir = path.join(home, 'test-harness');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'seglab-test-harness', publisher: 'seglab', version: '0.0.0', engines: { vscode: '^1.100.0' } }),
  );
  return dir;
}

/**
 * `installed`: the suites run against the extension installed from the .vsix (no
 * extensionDevelopmentPath), in a code-server with no network access needed.
 */
async function runExtensionSuites(mode: { installed?: { home: string }; untrusted?: boolean } = {}): Promise<number> {
  const installed = mode.installed;
  // The suites read SEGLAB_TEST_EXPECT: which copy of the extension they must find loaded, or
  // 'untrusted' for the restricted-mode suite.
  const expect = mode.untrusted ? 'untrusted' : installed ? 'installed' : `development:${ROOT}`;
  const wb = await startWorkbench({ home: installed?.home, env: { SEGLAB_TEST_EXPECT: expect }, untrusted: mode.untrusted });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ws-'));
  let exitCode: number | undefined;
  try {
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await wb.page.exposeFunction('codeAutomationLog', (...args: unknown[]) => process.stdout.write(`${args.map(String).join(' ')}\n`));
    await wb.page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    // VS Code loads a test runner only with an extension under development. For the installed
    // .vsix that is an empty harness extension (another id), so the SegLab found is the installed one.
    const development = installed ? harnessExtension(installed.home) : ROOT;
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remote(wb.port, development)],
      ['extensionTestsPath', remote(wb.port, path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js'))],
    ];
    await wb.page.goto(wb.url(workspace, payload));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((r) => (timer = setTimeout(() => r(-1), 10 * 60 * 1000)));
    exitCode = await Promise.race([exited, timeout]);
    clearTimeout(timer); // an armed timer would keep this process alive for the full 10 minutes
    if (exitCode === -1) process.stdout.write(`the VS Code suites timed out; code-server log:\n${wb.logs.join('').slice(-4000)}\n`);
  } finally {
    await wb.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  return exitCode ?? 1;
}

async function main(): Promise<void> {
  const code = await runExtensionSuites();
  process.stdout.write(`VS Code extension suites (development folder) exited with ${code}\n`);
  if (code !== 0) process.exit(code);
  const installed = installVsix(packageVsix());
  process.stdout.write(installed.output);
  const codeInstalled = await runExtensionSuites({ installed });
  process.stdout.write(`VS Code extension suites (installed .vsix) exited with ${codeInstalled}\n`);
  if (codeInstalled !== 0) process.exit(codeInstalled);
  const codeUntrusted = await runExtensionSuites({ untrusted: true });
  process.stdout.write(`VS Code extension suite (untrusted workspace) exited with ${codeUntrusted}\n`);
  if (codeUntrusted !== 0) process.exit(codeUntrusted);
  await runUiTest();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
