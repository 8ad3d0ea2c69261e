/**
 * The WebGPU backend (tfjs-backend-webgpu on Dawn's Node bindings) beyond the fixtures (gradients.test.ts
 * and reference.test.ts run the PyTorch autograd and loss reference fixtures on webgpu too): adapters,
 * the on-demand install, the wasm backend's own results for every loss's value and gradient, training
 * both heads with several losses, tiled prediction, the CLI, and a GPU error ending a run.
 *
 * Runs on whatever adapter Dawn finds: on this project's machines Mesa 25's lavapipe (a software GPU;
 * scripts/install-system-deps.sh installs it from bookworm-backports). Where there is none the GPU
 * tests skip and say why. Every kernel is made to run on the GPU (tfjs-backend-webgpu otherwise
 * computes small tensors that are still on the CPU with the cpu backend's kernels).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend/backend';
import { adapterLine, describeAdapter } from '../../src/core/backend/webgpu';
import { computeLossAsync, computeLossWithTensorsAsync, lossGradient, lossGradientAsync } from '../../src/core/losses/compute';
import { compileLoss, lossDefinitions } from '../../src/core/losses/registry';
import { LossMode } from '../../src/core/losses/types';
import { buildUnet } from '../../src/core/model/unet';
import { decideArray, predictLogitsArray } from '../../src/core/train/predict';
import { trainRun } from '../../src/core/train/trainer';
import { readSummary } from '../../src/core/runs/store';
import { encodePng8 } from '../../src/core/data/png';
import { readImage } from '../../src/core/data/image';
import { assertAllClose, assertClose, ROOT, suiteOnBackend, tinyExperiment } from './helpers';

describe('WebGPU adapters: hardware or software (no GPU needed)', () => {
  const limits = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 27 };
  const adapter = (info: Record<string, string>, isFallbackAdapter = false) => ({
    info,
    isFallbackAdapter,
    limits,
    features: { has: () => false },
    requestDevice: () => Promise.reject(new Error('not in this test')),
  });

  it('llvmpipe, SwiftShader and fallback adapters are software; an NVIDIA or Apple GPU is not', () => {
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7' };
    assert.strictEqual(describeAdapter(adapter(lavapipe)).software, true);
    assert.strictEqual(describeAdapter(adapter({ ...lavapipe, architecture: '' })).software, true, 'llvmpipe by its name');
    const swiftshader = { vendor: 'google', architecture: '', device: 'SwiftShader Device (Subzero)', description: '' };
    assert.strictEqual(describeAdapter(adapter(swiftshader)).software, true);
    const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' };
    assert.strictEqual(describeAdapter(adapter(nvidia)).software, false);
    assert.strictEqual(describeAdapter(adapter(nvidia, true)).software, true, 'a fallback adapter');
    assert.strictEqual(describeAdapter(adapter({ vendor: 'apple', architecture: 'metal-3', device: '', description: '' })).software, false);
  });

  it('one line names the device, vendor, architecture and the limits in MiB', () => {
    const a = describeAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' }));
    assert.strictEqual(adapterLine(a), 'NVIDIA H200 (hopper); max buffer 4096 MiB, max storage binding 128 MiB');
    const sw = describeAdapter(adapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: '' }));
    assert.strictEqual(adapterLine(sw), 'llvmpipe (mesa, software); max buffer 4096 MiB, max storage binding 128 MiB');
  });
});

describe('GPU support installed on demand (npm; the webgpu package is not in the .vsix)', () => {
  const cli = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('seglab backend --install webgpu puts Dawn in a folder SEGLAB_WEBGPU_PATH loads; a folder without it is named', function () {
    this.timeout(300_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-webgpu-install-'));
    try {
      const installed = cli({}, 'backend', '--install', 'webgpu', '--dir', dir);
      assert.strictEqual(installed.status, 0, installed.stderr);
      assert.match(installed.stdout, new RegExp(`installed: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/node_modules/webgpu\n`));
      assert.ok(fs.existsSync(path.join(dir, 'node_modules', 'webgpu', 'package.json')));
      const missing = cli({ SEGLAB_WEBGPU_PATH: path.join(dir, 'elsewhere') }, 'backend', '--backend', 'webgpu');
      assert.strictEqual(missing.status, 1);
      assert.match(missing.stderr, /SEGLAB_WEBGPU_PATH=.*elsewhere has no node_modules\/webgpu; run "seglab backend --install webgpu/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WebGPU backend on the adapter Dawn finds here', function () {
  suiteOnBackend(this, 'webgpu');
  /** Runs `fn` on webgpu (initBackend switches; tensors are never carried across backends). */
  const onWebgpu = async <T>(fn: () => Promise<T>): Promise<T> => {
    await initBackend('webgpu');
    return fn();
  };

  it("forced 'webgpu' reports its adapter; auto passes a software one over and says why", async () => {
    const info = await initBackend('webgpu');
    assert.strictEqual(info.name, 'webgpu');
    assert.strictEqual(tf.getBackend(), 'webgpu');
    assert.ok(info.adapter && typeof info.adapter.vendor === 'string' && info.adapter.maxBufferSize > 0, JSON.stringify(info.adapter));
    if (info.adapter.software) {
      const auto = await initBackend('auto');
      assert.notStrictEqual(auto.name, 'webgpu');
      assert.match(auto.skipped[0], /^webgpu: only a software adapter \(.*\); force it with backend 'webgpu'$/);
    }
  });

  it("SegLab's short-row kernels (sum, max, min, mean over the last axes; softmax; int→float cast) equal wasm, NaN included", async () => {
    const values = Float32Array.from({ length: 6 * 5 * 3 }, (_, i) => Math.sin(1.3 * i) * 4);
    values[7] = NaN; // row 2 of the last-axis reductions
    const ops: [string, (x: tf.Tensor3D) => tf.Tensor][] = [
      ['sum -1', (x) => tf.sum(x, -1)],
      ['sum -1 keepDims', (x) => tf.sum(x, -1, true)],
      ['max -1', (x) => tf.max(x, -1)],
      ['min -1 keepDims', (x) => tf.min(x, -1, true)],
      ['mean -1', (x) => tf.mean(x, -1)],
      ['sum [1, 2]', (x) => tf.sum(x, [1, 2])],
      ['max [2, 1] keepDims', (x) => tf.max(x, [2, 1], true)],
      ['sum 1 (not innermost: the original kernel)', (x) => tf.sum(x, 1)],
      ['softmax', (x) => tf.softmax(x)],
      ['logSoftmax', (x) => tf.logSoftmax(x)],
      // (NaN → int32 is left out: tfjs's own float → int cast gives 0 on wasm and −2^31 on WebGPU)
      ['cast int32 → float32', (x) => tf.cast(tf.cast(tf.mul(tf.where(tf.isNaN(x), tf.zerosLike(x), x), 10), 'int32'), 'float32')],
    ];
    const run = async (backend: string) => {
      await initBackend(backend);
      const out: { shape: number[]; data: Float32Array }[] = [];
      for (const [, op] of ops) {
        const y = op(tf.tensor3d(values, [6, 5, 3]));
        out.push({ shape: y.shape, data: (await y.data()) as Float32Array });
      }
      return out;
    };
    const expected = await run('wasm');
    const actual = await run('webgpu');
    ops.forEach(([name], i) => {
      assert.deepStrictEqual(actual[i].shape, expected[i].shape, `${name}: shape`);
      assert.strictEqual(
        Array.from(actual[i].data).filter(Number.isNaN).length,
        Array.from(expected[i].data).filter(Number.isNaN).length,
        `${name}: NaNs`,
      );
      assertAllClose(
        actual[i].data.map((v) => (Number.isNaN(v) ? 0 : v)),
        expected[i].data.map((v) => (Number.isNaN(v) ? 0 : v)),
        1e-6,
        1e-6,
        name,
      );
    });
  });

  it('every loss and mode: value and gradient equal the wasm backend (Lovász sort, weight map, compounds)', async () => {
    // 2×8×8 pixels: large enough that Lovász sorts on the GPU; distinct logits keep the sort order unique.
    const cases: { name: string; mode: LossMode; data: never; options: Record<string, unknown> }[] = [];
    const cpuOnly: typeof cases = [];
    for (const def of [...lossDefinitions(), { name: 'bce+dice', modes: ['binary'] as LossMode[] }]) {
      for (const mode of def.modes) {
        const c = mode === 'binary' ? 1 : (('classes' in def ? def.classes : undefined) ?? 3);
        const pixels = 2 * 8 * 8;
        const pred = Array.from({ length: pixels * c }, (_, i) => 2 * Math.sin(1.7 * i + 0.3));
        const cls = Array.from({ length: pixels }, (_, i) => ((i * 7 + (i >> 3)) % 3) % Math.max(2, c));
        const target =
          mode === 'binary'
            ? cls.map((k) => (k === 1 ? 1 : 0))
            : mode === 'multiclass'
              ? cls.flatMap((k) => Array.from({ length: c }, (_, j) => (j === k ? 1 : 0)))
              : cls.flatMap((k) => [k === 0 ? 1 : 0, k !== 1 ? 1 : 0, k === 2 ? 1 : 0]);
        const data = { pred, target, shape: [2, 8, 8, c], fromLogits: true, mode } as never;
        const requires = 'requires' in def ? def.requires : undefined;
        const options = requires?.includes('weights') ? { weights: Array.from({ length: pixels * c }, (_, i) => 1 + (i % 3)) } : {};
        // hausdorffDT thresholds the prediction on the CPU: on webgpu it must say so, not fail inside tfjs
        ('readsPrediction' in def && def.readsPrediction ? cpuOnly : cases).push({ name: def.name, mode, data, options });
      }
    }
    await initBackend('wasm');
    const expected = cases.map((k) => ({ value: NaN, gradient: lossGradient(k.name, k.data, k.options) }));
    for (const [i, k] of cases.entries()) expected[i].value = await computeLossAsync(k.name, k.data, k.options);
    await onWebgpu(async () => {
      for (const [i, k] of cases.entries()) {
        const what = `${k.name} (${k.mode})`;
        assertClose(await computeLossWithTensorsAsync(compileLoss(k.name, k.options), k.data), expected[i].value, 1e-5, 1e-6, what);
        assertAllClose(await lossGradientAsync(k.name, k.data, k.options), expected[i].gradient, 1e-4, 1e-6, `${what} gradient`);
      }
      assert.ok(cpuOnly.length >= 2, 'hausdorffDT and logHausdorffDT read the prediction back');
      for (const k of cpuOnly) {
        await assert.rejects(
          computeLossAsync(k.name, k.data, k.options),
          /thresholds the prediction on the CPU .* wasm or cpu backend/,
          k.name,
        );
      }
    });
  });

  it('a computeLoss made synchronous on the GPU names the async API instead of failing inside tfjs', () =>
    onWebgpu(async () => {
      const { computeLoss } = await import('../../src/core/losses/compute');
      const data = {
        pred: Array.from({ length: 64 }, (_, i) => i / 64),
        target: Array.from({ length: 64 }, (_, i) => i % 2),
        shape: [1, 8, 8, 1],
      };
      assert.throws(() => computeLoss('focal', data), /synchronous read .* webgpu backend .* use the async API \(computeLossAsync/);
      // a loss called with tensors only: the U-Net weight map needs the target on the host, and says so
      const pred = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
      const input = { pred, target: tf.ones([1, 8, 8, 1]) as tf.Tensor4D, fromLogits: true, mode: 'binary' as const };
      assert.throws(() => compileLoss('unetWeighted').apply(input), /on the webgpu backend give LossInput\.targetValues/);
      const withValues = await (
        compileLoss('unetWeighted').apply({ ...input, targetValues: new Float32Array(64).fill(1) }) as tf.Scalar
      ).data();
      assert.ok(Number.isFinite(withValues[0]));
    }));

  it('a loss that reads the prediction back (hausdorffDT) is refused on webgpu before a run folder exists', () =>
    onWebgpu(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-webgpu-hd-'));
      try {
        const config = tinyExperiment(dir, { loss: 'dice+hausdorffDT', backend: 'webgpu', epochs: 1, stepsPerEpoch: 1 });
        await assert.rejects(trainRun({ config }), /hausdorffDT thresholds the prediction on the CPU .* backend 'wasm' or 'cpu'/);
        assert.deepStrictEqual(fs.existsSync(config.runsDir) ? fs.readdirSync(config.runsDir) : [], []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('training both heads (bce+dice, Lovász, U-Net weights, boundary) ends with the wasm run’s metrics', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-webgpu-'));
    try {
      for (const head of ['sigmoid1', 'softmax2'] as const) {
        // boundary: its distance map is computed from the target's host copy, so it trains on the GPU too
        for (const loss of ['bce+dice', head === 'sigmoid1' ? 'lovaszHinge' : 'lovaszSoftmax', 'unetWeighted', 'dice+boundary']) {
          const config = (backend: string) =>
            tinyExperiment(dir, { head, loss, backend, epochs: 2, stepsPerEpoch: 2, dataset: { builtin: 'shapes', count: 10, size: 32 } });
          const wasm = await trainRun({ config: config('wasm'), runName: `wasm-${head}` });
          const gpu = await trainRun({ config: config('webgpu'), runName: `webgpu-${head}` });
          const what = `${head}, ${loss}`;
          assert.strictEqual(gpu.status, 'done', `${what}: ${gpu.reason}`);
          assert.strictEqual(gpu.backend, 'webgpu');
          assert.ok(gpu.adapter?.vendor !== undefined, `${what}: summary.json records the adapter`);
          const [a, b] = [wasm.final!, gpu.final!];
          assertClose(b.loss, a.loss, 1e-3, 0, `${what}: validation loss`);
          for (const k of ['dice', 'iou']) assertClose(b[k], a[k], 0, 5e-3, `${what}: ${k}`);
          // summary.json on disk holds the adapter too (the dashboard and the tree read it from there)
          assert.deepStrictEqual(readSummary(path.join(dir, gpu.id, 'summary.json')).adapter, gpu.adapter);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tiled prediction of an image larger than one window gives the wasm probabilities within 1e-4', async () => {
    const ctx = { head: 'softmax2' as const, channels: 1, classes: 2, norm: { mean: [0.5], std: [0.25] }, multiple: 4, threshold: 0.5 };
    const image = Float32Array.from({ length: 70 * 90 }, (_, i) => ((i * 7919) % 101) / 100);
    const sample = { name: 'x', height: 70, width: 90, image, mask: new Uint8Array(0) };
    const predict = async (backend: string) => {
      await initBackend(backend);
      const model = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head: 'softmax2', seed: 7 });
      const logits = await predictLogitsArray(model, sample, ctx, { tile: 32, overlap: 0.25 });
      model.dispose();
      return decideArray(logits.data, logits.channels, ctx);
    };
    const wasm = await predict('wasm');
    const gpu = await predict('webgpu');
    assertAllClose(gpu.prob, wasm.prob, 0, 1e-4, 'probability');
  });

  it('seglab backend, compare and predict on webgpu as a user runs them (engine processes, one GPU run at a time)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-webgpu-cli-'));
    const seglab = (...args: string[]) => {
      const env = { ...process.env };
      delete env.SEGLAB_BACKEND;
      const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { cwd: dir, encoding: 'utf8', env });
      assert.strictEqual(r.status, 0, `seglab ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    try {
      assert.match(seglab('backend', '--backend', 'webgpu'), /^backend: webgpu, forced by --backend webgpu\nGPU: .+; max buffer \d+ MiB/);
      const config = { name: 'tiny', dataset: { builtin: 'shapes', count: 10, size: 32 }, model: { depth: 2, baseFilters: 4 } };
      fs.writeFileSync(
        path.join(dir, 'tiny.json'),
        JSON.stringify({ ...config, epochs: 1, batchSize: 4, stepsPerEpoch: 2, runsDir: 'runs' }),
      );
      const out = seglab('compare', 'tiny.json', '--backend', 'webgpu');
      assert.match(out, /sigmoid1\/s1: run .* \(backend webgpu on .+, loss bce,/);
      assert.match(out, /report: .*report\.html/);
      const runs = fs.readdirSync(path.join(dir, 'runs')).filter((d) => /tiny-(sigmoid1|softmax2)-seed1$/.test(d));
      assert.strictEqual(runs.length, 2);
      for (const r of runs) {
        const summary = readSummary(path.join(dir, 'runs', r, 'summary.json'));
        assert.strictEqual(summary.status, 'done', summary.reason);
        assert.strictEqual(summary.backend, 'webgpu');
        assert.strictEqual(typeof summary.adapter?.description, 'string');
      }
      // one GPU: the second run starts after the first ended (--parallel defaults to 1)
      const [a, b] = runs.map((r) => readSummary(path.join(dir, 'runs', r, 'summary.json')));
      const [first, second] = a.startedAt < b.startedAt ? [a, b] : [b, a];
      assert.ok(first.endedAt! <= second.startedAt, `${first.endedAt} vs ${second.startedAt}`);
      // predict an image of 4 windows (1 MiB budget: 64-px windows) on webgpu and on wasm
      fs.mkdirSync(path.join(dir, 'images'));
      const pixels = Uint8Array.from({ length: 100 * 100 }, (_, i) => (i * 7919) % 251);
      fs.writeFileSync(path.join(dir, 'images', 'big.png'), encodePng8(pixels, 100, 100));
      const run = path.join(
        'runs',
        runs.find((r) => r.includes('softmax2'))!,
      );
      for (const backend of ['webgpu', 'wasm'])
        seglab('predict', run, '--images', 'images', '--out', backend, '--memory-budget', '1', '--backend', backend);
      const [gpu, cpu] = ['webgpu', 'wasm'].map((b) => readImage(path.join(dir, b, 'big_prob.png')).data);
      let worst = 0;
      for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(gpu[i] - cpu[i]));
      assert.ok(worst <= 1 / 255 + 1e-6, `probability PNGs differ by ${worst * 255} gray levels`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a GPU error during training ends the run as failed: GPU out of memory: … (its own process: the device stays poisoned)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-webgpu-oom-'));
    // After the first step, a buffer larger than the adapter allows: Dawn reports it as an uncaptured error.
    const script = `
      const tf = require(${JSON.stringify(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs'))});
      const { trainRun } = require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'core', 'train', 'trainer'))});
      const { tinyExperiment } = require(${JSON.stringify(path.join(ROOT, 'out', 'test', 'unit', 'helpers'))});
      const config = tinyExperiment(${JSON.stringify(dir)}, { backend: 'webgpu', epochs: 3 });
      const tooLarge = () => tf.backend().device.createBuffer({ size: 2 * tf.backend().device.limits.maxBufferSize + 8, usage: GPUBufferUsage.STORAGE });
      trainRun({ config, lossOverride: (epoch, step, loss) => (epoch === 1 && step === 1 && tooLarge(), loss) })
        .then((s) => console.log(JSON.stringify({ status: s.status, reason: s.reason, id: s.id })));`;
    try {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const ended = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.strictEqual(ended.status, 'failed');
      assert.match(ended.reason, /^GPU out of memory: Buffer size \(\d+\) exceeds the max buffer size/);
      const onDisk = readSummary(path.join(dir, ended.id, 'summary.json'));
      assert.deepStrictEqual([onDisk.status, onDisk.reason], ['failed', ended.reason]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
