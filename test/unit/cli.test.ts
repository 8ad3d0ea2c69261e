/** The seglab CLI run as a user runs it: a child process on files, exit codes, messages, outputs. */
import { lossDefinitions, lossNames } from '../../src/core/losses/registry';
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeNpyFloat32, parseNpy } from '../../src/core/data/npy';
import { decodeJson } from '../../src/core/common/json';
import { encodePng8 } from '../../src/core/data/png';
import { assertClose, ISBI, ROOT } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');

function seglab(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, SEGLAB_BACKEND: 'wasm' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
const file = (...parts: string[]) => path.join(dir, ...parts);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-cli-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('seglab losses', () => {
  before(() => {
    // The seed article's 2×2 example as a float32 .npy and as PNGs.
    fs.writeFileSync(file('p.npy'), encodeNpyFloat32([0.656, 0.5859, 0.6172, 0.6802], [2, 2]));
    fs.writeFileSync(file('y.png'), encodePng8([255, 0, 0, 255], 2, 2));
    fs.writeFileSync(file('y01.npy'), encodeNpyFloat32([1, 0, 0, 1], [2, 2]));
    fs.writeFileSync(file('nan.npy'), encodeNpyFloat32([0.5, NaN, 0.5, 0.5], [2, 2]));
    fs.writeFileSync(file('big.npy'), encodeNpyFloat32(new Array(9).fill(0.5), [3, 3]));
    fs.writeFileSync(file('corrupt.png'), Buffer.concat([encodePng8([1, 2, 3, 4], 2, 2).subarray(0, 40)]));
    fs.writeFileSync(file('gray.png'), encodePng8([10, 20, 200, 250], 2, 2));
  });

  it('prints every applicable binary loss; bce is the worked example 0.6622', () => {
    const r = seglab('losses', '--pred', file('p.npy'), '--target', file('y.png'));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /1×2×2×1, binary, probabilities, backend wasm/);
    assert.match(r.stdout, /^bce\s+0\.6622$/m);
    for (const name of ['bceWithLogits', 'focal', 'dice', 'lovaszHinge', 'unetWeighted'])
      assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
    assert.doesNotMatch(r.stdout, /crossEntropy|weightedBce/);
  });

  it('--list: every registered loss with its reference and option defaults, then the smp/MONAI names (text and JSON)', () => {
    const r = seglab('losses', '--list');
    assert.strictEqual(r.code, 0, r.stderr);
    const names = lossNames();
    const listed = r.stdout
      .split('\n\nsmp/MONAI names')[0]
      .split('\n')
      .filter((l) => l && !l.startsWith(' '))
      .map((l) => l.split(' ')[0]);
    assert.deepStrictEqual(listed, names);
    assert.strictEqual((r.stdout.match(/^ {4}reference: /gm) ?? []).length, names.length, 'a reference line per loss');
    assert.match(r.stdout, /^hausdorffDT \(binary, multiclass\): .*\n {4}reference: Karimi & Salcudean 2019 .*MONAI HausdorffDTLoss/m);
    assert.match(
      r.stdout,
      /^ {2}HausdorffDTLoss \(MONAI\) = hausdorffDT; hausdorffDT\.alpha = 2, hausdorffDT\.includeBackground = false$/m,
    );
    const json = JSON.parse(seglab('losses', '--list', '--json').stdout);
    assert.deepStrictEqual(
      json.losses.map((l: { name: string }) => l.name),
      names,
    );
    assert.deepStrictEqual(json.losses.find((l: { name: string }) => l.name === 'hausdorffDT').options.alpha.default, '2');
    assert.strictEqual(json.losses.find((l: { name: string }) => l.name === 'hausdorffDT').cpuOnly, true);
  });

  it('--loss weightedBce --weights W.npy: the per-pixel weighted BCE, by hand', () => {
    fs.writeFileSync(file('w.npy'), encodeNpyFloat32([1, 2, 3, 4], [2, 2]));
    const r = seglab(
      'losses',
      '--pred',
      file('p.npy'),
      '--target',
      file('y.png'),
      '--loss',
      'weightedBce',
      '--weights',
      file('w.npy'),
      '--json',
    );
    assert.strictEqual(r.code, 0, r.stderr);
    // mean(w·ℓ): y = (1, 0, 0, 1), p = (0.656, 0.5859, 0.6172, 0.6802)
    const terms = [-Math.log(0.656), -2 * Math.log(1 - 0.5859), -3 * Math.log(1 - 0.6172), -4 * Math.log(0.6802)];
    const value = (JSON.parse(r.stdout) as { losses: { name: string; value: number }[] }).losses[0].value;
    assertClose(value, terms.reduce((a, b) => a + b) / 4, 1e-5);
  });

  it('--json with chosen losses and --set options (plain and per loss)', () => {
    const r = seglab(
      'losses',
      '--pred',
      file('p.npy'),
      '--target',
      file('y01.npy'),
      '--loss',
      'dice',
      '--loss',
      'bce+dice',
      '--set',
      'dice.smooth=0',
      '--json',
    );
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepStrictEqual(
      out.losses.map((l: { name: string }) => l.name),
      ['dice', 'bce+dice'],
    );
    const p = [0.656, 0.5859, 0.6172, 0.6802];
    const dice = 1 - (2 * (p[0] + p[3])) / (p.reduce((a, b) => a + b) + 2);
    assertClose(out.losses[0].value, dice, 1e-5);
    assertClose(out.losses[1].value, 0.66221 + dice, 1e-4);
  });

  it('folders: pairs files by name, one row per pair and the mean (bce by hand)', () => {
    fs.mkdirSync(file('pf'));
    fs.mkdirSync(file('tf'));
    // a: the seed article's example (bce 0.6622); b: p = 0.8 everywhere vs y = (1,0,0,0):
    // bce = (−ln 0.8 − 3 ln 0.2)/4.
    fs.copyFileSync(file('p.npy'), file('pf', 'a.npy'));
    fs.copyFileSync(file('y.png'), file('tf', 'a.png'));
    fs.writeFileSync(file('pf', 'b.npy'), encodeNpyFloat32([0.8, 0.8, 0.8, 0.8], [2, 2]));
    fs.writeFileSync(file('tf', 'b.png'), encodePng8([255, 0, 0, 0], 2, 2));
    const r = seglab('losses', '--pred', file('pf'), '--target', file('tf'), '--loss', 'bce', '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const b = (-Math.log(0.8) - 3 * Math.log(0.2)) / 4;
    assert.deepStrictEqual(
      out.files.map((f: { name: string }) => f.name),
      ['a', 'b'],
    );
    assertClose(out.files[0].losses[0].value, 0.66221, 1e-4);
    assertClose(out.files[1].losses[0].value, b, 1e-5);
    assertClose(out.mean[0].value, (0.66221 + b) / 2, 1e-4);
    const table = seglab('losses', '--pred', file('pf'), '--target', file('tf'));
    assert.strictEqual(table.code, 0, table.stderr);
    assert.match(table.stdout, /2 pairs, binary, probabilities/);
    assert.match(table.stdout, /^mean\s+0\.9\d*\s/m);
    // An unpaired file is named; a file and a folder cannot be mixed.
    fs.writeFileSync(file('pf', 'c.npy'), encodeNpyFloat32([0.5], [1, 1]));
    const unpaired = seglab('losses', '--pred', file('pf'), '--target', file('tf'));
    assert.strictEqual(unpaired.code, 1);
    assert.match(unpaired.stderr, /prediction files without a target file in .*tf: c\.npy/);
    const mixed = seglab('losses', '--pred', file('pf'), '--target', file('y.png'));
    assert.strictEqual(mixed.code, 2);
    assert.match(mixed.stderr, /both be files or both be folders .*y\.png is not a folder/);
  });

  it('a typo in a loss or an option gets a suggestion and exit code 1 or 2', () => {
    const a = seglab('losses', '--pred', file('p.npy'), '--target', file('y.png'), '--loss', 'dise');
    assert.strictEqual(a.code, 1);
    assert.match(a.stderr, /'dise' is not a loss\. Did you mean 'dice'\?/);
    const b = seglab('losses', '--pred', file('p.npy'), '--target', file('y.png'), '--set', 'smoth=1');
    assert.strictEqual(b.code, 2);
    assert.match(b.stderr, /--set smoth: no chosen loss has this option\. Did you mean 'smooth'\?/);
    const c = seglab('losses', '--prd', file('p.npy'));
    assert.strictEqual(c.code, 2);
    assert.match(c.stderr, /unknown option --prd\. Did you mean '--pred'\?/);
    // Object.prototype's names are not options, with every loss or with one
    for (const key of ['toString', '__proto__']) {
      const all = seglab('losses', '--pred', file('p.npy'), '--target', file('y.png'), '--set', `${key}=1`);
      assert.strictEqual(all.code, 2, all.stderr);
      assert.match(all.stderr, new RegExp(`--set ${key}: no chosen loss has this option`));
      const one = seglab('losses', '--pred', file('p.npy'), '--target', file('y.png'), '--loss', 'dice', '--set', `${key}=1`);
      assert.strictEqual(one.code, 1, one.stderr);
      assert.match(one.stderr, new RegExp(`dice: '${key}' is not an option`));
    }
  });

  it('bad inputs: NaN, shape mismatch, corrupt PNG, non-binary target — each names the file', () => {
    const nan = seglab('losses', '--pred', file('nan.npy'), '--target', file('y.png'));
    assert.strictEqual(nan.code, 1);
    assert.ok(nan.stderr.includes(`${file('nan.npy')}: NaN in predictions at flat index 1`), nan.stderr);
    const shape = seglab('losses', '--pred', file('big.npy'), '--target', file('y.png'));
    assert.strictEqual(shape.code, 1);
    assert.match(shape.stderr, /shape mismatch: .*big\.npy is 1×3×3×1 .* but .*y\.png is 1×2×2×1/);
    const corrupt = seglab('losses', '--pred', file('p.npy'), '--target', file('corrupt.png'));
    assert.strictEqual(corrupt.code, 1);
    assert.ok(corrupt.stderr.includes(`${file('corrupt.png')}: corrupt or truncated PNG`), corrupt.stderr);
    const gray = seglab('losses', '--pred', file('p.npy'), '--target', file('gray.png'));
    assert.strictEqual(gray.code, 1);
    assert.match(gray.stderr, /gray\.png: ground truth is not binary \(values 10, 20, 200, 250\)/);
  });

  it('multiclass from a channels-first .npy (PyTorch layout) with a label PNG', () => {
    // 2 classes, logits [C=2, H=1, W=2]: pixel 0 (0, ln 3) class 1; pixel 1 (ln 3, 0) class 0.
    fs.writeFileSync(file('mc.npy'), encodeNpyFloat32([0, Math.log(3), Math.log(3), 0], [2, 1, 2]));
    fs.writeFileSync(file('mc.png'), encodePng8([1, 0], 2, 1));
    const r = seglab(
      'losses',
      '--pred',
      file('mc.npy'),
      '--target',
      file('mc.png'),
      '--channels-first',
      '--from-logits',
      '--loss',
      'crossEntropy',
      '--json',
    );
    assert.strictEqual(r.code, 0, r.stderr);
    assertClose(JSON.parse(r.stdout).losses[0].value, -Math.log(0.75), 1e-5);
  });
});

describe('seglab loss-map', () => {
  before(() => {
    fs.mkdirSync(file('lm'), { recursive: true });
    // 1×4: an object at pixels 1–2; the prediction is shifted one pixel left
    fs.writeFileSync(file('lm', 'p.npy'), encodeNpyFloat32([0.8, 0.9, 0.25, 0.1], [1, 4]));
    fs.writeFileSync(file('lm', 'y.png'), encodePng8([0, 255, 255, 0], 4, 1));
    fs.writeFileSync(file('lm', 'y5.png'), encodePng8([0, 255, 255, 0, 0], 5, 1));
  });

  it('bce pixel by pixel (−ln(1 − p) off the object, −ln p on it), dL/dp, and errors by boundary distance', () => {
    const r = seglab('loss-map', '--pred', file('lm', 'p.npy'), '--target', file('lm', 'y.png'), '--loss', 'bce', '--out', file('lm', 'm'));
    assert.strictEqual(r.code, 0, r.stderr);
    const expected = [-Math.log(0.2), -Math.log(0.9), -Math.log(0.25), -Math.log(0.9)];
    const mean = expected.reduce((a, b) => a + b, 0) / 4;
    assert.match(r.stdout, new RegExp(`^bce of .*p\\.npy against .*y\\.png \\(4×1\\): ${mean.toFixed(6)}$`, 'm'));
    // distances 1 1 1 1 (every pixel touches the boundary): FP at pixel 0, FN at pixel 2
    assert.match(r.stdout, /^\(0, 1\]\s+4\s+1\s+1\s+0\.5000$/m);
    const loss = parseNpy(fs.readFileSync(file('lm', 'm_loss.npy')), 'm_loss.npy');
    assert.deepStrictEqual(loss.shape, [1, 4]);
    expected.forEach((v, i) => assertClose(loss.data[i], v, 1e-6));
    const grad = parseNpy(fs.readFileSync(file('lm', 'm_grad.npy')), 'm_grad.npy');
    assertClose(grad.data[1], -1 / (4 * 0.9), 1e-5); // on the object: −1/(N·p)
    assertClose(grad.data[0], 1 / (4 * 0.2), 1e-5); // off it: 1/(N·(1 − p))
  });

  it('--json carries the maps and distances; bce+dice has no per-pixel loss and says why', () => {
    const r = seglab('loss-map', '--pred', file('lm', 'p.npy'), '--target', file('lm', 'y.png'), '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const out = decodeJson(r.stdout) as { loss: string; pixelLoss: null; noPixelLoss: string; gradient: number[]; distance: number[] };
    assert.strictEqual(out.loss, 'bce+dice');
    assert.strictEqual(out.pixelLoss, null);
    assert.match(out.noPixelLoss, /dice is not a mean of per-pixel terms/);
    assert.strictEqual(out.gradient.length, 4);
    assert.deepStrictEqual(out.distance, [1, 1, 1, 1]);
    const text = seglab('loss-map', '--pred', file('lm', 'p.npy'), '--target', file('lm', 'y.png'));
    assert.match(text.stdout, /^per-pixel loss: none — dice is not a mean of per-pixel terms/m);
  });

  it('a size mismatch is an error naming both files; a threshold outside (0, 1) is a usage error', () => {
    const r = seglab('loss-map', '--pred', file('lm', 'p.npy'), '--target', file('lm', 'y5.png'));
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /p\.npy is 4×1, .*y5\.png is 5×1/);
    const t = seglab('loss-map', '--pred', file('lm', 'p.npy'), '--target', file('lm', 'y.png'), '--threshold', '1');
    assert.strictEqual(t.code, 2);
    assert.match(t.stderr, /--threshold must be in \(0, 1\)/);
  });
});

describe('seglab eval', () => {
  before(() => {
    fs.mkdirSync(file('gt'));
    fs.mkdirSync(file('pred'));
    // a: perfect; b: one FP pixel; c: probability map (8-bit) thresholded at 0.5.
    fs.writeFileSync(file('gt', 'a.png'), encodePng8([255, 0, 0, 0], 2, 2));
    fs.writeFileSync(file('pred', 'a.png'), encodePng8([255, 0, 0, 0], 2, 2));
    fs.writeFileSync(file('gt', 'b.png'), encodePng8([255, 0, 0, 0], 2, 2));
    fs.writeFileSync(file('pred', 'b.png'), encodePng8([255, 255, 0, 0], 2, 2));
    fs.writeFileSync(file('gt', 'c.png'), encodePng8([0, 255, 255, 0], 2, 2));
    fs.writeFileSync(file('pred', 'c.npy'), encodeNpyFloat32([0.2, 0.5, 0.9, 0.4], [2, 2]));
  });

  it('per-image and aggregate metrics; JSON and CSV written', () => {
    const r = seglab('eval', '--pred', file('pred'), '--gt', file('gt'), '--json', file('out.json'), '--csv', file('out.csv'));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 image pair\(s\)/);
    const out = JSON.parse(fs.readFileSync(file('out.json'), 'utf8'));
    assert.deepStrictEqual(
      out.images.map((m: { name: string; dice: number }) => [m.name, m.dice]),
      [
        ['a', 1],
        ['b', 2 / 3],
        ['c', 1],
      ],
    );
    assertClose(out.aggregate.mean.dice, (1 + 2 / 3 + 1) / 3, 1e-12);
    assertClose(out.aggregate.pooled.dice, (2 * 4) / (2 * 4 + 1), 1e-12);
    const csv = fs.readFileSync(file('out.csv'), 'utf8').trim().split('\n');
    assert.strictEqual(
      csv[0],
      'image,dice,iou,precision,recall,specificity,accuracy,mcc,balancedAccuracy,hd,hd95,nsd,assd,vRand,vInfo,clDice,betti0Error,betti1Error,tp,fp,fn,tn',
    );
    // b: boundaries {0} (truth) and {0, 1} (prediction) in a 2×2 image: distances 0, 1 and 0 → NSD 3/3, ASSD 1/3
    assert.deepStrictEqual([out.images[1].nsd, out.images[1].assd], [1, 1 / 3]);
    assert.strictEqual(csv.length, 1 + 3 + 2);
  });

  it('unpaired files, size mismatch and non-binary ground truth are errors naming the files; outputs untouched', () => {
    fs.writeFileSync(file('keep.json'), 'previous');
    fs.mkdirSync(file('pred2'));
    fs.copyFileSync(file('pred', 'a.png'), file('pred2', 'a.png'));
    fs.copyFileSync(file('pred', 'a.png'), file('pred2', 'z.png'));
    const unpaired = seglab('eval', '--pred', file('pred2'), '--gt', file('gt'), '--json', file('keep.json'));
    assert.strictEqual(unpaired.code, 1);
    assert.match(
      unpaired.stderr,
      /unpaired files: prediction files without a ground-truth file in .*: z\.png; ground-truth files without a prediction file in .*: b\.png, c\.png/,
    );
    assert.strictEqual(fs.readFileSync(file('keep.json'), 'utf8'), 'previous');

    fs.writeFileSync(file('pred2', 'z.png'), encodePng8([0, 0, 0, 0, 0, 0], 3, 2));
    fs.mkdirSync(file('gt2'));
    fs.copyFileSync(file('gt', 'a.png'), file('gt2', 'a.png'));
    fs.writeFileSync(file('gt2', 'z.png'), encodePng8([0, 0, 0, 0], 2, 2));
    const size = seglab('eval', '--pred', file('pred2'), '--gt', file('gt2'), '--json', file('keep.json'));
    assert.strictEqual(size.code, 1);
    assert.match(size.stderr, /size mismatch: .*pred2\/z\.png is 3×2 but .*gt2\/z\.png is 2×2/);

    fs.writeFileSync(file('pred2', 'z.png'), encodePng8([0, 0, 0, 0], 2, 2));
    fs.writeFileSync(file('gt2', 'z.png'), encodePng8([0, 1, 2, 0], 2, 2));
    const nonBinary = seglab('eval', '--pred', file('pred2'), '--gt', file('gt2'), '--json', file('keep.json'));
    assert.strictEqual(nonBinary.code, 1);
    assert.match(nonBinary.stderr, /gt2\/z\.png: ground truth is not binary \(values 0, 1, 2\)/);
    assert.strictEqual(fs.readFileSync(file('keep.json'), 'utf8'), 'previous');
  });

  it('ISBI 2012: labels against themselves give Dice 1 and HD 0; --foreground 0 scores membranes', function () {
    if (!fs.existsSync(ISBI)) this.skip();
    const label = path.join(ISBI, 'label');
    const same = seglab('eval', '--pred', label, '--gt', label, '--json', file('isbi.json'), '--quiet');
    assert.strictEqual(same.code, 0, same.stderr);
    const out = JSON.parse(fs.readFileSync(file('isbi.json'), 'utf8'));
    assert.strictEqual(out.images.length, 24);
    assert.strictEqual(out.aggregate.mean.dice, 1);
    assert.strictEqual(out.aggregate.mean.hd, 0);
    // Predicting the cell labels as membranes: no overlap at all (cells and membranes are disjoint).
    const inverted = seglab('eval', '--pred', label, '--gt', label, '--foreground', '0', '--json', file('inv.json'), '--quiet');
    assert.strictEqual(inverted.code, 0, inverted.stderr);
    const inv = JSON.parse(fs.readFileSync(file('inv.json'), 'utf8'));
    assert.strictEqual(inv.aggregate.pooled.tp, 0);
    // Membrane share of the pixels is 17–27 % per image (SOURCE.md): fn / pixels.
    for (const m of inv.images) assert.ok(m.fn / (512 * 512) > 0.17 && m.fn / (512 * 512) < 0.28, `${m.name}`);
  });
});

describe('seglab weight-map and loss-curves (the editor runs them)', () => {
  it('weight-map with default options: 1 + 10·exp(−(1+1)²/50) on a one-pixel gap; --sigma 2 gives 1 + 10·exp(−1/2)', () => {
    fs.writeFileSync(file('gap.png'), encodePng8([255, 255, 255, 0, 255, 255, 255], 7, 1));
    const r = seglab('weight-map', '--mask', file('gap.png'));
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepStrictEqual([out.width, out.height, out.weights.length], [7, 1, 7]);
    // Class balance: background (1 px) weighs 1, foreground n_bg/n_fg = 1/6.
    assertClose(out.weights[3], 1 + 10 * Math.exp(-4 / 50), 1e-4);
    assertClose(out.weights[0], 1 / 6, 1e-3); // the JSON rounds to 4 decimals
    assertClose(out.max, 1 + 10 * Math.exp(-4 / 50), 1e-4);
    const narrow = JSON.parse(seglab('weight-map', '--mask', file('gap.png'), '--sigma', '2').stdout);
    assertClose(narrow.weights[3], 1 + 10 * Math.exp(-4 / 8), 1e-4);
  });

  it('loss-curves: bce at p = 0.5 is ln 2 for y = 1 and y = 0, with dL/dz = p − y; layout losses on the toy image', () => {
    const r = seglab('loss-curves', '--points', '3');
    assert.strictEqual(r.code, 0, r.stderr);
    const bce = (
      JSON.parse(r.stdout) as { name: string; p: number[]; y1: { value: number[]; dz: number[] }; y0: { value: number[]; dz: number[] } }[]
    ).find((c) => c.name === 'bce')!;
    const mid = bce.p.indexOf(0.5);
    assert.ok(mid >= 0, `p grid ${bce.p.join(', ')}`);
    assertClose(bce.y1.value[mid], Math.LN2, 1e-5);
    assertClose(bce.y0.value[mid], Math.LN2, 1e-5);
    assertClose(bce.y1.dz[mid], -0.5, 1e-5);
    assertClose(bce.y0.dz[mid], 0.5, 1e-5);
    // every binary loss without a required option; the layout losses are drawn on the toy image
    const curves = JSON.parse(r.stdout) as { name: string; toy?: string; p: number[]; y1: { value: number[]; dp: number[] } }[];
    const names = curves.map((c) => c.name);
    assert.deepStrictEqual(
      names,
      lossDefinitions()
        .filter((d) => d.modes.includes('binary') && !d.requires?.length)
        .map((d) => d.name),
    );
    const spatial = ['unetWeighted', 'boundary', 'hausdorffDT', 'logHausdorffDT', 'distancePenalizedCE', 'clDice', 'diceClDice'];
    assert.deepStrictEqual(
      curves.filter((c) => c.toy).map((c) => c.name),
      spatial,
    );
    // On the toy, y = 1 moves the disk's pixels together: boundary = p·Σφ/N is linear (value = p·slope);
    // distancePenalizedCE = −C·ln p with slope −C/p, so value = slope·p·ln p.
    const [boundary, penalized] = ['boundary', 'distancePenalizedCE'].map((n) => curves.find((c) => c.name === n)!);
    boundary.p.forEach((p, k) => assertClose(boundary.y1.value[k], p * boundary.y1.dp[k], 1e-4, 1e-6, `boundary at p ${p}`));
    penalized.p.forEach((p, k) =>
      assertClose(penalized.y1.value[k], penalized.y1.dp[k] * p * Math.log(p), 1e-4, 1e-6, `distancePenalizedCE at p ${p}`),
    );
    assert.ok(names.includes('topK') && names.includes('focalTversky'));
  });
});

describe('seglab command line', () => {
  it('unknown command: suggestion and exit code 2', () => {
    const r = seglab('evl');
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /'evl' is not a command\. Did you mean 'eval'\?/);
  });
});
