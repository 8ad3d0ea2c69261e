/**
 * Paired statistics for comparisons over seeds, against SciPy (Debian's python3-scipy through
 * /usr/bin/python3: scipy.stats.t and scipy.stats.ttest_rel) and hand-known values.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import {
  clipInterval,
  holmAdjust,
  incompleteBeta,
  lnGamma,
  nonCentralTCdf,
  normalCdf,
  pairedTPower,
  pairedTTest,
  pairedVerdict,
  seedsForPower,
  studentTCdf,
  studentTQuantile,
} from '../../src/core/runs/stats';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

function scipy(script: string): unknown {
  const r = spawnSync(PYTHON, ['-c', `import json, numpy as np\nfrom scipy import stats\n${script}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} with SciPy failed (apt-get install python3-scipy): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1e-300, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('corrections, power and ranges (Holm by hand; power against scipy.stats.nct)', () => {
  it('Holm on a known list: [0.01, 0.04, 0.03, 0.005] → [0.03, 0.06, 0.06, 0.02]; capped at 1; untested entries stay out', () => {
    // sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept monotone at 0.06
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => close(adjusted[i]!, v, 1e-12, `p[${i}]`));
    assert.deepStrictEqual(holmAdjust([0.5, undefined, 0.6, NaN]), [1, undefined, 1, undefined]);
    assert.deepStrictEqual(holmAdjust([0.02]), [0.02], 'a family of one is unadjusted');
  });

  it('the noncentral t CDF and Φ equal scipy.stats.nct.cdf and norm.cdf', () => {
    const cases: [number, number, number][] = [
      [1.5, 2, 0.5],
      [2.1, 9, 1.7],
      [-0.7, 4, 0.3],
      [2.776, 4, 3.1],
      [0.3, 1, -1.2],
      [4, 30, 5],
      [-2.5, 7, -2],
      [0, 3, 1],
    ];
    const ref = scipy(
      `print(json.dumps({'nct': [stats.nct.cdf(t, df, nc) for t, df, nc in ${JSON.stringify(cases)}], 'norm': [stats.norm.cdf(x) for x in [-1.96, 0.3, 5, -6]]}))`,
    ) as { nct: number[]; norm: number[] };
    cases.forEach(([t, df, nc], i) => close(nonCentralTCdf(t, df, nc), ref.nct[i], 1e-9, `nct.cdf(${t}, ${df}, ${nc})`));
    [-1.96, 0.3, 5, -6].forEach((x, i) => close(normalCdf(x), ref.norm[i], 1e-12, `Φ(${x})`));
  });

  it('power of the paired t-test and the seeds needed for 80 % equal SciPy (smallest n with nct power ≥ 0.8)', () => {
    const observed: [number, number][] = [
      [0.05, 0.06],
      [-0.175, 0.41],
      [0.006, 0.027],
      [0.3, 0.1],
    ];
    const ref = scipy(
      `def power(n, e):
    c = stats.t.ppf(0.975, n - 1); nc = e * np.sqrt(n)
    return 1 - stats.nct.cdf(c, n - 1, nc) + stats.nct.cdf(-c, n - 1, nc)
need = [next(n for n in range(2, 1001) if power(n, abs(m) / s) >= 0.8) for m, s in ${JSON.stringify(observed)}]
print(json.dumps({'need': need, 'power': [power(n, e) for n, e in [(3, 0.5), (10, 0.8), (25, 0.3)]]}))`,
    ) as { need: number[]; power: number[] };
    assert.deepStrictEqual(
      observed.map(([m, s]) => seedsForPower(m, s)),
      ref.need,
    );
    [
      [3, 0.5],
      [10, 0.8],
      [25, 0.3],
    ].forEach(([n, e], i) => close(pairedTPower(n, e), ref.power[i], 1e-9, `power(${n}, ${e})`));
    assert.strictEqual(seedsForPower(0, 0.1), Infinity, 'no difference: no number of seeds shows one');
    assert.strictEqual(seedsForPower(0.1, 0), undefined, 'no spread: nothing to plan from');
  });

  it('an interval is cut to the range it lives in, and says so', () => {
    assert.deepStrictEqual(clipInterval([0.13, 1.018], [0, 1]), { ci: [0.13, 1], clipped: true });
    assert.deepStrictEqual(clipInterval([-0.2, 0.4], [0, 1]), { ci: [0, 0.4], clipped: true });
    assert.deepStrictEqual(clipInterval([0.2, 0.4], [0, 1]), { ci: [0.2, 0.4], clipped: false });
  });
});

describe('paired statistics over seeds (checked against SciPy)', () => {
  it('ln Γ and the incomplete beta at hand-known points', () => {
    assert.ok(Math.abs(lnGamma(1)) < 1e-14, `lnΓ(1) = 0: ${lnGamma(1)}`);
    close(Math.exp(lnGamma(5)), 24, 1e-13, 'Γ(5) = 4!');
    close(Math.exp(lnGamma(0.5)), Math.sqrt(Math.PI), 1e-13, 'Γ(½) = √π');
    close(incompleteBeta(0.3, 1, 1), 0.3, 1e-13, 'I_x(1, 1) = x');
    close(incompleteBeta(0.25, 2, 1), 0.0625, 1e-13, 'I_x(2, 1) = x²');
  });

  it("Student's t CDF and quantiles equal scipy.stats.t", () => {
    const cases: [number, number][] = [
      [0.5, 1],
      [-2.3, 2],
      [1.1, 4],
      [3.7, 9],
      [-0.2, 30],
      [12, 3],
    ];
    const quantiles: [number, number][] = [
      [0.975, 1],
      [0.975, 2],
      [0.975, 4],
      [0.975, 9],
      [0.9, 29],
      [0.025, 5],
    ];
    const ref = scipy(
      `print(json.dumps({'cdf': [stats.t.cdf(t, df) for t, df in ${JSON.stringify(cases)}], 'ppf': [stats.t.ppf(p, df) for p, df in ${JSON.stringify(quantiles)}]}))`,
    ) as { cdf: number[]; ppf: number[] };
    cases.forEach(([t, df], i) => close(studentTCdf(t, df), ref.cdf[i], 1e-10, `cdf(${t}, ${df})`));
    // SciPy's ppf is itself only good to ~3e-9 here (its cdf at its ppf(0.9, 29) is 0.8999999994), so the
    // quantiles are checked loosely against its ppf and tightly by putting them back into its cdf.
    const mine = quantiles.map(([p, df]) => studentTQuantile(p, df));
    quantiles.forEach(([p, df], i) => close(mine[i], ref.ppf[i], 1e-8, `ppf(${p}, ${df})`));
    const back = scipy(
      `print(json.dumps([stats.t.cdf(q, df) for q, df in zip(${JSON.stringify(mine)}, ${JSON.stringify(quantiles.map((q) => q[1]))})]))`,
    ) as number[];
    quantiles.forEach(([p, df], i) => close(back[i], p, 1e-11, `scipy cdf at our ppf(${p}, ${df})`));
  });

  it('the paired t-test equals scipy.stats.ttest_rel (t and p) and its interval the t interval', () => {
    const a = [0.812, 0.798, 0.805, 0.821, 0.79];
    const b = [0.801, 0.799, 0.797, 0.809, 0.785];
    const ref = scipy(
      `a = np.array(${JSON.stringify(a)}); b = np.array(${JSON.stringify(b)}); r = stats.ttest_rel(a, b); d = a - b
se = d.std(ddof=1) / np.sqrt(len(d)); h = stats.t.ppf(0.975, len(d) - 1) * se
print(json.dumps({'t': r.statistic, 'p': r.pvalue, 'lo': d.mean() - h, 'hi': d.mean() + h}))`,
    ) as { t: number; p: number; lo: number; hi: number };
    const test = pairedTTest(a.map((v, i) => v - b[i]));
    assert.strictEqual(test.n, 5);
    assert.strictEqual(test.df, 4);
    close(test.t!, ref.t, 1e-9, 't');
    close(test.p!, ref.p, 1e-9, 'p');
    close(test.ci95![0], ref.lo, 1e-9, 'CI low');
    close(test.ci95![1], ref.hi, 1e-9, 'CI high');
  });

  it('verdicts: one seed says no conclusion; a CI across 0 is "not distinguishable"; a clear win names the better head', () => {
    const o = { head: 'softmax2', baseline: 'sigmoid1', label: 'Dice', lowerIsBetter: false };
    assert.strictEqual(
      pairedVerdict(pairedTTest([0.004]), o),
      'softmax2 − sigmoid1: +0.004 Dice from 1 seed — no conclusion is possible (run more seeds)',
    );
    assert.match(
      pairedVerdict(pairedTTest([0.01, -0.008, 0.01]), o),
      /^softmax2 − sigmoid1: \+0\.004 Dice, 95 % CI \[−0\.\d{3}, \+0\.\d{3}\], p = 0\.\d{3}: not distinguishable with 3 seeds$/,
    );
    assert.match(pairedVerdict(pairedTTest([0.011, 0.012, 0.01, 0.013]), o), /p = .*: softmax2 is better on Dice over 4 seeds$/);
    // Lower is better (HD95): a positive difference means the baseline wins.
    assert.match(
      pairedVerdict(pairedTTest([1.1, 1.2, 1.0, 1.3]), { ...o, label: 'HD95', lowerIsBetter: true }),
      /sigmoid1 is better on HD95 over 4 seeds$/,
    );
    assert.match(pairedVerdict(pairedTTest([]), o), /no seed where both finished/);
  });
});
