/** Experiment config: defaults, every problem at once with paths and hints, loss mapping per head. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, configAtEpoch, loadConfig, lossForHead, starterConfig, validateConfig } from '../../src/core/config/config';
import { rampValue } from '../../src/core/config/ramps';
import { assertClose } from './helpers';

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'x.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a ConfigError');
}

describe('experiment config', () => {
  it('fills the schema defaults', () => {
    const c = validateConfig({ dataset: { builtin: 'shapes' } });
    assert.strictEqual(c.head, 'sigmoid1');
    assert.strictEqual(c.epochs, 10);
    assert.deepStrictEqual(c.model, { depth: 3, baseFilters: 16, batchNorm: false });
    assert.deepStrictEqual(c.optimizer, { name: 'adam', learningRate: 0.001, momentum: 0.9, schedule: 'constant', minLearningRate: 0 });
    assert.strictEqual(c.dataset.size, 64);
    assert.strictEqual(c.crop, null);
  });

  it('reports every problem at once, each with its JSON path and a suggestion', () => {
    const p = problems({
      dataset: { builtin: 'shapes', imgaes: 'x' },
      head: 'sigmod1',
      epochs: 'ten',
      crop: 100,
      optimzer: {},
      metrics: ['dice', 'accuracy'],
    });
    assert.ok(p.includes("dataset.imgaes: unknown property. Did you mean 'images'?"), p.join('\n'));
    assert.ok(p.includes('head: "sigmod1" is not one of sigmoid1, softmax2, softmaxN, sigmoidN. Did you mean \'sigmoid1\'?'), p.join('\n'));
    assert.ok(p.includes('epochs: must be integer, got "ten"'), p.join('\n'));
    assert.ok(p.includes("optimzer: unknown property. Did you mean 'optimizer'?"), p.join('\n'));
    assert.ok(
      p.some((x) => x.startsWith('metrics[1]: "accuracy" is not one of dice')),
      p.join('\n'),
    );
    assert.ok(p.includes('crop: 100 is not a multiple of 2^model.depth = 8; try 104'), p.join('\n'));
  });

  it("names a misspelt loss: loss.name: 'dise' is not a loss. Did you mean 'dice'?", () => {
    assert.deepStrictEqual(problems({ dataset: { builtin: 'shapes' }, loss: { name: 'dise' } }), [
      "loss.name: 'dise' is not a loss. Did you mean 'dice'?",
    ]);
    assert.deepStrictEqual(problems({ dataset: { builtin: 'shapes' }, loss: 'bce+dcie' }), [
      "loss: 'dcie' is not a loss. Did you mean 'dice'?",
    ]);
    assert.deepStrictEqual(problems({ dataset: { builtin: 'shapes' }, loss: { name: 'dice', options: { smoth: 1 } } }), [
      "loss.name: dice: 'smoth' is not an option. Did you mean 'smooth'? Options: smooth, perImage, includeBackground, emptyTarget, squaredDenominator.",
    ]);
  });

  it('dataset must be builtin or folders, not both or neither', () => {
    assert.deepStrictEqual(problems({ dataset: {} }), ["dataset: give builtin: 'shapes', or images and masks folders"]);
    assert.deepStrictEqual(problems({ dataset: { builtin: 'shapes', images: 'a', masks: 'b' } }), [
      "dataset: give either builtin: 'shapes' or images and masks, not both",
    ]);
    assert.deepStrictEqual(problems({ dataset: { images: 'a' } }), ['dataset.masks: is required with dataset.images']);
    assert.deepStrictEqual(problems({}), ['dataset: is required']);
  });

  it('maps the loss to each head: bce → crossEntropy, Dice on the foreground channel for softmax2', () => {
    const c = validateConfig({ dataset: { builtin: 'shapes' }, loss: '0.5*bce+dice' });
    assert.deepStrictEqual(lossForHead(c, 'sigmoid1'), { expression: '0.5*bce+dice', options: {}, mode: 'binary' });
    assert.deepStrictEqual(lossForHead(c, 'softmax2'), {
      expression: '0.5*crossEntropy+dice',
      options: { 'dice.includeBackground': false },
      mode: 'multiclass',
    });
    const explicit = validateConfig({ dataset: { builtin: 'shapes' }, loss: { name: 'bce', byHead: { softmax2: 'focal' } } });
    assert.strictEqual(lossForHead(explicit, 'softmax2').expression, 'focal');
    assert.strictEqual(
      lossForHead(validateConfig({ dataset: { builtin: 'shapes' }, loss: 'lovaszHinge' }), 'softmax2').expression,
      'lovaszSoftmax',
    );
  });

  it('an smp/MONAI name in a config maps per head like the SegLab terms it stands for', () => {
    const c = validateConfig({ dataset: { builtin: 'shapes' }, loss: 'DiceCELoss' });
    assert.deepStrictEqual(lossForHead(c, 'sigmoid1'), {
      expression: 'dice+bceWithLogits',
      options: { 'dice.perImage': true, 'dice.smooth': 1e-5 },
      mode: 'binary',
    });
    assert.deepStrictEqual(lossForHead(c, 'softmax2'), {
      expression: 'dice+crossEntropy',
      options: { 'dice.perImage': true, 'dice.smooth': 1e-5, 'dice.includeBackground': false },
      mode: 'multiclass',
    });
    const tuned = validateConfig({ dataset: { builtin: 'shapes' }, loss: { name: 'DiceLoss', options: { perImage: false } } });
    assert.deepStrictEqual(lossForHead(tuned, 'sigmoid1').options, { 'dice.smooth': 1e-5, perImage: false });
    assert.throws(() => validateConfig({ dataset: { builtin: 'shapes' }, loss: 'DiceCeLoss' }), /Did you mean 'DiceCELoss'\?/);
  });

  it('JSON nested 5000 deep is a named error, not a stack overflow', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-config-'));
    const file = path.join(dir, 'deep.json');
    fs.writeFileSync(file, `{"name": "x", "dataset": ${'['.repeat(5000)}${']'.repeat(5000)}}`);
    assert.throws(
      () => loadConfig(file),
      /deep\.json: 1 problem\(s\) in the config:\n  - \(root\): JSON nested deeper than 256 levels \(at character 281\)/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('a JSON syntax error names the line and column', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-config-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{\n  "dataset": { "builtin": "shapes" },\n  "epochs": 3,\n}\n');
    assert.throws(() => loadConfig(file), /bad\.json: 1 problem\(s\) in the config:\n  - \(root\): invalid JSON at line 4, column 1/);
    fs.rmSync(dir, { recursive: true });
  });

  it('resolves paths relative to the config file and names runs after it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-config-'));
    const file = path.join(dir, 'membranes.json');
    fs.writeFileSync(file, JSON.stringify({ dataset: { images: 'img', masks: 'lbl' } }));
    const c = loadConfig(file);
    assert.strictEqual(c.dataset.images, path.join(dir, 'img'));
    assert.strictEqual(c.runsDir, path.join(dir, 'runs'));
    assert.strictEqual(c.name, 'membranes');
    fs.rmSync(dir, { recursive: true });
  });

  it('the starter config validates, with folders or the builtin dataset, and keeps what was chosen', () => {
    const builtin = validateConfig(starterConfig());
    assert.strictEqual(builtin.dataset.builtin, 'shapes');
    assert.strictEqual(builtin.head, 'sigmoid1');
    assert.strictEqual(builtin.crop, null); // whole 64² synthetic images
    const folders = validateConfig(starterConfig({ images: 'a', masks: 'b', head: 'softmax2', loss: 'focal' }));
    assert.deepStrictEqual([folders.dataset.images, folders.dataset.masks, folders.head, folders.loss], ['a', 'b', 'softmax2', 'focal']);
    assert.strictEqual(folders.crop, 128); // real images are trained on crops
  });
});

describe('loss ramps (a term weight linear over epochs)', () => {
  const ramped = (ramps: unknown, name = 'dice+boundary', extra: Record<string, unknown> = {}) => ({
    dataset: { builtin: 'shapes' },
    loss: { name, ramps, ...extra },
  });

  it('w(e) = from + (to − from)·clamp((e − start)/(end − start)): by hand, and a step when start = end', () => {
    const r = { from: 0.01, to: 1, epochs: [2, 5] as [number, number] };
    const expected = [0.01, 0.01, 0.34, 0.67, 1, 1];
    [1, 2, 3, 4, 5, 9].forEach((e, i) => assertClose(rampValue(r, e), expected[i], 1e-12, 1e-15, `epoch ${e}`));
    assert.deepStrictEqual(
      [2, 3, 4].map((e) => rampValue({ from: 0, to: 0.5, epochs: [3, 3] }, e)),
      [0, 0.5, 0.5],
    );
  });

  it('each epoch writes the weights into the expression before the head maps it (bce → crossEntropy on softmax2)', () => {
    const c = validateConfig(ramped({ bce: { from: 1, to: 0.5, epochs: [1, 3] }, dice: { from: 0, to: 1, epochs: [1, 3] } }, 'bce+dice'));
    assert.strictEqual(lossForHead(configAtEpoch(c, 2), 'softmax2').expression, '0.75*crossEntropy+0.5*dice');
    assert.strictEqual(lossForHead(configAtEpoch(c, 3), 'sigmoid1').expression, '0.5*bce+1*dice');
    assert.strictEqual(configAtEpoch(validateConfig({ dataset: { builtin: 'shapes' }, loss: 'dice' }), 4).loss, 'dice');
  });

  it('a ramp on a transformed term keeps the transform: log1p(bce) ramps to 0.75*log1p(crossEntropy) on softmax2', () => {
    const c = validateConfig(ramped({ bce: { from: 1, to: 0.5, epochs: [1, 3] } }, 'dice+log1p(bce)'));
    assert.strictEqual(lossForHead(configAtEpoch(c, 2), 'softmax2').expression, 'dice+0.75*log1p(crossEntropy)');
  });

  it('a ramp on a missing or weighted term, bad epochs, or with byHead is an error naming it', () => {
    assert.deepStrictEqual(problems(ramped({ boundry: { from: 0, to: 1, epochs: [1, 2] } })), [
      "loss.ramps: ramps.boundry: the loss 'dice+boundary' has no term 'boundry'",
    ]);
    assert.deepStrictEqual(problems(ramped({ boundary: { from: 0, to: 1, epochs: [1, 2] } }, 'dice+0.5*boundary')), [
      'loss.ramps: ramps.boundary: the term is written with a weight (0.5*); the ramp gives its weight',
    ]);
    assert.deepStrictEqual(problems(ramped({ boundary: { from: 0, to: 1, epochs: [3, 2] } })), [
      'loss.ramps: ramps.boundary.epochs: [start, end] with 1 ≤ start ≤ end',
    ]);
    assert.deepStrictEqual(
      problems(ramped({ boundary: { from: 0, to: 1, epochs: [1, 2] } }, 'dice+boundary', { byHead: { softmax2: 'dice' } })),
      ['loss.ramps: ramps weigh loss.name; they cannot be combined with loss.byHead'],
    );
    assert.strictEqual(problems(ramped({ boundary: { from: 0, to: 1 } }))[0], 'loss.ramps.boundary.epochs: is required');
  });
});

describe('configs with huge strings (issue 22): no edit distance over megabytes, no megabyte messages', () => {
  const huge = 'x'.repeat(5_000_000);
  const base = { dataset: { builtin: 'shapes' }, model: { depth: 2, baseFilters: 4 } };
  for (const [what, config] of [
    ['head', { ...base, head: huge }],
    ['loss', { ...base, loss: huge }],
    ['a key', { ...base, [huge]: 1 }],
    ['name', { ...base, name: `${huge}/` }],
  ] as const) {
    it(`a 5 MB ${what}: a short error (the suite's timeout catches a quadratic distance)`, () => {
      let message = '';
      try {
        validateConfig(config, 'huge.json');
        lossForHead(validateConfig(config, 'huge.json'), 'sigmoid1');
      } catch (err) {
        message = (err as Error).message;
      }
      assert.ok(message.length > 0 && message.length < 4000, `${what}: ${message.length} characters`);
      assert.match(message, /x{59,60}… \(500000\d characters\)/);
    });
  }
});
