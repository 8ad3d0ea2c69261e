/** SegLab's WebAssembly kernels: reproducible build, thread pool, thread-count independence. */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { initBackend } from '../../src/core/backend';
import { convFilterGradient, convForward, convInputGradient } from '../../src/core/kernels/conv';
import { defaultThreadCount, KernelPool, setKernelThreads } from '../../src/core/kernels/pool';
import { checkLossShape, computeLoss, computeLossWithTensors, ignoreIndexOf, LossData } from '../../src/core/losses/compute';
import { fusedLossValue } from '../../src/core/losses/fused';
import { compileLoss } from '../../src/core/losses/registry';
import { assertClose } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** Deterministic values in [-1, 1) (a linear congruential sequence). */
function values(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe('WebAssembly kernels', () => {
  const pools: KernelPool[] = [];
  after(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
  });

  it('kernels.wasm is what build.sh makes from kernels.c, byte for byte', function () {
    if (!hasTool('clang') || !hasTool('wasm-ld')) {
      this.skip(); // CI installs clang and lld (.ci/run); say so rather than pass silently
    }
    const out = execFileSync('bash', [path.join(ROOT, 'src/core/kernels/build.sh'), '--check'], { encoding: 'utf8' });
    assert.match(out, /match kernels\.c/);
  });

  it('convolutions give bit-identical results with 1, 2 and 3 threads', () => {
    for (const t of [1, 2, 3]) pools.push(new KernelPool(t));
    const s = { n: 2, h: 11, w: 13, cin: 5, cout: 20, k: 3 };
    const x = values(s.n * s.h * s.w * s.cin, 1);
    const f = values(9 * s.cin * s.cout, 2);
    const dy = values(s.n * s.h * s.w * s.cout, 3);
    const results = pools.map((p) => [convForward(x, f, s, undefined, p), convInputGradient(dy, f, s, undefined, p), convFilterGradient(x, dy, s, undefined, p)]);
    for (let t = 1; t < pools.length; t++) {
      for (let k = 0; k < 3; k++) assert.deepStrictEqual(results[t][k], results[0][k], `${pools[t].threads} threads, output ${k}`);
    }
  });

  it('a 3×3 convolution by hand: a single 1 in the middle of a 3×3 image spreads the flipped filter', () => {
    // y[i, j] = Σ x[i+a−1, j+b−1]·w[a, b]; with x = δ(1,1): y[i, j] = w[2−i, 2−j].
    const x = new Float32Array(9);
    x[4] = 1;
    const w = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = convForward(x, w, { n: 1, h: 3, w: 3, cin: 1, cout: 1, k: 3 });
    assert.deepStrictEqual(Array.from(y), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // dW[a, b] = Σ x[i+a−1, j+b−1]·dy[i, j]; with dy = 1 everywhere and x = δ(1,1) every tap sees the 1 once.
    const dw = convFilterGradient(x, new Float32Array(9).fill(1), { n: 1, h: 3, w: 3, cin: 1, cout: 1, k: 3 });
    assert.deepStrictEqual(Array.from(dw), [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('fused loss sums equal the tensor definitions across chunk boundaries, odd tails, modes and thread counts', async () => {
    await initBackend('cpu');
    // 2×181×191 pixels = 69142: two 65536-pixel chunks, and a tail that is not a multiple of 4.
    const [n, h, w] = [2, 181, 191];
    const px = n * h * w;
    const logits1 = Float32Array.from(values(px, 4), (v) => v * 12);
    const probs1 = Float32Array.from(logits1, (v) => 1 / (1 + Math.exp(-v)));
    const mask = Uint8Array.from(values(px, 5), (v) => (v > 0.4 ? 1 : 0));
    const logits3 = Float32Array.from(values(px * 3, 6), (v) => v * 6);
    const classes = Float32Array.from(values(px, 7), (v) => Math.min(2, Math.floor((v + 1) * 1.5)));
    classes[10] = -100; // ignored by crossEntropy
    const oneHot = new Float32Array(px * 3);
    classes.forEach((k, i) => {
      if (k >= 0) oneHot[i * 3 + k] = 1;
    });
    const cases: [string, LossData, Record<string, unknown>][] = [
      ['bceWithLogits', { pred: logits1, target: mask, shape: [n, h, w, 1], fromLogits: true }, {}],
      ['bce', { pred: probs1, target: mask, shape: [n, h, w, 1] }, { beta: 2 }],
      ['bceWithLogits', { pred: logits1, target: mask, shape: [n, h, w, 1], fromLogits: true }, { labelSmoothing: 0.2, posWeight: 3 }],
      ['dice', { pred: logits1, target: mask, shape: [n, h, w, 1], fromLogits: true }, {}],
      ['dice', { pred: probs1, target: mask, shape: [n, h, w, 1] }, { perImage: true, smooth: 1 }],
      ['crossEntropy', { pred: logits3, target: classes, shape: [n, h, w, 3], fromLogits: true }, {}],
      ['categoricalCrossEntropy', { pred: logits3, target: oneHot, shape: [n, h, w, 3], fromLogits: true }, {}],
      ['dice', { pred: logits3, target: oneHot, shape: [n, h, w, 3], fromLogits: true }, { includeBackground: false, emptyTarget: 'zero' }],
      ['dice', { pred: logits3, target: oneHot, shape: [n, h, w, 3], fromLogits: true, mode: 'multilabel' }, {}],
      ['0.5*bceWithLogits+dice', { pred: logits1, target: mask, shape: [n, h, w, 1], fromLogits: true }, {}],
    ];
    for (const [name, data, options] of cases) {
      const loss = compileLoss(name, options);
      const expected = computeLossWithTensors(loss, data);
      for (const threads of [1, 3]) {
        setKernelThreads(threads);
        const fused = fusedLossValue(loss, checkLossShape(data, ignoreIndexOf(loss)));
        assert.ok(fused !== null, `${name} ${JSON.stringify(options)} was not fused`);
        assertClose(fused, expected, 2e-6, 1e-7, `${name} ${JSON.stringify(options)} ${threads} threads`);
      }
    }
    setKernelThreads(defaultThreadCount());
  });

  it('computeLoss still names the bad value when the fused kernels find one', () => {
    const shape = [1, 2, 3, 1];
    assert.throws(() => computeLoss('bce', { pred: [0.1, 0.2, 1.5, 0.3, 0.4, 0.5], target: [0, 1, 0, 1, 0, 1], shape }), /pred\[2\] = 1\.5 is not a probability/);
    assert.throws(() => computeLoss('dice', { pred: [0, 0, 0, 0, NaN, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }), /pred\[4\] = NaN is NaN/);
    // Inside the 4-wide loop the 1-channel Dice kernel checks ranges as running extremes and NaN by its sums.
    assert.throws(() => computeLoss('dice', { pred: [0, Infinity, 0, 0, 0, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }), /pred\[1\] = Infinity is not finite/);
    assert.throws(() => computeLoss('dice', { pred: [0, NaN, 0, 0, 0, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }), /pred\[1\] = NaN is NaN/);
    assert.throws(() => computeLoss('dice', { pred: [0, 0, 0, 0, 0, 0], target: [0, 1, 1.5, 1, 0, 1], shape, fromLogits: true }), /target\[2\] = 1\.5 is not in \[0, 1\]/);
    assert.throws(() => computeLoss('dice', { pred: [0.5, 0.5, -0.1, 0.5, 0.5, 0.5], target: [0, 1, 0, 1, 0, 1], shape }), /pred\[2\] = -0\.1 is not a probability/);
    assert.throws(() => computeLoss('bceWithLogits', { pred: [0, 0, 0, 0, 0, 0], target: [0, 1, 0, 2, 0, 1], shape, fromLogits: true }), /target\[3\] = 2 is not in \[0, 1\]/);
    assert.throws(
      () => computeLoss('crossEntropy', { pred: new Array(12).fill(0), target: [0, 1, 1.5, 0, 1, 0], shape: [1, 2, 3, 2], fromLogits: true }),
      /target\[2\] = 1\.5 is not a class index in \[0, 1\] or the ignore index -100/,
    );
  });

  it('bad shapes and thread counts are refused with the value named', () => {
    assert.throws(() => convForward(new Float32Array(4), new Float32Array(4), { n: 1, h: 2, w: 2, cin: 1, cout: 1, k: 2 }), /kernel size must be odd/);
    assert.throws(() => new KernelPool(0), /threads must be a positive integer, got 0/);
    const saved = process.env.SEGLAB_THREADS;
    try {
      process.env.SEGLAB_THREADS = 'two';
      assert.throws(() => defaultThreadCount(), /SEGLAB_THREADS must be a positive integer, got 'two'/);
      process.env.SEGLAB_THREADS = '3';
      assert.strictEqual(defaultThreadCount(), 3);
    } finally {
      if (saved === undefined) delete process.env.SEGLAB_THREADS;
      else process.env.SEGLAB_THREADS = saved;
    }
  });
});
