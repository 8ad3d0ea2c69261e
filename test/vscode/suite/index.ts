/**
 * The test entry VS Code loads in its extension host (extensionTestsPath): runs the mocha suites of
 * this folder. Works the same under @vscode/test-electron and under code-server.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180000, reporter: 'spec' });
  // An untrusted workspace runs only its own suite; the other modes run everything else.
  const untrusted = process.env.SEGLAB_TEST_EXPECT === 'untrusted';
  for (const f of fs.readdirSync(__dirname)) {
    if (f.endsWith('.test.js') && (f === 'untrusted.test.js') === untrusted) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`VS Code suites: ${failures} failure(s)`);
      if (failures > 0) reject(new Error(`${failures} VS Code test(s) failed`));
      else resolve();
    });
  });
}
