/** SegLab's WebAssembly kernels: reproducible build, thread pool, thread-count independence. */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { initBackend } from '../../src/core/backend/backend';
import * as tf from '@tensorflow/tfjs';
import {
  convFilterGradient,
  convForward,
  convInputGradient,
  convKernelsFor,
  FilterKernel,
  ForwardKernel,
} from '../../src/core/kernels/conv';
import { biasAdd, channelSums, concatChannels, maxPoolGrad2, splitChannels } from '../../src/core/kernels/layers';
import { defaultKernelVariant, defaultThreadCount, KernelPool, setKernelThreads } from '../../src/core/kernels/pool';
import { checkLossShape, computeLoss, computeLossWithTensors, ignoreIndexOf, LossData } from '../../src/core/losses/compute';
import { fusedLossValue } from '../../src/core/losses/fused';
import { compileLoss } from '../../src/core/losses/registry';
import { assertAllClose, assertClose } from './helpers';

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

  it('kernels.wasm and kernels-relaxed.wasm are what build.sh makes from kernels.c, byte for byte', function () {
    if (!['clang', 'wasm-ld', 'clang-16', 'wasm-ld-16'].every(hasTool)) {
      this.skip(); // CI installs clang, lld, clang-16 and lld-16 (scripts/install-system-deps.sh)
    }
    const out = execFileSync('bash', [path.join(ROOT, 'src/core/kernels/build.sh'), '--check'], { encoding: 'utf8' });
    assert.match(out, /match kernels\.c/);
  });

  for (const variant of ['relaxed', 'baseline'] as const) {
    it(`convolutions give bit-identical results with 1, 2 and 3 threads (${variant} kernels)`, () => {
      const mine = [1, 2, 3].map((t) => new KernelPool(t, variant));
      pools.push(...mine);
      // Odd sizes run the direct kernels; even sizes with ≥ 8 channels Winograd F(2×2) (forward and
      // input gradient); from 32² in multiples of 4 F(4×4), whose tile rows go in groups (4 at 64²,
      // 8 at 32²) that 1, 2 and 3 threads cut differently. 72 → 72 channels: the F(4×4) filter gradient
      // at 2×64² and the F(2×2) one at 66² (66 = 2 mod 4), each in two chunks of tile rows.
      for (const s of [
        { n: 2, h: 11, w: 13, cin: 5, cout: 20, k: 3 },
        { n: 2, h: 10, w: 6, cin: 20, cout: 9, k: 3 },
        { n: 2, h: 64, w: 64, cin: 72, cout: 72, k: 3 },
        { n: 1, h: 66, w: 66, cin: 72, cout: 72, k: 3 },
        { n: 3, h: 32, w: 32, cin: 40, cout: 13, k: 3 },
      ]) {
        const x = values(s.n * s.h * s.w * s.cin, 1);
        const f = values(9 * s.cin * s.cout, 2);
        const dy = values(s.n * s.h * s.w * s.cout, 3);
        const results = mine.map((p) => [
          convForward(x, f, s, undefined, p),
          convInputGradient(dy, f, s, undefined, p),
          convFilterGradient(x, dy, s, undefined, p),
        ]);
        for (let t = 1; t < mine.length; t++) {
          for (let k = 0; k < 3; k++)
            assert.deepStrictEqual(results[t][k], results[0][k], `${mine[t].threads} threads, output ${k}, ${s.h}×${s.w}`);
        }
      }
    });
  }

  it('the packed forward kernel gives bit-identical results to the unpacked one (same summation order), every channel block', () => {
    for (const variant of ['relaxed', 'baseline'] as const) {
      const pool = new KernelPool(2, variant);
      pools.push(pool);
      // cout 16+12+8+4+3 exercises every block width; cin 37 and 1 odd input widths; k 1, 3 and 5.
      for (const s of [
        { n: 2, h: 5, w: 7, cin: 37, cout: 43, k: 3 },
        { n: 1, h: 4, w: 9, cin: 1, cout: 20, k: 5 },
        { n: 1, h: 3, w: 3, cin: 70, cout: 7, k: 1 },
      ]) {
        const x = values(s.n * s.h * s.w * s.cin, 4);
        const f = values(s.k * s.k * s.cin * s.cout, 5);
        const bias = values(s.cout, 6);
        const dy = values(s.n * s.h * s.w * s.cout, 7);
        const what = `${variant} ${JSON.stringify(s)}`;
        assert.deepStrictEqual(
          convForward(x, f, s, undefined, pool, bias, 'conv_forward_packed'),
          convForward(x, f, s, undefined, pool, bias, 'conv_forward'),
          `forward ${what}`,
        );
        assert.deepStrictEqual(
          convInputGradient(dy, f, s, undefined, pool, 'conv_forward_packed'),
          convInputGradient(dy, f, s, undefined, pool, 'conv_forward'),
          `input gradient ${what}`,
        );
      }
    }
  });

  /** A 3×3 'same' convolution by its definition, summed in float64 by hand (JavaScript numbers), zero padding. */
  const convolution64 = (x: Float32Array, f: Float32Array, s: { n: number; h: number; w: number; cin: number; cout: number }) => {
    const y = new Float64Array(s.n * s.h * s.w * s.cout);
    for (let b = 0; b < s.n; b++)
      for (let yy = 0; yy < s.h; yy++)
        for (let xx = 0; xx < s.w; xx++)
          for (let co = 0; co < s.cout; co++) {
            let acc = 0;
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const [iy, ix] = [yy + ky - 1, xx + kx - 1];
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                for (let ci = 0; ci < s.cin; ci++)
                  acc += x[((b * s.h + iy) * s.w + ix) * s.cin + ci] * f[((ky * 3 + kx) * s.cin + ci) * s.cout + co];
              }
            y[((b * s.h + yy) * s.w + xx) * s.cout + co] = acc;
          }
    return y;
  };

  /** Max and RMS error of each kernel's forward pass against convolution64, relative to the largest output. */
  const forwardErrors = (s: { n: number; h: number; w: number; cin: number; cout: number; k: number }, kernels: ForwardKernel[]) => {
    const x = values(s.n * s.h * s.w * s.cin, 8);
    const f = values(9 * s.cin * s.cout, 9);
    const bias = values(s.cout, 10);
    const r = convolution64(x, f, s).map((v, i) => v + bias[i % s.cout]);
    const scale = Math.max(...r.map(Math.abs));
    return kernels.map((kernel) => {
      const y = convForward(x, f, s, undefined, undefined, bias, kernel);
      let [max, sq] = [0, 0];
      r.forEach((v, i) => ((max = Math.max(max, Math.abs(y[i] - v))), (sq += (y[i] - v) ** 2)));
      return { max: max / scale, rms: Math.sqrt(sq / r.length) / scale };
    });
  };
  const show = (name: string, e: { max: number; rms: number }) => `${name} ${e.max.toExponential(2)} / ${e.rms.toExponential(2)}`;
  /** F(4×4)'s bounds: max error under 1e-5 of the largest value, RMS within 10× direct's (direct itself under 2e-6). */
  const assertF43Bounds = (s: object, [w43, direct]: { max: number; rms: number }[]) => {
    const what = `${JSON.stringify(s)}: ${show('F(4×4)', w43)}, ${show('direct', direct)}`;
    assert.ok(w43.max < 1e-5 && direct.max < 2e-6, what);
    assert.ok(w43.rms <= 10 * direct.rms, what);
  };

  it('Winograd F(2×2, 3×3) against a float64 convolution: within 2e-6 of the largest output, no less accurate than direct (to a few ulps)', () => {
    for (const s of [
      { n: 1, h: 8, w: 10, cin: 64, cout: 20, k: 3 },
      { n: 2, h: 6, w: 4, cin: 130, cout: 7, k: 3 },
      { n: 1, h: 2, w: 2, cin: 8, cout: 1, k: 3 },
    ]) {
      const [wino, direct] = forwardErrors(s, ['conv_winograd', 'conv_forward_packed']);
      const what = `${JSON.stringify(s)}: ${show('winograd', wino)}, ${show('direct', direct)}`;
      assert.ok(wino.max < 2e-6 && direct.max < 2e-6, what);
      assert.ok(wino.rms <= 1.5 * direct.rms + 2 ** -22, what); // a few float32 ulps of slack: 4 outputs are noise
    }
  });

  it('Winograd F(4×4, 3×3) against a float64 convolution: within 1e-5 of the largest output, RMS error within 10× direct', () => {
    // Its transforms multiply by up to 8 (Aᵀ) and 5 (Bᵀ): measured 4–8× direct's RMS error on these
    // shapes (F(2×2) ≈ 1×), max 0.9–5e-6 of the largest output; one 4-row tile row, several tile rows
    // grouped, a single output channel, 3 input channels (the scalar remainders).
    for (const s of [
      { n: 1, h: 8, w: 12, cin: 64, cout: 20, k: 3 },
      { n: 2, h: 4, w: 4, cin: 130, cout: 7, k: 3 },
      { n: 1, h: 4, w: 8, cin: 8, cout: 1, k: 3 },
      { n: 3, h: 16, w: 8, cin: 3, cout: 33, k: 3 },
    ]) {
      assertF43Bounds(s, forwardErrors(s, ['conv_winograd43', 'conv_forward_packed']));
    }
  });

  /** dw[ky, kx, ci, co] = Σ over batch and pixels of x[y+ky−1, x+kx−1, ci]·dy[y, x, co], zero padding, summed in float64 by hand. */
  const filterGradient64 = (x: Float32Array, dy: Float32Array, s: { n: number; h: number; w: number; cin: number; cout: number }) => {
    const dw = new Float64Array(9 * s.cin * s.cout);
    for (let b = 0; b < s.n; b++)
      for (let yy = 0; yy < s.h; yy++)
        for (let xx = 0; xx < s.w; xx++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const [iy, ix] = [yy + ky - 1, xx + kx - 1];
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              const g = ((b * s.h + yy) * s.w + xx) * s.cout;
              for (let ci = 0; ci < s.cin; ci++) {
                const v = x[((b * s.h + iy) * s.w + ix) * s.cin + ci];
                const o = ((ky * 3 + kx) * s.cin + ci) * s.cout;
                for (let co = 0; co < s.cout; co++) dw[o + co] += v * dy[g + co];
              }
            }
    return dw;
  };

  /** Max and RMS error of each filter-gradient kernel against filterGradient64, relative to the largest value. */
  const filterErrors = (s: { n: number; h: number; w: number; cin: number; cout: number; k: number }, kernels: FilterKernel[]) => {
    const x = values(s.n * s.h * s.w * s.cin, 11);
    const dy = values(s.n * s.h * s.w * s.cout, 12);
    const r = filterGradient64(x, dy, s);
    const scale = Math.max(...r.map(Math.abs));
    return kernels.map((kernel) => {
      const dw = convFilterGradient(x, dy, s, undefined, undefined, kernel);
      let [max, sq] = [0, 0];
      r.forEach((v, i) => ((max = Math.max(max, Math.abs(dw[i] - v))), (sq += (dw[i] - v) ** 2)));
      return { max: max / scale, rms: Math.sqrt(sq / r.length) / scale };
    });
  };

  it('the Winograd F(2×2) filter gradient against a float64 one: within 2e-6 of the largest value, no less accurate than direct (to a few ulps)', () => {
    // 64 → 64 and 40 → 160 (every output-channel block width but 1; an odd count of input channels
    // in the third), the third in two chunks of tile rows.
    for (const s of [
      { n: 1, h: 8, w: 10, cin: 64, cout: 64, k: 3 },
      { n: 2, h: 6, w: 4, cin: 40, cout: 160, k: 3 },
      { n: 1, h: 64, w: 64, cin: 73, cout: 71, k: 3 },
    ]) {
      const [wino, direct] = filterErrors(s, ['conv_filter_winograd', 'conv_filter']);
      const what = `${JSON.stringify(s)}: ${show('winograd', wino)}, ${show('direct', direct)}`;
      assert.ok(wino.max < 2e-6 && direct.max < 2e-6, what);
      assert.ok(wino.rms <= 1.5 * direct.rms + 2 ** -22, what);
    }
  });

  it('the Winograd F(4×4) filter gradient against a float64 one: within 1e-5 of the largest value, RMS error within 10× direct', () => {
    // Measured 3–9× direct's RMS error, max 2–4e-6 of the largest value. The third shape in two chunks
    // of tile rows; the fourth has 5 and 3 channels (the scalar remainders of both transforms).
    for (const s of [
      { n: 1, h: 8, w: 12, cin: 64, cout: 64, k: 3 },
      { n: 2, h: 4, w: 4, cin: 40, cout: 160, k: 3 },
      { n: 2, h: 64, w: 64, cin: 73, cout: 71, k: 3 },
      { n: 2, h: 32, w: 32, cin: 5, cout: 3, k: 3 },
    ]) {
      assertF43Bounds(s, filterErrors(s, ['conv_filter_winograd43', 'conv_filter']));
    }
  });

  it('the kernel of each pass is a rule of the shape: Winograd forward from 8 input channels (F(4×4) from 32² in multiples of 4), filter gradient from cin·cout ≥ 16·(cin + cout) (F(4×4)) or 32·(cin + cout) (F(2×2))', () => {
    const at = (h: number, cin: number, cout: number, k = 3) => convKernelsFor({ n: 4, h, w: h, cin, cout, k });
    // 64 → 64 at 128²: Winograd F(4×4) everywhere; 32 → 64: 2048 ≥ 16·96 (F(4×4) filter gradient too).
    const f43 = { forward: 'conv_winograd43', inputGradient: 'conv_winograd43', filterGradient: 'conv_filter_winograd43' };
    assert.deepStrictEqual(at(128, 64, 64), f43);
    assert.deepStrictEqual(at(128, 32, 64), f43);
    assert.deepStrictEqual(at(32, 256, 256), f43);
    // 16 → 16: 256 < 16·32, so the filter gradient runs direct; 24 → 24 at 64²: 576 < 16·48 (direct).
    assert.deepStrictEqual(at(128, 16, 16), { ...f43, filterGradient: 'conv_filter' });
    assert.deepStrictEqual(at(64, 24, 24), { ...f43, filterGradient: 'conv_filter' });
    // 1 → 32: the forward has one input channel (direct); the input gradient runs from 32 (Winograd);
    // 32 < 16·33 (filter gradient direct).
    assert.deepStrictEqual(at(256, 1, 32), {
      forward: 'conv_forward_packed',
      inputGradient: 'conv_winograd43',
      filterGradient: 'conv_filter',
    });
    // F(2×2) where F(4×4) does not fit (34 = 2 mod 4) or the image is under 32 × 32 pixels (28², 16²);
    // its filter gradient from cin·cout ≥ 32·(cin + cout): 64 → 64 yes, 32 → 64 no.
    const f23 = { forward: 'conv_winograd', inputGradient: 'conv_winograd', filterGradient: 'conv_filter_winograd' };
    for (const h of [34, 28, 16]) {
      assert.deepStrictEqual(at(h, 256, 256), f23, `${h}²`);
      assert.deepStrictEqual(at(h, 64, 64), f23, `${h}²`);
      assert.deepStrictEqual(at(h, 32, 64), { ...f23, filterGradient: 'conv_filter' }, `${h}²`);
    }
    assert.deepStrictEqual(convKernelsFor({ n: 1, h: 16, w: 64, cin: 32, cout: 32, k: 3 }), f43); // 16·64 = 32²
    // Odd sizes and 1×1 kernels: direct whatever the channels.
    const direct = { forward: 'conv_forward_packed', inputGradient: 'conv_forward_packed', filterGradient: 'conv_filter' };
    assert.deepStrictEqual(at(15, 256, 256), direct);
    assert.deepStrictEqual(at(16, 256, 256, 1), direct);
  });

  it('the relaxed build fuses multiply-adds (one rounding) where the baseline rounds twice; both are within float32 rounding of float64', () => {
    // A 1×1 convolution y = Σ_j x_j·w_j with x·w + c chosen so that rounding the product first loses
    // what the fused result keeps: x = w = 1 + 2^-12, so x·w = 1 + 2^-11 + 2^-24; c = −1 (second tap).
    // Fused: (1 + 2^-11 + 2^-24) − 1 = 2^-11 + 2^-24 exactly. Unfused: x·w rounds to 1 + 2^-11 (ties
    // to even), minus 1 = 2^-11.
    const s = { n: 1, h: 1, w: 1, cin: 2, cout: 4, k: 1 };
    const a = 1 + 2 ** -12;
    const x = Float32Array.from([1, a]); // tap 0 adds −1 first, then tap 1 adds x·w
    const w = Float32Array.from([-1, -1, -1, -1, a, a, a, a]);
    const relaxed = new KernelPool(1, 'relaxed');
    const baseline = new KernelPool(1, 'baseline');
    pools.push(relaxed, baseline);
    assert.deepStrictEqual(Array.from(convForward(x, w, s, undefined, baseline)), new Array(4).fill(2 ** -11));
    // x64 with FMA3 (this project's machines) fuses; a machine without FMA would give the baseline's value.
    assert.deepStrictEqual(Array.from(convForward(x, w, s, undefined, relaxed)), new Array(4).fill(2 ** -11 + 2 ** -24));
    // On realistic data the two agree to float32 rounding.
    const c = { n: 2, h: 9, w: 7, cin: 6, cout: 12, k: 3 };
    const xs = values(c.n * c.h * c.w * c.cin, 21);
    const ws = values(9 * c.cin * c.cout, 22);
    const r = convForward(xs, ws, c, undefined, relaxed);
    const b = convForward(xs, ws, c, undefined, baseline);
    assertAllClose(r, b, 1e-5, 1e-6, 'relaxed vs baseline forward');
    assert.ok(
      r.some((v, i) => v !== b[i]),
      'the relaxed build should differ somewhere in the last bits',
    );
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
      for (const [threads, variant] of [
        [1, 'relaxed'],
        [3, 'relaxed'],
        [2, 'baseline'],
      ] as const) {
        setKernelThreads(threads, variant);
        const fused = fusedLossValue(loss, checkLossShape(data, ignoreIndexOf(loss)));
        assert.ok(fused !== null, `${name} ${JSON.stringify(options)} was not fused`);
        assertClose(fused, expected, 2e-6, 1e-7, `${name} ${JSON.stringify(options)} ${threads} threads, ${variant}`);
      }
    }
    setKernelThreads(defaultThreadCount(), defaultKernelVariant());
  });

  it("the kernels' e^x is float32-exact: fused bceWithLogits of one logit (y = 0) is ln(1 + e^x) to float32 rounding, both builds", () => {
    // One logit repeated 8 times (the 4-wide loop), and alone (the one-lane tail). Averaging many
    // logits would let the exponential's errors cancel (r in [−½, ½] changes sign); one value cannot.
    const xs = [-20, -7.3, -2.2, -0.7, -0.3, 0.05, 0.4, 1.1, 3.3, 9.7];
    for (const variant of ['relaxed', 'baseline'] as const) {
      setKernelThreads(1, variant);
      for (const x of xs) {
        const exact = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
        for (const n of [8, 1]) {
          const value = computeLoss('bceWithLogits', {
            pred: new Array(n).fill(x),
            target: new Array(n).fill(0),
            shape: [1, 1, n, 1],
            fromLogits: true,
          });
          assertClose(value, exact, 2e-6, 0, `${variant}: x = ${x}, ${n} value(s)`);
        }
      }
    }
    setKernelThreads(defaultThreadCount(), defaultKernelVariant());
  });

  it('staged loss calls (workers compute chunks as they are copied) give bit-identical values for 1, 2 and 3 threads, call after call', () => {
    // 4×256×256 pixels = 4 chunks: the calling thread copies the workers' chunks one by one.
    const [n, h, w] = [4, 256, 256];
    const px = n * h * w;
    const logits = Float32Array.from(values(px, 11), (v) => v * 8);
    const mask = Uint8Array.from(values(px, 12), (v) => (v > 0.5 ? 1 : 0));
    const logits2 = Float32Array.from(values(2 * px, 13), (v) => v * 8);
    const index = Float32Array.from(mask);
    const cases: [string, LossData][] = [
      ['dice', { pred: logits, target: mask, shape: [n, h, w, 1], fromLogits: true }],
      ['bceWithLogits', { pred: logits, target: mask, shape: [n, h, w, 1], fromLogits: true }],
      ['crossEntropy', { pred: logits2, target: index, shape: [n, h, w, 2], fromLogits: true }],
    ];
    for (const [name, data] of cases) {
      const byThreads = [1, 2, 3].map((threads) => {
        setKernelThreads(threads);
        return computeLoss(name, data);
      });
      assert.deepStrictEqual(byThreads, [byThreads[0], byThreads[0], byThreads[0]], name);
      // Many staged calls in a row, alternating with other data of the same size: a worker that ran
      // ahead of the copy would read the previous call's values.
      const other = { ...data, pred: Float32Array.from(data.pred, (v) => -v) };
      setKernelThreads(1);
      const otherValue = computeLoss(name, other);
      assert.notStrictEqual(otherValue, byThreads[0]);
      setKernelThreads(2);
      for (let k = 0; k < 100; k++) {
        assert.strictEqual(computeLoss(name, k % 2 ? other : data), k % 2 ? otherValue : byThreads[0], `${name}, call ${k}`);
      }
    }
    setKernelThreads(defaultThreadCount());
  });

  it('computeLoss still names the bad value when the fused kernels find one', () => {
    const shape = [1, 2, 3, 1];
    assert.throws(
      () => computeLoss('bce', { pred: [0.1, 0.2, 1.5, 0.3, 0.4, 0.5], target: [0, 1, 0, 1, 0, 1], shape }),
      /pred\[2\] = 1\.5 is not a probability/,
    );
    assert.throws(
      () => computeLoss('dice', { pred: [0, 0, 0, 0, NaN, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }),
      /pred\[4\] = NaN is NaN/,
    );
    // Inside the 4-wide loop the 1-channel Dice kernel checks ranges as running extremes and NaN by its sums.
    assert.throws(
      () => computeLoss('dice', { pred: [0, Infinity, 0, 0, 0, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }),
      /pred\[1\] = Infinity is not finite/,
    );
    assert.throws(
      () => computeLoss('dice', { pred: [0, NaN, 0, 0, 0, 0], target: [0, 1, 0, 1, 0, 1], shape, fromLogits: true }),
      /pred\[1\] = NaN is NaN/,
    );
    assert.throws(
      () => computeLoss('dice', { pred: [0, 0, 0, 0, 0, 0], target: [0, 1, 1.5, 1, 0, 1], shape, fromLogits: true }),
      /target\[2\] = 1\.5 is not in \[0, 1\]/,
    );
    assert.throws(
      () => computeLoss('dice', { pred: [0.5, 0.5, -0.1, 0.5, 0.5, 0.5], target: [0, 1, 0, 1, 0, 1], shape }),
      /pred\[2\] = -0\.1 is not a probability/,
    );
    assert.throws(
      () => computeLoss('bceWithLogits', { pred: [0, 0, 0, 0, 0, 0], target: [0, 1, 0, 2, 0, 1], shape, fromLogits: true }),
      /target\[3\] = 2 is not in \[0, 1\]/,
    );
    assert.throws(
      () =>
        computeLoss('crossEntropy', { pred: new Array(12).fill(0), target: [0, 1, 1.5, 0, 1, 0], shape: [1, 2, 3, 2], fromLogits: true }),
      /target\[2\] = 1\.5 is not a class index in \[0, 1\] or the ignore index -100/,
    );
  });

  it('the pool survives many short calls under contention (no double count-down after a late notify)', async function () {
    // A worker woken by the previous call's late notify used to run that call again, counting down
    // twice: the caller then waited forever (2 of 3 such processes hung within 300k calls). Three
    // processes on two cores make the preemption between the caller's add and its notify likely.
    this.timeout(240000);
    const pool = require.resolve('../../src/core/kernels/pool');
    const script = `
      const { KernelPool } = require(${JSON.stringify(pool)});
      const p = new KernelPool(2);
      p.resetScratch();
      const x = p.alloc(16), out = p.alloc(64);
      for (let i = 0; i < 150000; i++) p.parallel('channel_sum_chunks', [x, out, 2048, 1], 2);
      process.stdout.write('done');
      p.dispose();`;
    const { spawn } = await import('child_process');
    const runs = [1, 2, 3].map(
      () =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
          child.on('exit', (code, signal) => {
            clearTimeout(timer);
            resolve(out === 'done' ? 'done' : `exit ${code ?? signal}`);
          });
        }),
    );
    assert.deepStrictEqual(await Promise.all(runs), ['done', 'done', 'done']);
  });

  it('bad shapes and thread counts are refused with the value named', () => {
    assert.throws(
      () => convForward(new Float32Array(4), new Float32Array(4), { n: 1, h: 2, w: 2, cin: 1, cout: 1, k: 2 }),
      /kernel size must be odd/,
    );
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
    const savedKernels = process.env.SEGLAB_KERNELS;
    try {
      process.env.SEGLAB_KERNELS = 'fma';
      assert.throws(() => defaultKernelVariant(), /SEGLAB_KERNELS must be 'relaxed' or 'baseline', got 'fma'/);
      process.env.SEGLAB_KERNELS = 'baseline';
      assert.strictEqual(defaultKernelVariant(), 'baseline');
      delete process.env.SEGLAB_KERNELS;
      assert.strictEqual(defaultKernelVariant(), 'relaxed'); // Node 20 (V8 11.3) after the flag; newer V8 without
    } finally {
      if (savedKernels === undefined) delete process.env.SEGLAB_KERNELS;
      else process.env.SEGLAB_KERNELS = savedKernels;
    }
  });

  describe('layer kernels (bias add and its gradient, skip concat/split, max-pool gradient)', () => {
    it('biasAdd adds bias[c] to every pixel, also for channels beyond the last vector of 4', () => {
      const x = Float32Array.from({ length: 3 * 6 }, (_, i) => i); // 3 pixels × 6 channels
      const bias = Float32Array.from([0.5, -1, 2, 0, 10, -0.25]);
      const y = biasAdd(x, bias);
      assert.deepStrictEqual(Array.from(y.subarray(6, 12)), [6.5, 6, 10, 9, 20, 10.75]);
      assert.deepStrictEqual(Array.from(y.subarray(12)), [12.5, 12, 16, 15, 26, 16.75]);
      assert.throws(() => biasAdd(new Float32Array(7), bias), /7 values are not whole pixels of 6 channels/);
    });

    it('channelSums: Σ_p (p + c/2) = P(P−1)/2 + P·c/2 across chunks, groups of 16 and 4 and single channels, any thread count', () => {
      const [P, C] = [3001, 23]; // chunks of 1024 pixels and runs of 64; channels 16 + 4 + 3
      const x = new Float32Array(P * C);
      for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) x[p * C + c] = p + c / 2;
      const expected = Array.from({ length: C }, (_, c) => (P * (P - 1)) / 2 + (P * c) / 2);
      const results = [1, 2, 3].map((t) => {
        const pool = new KernelPool(t);
        pools.push(pool);
        return Array.from(channelSums(x, C, pool));
      });
      for (const r of results) assert.deepStrictEqual(r, expected);
    });

    it('concatChannels and splitChannels: parts side by side along channels, and back', () => {
      const pixels = 5;
      const widths = [3, 5, 16];
      const parts = widths.map((c, i) => Float32Array.from({ length: pixels * c }, (_, k) => 100 * i + k));
      const joined = concatChannels(parts, widths);
      // pixel 2: part 0's values 6..8, part 1's 110..114, part 2's 232..247
      const expected2 = [6, 7, 8, 110, 111, 112, 113, 114, ...Array.from({ length: 16 }, (_, k) => 232 + k)];
      assert.deepStrictEqual(Array.from(joined.subarray(2 * 24, 3 * 24)), expected2);
      const back = splitChannels(
        joined,
        widths,
        widths.map((c) => new Float32Array(pixels * c)),
      );
      back.forEach((b, i) => assert.deepStrictEqual(Array.from(b), Array.from(parts[i]), `part ${i}`));
    });

    it("maxPoolGrad2 equals tfjs cpu's MaxPoolGrad on odd sizes with ties, for 4-wide and single channels", async () => {
      await initBackend('cpu');
      for (const [n, h, w, c] of [
        [2, 5, 7, 6],
        [1, 4, 4, 8],
      ]) {
        // Values from {−1, 0, 1}: many ties, as ReLU zeros make.
        const x = Float32Array.from(values(n * h * w * c, 11), (v) => Math.round(v * 1.4));
        const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
        const dy = Float32Array.from(values(n * oh * ow * c, 12), (v) => v + 2);
        const expected = tf.tidy(() => {
          const d = tf.tensor4d(dy, [n, oh, ow, c]);
          return Array.from(
            tf
              .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), d)))(tf.tensor4d(x, [n, h, w, c]))
              .dataSync(),
          );
        });
        assert.deepStrictEqual(Array.from(maxPoolGrad2(x, dy, [n, h, w, c])), expected, `${n}×${h}×${w}×${c}`);
      }
    });

    it("MaxPoolGrad on wasm for any window (3×1, 1×3, 3×3 'same', 3×3 stride 2 'valid', 2×2 'same') equals tfjs cpu's, ties included", async () => {
      // tfjs-wasm 4.22's own MaxPoolGrad sent a 3×1 'same' window's gradient to the first row only.
      const [n, h, w, c] = [2, 5, 7, 3];
      const x = Float32Array.from(values(n * h * w * c, 31), (v) => Math.round(v * 3) / 3); // ties
      const cases: [[number, number], number, 'same' | 'valid'][] = [
        [[3, 1], 1, 'same'],
        [[1, 3], 1, 'same'],
        [[3, 3], 1, 'same'],
        [[3, 3], 2, 'valid'],
        [[2, 2], 1, 'same'],
      ];
      const gradOn = async (backend: string, size: [number, number], stride: number, pad: 'same' | 'valid') => {
        await initBackend(backend);
        return tf.tidy(() => {
          const xt = tf.tensor4d(x, [n, h, w, c]);
          const out = tf.maxPool(xt, size, stride, pad);
          const dy = tf.tensor4d(values(out.size, 32), out.shape);
          return Array.from(
            tf
              .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), dy)))(xt)
              .dataSync(),
          );
        });
      };
      for (const [size, stride, pad] of cases) {
        const expected = await gradOn('cpu', size, stride, pad);
        assert.deepStrictEqual(await gradOn('wasm', size, stride, pad), expected, `${size.join('×')} stride ${stride} ${pad}`);
      }
    });

    it('through tfjs on wasm: FusedConv2D with bias, bias Sum, per-channel Add, Cast and Identity match the cpu backend', async () => {
      const x = values(2 * 6 * 5 * 3, 21);
      const f = values(9 * 3 * 20, 22);
      const b = values(20, 23);
      const run = () =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, [2, 6, 5, 3]);
          const ft = tf.tensor4d(f, [3, 3, 3, 20]);
          const bt = tf.tensor1d(b);
          const y = tf.fused.conv2d({ x: xt, filter: ft, strides: 1, pad: 'same', bias: bt });
          const relu = tf.fused.conv2d({ x: xt, filter: ft, strides: 1, pad: 'same', bias: bt, activation: 'relu' }); // not ours: tfjs's kernel
          const [gx, gf, gb] = tf.grads((a: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: c }))),
          )([xt, ft, bt]);
          const sums = [tf.sum(y, [0, 1, 2]), tf.sum(y, [0, 1, 2], true), tf.sum(y, [1, 2]), tf.sum(y, -1)];
          const adds = [tf.add(y, bt), tf.add(y, bt.reshape([1, 1, 1, 20])), tf.add(y, y), tf.add(y, 1)];
          return [y, relu, gx, gf, gb, ...sums, ...adds].map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
        });
      await initBackend('cpu');
      const cpu = run();
      await initBackend('wasm');
      const wasm = run();
      assert.strictEqual(wasm.length, cpu.length);
      wasm.forEach((t, i) => {
        assert.deepStrictEqual(t.shape, cpu[i].shape, `output ${i}`);
        assertAllClose(t.data, cpu[i].data, 1e-5, 1e-5, `output ${i}`);
      });
      // Cast to the same dtype and Identity share the data: the result outlives its source.
      const src = tf.tensor1d([1.5, -2]);
      const cast = tf.cast(src, 'float32');
      const same = tf.clone(src);
      src.dispose();
      assert.deepStrictEqual(Array.from(cast.dataSync()), [1.5, -2]);
      assert.deepStrictEqual(Array.from(same.dataSync()), [1.5, -2]);
      tf.dispose([cast, same]);
    });

    it('Tile by row copies: every output element is its source element at (i mod shape), float32 and int32, with NaN bits kept', async () => {
      await initBackend('wasm');
      const cases: [number[], number[]][] = [
        [
          [1, 1, 1, 5],
          [2, 3, 4, 1],
        ], // batch norm's pattern: a per-channel vector to an activation's shape
        [
          [2, 3],
          [2, 2],
        ],
        [[4], [3]],
        [
          [2, 1, 3],
          [1, 4, 2],
        ],
        [
          [3, 2, 2, 1, 2],
          [1, 2, 1, 3, 2],
        ],
        [
          [2, 2],
          [0, 3],
        ],
      ];
      for (const [shape, reps] of cases) {
        for (const dtype of ['float32', 'int32'] as const) {
          const n = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i * 7 - 11 : i === 1 ? NaN : i * 0.5 - 1));
          const x = tf.tensor(values, shape, dtype);
          const y = tf.tile(x, reps);
          const out = Array.from(y.dataSync());
          const outShape = shape.map((d, i) => d * reps[i]);
          assert.deepStrictEqual(y.shape, outShape);
          // the definition: out[i_0, …, i_r] = x[i_0 mod s_0, …, i_r mod s_r]
          const expected: number[] = [];
          const idx = outShape.map(() => 0);
          for (let k = 0; k < out.length; k++) {
            let src = 0;
            for (let a = 0; a < shape.length; a++) src = src * shape[a] + (idx[a] % shape[a]);
            expected.push(values[src]);
            for (let a = outShape.length - 1; a >= 0; a--) {
              if (++idx[a] < outShape[a]) break;
              idx[a] = 0;
            }
          }
          assert.deepStrictEqual(out, expected, `${dtype} ${JSON.stringify(shape)} × ${JSON.stringify(reps)}`);
          tf.dispose([x, y]);
        }
      }
    });
  });
});
