/** The training loop in process: loss goes down, no tensor leaks, NaN and cancel paths, run files. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { encodePng8 } from '../../src/core/data/png';
import { EpochRecord, readRun } from '../../src/core/runs/store';
import { improves, TrainEvent, trainRun, validationTiling } from '../../src/core/train/trainer';
import { failureReason } from '../../src/core/train/failure';
import { learningRateAt, makeOptimizer, setLearningRate } from '../../src/core/train/optimizer';
import { validateConfig } from '../../src/core/config/config';
import { defaultThreadCount, setKernelThreads } from '../../src/core/kernels/pool';
import { tinyExperiment } from './helpers';

let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-train-'));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const tinyConfig = (extra: Record<string, unknown> = {}) =>
  tinyExperiment(runsDir, { epochs: 4, stepsPerEpoch: 4, batchSize: 4, predictions: 2, ...extra });

describe('training (in process)', () => {
  it('gives the same losses and metrics with 1 and 2 kernel threads (wasm; sums in a fixed order)', async () => {
    const records = [];
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const events: TrainEvent[] = [];
      // baseFilters 12 and 16×16 crops: the 12-channel tiles and several rows per thread.
      const summary = await trainRun({
        config: tinyConfig({ epochs: 2, model: { depth: 2, baseFilters: 12 } }),
        emit: (e) => events.push(e),
      });
      assert.strictEqual(summary.status, 'done', summary.reason);
      assert.strictEqual(summary.threads, threads);
      records.push(
        events
          .filter((e) => e.type === 'epoch')
          .map((e) => {
            const r = (e as Extract<TrainEvent, { type: 'epoch' }>).record;
            return { trainLoss: r.trainLoss, val: r.val };
          }),
      );
    }
    setKernelThreads(defaultThreadCount());
    assert.deepStrictEqual(records[1], records[0]);
  });

  it('lowers the loss, validates each epoch and writes the run folder', async () => {
    const events: TrainEvent[] = [];
    const tensors: number[] = [];
    const summary = await trainRun({
      config: tinyConfig({ epochs: 5 }),
      emit: (e) => {
        events.push(e);
        if (e.type === 'epoch') tensors.push(tf.memory().numTensors);
      },
    });
    assert.strictEqual(summary.status, 'done', summary.reason);
    const epochs = events.filter((e) => e.type === 'epoch').map((e) => (e as Extract<TrainEvent, { type: 'epoch' }>).record);
    assert.strictEqual(epochs.length, 5);
    assert.ok(epochs[4].trainLoss < epochs[0].trainLoss * 0.9, `train loss ${epochs[0].trainLoss} → ${epochs[4].trainLoss}`);
    assert.ok(epochs.every((e) => e.val && Number.isFinite(e.val.dice) && Number.isFinite(e.val.loss)));
    // No tensor leaks: the count is the same after every epoch.
    assert.ok(
      tensors.every((n) => n === tensors[0]),
      `tensor counts ${tensors.join(', ')}`,
    );
    assert.strictEqual(events.filter((e) => e.type === 'batch').length, 5 * 4);

    const dir = (events[0] as Extract<TrainEvent, { type: 'start' }>).runDir;
    const run = readRun(dir);
    assert.strictEqual(run.summary?.status, 'done');
    assert.strictEqual(run.epochs.length, 5);
    assert.strictEqual(run.summary?.backend, 'wasm');
    assert.ok(run.summary?.bestEpoch);
    const tsv = fs
      .readFileSync(path.join(dir, 'plots', 'metrics', 'train', 'loss.tsv'), 'utf8')
      .trim()
      .split('\n');
    assert.strictEqual(tsv[0], 'timestamp\tstep\tloss');
    assert.strictEqual(tsv.length, 6);
    assert.deepStrictEqual(
      tsv.slice(1).map((row) => row.split('\t')[1]),
      ['0', '1', '2', '3', '4'],
      'DVCLive steps count from 0',
    );
    assert.ok(fs.existsSync(path.join(dir, 'plots', 'metrics', 'val', 'dice.tsv')));
    for (const f of ['checkpoints/last/model.json', 'checkpoints/best/weights.bin', 'config.json'])
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.strictEqual(fs.readdirSync(path.join(dir, 'predictions')).length, 2 * 4);
    assert.deepStrictEqual((run.config as { derived: { loss: string } }).derived.loss, 'bce');
    // Which kernel each convolution of a step ran (conv.ts's rule, derived by hand for this 16² depth-2
    // net of 4 filters, batch 4): Winograd where the input of that pass has ≥ 8 channels and the size is even.
    const kernels = (run.config as { derived: { convKernels: Record<string, string>[] } }).derived.convKernels;
    assert.strictEqual(kernels.length, 11);
    const byName = Object.fromEntries(kernels.map((k) => [k.layer, k]));
    const direct = { forward: 'conv_forward_packed', inputGradient: 'conv_forward_packed', filterGradient: 'conv_filter' };
    assert.deepStrictEqual(byName.down0_conv1, { layer: 'down0_conv1', shape: '4×16×16, 1 → 4 channels, 3×3', ...direct });
    assert.deepStrictEqual(byName.bottom_conv2, {
      layer: 'bottom_conv2',
      shape: '4×4×4, 16 → 16 channels, 3×3',
      forward: 'conv_winograd',
      inputGradient: 'conv_winograd',
      filterGradient: 'conv_filter',
    });
    assert.deepStrictEqual(byName.dec0_conv1, { ...byName.dec0_conv1, forward: 'conv_winograd', inputGradient: 'conv_forward_packed' });
    assert.deepStrictEqual(byName.head, { layer: 'head', shape: '4×16×16, 4 → 1 channels, 1×1', ...direct });
    assert.ok(
      fs.readdirSync(dir).every((f) => !f.endsWith('.tmp')),
      'no temporary files left',
    );
  });

  it('sigmoid1 and softmax2 runs with one seed see the same batches (equal batch digests, step by step)', async () => {
    const digests: Record<string, string[]> = {};
    for (const head of ['sigmoid1', 'softmax2'] as const) {
      digests[head] = [];
      await trainRun({
        config: tinyConfig({ head, epochs: 2, stepsPerEpoch: 3, predictions: 0, loss: 'bce', augment: { flips: true, rotate90: true } }),
        emit: (e) => e.type === 'batch' && digests[head].push(e.data),
      });
    }
    assert.strictEqual(digests.sigmoid1.length, 6);
    assert.deepStrictEqual(digests.softmax2, digests.sigmoid1);
    assert.strictEqual(new Set(digests.sigmoid1).size, 6, `every step trains on another batch (${digests.sigmoid1.join(' ')})`);
    // Another seed draws other batches.
    const other: string[] = [];
    await trainRun({
      config: tinyConfig({ epochs: 1, stepsPerEpoch: 3, predictions: 0, loss: 'bce', augment: { flips: true, rotate90: true }, seed: 8 }),
      emit: (e) => e.type === 'batch' && other.push(e.data),
    });
    assert.notDeepStrictEqual(other, digests.sigmoid1.slice(0, 3));
  });

  it('data that cannot fit the config is refused before a run folder exists (validation.count, image size < 2^depth)', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-train-refused-'));
    try {
      const tooMany = tinyExperiment(empty, { validation: { count: 12, fraction: 0.2 } });
      await assert.rejects(
        trainRun({ config: tooMany }),
        /validation\.count is 12 but the dataset has 12 image\/mask pair\(s\); at most 11 can be held out/,
      );
      // 3×3 images (the 1×1 case ran out of wasm memory after creating the run folder)
      const data = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-train-small-'));
      for (const sub of ['images', 'masks']) fs.mkdirSync(path.join(data, sub));
      for (const name of ['a', 'b', 'c']) {
        fs.writeFileSync(path.join(data, 'images', `${name}.png`), encodePng8([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3));
        fs.writeFileSync(path.join(data, 'masks', `${name}.png`), encodePng8([0, 255, 0, 0, 255, 0, 0, 0, 0], 3, 3));
      }
      const small = tinyExperiment(empty, { dataset: { images: path.join(data, 'images'), masks: path.join(data, 'masks') } });
      await assert.rejects(trainRun({ config: small }), /a\.png: 3×3 pixels is smaller than 4×4, the least a U-Net of depth 2 can take/);
      fs.rmSync(data, { recursive: true, force: true });
      assert.deepStrictEqual(fs.readdirSync(empty), [], 'no run folder');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a dataset whose masks are all empty trains, with a warning in the start event and summary.json', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-train-empty-'));
    try {
      for (const sub of ['images', 'masks']) fs.mkdirSync(path.join(data, sub));
      for (const name of ['a', 'b', 'c']) {
        fs.writeFileSync(
          path.join(data, 'images', `${name}.png`),
          encodePng8(
            new Array(64).fill(0).map((_, i) => i * 3),
            8,
            8,
          ),
        );
        fs.writeFileSync(path.join(data, 'masks', `${name}.png`), encodePng8(new Array(64).fill(0), 8, 8));
      }
      const config = tinyExperiment(runsDir, {
        epochs: 1,
        dataset: { images: path.join(data, 'images'), masks: path.join(data, 'masks') },
      });
      const warnings: string[] = [];
      let dir = '';
      const summary = await trainRun({
        config,
        emit: (e) => {
          if (e.type === 'start') [dir] = [e.runDir, warnings.push(...(e.warnings ?? []))];
        },
      });
      assert.strictEqual(summary.status, 'done');
      assert.deepStrictEqual(warnings, [
        'every one of the 3 masks is empty (no foreground pixel): the model can only learn to predict background, and Dice/HD95 are undefined',
      ]);
      assert.deepStrictEqual(readRun(dir).summary?.warnings, warnings);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('failures a user can act on are named first: out of memory (incl. wasm memory), disk full', () => {
    assert.match(
      failureReason(new RangeError('memory access out of bounds')),
      /^out of memory: memory access out of bounds \(try smaller images/,
    );
    assert.match(
      failureReason(new Error('kernel scratch memory would exceed 4 GiB (asked for 4.20 GiB)')),
      /^out of memory: kernel scratch/,
    );
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    assert.strictEqual(failureReason(full), 'disk full: ENOSPC: no space left on device, write');
    assert.strictEqual(failureReason(new Error('a.png: cannot read')), 'a.png: cannot read');
  });

  it('validation.memoryBudgetMB: images larger than the window are validated in tiles', async () => {
    const config = tinyConfig({ epochs: 1, validation: { fraction: 0.2, memoryBudgetMB: 0.01 } });
    // √(0.01 MiB / (64 B · 4 filters)) = 6.4 px → 4 (a multiple of 2^depth): 16×16 images, 4×4 windows
    assert.deepStrictEqual(validationTiling(config), { tile: 4, overlap: 0.25 });
    assert.strictEqual(validationTiling(tinyConfig()).tile, 1448, 'the default 512 MiB: √(512 MiB / 256 B) = 1448, one pass for 16×16');
    const summary = await trainRun({ config });
    assert.strictEqual(summary.status, 'done', summary.reason);
    assert.ok(Number.isFinite(summary.final?.loss) && Number.isFinite(summary.final?.dice), JSON.stringify(summary.final));
  });

  it('a NaN loss ends the run as failed, naming the step', async () => {
    const summary = await trainRun({ config: tinyConfig(), lossOverride: (epoch, step, loss) => (epoch === 2 && step === 3 ? NaN : loss) });
    assert.strictEqual(summary.status, 'failed');
    assert.match(summary.reason ?? '', /loss became NaN at epoch 2, step 3/);
    assert.strictEqual(summary.epochsCompleted, 1);
  });

  it('a stop request ends the run as cancelled with a checkpoint', async () => {
    let batches = 0;
    let dir = '';
    const summary = await trainRun({
      config: tinyConfig(),
      emit: (e) => {
        if (e.type === 'batch') batches++;
        if (e.type === 'start') dir = e.runDir;
      },
      shouldStop: () => batches >= 3,
    });
    assert.strictEqual(summary.status, 'cancelled');
    assert.match(summary.reason ?? '', /stopped during epoch 1, step 4/);
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'last', 'model.json')));
    assert.strictEqual(readRun(dir).summary?.status, 'cancelled');
  });

  it('early stopping ends the run when the monitored value stops improving', async () => {
    const summary = await trainRun({
      config: tinyConfig({ epochs: 30, optimizer: { name: 'adam', learningRate: 1e-9 }, earlyStopping: { patience: 2 } }),
    });
    assert.strictEqual(summary.status, 'done');
    assert.ok(summary.epochsCompleted < 30, `${summary.epochsCompleted} epochs`);
    assert.match(summary.reason ?? '', /early stopping/);
  });
});

describe('learning-rate schedule', () => {
  const cosine = { name: 'adam' as const, learningRate: 0.01, schedule: 'cosine' as const, minLearningRate: 0.001 };

  it('cosine decays from learningRate to minLearningRate (CosineAnnealingLR values)', () => {
    // η_t = η_min + (η₀ − η_min)(1 + cos(πt/T))/2 with T = 100: t = 0 → η₀, t = 50 → midpoint, t = 100 → η_min,
    // t = 25 → η_min + 0.009 · (1 + √2/2)/2 = 0.0086820…
    assert.ok(Math.abs(learningRateAt(cosine, 0, 100) - 0.01) < 1e-15);
    assert.ok(Math.abs(learningRateAt(cosine, 50, 100) - 0.0055) < 1e-15);
    assert.ok(Math.abs(learningRateAt(cosine, 100, 100) - 0.001) < 1e-15);
    assert.ok(Math.abs(learningRateAt(cosine, 25, 100) - (0.001 + (0.009 * (1 + Math.SQRT1_2)) / 2)) < 1e-15);
    assert.strictEqual(learningRateAt({ ...cosine, schedule: 'constant' }, 75, 100), 0.01);
  });

  it('a changed rate is what the optimizers apply (first Adam step moves by lr; SGD by lr·g)', () => {
    for (const [name, make] of [
      ['adam', () => tf.train.adam(0.1)],
      ['sgd', () => tf.train.sgd(0.1)],
      ['momentum', () => tf.train.momentum(0.1, 0.9)],
    ] as const) {
      const w = tf.variable(tf.scalar(3));
      const opt = make();
      setLearningRate(opt, 0.25);
      opt.minimize(() => tf.square(w) as tf.Scalar); // gradient 2w = 6
      const moved = 3 - w.dataSync()[0];
      // Adam's bias-corrected first step is lr·g/(|g| + ε) ≈ lr; SGD and momentum (empty history) step lr·g.
      const expected = name === 'adam' ? 0.25 : 0.25 * 6;
      assert.ok(Math.abs(moved - expected) < 1e-5, `${name}: moved ${moved}, expected ${expected}`);
      opt.dispose();
      w.dispose();
    }
  });

  it("the best checkpoint follows each metric's direction: higher Dice, lower HD95 and loss, by more than minDelta", () => {
    assert.strictEqual(improves('dice', 0.61, 0.6, 0), true);
    assert.strictEqual(improves('dice', 0.59, 0.6, 0), false);
    assert.strictEqual(improves('hd95', 4, 5, 0), true);
    assert.strictEqual(improves('hd95', 6, 5, 0), false);
    assert.strictEqual(improves('loss', 0.3, 0.4, 0), true);
    assert.strictEqual(improves('dice', 0.605, 0.6, 0.01), false); // within minDelta
    assert.strictEqual(improves('hd95', Infinity, null, 0), false); // a prediction of nothing is never best
    assert.strictEqual(improves('dice', 0.1, null, 0), true);
  });

  it('optimizer.momentum is what SGD uses (two steps on w², by hand; 0 is plain SGD)', () => {
    // w0 = 3, lr 0.1, g = 2w. Step 1: v = 6, w = 2.4. Step 2: g = 4.8, v = m·6 + 4.8, w = 2.4 − 0.1·v:
    // m = 0.9 → 1.38 (torch.optim.SGD(momentum=0.9) gives the same); m = 0 → 1.92.
    for (const [momentum, expected] of [
      [0.9, 1.38],
      [0, 1.92],
    ]) {
      const w = tf.variable(tf.scalar(3));
      const opt = makeOptimizer({ optimizer: { name: 'sgd', learningRate: 0.1, momentum, schedule: 'constant', minLearningRate: 0 } });
      for (let i = 0; i < 2; i++) opt.minimize(() => tf.square(w) as tf.Scalar);
      assert.ok(Math.abs(w.dataSync()[0] - expected) < 1e-6, `momentum ${momentum}: w = ${w.dataSync()[0]}, expected ${expected}`);
      opt.dispose();
      w.dispose();
    }
    assert.strictEqual(validateConfig({ dataset: { builtin: 'shapes' } }).optimizer.momentum, 0.9); // the schema's default
  });

  it('a cosine run records the decaying rate per epoch (metrics.jsonl and the DVCLive TSV)', async () => {
    const epochs: number[] = [];
    let dir = '';
    const summary = await trainRun({
      config: tinyConfig({ epochs: 3, stepsPerEpoch: 2, predictions: 0, optimizer: cosine }),
      emit: (e) => {
        if (e.type === 'start') dir = e.runDir;
        if (e.type === 'epoch') epochs.push(e.record.learningRate ?? NaN);
      },
    });
    assert.strictEqual(summary.status, 'done', summary.reason);
    // Last steps of each epoch are t = 1, 3, 5 of T = 6.
    const expected = [1, 3, 5].map((t) => 0.001 + (0.009 * (1 + Math.cos((Math.PI * t) / 6))) / 2);
    epochs.forEach((lr, i) => assert.ok(Math.abs(lr - expected[i]) < 1e-12, `epoch ${i + 1}: ${lr} vs ${expected[i]}`));
    const tsv = fs
      .readFileSync(path.join(dir, 'plots', 'metrics', 'train', 'learning_rate.tsv'), 'utf8')
      .trim()
      .split('\n');
    assert.strictEqual(tsv.length, 4);
  });

  it("a ramped loss term trains at each epoch's weight: 0 at epoch 1 gives the plain run's loss, then it departs; weights recorded", async () => {
    const run = async (loss: unknown) => {
      const records: EpochRecord[] = [];
      let dir = '';
      const summary = await trainRun({
        config: tinyConfig({ epochs: 3, stepsPerEpoch: 2, predictions: 0, loss }),
        emit: (e) => {
          if (e.type === 'start') dir = e.runDir;
          if (e.type === 'epoch') records.push(e.record);
        },
      });
      assert.strictEqual(summary.status, 'done', summary.reason);
      return { records, dir };
    };
    const plain = await run('bce');
    const ramped = await run({ name: 'bce+boundary', ramps: { boundary: { from: 0, to: 1, epochs: [1, 3] } } });
    assert.deepStrictEqual(
      ramped.records.map((r) => r.lossWeights),
      [{ boundary: 0 }, { boundary: 0.5 }, { boundary: 1 }],
    );
    assert.strictEqual(ramped.records[0].trainLoss, plain.records[0].trainLoss, 'weight 0: the same steps as bce alone');
    assert.notStrictEqual(ramped.records[1].trainLoss, plain.records[1].trainLoss, 'weight 0.5: the boundary term counts');
    const tsv = fs
      .readFileSync(path.join(ramped.dir, 'plots', 'metrics', 'train', 'loss_weight_boundary.tsv'), 'utf8')
      .trim()
      .split('\n');
    assert.deepStrictEqual(
      tsv.slice(1).map((l) => Number(l.split('\t')[2])),
      [0, 0.5, 1],
    );
  });
});
