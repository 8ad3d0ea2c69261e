/**
 * Paired statistics for comparisons over seeds, against SciPy (Debian's python3-scipy through
 * /usr/bin/python3: scipy.stats.t and scipy.stats.ttest_rel) and hand-known values.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { incompleteBeta, lnGamma, pairedTTest, pairedVerdict, studentTCdf, studentTQuantile } from '../../src/core/runs/stats';

const PYTHON = process.env.SEGLAB_PYTHON ?? '/usr/bin/python3';

function scipy(script: string): unknown {
  const r = spawnSync(PYTHON, ['-c', `import json, numpy as np\nfrom scipy import stats\n${script}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} with SciPy failed (apt-get install python3-scipy): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1e-300, Math.abs(b)), `${what}: ${a} vs ${b}`);

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
