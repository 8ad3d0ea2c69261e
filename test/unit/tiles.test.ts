/** Sliding-window inference (MONAI's sliding_window_inference scheme) for images larger than a window. */
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend/backend';
import { decide, decideArray, predictLogits, predictLogitsArray } from '../../src/core/train/predict';
import { importanceMap, slidingWindow, tileForBudget, windowStarts } from '../../src/core/train/tiles';
import { buildUnet } from '../../src/core/model/unet';
import { assertAllClose } from './helpers';

const ctx = { head: 'sigmoid1' as const, channels: 1, classes: 2, norm: { mean: [0.5], std: [0.25] }, multiple: 4, threshold: 0.5 };

function sample(h: number, w: number) {
  const image = Float32Array.from({ length: h * w }, (_, i) => ((i * 7919) % 101) / 100);
  return { name: 'x', height: h, width: w, image, mask: new Uint8Array(h * w) };
}

describe('tiled inference', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('window starts: stride window·(1 − overlap), the last aligned to the end (worked by hand)', () => {
    assert.deepStrictEqual(windowStarts(100, 32, 0.25), [0, 24, 48, 68]); // stride 24; 72 + 32 > 100 → 68
    assert.deepStrictEqual(windowStarts(64, 32, 0.5), [0, 16, 32]);
    assert.deepStrictEqual(windowStarts(30, 32, 0.25), [0]);
  });

  it('importance map: Gaussian with σ = 0.125·size, max 1 at the centre (values by hand)', () => {
    const m = importanceMap(9, 8);
    // centre row 4; columns centred at 3.5: the two middle columns hold the maximum 1
    assert.strictEqual(m[4 * 8 + 3], 1);
    assert.strictEqual(m[4 * 8 + 4], 1);
    // (0, 4): exp(−4² / (2·1.125²)) · exp(−0.5² / (2·1²)) / exp(−0.5² / 2)
    assert.ok(Math.abs(m[4] - Math.exp(-16 / (2 * 1.125 ** 2))) < 1e-7, String(m[4]));
  });

  it('a pointwise model gives exactly the whole-image logits (every pixel covered, weights normalised)', async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [null, null, 1], filters: 2, kernelSize: 1, kernelInitializer: 'glorotUniform' })],
    });
    const s = sample(50, 70);
    const whole = await predictLogits(model, s, ctx);
    const tiled = await predictLogits(model, s, ctx, { tile: 16, overlap: 0.25 });
    assertAllClose(tiled.dataSync(), whole.dataSync(), 1e-5, 1e-6);
    const arr = await predictLogitsArray(model, s, ctx, { tile: 16, overlap: 0.5 });
    assertAllClose(arr.data, whole.dataSync(), 1e-5, 1e-6);
    // decide in bands (4 of up to 1000 pixels) = decide on the tensor
    const channel0 = (whole.dataSync() as Float32Array).filter((_, i) => i % 2 === 0);
    assert.deepStrictEqual(
      await decideArray(channel0, 1, ctx, 1000),
      await decide(tf.slice(whole, [0, 0, 0, 0], [1, 50, 70, 1]) as tf.Tensor4D, ctx),
    );
    tf.dispose([whole, tiled]);
  });

  it('an image larger than the window goes through the model once per window, a smaller one once', async () => {
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [null, null, 1], filters: 1, kernelSize: 1 })] });
    const shapes: number[][] = [];
    const predict = model.predict.bind(model);
    model.predict = (x, args) => {
      shapes.push((x as tf.Tensor).shape);
      return predict(x, args);
    };
    // 50×70 with 16-px windows, overlap 0.25 (stride 12): rows 0, 12, 24, 34; columns 0, 12, 24, 36, 48, 54
    (await predictLogits(model, sample(50, 70), ctx, { tile: 16, overlap: 0.25 })).dispose();
    assert.strictEqual(shapes.length, 4 * 6);
    assert.ok(shapes.every((s) => s[1] === 16 && s[2] === 16));
    shapes.length = 0;
    (await predictLogits(model, sample(12, 14), ctx, { tile: 16, overlap: 0.25 })).dispose();
    assert.deepStrictEqual(shapes, [[1, 12, 16, 1]], 'one pass, padded to a multiple of 4');
  });

  it('a U-Net: tiles agree with the whole image away from window borders; blending is a weighted mean', async () => {
    const model = buildUnet({ inputChannels: 1, depth: 2, baseFilters: 4, batchNorm: false, head: 'sigmoid1', seed: 5 });
    const s = sample(40, 40);
    const whole = (await predictLogits(model, s, ctx)).dataSync();
    const tiled = (await predictLogits(model, s, ctx, { tile: 32, overlap: 0.5 })).dataSync();
    // the centre of the first window (rows/cols 8..23) is far from every border that window has inside the image
    let worst = 0;
    for (let y = 12; y < 20; y++) for (let x = 12; x < 20; x++) worst = Math.max(worst, Math.abs(tiled[y * 40 + x] - whole[y * 40 + x]));
    const spread = Math.max(...whole) - Math.min(...whole);
    assert.ok(worst < 0.05 * spread, `centre differs by ${worst} (spread ${spread})`);
    // two windows of constant 1 and 3 blend to values between them, weighted towards the nearer centre
    const b = await slidingWindow(1, 12, { tile: 8, overlap: 0.5 }, (_y, x0) => ({
      data: new Float32Array(8).fill(x0 === 0 ? 1 : 3),
      channels: 1,
    }));
    assert.deepStrictEqual(Array.from(b.data.subarray(0, 4)), [1, 1, 1, 1]);
    assert.ok(b.data[5] > 1 && b.data[5] < 2 && b.data[6] > 2 && b.data[6] < 3, Array.from(b.data).join(', '));
  });

  it('the window a memory budget allows: 64·baseFilters bytes per pixel, a multiple of 2^depth, within a GPU binding', () => {
    assert.strictEqual(tileForBudget(512, 16, 8), 720); // √(512·2^20 / 1024) = 724.1 → 720
    assert.strictEqual(tileForBudget(1, 64, 16), 16); // at least 2^depth
    assert.throws(() => tileForBudget(0, 16, 8), /memory budget must be a positive number of MiB, got 0/);
    // a GPU whose largest storage binding is 128 MiB (lavapipe): 2^27 / (8·16) = 1024² pixels at most
    assert.strictEqual(tileForBudget(4096, 16, 8, 2 ** 27), 1024);
    assert.strictEqual(tileForBudget(512, 16, 8, 2 ** 27), 720, 'the budget is the tighter bound');
  });
});
