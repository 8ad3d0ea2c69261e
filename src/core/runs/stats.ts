/**
 * Statistics for comparisons over seeds that do not overclaim: a paired t-test on per-seed
 * differences (same seed ⇒ same data split, batches and initial body weights), its 95 % confidence
 * interval, and a verdict in plain words. Student's t distribution is computed here (regularized
 * incomplete beta by its continued fraction, log-gamma by Lanczos' approximation): a few dozen lines
 * against a statistics dependency for one distribution. Tests check it against SciPy's
 * `stats.t` and `stats.ttest_rel`.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x); // reflection
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF, 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p = ${p} is not in (0, 1)`);
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PairedTest {
  /** Differences the test is over (finite ones). */
  n: number;
  mean: number;
  /** Sample standard deviation of the differences (n − 1). */
  std: number;
  /** 95 % t interval of the mean difference; absent with fewer than 2 differences. */
  ci95?: [number, number];
  /** Two-sided p-value of H0: mean difference = 0 (paired t-test, as scipy.stats.ttest_rel). */
  p?: number;
  t?: number;
  df?: number;
}

/** Paired t-test on per-seed differences (head − baseline). */
export function pairedTTest(differences: readonly number[]): PairedTest {
  const d = differences.filter(Number.isFinite);
  const n = d.length;
  const mean = n ? d.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { n, mean, std: NaN };
  const std = Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const df = n - 1;
  const se = std / Math.sqrt(n);
  const half = studentTQuantile(0.975, df) * se;
  if (se === 0) {
    // Every seed gave the same difference: no spread to test against (SciPy returns NaN here too).
    return { n, mean, std, ci95: [mean, mean], p: mean === 0 ? 1 : NaN, t: mean === 0 ? NaN : Math.sign(mean) * Infinity, df };
  }
  const t = mean / se;
  return { n, mean, std, ci95: [mean - half, mean + half], p: 2 * studentTCdf(-Math.abs(t), df), t, df };
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
}

/**
 * The verdict in plain words: "softmax2 − sigmoid1: +0.004 Dice, 95 % CI [−0.010, +0.018], p = 0.41:
 * not distinguishable with 3 seeds"; with one seed, that no conclusion is possible.
 */
export function pairedVerdict(
  test: PairedTest,
  o: { head: string; baseline: string; label: string; lowerIsBetter: boolean; digits?: number; alpha?: number },
): string {
  const digits = o.digits ?? 3;
  const what = `${o.head} − ${o.baseline}`;
  if (test.n === 0) return `${what}: no seed where both finished with a finite ${o.label}`;
  if (test.n === 1) {
    return `${what}: ${signed(test.mean, digits)} ${o.label} from 1 seed — no conclusion is possible (run more seeds)`;
  }
  const ci = test.ci95!;
  const p = test.p ?? NaN;
  const head = `${what}: ${signed(test.mean, digits)} ${o.label}, 95 % CI [${signed(ci[0], digits)}, ${signed(ci[1], digits)}]`;
  const pText = Number.isNaN(p) ? 'identical difference on every seed' : `p = ${p < 0.001 ? p.toExponential(1) : p.toFixed(3)}`;
  if (!(p < (o.alpha ?? 0.05)) && !(Number.isNaN(p) && test.mean !== 0)) {
    return `${head}, ${pText}: not distinguishable with ${test.n} seeds`;
  }
  const better = test.mean > 0 !== o.lowerIsBetter ? o.head : o.baseline;
  return `${head}, ${pText}: ${better} is better on ${o.label} over ${test.n} seeds`;
}
