/**
 * The same suites through @vscode/test-electron, for machines that can download VS Code
 * (`npm run test:vscode:electron`). Our CI cannot; it uses runSuites.ts with code-server.
 */
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ws-'));
  await runTests({
    version: '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'vscode', 'suite', 'index.js'),
    extensionTestsEnv: { SEGLAB_TEST_EXPECT: `development:${root}`, SEGLAB_BACKEND: 'wasm' },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
