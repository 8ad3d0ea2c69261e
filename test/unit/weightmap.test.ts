/** The U-Net weight map: a hand-derived case and the real ISBI 2012 labels. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { decodePng } from '../../src/core/data/png';
import { labelComponents } from '../../src/core/weightmap/label';
import { unetWeightMap } from '../../src/core/weightmap/unetWeightMap';
import { assertClose, ISBI } from './helpers';

describe('U-Net weight map', () => {
  it('two objects separated by a one-pixel gap: border term 10·exp(−(1+1)²/50) = 9.2312 on the gap', () => {
    // Row of 7: objects at columns 0–2 and 4–6, gap at column 3.
    const map = [1, 1, 1, 0, 1, 1, 1];
    const w = unetWeightMap(map, [1, 7], { classWeights: 'none' });
    assertClose(w[3], 1 + 10 * Math.exp(-4 / 50), 1e-6);
    assert.strictEqual(w[0], 1, 'no border term on object pixels by default');
    const everywhere = unetWeightMap(map, [1, 7], { classWeights: 'none', borderOn: 'everywhere' });
    // Column 2 is in object 1 (d1 = 0) and 2 px from object 2.
    assertClose(everywhere[2], 1 + 10 * Math.exp(-4 / 50), 1e-6);
  });

  it('a single object has no border term; class balance gives foreground n_bg/n_fg', () => {
    const w = unetWeightMap([0, 1, 1, 0, 0, 0], [2, 3]);
    assert.deepStrictEqual(Array.from(w), [1, 2, 2, 1, 1, 1]);
  });

  it('instance labels are kept: touching instances 1 and 2 are two objects', () => {
    const w = unetWeightMap([1, 1, 0, 2, 2, 2], [1, 6], { classWeights: 'none', w0: 5, sigma: 2 });
    assertClose(w[2], 1 + 5 * Math.exp(-4 / 8), 1e-6);
  });

  it('labels components with 4-connectivity by default, 8 on request', () => {
    const diagonal = [1, 0, 0, 1];
    assert.strictEqual(labelComponents(diagonal, [2, 2]).count, 2);
    assert.strictEqual(labelComponents(diagonal, [2, 2], 8).count, 1);
  });

  it('rejects non-integer maps, naming the pixel', () => {
    assert.throws(() => unetWeightMap([0, 0.5], [1, 2]), /pixel 1 has value 0.5/);
  });

  // Cell counts as scipy.ndimage.label gives them (4-connectivity); border-term peaks derived by hand:
  // a membrane pixel with cells at distances (1, 1) → 10·e^(−4/50) = 9.2312, (1, √2) → 8.8997,
  // (√2, √2) → 8.5214.
  const isbiCases: [string, number, number][] = [
    ['0.png', 136, 10 * Math.exp(-((1 + Math.SQRT2) ** 2) / 50)],
    ['1.png', 130, 10 * Math.exp(-4 / 50)],
    ['13.png', 102, 10 * Math.exp(-((1 + Math.SQRT2) ** 2) / 50)],
    ['17.png', 95, 10 * Math.exp(-8 / 50)],
    ['23.png', 104, 10 * Math.exp(-4 / 50)],
  ];
  for (const [name, cellsExpected, peak] of isbiCases) {
    it(`ISBI 2012 label ${name}: ${cellsExpected} cells, border term peaks at ${peak.toFixed(4)} (w0 = 10, σ = 5)`, function () {
      if (!fs.existsSync(ISBI)) this.skip();
      const label = decodePng(fs.readFileSync(path.join(ISBI, 'label', name)), name);
      const shape: [number, number] = [label.height, label.width];
      const cells = Uint8Array.from(label.data, (v) => (v === 255 ? 1 : 0));
      assert.strictEqual(labelComponents(cells, shape).count, cellsExpected);
      const w = unetWeightMap(cells, shape, { classWeights: 'none' });
      let max = 0;
      for (let i = 0; i < w.length; i++) max = Math.max(max, w[i] - 1);
      assertClose(max, peak, 1e-5, 0, name);
    });
  }
});
