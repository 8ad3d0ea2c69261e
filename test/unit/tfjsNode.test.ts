/**
 * tfjs-node from another folder (SEGLAB_TFJS_NODE_PATH) and its installer. The real install needs
 * internet access to download libtensorflow: where that fails (as on SegLab's CI machines) the test
 * checks the error a user gets; where it succeeds, that the engine loads the installed backend.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTfjsNodeFrom, TFJS_VERSION } from '../../src/core/backend/tfjsNode';
import { installTfjsNode } from '../../src/engine/installBackend';
import { ROOT } from './helpers';

/** A stand-in for tfjs-node: registers a 'tensorflow' backend (the cpu backend's class) with the tfjs-core it requires. */
function fakeTfjsNode(dir: string, version = TFJS_VERSION): void {
  const pkg = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version, main: 'index.js' }));
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    "const tf = require('@tensorflow/tfjs-core'); const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');\n" +
      "tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);\n",
  );
}

describe('tfjs-node from an install folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-tfjs-node-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("SEGLAB_TFJS_NODE_PATH: its @tensorflow imports resolve to SegLab's copies, so 'tensorflow' becomes SegLab's backend", () => {
    fakeTfjsNode(dir);
    // In a child process: the extra backend must not leak into the other tests.
    const script = `require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'core', 'backend', 'backend.js'))}).initBackend().then((b) => console.log(JSON.stringify(b)), (e) => { console.error(e.message); process.exit(1); })`;
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, SEGLAB_TFJS_NODE_PATH: dir, SEGLAB_BACKEND: '' },
    });
    assert.strictEqual(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.strictEqual(info.name, 'tensorflow');
    // Without the redirection the package cannot even find @tensorflow/tfjs-core from its folder.
    const plain = spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node'))})`],
      { encoding: 'utf8', cwd: dir },
    );
    assert.notStrictEqual(plain.status, 0);
    assert.match(plain.stderr, /Cannot find module '@tensorflow\/tfjs-core'/);
  });

  it('a folder without tfjs-node, or with another version, is an error naming the folder', () => {
    assert.throws(() => loadTfjsNodeFrom(dir), new RegExp(`tfjs-node is not installed in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    fakeTfjsNode(dir, '4.10.0');
    assert.throws(() => loadTfjsNodeFrom(dir), /is tfjs-node 4\.10\.0; SegLab needs 4\.22\.0/);
  });

  it('a forced tensorflow backend with a broken SEGLAB_TFJS_NODE_PATH says why', () => {
    const script = `require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'core', 'backend', 'backend.js'))}).initBackend('tensorflow').catch((e) => { console.error(e.message); process.exit(1); })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, SEGLAB_TFJS_NODE_PATH: dir } });
    assert.strictEqual(r.status, 1);
    assert.match(
      r.stderr,
      /backend 'tensorflow' could not be loaded: tensorflow: tfjs-node is not installed in .*install @tensorflow\/tfjs-node/,
    );
  });

  it('installTfjsNode with npm: installs and loads where libtensorflow can be downloaded, else a clear error', async function () {
    this.timeout(10 * 60_000);
    try {
      const result = await installTfjsNode(dir);
      loadTfjsNodeFrom(result.dir); // a machine with internet access: the real backend loads
    } catch (e) {
      const message = (e as Error).message;
      const [first, ...details] = message.split('\n');
      assert.match(first, /^tfjs-node not installed: .*; SegLab keeps using the wasm backend\.$/);
      assert.match(details.join('\n'), new RegExp(`npm install @tensorflow/tfjs-node@${TFJS_VERSION} in .* exited with code \\d+`));
      if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|getaddrinfo/.test(message)) {
        assert.match(first, /libtensorflow could not be downloaded/);
        assert.match(message, /Downloading libtensorflow/);
      }
    }
  });

  it('installTfjsNode without npm on PATH says so', async () => {
    await assert.rejects(
      installTfjsNode(dir, { npm: path.join(dir, 'no-such-npm') }),
      /could not start .*no-such-npm: .*ENOENT.*not on PATH/,
    );
  });
});
