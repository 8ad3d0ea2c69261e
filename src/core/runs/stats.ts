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

/** 0.05, or 0.05/13 ≈ 0.0038 written as such. */
function alphaText(alpha: number): string {
  const m = Math.round(0.05 / alpha);
  return m > 1 && Math.abs(0.05 / m - alpha) < 1e-12 ? `0.05/${m}` : String(Number(alpha.toPrecision(3)));
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
}

/** Options of a verdict: the pair, the metric, and (optionally) the family's correction and the seeds needed. */
export interface VerdictOptions {
  head: string;
  baseline: string;
  label: string;
  lowerIsBetter: boolean;
  digits?: number;
  alpha?: number;
  /** Holm-adjusted p in a family of `family` comparisons: the verdict is decided on it. */
  holm?: { p: number; family: number };
  /** Seeds a paired t-test at level `seedsAlpha` would need for 80 % power at the observed spread (seedsForPower). */
  seedsNeeded?: number;
  seedsAlpha?: number;
  /** The interval was cut to the metric's range. */
  clipped?: boolean;
}

/**
 * The verdict in plain words: "softmax2 − sigmoid1: +0.004 Dice, 95 % CI [−0.010, +0.018], p = 0.41:
 * not distinguishable with 3 seeds"; with one seed, that no conclusion is possible. With a Holm
 * correction the adjusted p stands beside the raw one and decides; an undecided difference says how
 * many seeds 80 % power would take at the spread seen.
 */
export function pairedVerdict(test: PairedTest, o: VerdictOptions): string {
  const digits = o.digits ?? 3;
  const what = `${o.head} − ${o.baseline}`;
  if (test.n === 0) return `${what}: no seed where both finished with a finite ${o.label}`;
  if (test.n === 1) {
    return `${what}: ${signed(test.mean, digits)} ${o.label} from 1 seed — no conclusion is possible (run more seeds)`;
  }
  const ci = test.ci95!;
  const raw = test.p ?? NaN;
  const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
  const clipped = o.clipped ? ' (cut to the metric’s range)' : '';
  const head = `${what}: ${signed(test.mean, digits)} ${o.label}, 95 % CI [${signed(ci[0], digits)}, ${signed(ci[1], digits)}]${clipped}`;
  let pText = Number.isNaN(raw) ? 'identical difference on every seed' : `p = ${fmtP(raw)}`;
  let p = raw;
  if (o.holm && !Number.isNaN(raw) && o.holm.family > 1) {
    pText += `, Holm-adjusted p = ${fmtP(o.holm.p)} (${o.holm.family} comparisons)`;
    p = o.holm.p;
  }
  if (!(p < (o.alpha ?? 0.05)) && !(Number.isNaN(p) && test.mean !== 0)) {
    const need = o.seedsNeeded;
    const plan =
      need === undefined
        ? ''
        : need === Infinity
          ? '; no difference seen, so no number of seeds would show one'
          : `; at this spread about ${need} seeds would find it 80 % of the time (α ${alphaText(o.seedsAlpha ?? 0.05)})`;
    return `${head}, ${pText}: not distinguishable with ${test.n} seeds${plan}`;
  }
  const better = test.mean > 0 !== o.lowerIsBetter ? o.head : o.baseline;
  return `${head}, ${pText}: ${better} is better on ${o.label} over ${test.n} seeds`;
}

/** erfc(x): the power series of erf below |x| = 3, Laplace's continued fraction (modified Lentz) above. */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / c;
    const step = c * d;
    f *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * P(T ≤ t) for the noncentral t distribution with `df` degrees of freedom and noncentrality `nc`
 * (Lenth 1989, algorithm AS 243: the Poisson-weighted series of incomplete beta functions), checked
 * against SciPy's `stats.nct.cdf`.
 */
export function nonCentralTCdf(t: number, df: number, nc: number): number {
  if (Number.isNaN(t) || Number.isNaN(nc)) return NaN;
  if (t < 0) return 1 - nonCentralTCdf(-t, df, -nc); // F(t; δ) = 1 − F(−t; −δ)
  if (t === Infinity) return 1;
  const x = (t * t) / (t * t + df);
  let sum = 0;
  if (x > 0) {
    const lambda = nc * nc;
    let p = 0.5 * Math.exp(-0.5 * lambda);
    let q = Math.sqrt(2 / Math.PI) * p * nc;
    let s = 0.5 - p;
    let a = 0.5;
    const b = 0.5 * df;
    const rxb = Math.pow(1 - x, b);
    const lnBetaHalf = 0.5 * Math.log(Math.PI) + lnGamma(b) - lnGamma(0.5 + b);
    let xodd = incompleteBeta(x, a, b);
    let godd = 2 * rxb * Math.exp(a * Math.log(x) - lnBetaHalf);
    let xeven = 1 - rxb;
    let geven = b * x * rxb;
    sum = p * xodd + q * xeven;
    for (let j = 1; j <= 2000; j++) {
      a += 1;
      xodd -= godd;
      xeven -= geven;
      godd *= (x * (a + b - 1)) / a;
      geven *= (x * (a + b - 0.5)) / (a + 0.5);
      p *= lambda / (2 * j);
      q *= lambda / (2 * j + 1);
      s -= p;
      sum += p * xodd + q * xeven;
      if (2 * s * (xodd - godd) < 1e-14) break;
    }
  }
  return Math.min(1, Math.max(0, sum + normalCdf(-nc)));
}

/**
 * Power of the two-sided paired t-test at level `alpha` with `n` pairs when the differences have mean
 * `effect` standard deviations: P(|T| > t_(1−α/2, n−1)), T noncentral t with δ = effect·√n.
 */
export function pairedTPower(n: number, effect: number, alpha = 0.05): number {
  if (n < 2) return NaN;
  const df = n - 1;
  const c = studentTQuantile(1 - alpha / 2, df);
  const nc = effect * Math.sqrt(n);
  return 1 - nonCentralTCdf(c, df, nc) + nonCentralTCdf(-c, df, nc);
}

/**
 * The fewest seeds (pairs) with which a paired t-test at `alpha` would find a mean difference of
 * `mean` with sample spread `std` at least `power` of the time, taking the observed values as the truth;
 * Infinity for a zero difference, undefined without a spread (fewer than 2 seeds, std 0 or not finite)
 * or past `max` seeds.
 */
export function seedsForPower(mean: number, std: number, o: { power?: number; alpha?: number; max?: number } = {}): number | undefined {
  if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std)) return undefined;
  if (mean === 0) return Infinity;
  const target = o.power ?? 0.8;
  const effect = Math.abs(mean) / std;
  for (let n = 2; n <= (o.max ?? 1000); n++) if (pairedTPower(n, effect, o.alpha ?? 0.05) >= target) return n;
  return undefined;
}

/**
 * Holm's step-down adjustment (Holm 1979) of a family of p-values: sorted ascending, the i-th of m
 * becomes max over j ≤ i of min(1, (m − j + 1)·p_(j)). Entries that are undefined or NaN (no test) are
 * not in the family and stay undefined.
 */
export function holmAdjust(pValues: readonly (number | undefined)[]): (number | undefined)[] {
  const tested = pValues
    .map((p, i) => ({ p, i }))
    .filter((x): x is { p: number; i: number } => typeof x.p === 'number' && !Number.isNaN(x.p));
  tested.sort((x, y) => x.p - y.p);
  const m = tested.length;
  const out: (number | undefined)[] = pValues.map(() => undefined);
  let running = 0;
  tested.forEach((x, j) => {
    running = Math.max(running, Math.min(1, (m - j) * x.p));
    out[x.i] = running;
  });
  return out;
}

/** An interval cut to [lo, hi]; `clipped` says whether it had to be. */
export function clipInterval(ci: readonly [number, number], range: readonly [number, number]): { ci: [number, number]; clipped: boolean } {
  const out: [number, number] = [Math.max(range[0], ci[0]), Math.min(range[1], ci[1])];
  return { ci: out, clipped: out[0] !== ci[0] || out[1] !== ci[1] };
}
