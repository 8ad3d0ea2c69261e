/**
 * Search spaces for sweeps: `--set KEY=log:1e-4..1e-2` (log-uniform), `lin:a..b` (uniform), `int:a..b`
 * (integers, both ends included) beside today's lists (`--set loss=bce,dice`), and three ways to pick
 * the cells: `grid` (every combination; a range gives `points` values spaced evenly — geometrically for
 * `log`), `random` (`trials` points, seeded: the same seed gives the same trials) and `sobol` (the first
 * `trials` points of the unscrambled Sobol sequence, SciPy's `qmc.Sobol(scramble=False)`, dimension i
 * for the i-th --set). A list in a random or Sobol search is a categorical key: u in [0, 1) picks
 * values[⌊u·n⌋]. Sampled real values keep 4 significant digits (readable cell names; the same for a
 * given seed).
 *
 * Sobol points by Bratley & Fox's construction in Gray-code order (Antonov & Saleev), with the
 * primitive polynomials and initial direction numbers of Joe & Kuo (2008) for dimensions 2–10: a few
 * lines of table against a dependency for one sequence.
 */
import { checkAxisKeys, parseSweepValues, splitSetOption, SweepAxis } from './sweep';

export type SearchMethod = 'grid' | 'random' | 'sobol';
export const SEARCH_METHODS: readonly SearchMethod[] = ['grid', 'random', 'sobol'];

export type SearchSpace =
  { key: string; kind: 'list'; values: unknown[] } | { key: string; kind: 'log' | 'lin' | 'int'; lo: number; hi: number };

const RANGE = /^(log|lin|int):\s*(-?[0-9.]+(?:e[-+]?[0-9]+)?)\s*\.\.\s*(-?[0-9.]+(?:e[-+]?[0-9]+)?)$/i;

/** The space a --set value describes: a range (`log:1e-4..1e-2`) or a list of values. */
export function parseSpace(key: string, text: string): SearchSpace {
  const m = RANGE.exec(text.trim());
  if (!m) {
    if (RANGE_PREFIX.test(text.trim()))
      throw new Error(`--set ${key}=${text}: write a range as log:LOW..HIGH, lin:LOW..HIGH or int:LOW..HIGH`);
    return { key, kind: 'list', values: parseSweepValues(text, key) };
  }
  const kind = m[1].toLowerCase() as 'log' | 'lin' | 'int';
  const [lo, hi] = [Number(m[2]), Number(m[3])];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new Error(`--set ${key}=${text}: the range needs LOW < HIGH`);
  if (kind === 'log' && !(lo > 0)) throw new Error(`--set ${key}=${text}: a log range needs LOW > 0`);
  if (kind === 'int' && !(Number.isInteger(lo) && Number.isInteger(hi)))
    throw new Error(`--set ${key}=${text}: an int range needs integer ends`);
  return { key, kind, lo, hi };
}

const round4 = (v: number) => Number(v.toPrecision(4));

/** The value at u in [0, 1) of a space. */
export function valueAt(space: SearchSpace, u: number): unknown {
  const t = Math.min(Math.max(u, 0), 1);
  switch (space.kind) {
    case 'list':
      return space.values[Math.min(space.values.length - 1, Math.floor(t * space.values.length))];
    case 'int':
      return Math.min(space.hi, space.lo + Math.floor(t * (space.hi - space.lo + 1)));
    case 'lin':
      return round4(space.lo + t * (space.hi - space.lo));
    case 'log':
      return round4(space.lo * Math.pow(space.hi / space.lo, t));
  }
}

/** `points` values of a range for a grid: evenly spaced with both ends (geometrically for log; every integer of a short int range). */
export function gridValues(space: SearchSpace, points: number): unknown[] {
  if (space.kind === 'list') return space.values;
  if (space.kind === 'int' && space.hi - space.lo + 1 <= points) {
    return Array.from({ length: space.hi - space.lo + 1 }, (_, i) => space.lo + i);
  }
  const n = Math.max(2, points);
  const values = Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    if (space.kind === 'int') return Math.round(space.lo + t * (space.hi - space.lo));
    return round4(space.kind === 'log' ? space.lo * Math.pow(space.hi / space.lo, t) : space.lo + t * (space.hi - space.lo));
  });
  return [...new Set(values)];
}

// Joe & Kuo (2008), new-joe-kuo-6.21201: degree s, coefficients a, initial direction numbers m, for dimensions 2…10.
const DIRECTIONS: { s: number; a: number; m: number[] }[] = [
  { s: 1, a: 0, m: [1] },
  { s: 2, a: 1, m: [1, 3] },
  { s: 3, a: 1, m: [1, 3, 1] },
  { s: 3, a: 2, m: [1, 1, 1] },
  { s: 4, a: 1, m: [1, 1, 3, 3] },
  { s: 4, a: 4, m: [1, 3, 5, 13] },
  { s: 5, a: 2, m: [1, 1, 5, 5, 17] },
  { s: 5, a: 4, m: [1, 1, 5, 5, 5] },
  { s: 5, a: 7, m: [1, 1, 7, 11, 19] },
];
export const SOBOL_MAX_DIMENSIONS = DIRECTIONS.length + 1;
const BITS = 30;

/** Direction numbers V_1…V_BITS of one dimension, as integers scaled by 2^BITS. */
function directionNumbers(dim: number): number[] {
  const v = new Array<number>(BITS + 1).fill(0);
  if (dim === 0) {
    for (let k = 1; k <= BITS; k++) v[k] = 1 << (BITS - k);
    return v;
  }
  const { s, a, m } = DIRECTIONS[dim - 1];
  const mk = [0, ...m];
  for (let k = s + 1; k <= BITS; k++) {
    let x = mk[k - s] ^ (mk[k - s] << s);
    for (let j = 1; j < s; j++) if ((a >> (s - 1 - j)) & 1) x ^= mk[k - j] << j;
    mk[k] = x;
  }
  for (let k = 1; k <= BITS; k++) v[k] = mk[k] * 2 ** (BITS - k);
  return v;
}

/** The first n points of the unscrambled d-dimensional Sobol sequence (the first is all zeros). */
export function sobolPoints(n: number, d: number): number[][] {
  if (d > SOBOL_MAX_DIMENSIONS) throw new Error(`a Sobol search takes at most ${SOBOL_MAX_DIMENSIONS} keys, got ${d}`);
  const dirs = Array.from({ length: d }, (_, j) => directionNumbers(j));
  const x = new Array<number>(d).fill(0);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(x.map((v) => v / 2 ** BITS));
    // Gray code: the next point flips the direction number of the lowest zero bit of i
    let c = 1;
    while ((i >> (c - 1)) & 1) c++;
    for (let j = 0; j < d; j++) x[j] ^= dirs[j][c]; // below 2^30: exact in 32-bit integers
  }
  return out;
}

/** A small seeded generator (mulberry32): the same seed gives the same trials on every machine. */
function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The sweep's axes for a search: a grid gives each key its values (a range its `points` values) and the
 * cells are every combination; random and Sobol give each key one value per trial (`zip`: cell i takes
 * the i-th value of every key). Trials that repeat an earlier one (a small categorical space) are dropped.
 */
export function searchAxes(
  spaces: readonly SearchSpace[],
  method: SearchMethod,
  trials: number,
  seed = 1,
): { axes: SweepAxis[]; zip: boolean } {
  if (method === 'grid') return { axes: spaces.map((s) => ({ key: s.key, values: gridValues(s, trials) })), zip: false };
  const next = uniforms(seed);
  const points = method === 'sobol' ? sobolPoints(trials, spaces.length) : Array.from({ length: trials }, () => spaces.map(() => next()));
  const seen = new Set<string>();
  const rows = points
    .map((u) => spaces.map((s, j) => valueAt(s, u[j])))
    .filter((row) => {
      const k = JSON.stringify(row);
      return seen.has(k) ? false : (seen.add(k), true);
    });
  return { axes: spaces.map((s, j) => ({ key: s.key, values: rows.map((r) => r[j]) })), zip: true };
}

/** The spaces of several --set options (keys checked as for a grid: no key twice, none inside another). */
export function parseSpaces(options: readonly string[]): SearchSpace[] {
  const spaces = options.map((option) => {
    const { key, text } = splitSetOption(option);
    return parseSpace(key, text);
  });
  checkAxisKeys(spaces.map((s) => s.key));
  return spaces;
}

const RANGE_PREFIX = /^(log|lin|int):/i;

/** Whether any option is a range (it then needs --search and --trials). */
export function hasRange(options: readonly string[]): boolean {
  return options.some((o) => RANGE_PREFIX.test(o.slice(o.indexOf('=') + 1).trim()));
}
