/** The U-Net: heads, identical bodies, the wasm convolution gradient, the up-convolution, checkpoints. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend/backend';
import { defaultThreadCount, setKernelThreads } from '../../src/core/kernels/pool';
import { buildUnet, convLayers, HEAD_LAYER } from '../../src/core/model/unet';
import { UpConv2x2 } from '../../src/core/model/upConv';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/runs/checkpoint';

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('U-Net model', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('heads output 1, 2 or N logit channels at the input resolution', () => {
    for (const [head, classes, channels] of [
      ['sigmoid1', undefined, 1],
      ['softmax2', undefined, 2],
      ['softmaxN', 4, 4],
      ['sigmoidN', 3, 3],
    ] as const) {
      const m = buildUnet({ inputChannels: 3, depth: 2, baseFilters: 4, batchNorm: true, head, classes, seed: 1 });
      const y = m.predict(tf.zeros([2, 16, 24, 3])) as tf.Tensor;
      assert.deepStrictEqual(y.shape, [2, 16, 24, channels], head);
      y.dispose();
      m.dispose();
    }
  });

  it('convLayers lists every convolution buildUnet makes: name, channels, kernel, and the level its input is at', () => {
    const o = { inputChannels: 3, depth: 3, baseFilters: 4, batchNorm: true, head: 'softmaxN', classes: 5, seed: 1 } as const;
    const m = buildUnet(o);
    const convs = m.layers.filter((l) => l.getClassName() === 'SegLabSameConv2D');
    const listed = convLayers(o);
    assert.deepStrictEqual(
      listed.map((c) => [c.name, [c.k, c.k, c.cin, c.cout]]),
      convs.map((l) => [l.name, l.getWeights()[0].shape]),
    );
    // The level: a 32×40 input reaches each layer at 32/2^level × 40/2^level.
    const x = tf.zeros([1, 32, 40, 3]);
    for (const c of listed) {
      const layerInput = m.getLayer(c.name).input as tf.SymbolicTensor;
      const sub = tf.model({ inputs: m.inputs, outputs: layerInput });
      const shape = (sub.predict(x) as tf.Tensor).shape;
      assert.deepStrictEqual(shape.slice(1, 3), [32 / 2 ** c.level, 40 / 2 ** c.level], c.name);
    }
    x.dispose();
    m.dispose();
  });

  it('sigmoid1 and softmax2 with the same seed start from identical body weights', () => {
    const a = buildUnet({ inputChannels: 1, depth: 3, baseFilters: 8, batchNorm: false, head: 'sigmoid1', seed: 42 });
    const b = buildUnet({ inputChannels: 1, depth: 3, baseFilters: 8, batchNorm: false, head: 'softmax2', seed: 42 });
    const body = (m: tf.LayersModel) => m.layers.filter((l) => l.name !== HEAD_LAYER).flatMap((l) => l.getWeights());
    const wa = body(a);
    const wb = body(b);
    assert.strictEqual(wa.length, wb.length);
    assert.ok(wa.length > 20);
    wa.forEach((w, i) => assert.strictEqual(maxAbsDiff(w, wb[i]), 0, `weight ${i}`));
    assert.deepStrictEqual(a.getLayer(HEAD_LAYER).getWeights()[0].shape, [1, 1, 8, 1]);
    assert.deepStrictEqual(b.getLayer(HEAD_LAYER).getWeights()[0].shape, [1, 1, 8, 2]);
    const c = buildUnet({ inputChannels: 1, depth: 3, baseFilters: 8, batchNorm: false, head: 'sigmoid1', seed: 43 });
    assert.ok(maxAbsDiff(body(c)[0], wa[0]) > 0, 'another seed gives other weights');
    [a, b, c].forEach((m) => m.dispose());
  });

  /** conv2d(x, f) and the gradients of Σ(conv2d(x, f)·dy) for x and f, computed on `backend`. */
  async function convGradsWith(backend: string, x: number[], f: number[], dyValues: number[], shapes: number[][]) {
    await initBackend(backend);
    return tf.tidy(() => {
      const xt = tf.tensor4d(x, shapes[0] as [number, number, number, number]);
      const ft = tf.tensor4d(f, shapes[1] as [number, number, number, number]);
      const dy = tf.tensor4d(dyValues, shapes[2] as [number, number, number, number]);
      const y = Float32Array.from(tf.conv2d(xt, ft, 1, 'same').dataSync());
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)),
      )([xt, ft]);
      return { y, gx: Float32Array.from(gx.dataSync()), gf: Float32Array.from(gf.dataSync()) };
    });
  }
  const maxRelDiff = (a: Float32Array, b: Float32Array) => {
    let m = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return m / scale;
  };

  it("the wasm convolution kernels (forward, input and filter gradient) equal the cpu backend's, with 1 and 2 threads", async () => {
    // Shapes cover 12/8/4-channel register tiles, a scalar channel remainder, odd widths and 1×1.
    for (const [n, h, w, cin, cout, k] of [
      [2, 9, 7, 3, 5, 3],
      [1, 6, 10, 16, 12, 3],
      [2, 5, 5, 4, 2, 1],
      [1, 8, 9, 1, 8, 3],
      [1, 4, 6, 13, 29, 3],
    ]) {
      const shapes = [
        [n, h, w, cin],
        [k, k, cin, cout],
        [n, h, w, cout],
      ];
      const r = (len: number, seed: number) => tf.tidy(() => Array.from(tf.randomNormal([len], 0, 1, 'float32', seed).dataSync()));
      const x = r(n * h * w * cin, 1);
      const f = r(k * k * cin * cout, 2);
      const dyValues = r(n * h * w * cout, 3);
      const ref = await convGradsWith('cpu', x, f, dyValues, shapes);
      for (const threads of [1, 2]) {
        setKernelThreads(threads);
        const mine = await convGradsWith('wasm', x, f, dyValues, shapes);
        const what = `${shapes[0].join('×')} ${k}×${k} ${cin}→${cout}, ${threads} thread(s)`;
        assert.ok(maxRelDiff(mine.y, ref.y) < 1e-5, `y ${what}`);
        assert.ok(maxRelDiff(mine.gx, ref.gx) < 1e-5, `dx ${what}`);
        assert.ok(maxRelDiff(mine.gf, ref.gf) < 1e-5, `dW ${what}`);
      }
    }
    setKernelThreads(defaultThreadCount());
  });

  it('the wasm filter gradient refuses strided convolutions with a clear error', () => {
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    const f = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    assert.throws(
      () => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(x, a as tf.Tensor4D, 2, 'same')))(f),
      /only stride-1, dilation-1 .* 'same' padding/,
    );
  });

  it("the wasm matMul gradient equals the cpu backend's, for all four transpose flags", async () => {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      // C = op(A)·op(B) with op(A) 5×3 and op(B) 3×4.
      const run = async (backend: string) => {
        await initBackend(backend);
        return tf.tidy(() => {
          const a = tf.randomNormal(ta ? [3, 5] : [5, 3], 0, 1, 'float32', 7);
          const b = tf.randomNormal(tb ? [4, 3] : [3, 4], 0, 1, 'float32', 8);
          const dy = tf.randomNormal([5, 4], 0, 1, 'float32', 9);
          const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), dy)))([a, b]);
          return [Float32Array.from(ga.dataSync()), Float32Array.from(gb.dataSync())];
        });
      };
      const [ra, rb] = await run('cpu');
      const [ma, mb] = await run('wasm');
      assert.ok(maxRelDiff(ma, ra) < 1e-5, `dA ${ta} ${tb}`);
      assert.ok(maxRelDiff(mb, rb) < 1e-5, `dB ${ta} ${tb}`);
    }
    // By hand: C = A·B with A = [[1, 2]], B = [[3], [4]], dC = [[1]] gives dA = Bᵀ = [[3, 4]] and dB = Aᵀ.
    const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a, b)))([tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])]);
    assert.deepStrictEqual(Array.from(ga.dataSync()), [3, 4]);
    assert.deepStrictEqual(Array.from(gb.dataSync()), [1, 2]);
  });

  it('the 2×2 max-pool gradient goes to the first maximum of a window (ties, as ReLU zeros make), on cpu and wasm', async () => {
    // One 4×4 image, four windows: all equal (→ top-left), a tie in the bottom row (→ bottom-left),
    // a unique maximum (→ its place), and 0s with a −1 (→ the first 0). dy = [1, 2, 3, 4].
    const x = [7, 7, 1, 2, 7, 7, 3, 9, 0, -1, 5, 4, 0, 0, 5, 5];
    const expected = [1, 0, 0, 0, 0, 0, 0, 2, 3, 0, 4, 0, 0, 0, 0, 0];
    for (const backend of ['cpu', 'wasm']) {
      await initBackend(backend);
      const g = tf.tidy(() => {
        const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
        return Array.from(
          tf
            .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), dy)))(tf.tensor4d(x, [1, 4, 4, 1]))
            .dataSync(),
        );
      });
      assert.deepStrictEqual(g, expected, backend);
    }
  });

  it('a training step works on wasm (whose own kernels lack Conv2DBackpropFilter)', () => {
    const m = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head: 'sigmoid1', seed: 1 });
    const opt = tf.train.adam(0.01);
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 5);
    const y = tf.cast(tf.greater(x, 0), 'float32');
    const loss = () => tf.losses.sigmoidCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    for (let i = 0; i < 10; i++) opt.minimize(loss, true)?.dispose();
    const last = tf.tidy(() => loss().dataSync()[0]);
    assert.ok(last < first, `${first} → ${last}`);
    m.dispose();
  });

  it('the 2×2 up-convolution equals conv2dTranspose with stride 2', () => {
    const layer = new UpConv2x2({ filters: 4, seed: 1 });
    const x = tf.randomNormal([2, 3, 5, 6], 0, 1, 'float32', 9);
    const out = layer.apply(x) as tf.Tensor;
    const kernel = tf.transpose(tf.reshape(layer.getWeights()[0], [6, 2, 2, 4]), [1, 2, 3, 0]) as tf.Tensor4D;
    const ref = tf.conv2dTranspose(x as tf.Tensor4D, kernel, [2, 6, 10, 4], 2, 'valid');
    assert.ok(maxAbsDiff(out, ref) < 1e-5);
  });

  it('a checkpoint round-trips in the TensorFlow.js layers format', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ckpt-'));
    const m = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: true, head: 'softmax2', seed: 3 });
    await saveCheckpoint(m, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.strictEqual(json.format, 'layers-model');
    assert.deepStrictEqual(json.weightsManifest[0].paths, ['weights.bin']);
    const loaded = await loadCheckpoint(dir);
    const x = tf.randomNormal([1, 8, 8, 1], 0, 1, 'float32', 4);
    assert.strictEqual(maxAbsDiff(m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor), 0);
    fs.rmSync(dir, { recursive: true });
  });

  it('a checkpoint is replaced as a pair, and a crash between the two renames is recovered', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ckpt-pair-'));
    const dir = path.join(parent, 'best');
    const a = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head: 'sigmoid1', seed: 1 });
    const b = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head: 'sigmoid1', seed: 2 });
    const x = tf.randomNormal([1, 8, 8, 1], 0, 1, 'float32', 4);
    await saveCheckpoint(a, dir);
    await saveCheckpoint(b, dir);
    assert.deepStrictEqual(fs.readdirSync(parent), ['best'], 'nothing left beside it');
    assert.strictEqual(maxAbsDiff((await loadCheckpoint(dir)).predict(x) as tf.Tensor, b.predict(x) as tf.Tensor), 0);
    // The state a crash between "old aside" and "new into place" leaves: only best.old-<pid>, and a
    // half-written best.new-<pid>. Loading puts the old pair back and clears the rest.
    fs.renameSync(dir, `${dir}.old-4242`);
    fs.mkdirSync(`${dir}.new-4242`);
    fs.writeFileSync(path.join(`${dir}.new-4242`, 'weights.bin'), 'half');
    assert.strictEqual(maxAbsDiff((await loadCheckpoint(dir)).predict(x) as tf.Tensor, b.predict(x) as tf.Tensor), 0);
    assert.deepStrictEqual(fs.readdirSync(parent), ['best']);
    fs.rmSync(parent, { recursive: true });
  });
});
