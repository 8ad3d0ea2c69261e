/**
 * Convolution, up-convolution, matMul, batch norm and a whole U-Net step (with and without batch
 * norm) against PyTorch autograd
 * (test/fixtures/make_gradients.py → gradients.json), on every kernel path SegLab has: tfjs's cpu
 * backend, the wasm backend with one thread (SegLab's kernels on the calling thread) and
 * with two (SegLab's convolution kernels throughout), the webgpu backend, and the kernel functions
 * themselves. Results are read asynchronously (the only read WebGPU offers in Node).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { convFilterGradient, convForward, convInputGradient } from '../../src/core/kernels/conv';
import { batchNormBackward, batchNormForward } from '../../src/core/kernels/layers';
import { BatchNorm } from '../../src/core/model/batchNorm';
import { defaultKernelVariant, defaultThreadCount, KernelVariant, setKernelThreads } from '../../src/core/kernels/pool';
import { compileLoss } from '../../src/core/losses/registry';
import { buildUnet } from '../../src/core/model/unet';
import { UpConv2x2 } from '../../src/core/model/upConv';
import { assertNear, ROOT, suiteOnBackend } from './helpers';

const fixtures = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'gradients.json'), 'utf8'));

const PATHS: { name: string; backend: string; threads?: number; kernels?: KernelVariant }[] = [
  { name: 'tfjs cpu backend', backend: 'cpu' },
  { name: 'wasm, 1 thread (SegLab kernels on the calling thread)', backend: 'wasm', threads: 1 },
  { name: 'wasm, 2 threads (SegLab convolution kernels, relaxed-SIMD build)', backend: 'wasm', threads: 2, kernels: 'relaxed' },
  { name: 'wasm, 2 threads (SegLab convolution kernels, baseline SIMD build)', backend: 'wasm', threads: 2, kernels: 'baseline' },
  // the adapter Dawn finds: Mesa's lavapipe on this project's machines; skipped with the reason where none
  { name: 'webgpu (tfjs-backend-webgpu on Dawn)', backend: 'webgpu' },
];

for (const p of PATHS) {
  describe(`gradients vs PyTorch autograd: ${p.name}`, function () {
    suiteOnBackend(this, p.backend);
    before(() => {
      if (p.threads) setKernelThreads(p.threads, p.kernels);
    });
    after(() => setKernelThreads(defaultThreadCount(), defaultKernelVariant()));

    for (const c of [...fixtures.conv, ...fixtures.convWide, ...fixtures.convWinogradFilter, ...fixtures.convWinograd43]) {
      const [n, h, w, cin, cout, k] = c.shape;
      it(`conv2d ${n}×${h}×${w} ${k}×${k} ${cin}→${cout}: y, dx, dW`, async () => {
        const x = tf.tensor4d(c.x, [n, h, w, cin]);
        const f = tf.tensor4d(c.filter, [k, k, cin, cout]);
        const dy = tf.tensor4d(c.dy, [n, h, w, cout]);
        const out = tf.conv2d(x, f, 1, 'same');
        const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)),
        )([x, f]);
        assertNear(await out.data(), c.y, 'y');
        assertNear(await gx.data(), c.dx, 'dx');
        assertNear(await gf.data(), c.dFilter, 'dW');
        tf.dispose([x, f, dy, out, gx, gf]);
      });
    }

    for (const c of fixtures.upconv) {
      const [n, h, w, cin, cout] = c.shape;
      it(`2×2 stride-2 up-convolution ${n}×${h}×${w} ${cin}→${cout}: y, dx, dKernel, dBias`, async () => {
        const layer = new UpConv2x2({ filters: cout, seed: 1 });
        const x = tf.tensor4d(c.x, [n, h, w, cin]);
        layer.apply(x);
        layer.setWeights([tf.tensor2d(c.kernel, [cin, 4 * cout]), tf.tensor1d(c.bias)]);
        const dy = tf.tensor4d(c.dy, [n, 2 * h, 2 * w, cout]);
        const objective = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy)) as tf.Scalar;
        assertNear(await (layer.apply(x) as tf.Tensor).data(), c.y, 'y');
        assertNear(await tf.grad(objective)(x).data(), c.dx, 'dx');
        const { grads } = tf.variableGrads(() => objective(x));
        const byName = (suffix: string) => Object.entries(grads).find(([key]) => key.endsWith(suffix))![1];
        assertNear(await byName('kernel').data(), c.dKernel, 'dKernel');
        assertNear(await byName('bias').data(), c.dBias, 'dBias');
        tf.dispose([x, dy, ...Object.values(grads)]);
        layer.dispose();
      });
    }

    for (const c of fixtures.matmul) {
      it(`matMul transposeA=${c.transposeA} transposeB=${c.transposeB}: C, dA, dB`, async () => {
        const a = tf.tensor2d(c.a, c.aShape);
        const b = tf.tensor2d(c.b, c.bShape);
        const dc = tf.tensor2d(c.dc, [5, 4]);
        const prod = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, c.transposeA, c.transposeB);
        const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(prod(x, y), dc)))([a, b]);
        const out = prod(a, b);
        assertNear(await out.data(), c.c, 'C');
        assertNear(await da.data(), c.dA, 'dA');
        assertNear(await db.data(), c.dB, 'dB');
        tf.dispose([a, b, dc, da, db, out]);
      });
    }

    for (const c of fixtures.batchNorm) {
      const [n, h, w, ch] = c.shape;
      it(`batch norm in training ${n}×${h}×${w}×${ch}: y, dx, dγ, dβ and the moving statistics`, async () => {
        const layer = new BatchNorm({ name: 'bn' });
        const x = tf.tensor4d(c.x, [n, h, w, ch]);
        layer.apply(x); // builds
        layer.setWeights([tf.tensor1d(c.gamma), tf.tensor1d(c.beta), tf.zeros([ch]), tf.ones([ch])]);
        const dy = tf.tensor4d(c.dy, [n, h, w, ch]);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        assertNear(await y.data(), c.y, 'y');
        const moving = layer.getWeights().slice(2);
        // tfjs-layers' rule with momentum 0.99 from mean 0 and variance 1: 0.01·batch value (+ 0.99 for the variance)
        assertNear(
          await moving[0].data(),
          c.mean.map((m: number) => 0.01 * m),
          'moving mean',
        );
        assertNear(
          await moving[1].data(),
          c.variance.map((v: number) => 0.99 + 0.01 * v),
          'moving variance',
        );
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)));
        const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, dy)))(x);
        assertNear(await gx.data(), c.dx, 'dx', 1e-4);
        const [gamma, beta] = layer.trainableWeights.map((v) => grads[v.name]);
        assertNear(await gamma.data(), c.dGamma, 'dγ', 1e-4);
        assertNear(await beta.data(), c.dBeta, 'dβ');
        tf.dispose([x, dy, y, gx, ...Object.values(grads)]);
        layer.dispose();
      });
    }

    for (const [key, bn] of [
      ['unet', ''],
      ['unetBn', ' + batch norm'],
    ] as const) {
      it(`one U-Net step (depth 2, 4 filters${bn}, 2×16×16, BCE with logits): loss and the gradient of every weight`, async () => {
        const u = fixtures[key];
        const model = buildUnet({ ...u.options, seed: 1 });
        for (const v of model.trainableWeights) {
          assert.ok(u.weights[v.originalName], `fixture has ${v.originalName}`);
          v.write(tf.tensor(u.weights[v.originalName], v.shape as number[]));
        }
        const [b, s, , c] = u.shape;
        const image = tf.tensor4d(u.image, [b, s, s, c]);
        const target = tf.tensor4d(u.target, [b, s, s, c]);
        const loss = compileLoss('bceWithLogits');
        // PyTorch's logits: inference without batch norm, the training forward (batch statistics) with it
        const logits = (u.options.batchNorm ? model.apply(image, { training: true }) : model.predict(image)) as tf.Tensor;
        assertNear(await logits.data(), u.logits, 'logits', u.options.batchNorm ? 1e-4 : 1e-5);
        const { value, grads } = tf.variableGrads(() =>
          loss.apply({ pred: model.apply(image, { training: true }) as tf.Tensor4D, target, fromLogits: true, mode: 'binary' }),
        );
        const lossValue = (await value.data())[0];
        assert.ok(Math.abs(lossValue - u.loss) < 1e-5 * u.loss, `loss ${lossValue} vs ${u.loss}`);
        const names = model.trainableWeights.map((v) => v.originalName);
        assert.strictEqual(names.length, Object.keys(u.gradients).length);
        for (const v of model.trainableWeights)
          assertNear(await grads[v.name].data(), u.gradients[v.originalName], `d/d ${v.originalName}`, 1e-4);
        tf.dispose([image, target, logits, value, ...Object.values(grads)]);
        model.dispose();
      });
    }
  });
}

describe('kernel functions vs PyTorch autograd (no tfjs)', () => {
  for (const c of [...fixtures.conv, ...fixtures.convWide, ...fixtures.convWinogradFilter, ...fixtures.convWinograd43]) {
    const [n, h, w, cin, cout, k] = c.shape;
    it(`convForward / convInputGradient / convFilterGradient ${n}×${h}×${w} ${k}×${k} ${cin}→${cout}`, () => {
      const s = { n, h, w, cin, cout, k };
      const [x, f, dy] = [c.x, c.filter, c.dy].map((a: number[]) => Float32Array.from(a));
      assertNear(convForward(x, f, s), c.y, 'y');
      assertNear(convInputGradient(dy, f, s), c.dx, 'dx');
      assertNear(convFilterGradient(x, dy, s), c.dFilter, 'dW');
    });
  }
  // F(4×4, 3×3) forced on every fixture whose sizes are multiples of 4 (the rule picks it only from 32²).
  const fours = [...fixtures.conv, ...fixtures.convWide, ...fixtures.convWinogradFilter, ...fixtures.convWinograd43].filter(
    (c: { shape: number[] }) => c.shape[1] % 4 === 0 && c.shape[2] % 4 === 0 && c.shape[5] === 3,
  );
  it(`Winograd F(4×4, 3×3) forced: y, dx and dW of the ${fours.length} fixtures with sizes in multiples of 4`, () => {
    assert.ok(fours.length >= 4, 'fixtures with sizes in multiples of 4');
    for (const c of fours) {
      const [n, h, w, cin, cout, k] = c.shape;
      const s = { n, h, w, cin, cout, k };
      const [x, f, dy] = [c.x, c.filter, c.dy].map((a: number[]) => Float32Array.from(a));
      assertNear(convForward(x, f, s, undefined, undefined, undefined, 'conv_winograd43'), c.y, `y ${c.shape}`);
      assertNear(convInputGradient(dy, f, s, undefined, undefined, 'conv_winograd43'), c.dx, `dx ${c.shape}`);
      assertNear(convFilterGradient(x, dy, s, undefined, undefined, 'conv_filter_winograd43'), c.dFilter, `dW ${c.shape}`);
    }
  });
});

describe('batch-norm kernel functions vs PyTorch autograd (no tfjs)', () => {
  for (const c of fixtures.batchNorm) {
    it(`batchNormForward / batchNormBackward ${c.shape.join('×')}`, () => {
      const [x, gamma, beta, dy] = [c.x, c.gamma, c.beta, c.dy].map((a: number[]) => Float32Array.from(a));
      const y = new Float32Array(x.length);
      const moments = batchNormForward(x, gamma, beta, 1e-3, y);
      assertNear(y, c.y, 'y');
      assertNear(moments.mean, c.mean, 'mean', 1e-6);
      assertNear(moments.variance, c.variance, 'variance', 1e-5);
      const dx = new Float32Array(x.length);
      const { dgamma, dbeta } = batchNormBackward(dy, x, moments, gamma, 1e-3, dx);
      assertNear(dx, c.dx, 'dx', 1e-4);
      assertNear(dgamma, c.dGamma, 'dγ', 1e-4);
      assertNear(dbeta, c.dBeta, 'dβ');
    });
  }
});
