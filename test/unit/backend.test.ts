/** Backend selection: order, forced choices, and clear errors. */
import * as assert from 'assert';
import { initBackend, isBackendChoice } from '../../src/core/backend/backend';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('backend selection', () => {
  const saved = process.env.SEGLAB_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.SEGLAB_BACKEND;
    else process.env.SEGLAB_BACKEND = saved;
  });

  it('auto picks a hardware GPU, else tensorflow when tfjs-node loads, else wasm with SIMD, and says why it skipped', async () => {
    delete process.env.SEGLAB_BACKEND;
    const info = await initBackend();
    assert.strictEqual(info.requested, 'auto');
    if (info.name === 'webgpu') {
      assert.strictEqual(info.adapter?.software, false, 'auto never takes a software adapter');
      return;
    }
    // webgpu passed over first: no package, no adapter, or only a software one (lavapipe here)
    assert.match(info.skipped[0], /^webgpu: (the optional package 'webgpu'|Dawn found no WebGPU adapter|only a software adapter)/);
    if (tfjsNodeInstalled()) assert.strictEqual(info.name, 'tensorflow');
    else {
      assert.strictEqual(info.name, 'wasm');
      assert.strictEqual(info.simd, true);
      assert.match(info.skipped[1], /^tensorflow: /);
    }
  });

  it('a forced choice is honoured: argument, then SEGLAB_BACKEND', async () => {
    assert.strictEqual((await initBackend('cpu')).name, 'cpu');
    process.env.SEGLAB_BACKEND = 'wasm';
    const info = await initBackend();
    assert.strictEqual(info.name, 'wasm');
    assert.strictEqual(info.requestedBy, 'environment');
  });

  it('a forced backend that cannot load is an error, not a silent fallback', async function () {
    if (tfjsNodeInstalled()) this.skip();
    await assert.rejects(initBackend('tensorflow'), /backend 'tensorflow' could not be loaded: .*install @tensorflow\/tfjs-node/);
  });

  it('an unknown name is an error naming the source', async () => {
    process.env.SEGLAB_BACKEND = 'gpu';
    await assert.rejects(initBackend(), /SEGLAB_BACKEND: 'gpu' is not a backend; use one of auto, webgpu, tensorflow, wasm, cpu/);
    assert.strictEqual(isBackendChoice('wasm'), true);
  });
});
