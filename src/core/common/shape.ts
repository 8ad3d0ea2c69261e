/**
 * Small structural checks for SegLab's own JSON files (sweep.json, comparison.json): each decoder says
 * which field of which file is missing or of the wrong kind, instead of a reader failing later with
 * "Cannot read properties of undefined". Numbers may be ±∞ or NaN (decodeJson restores them).
 */
export type Shape = (v: unknown, at: string) => string | undefined;

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

export const str: Shape = (v) => (typeof v === 'string' ? undefined : `must be a string, got ${kind(v)}`);
export const num: Shape = (v) => (typeof v === 'number' ? undefined : `must be a number, got ${kind(v)}`);
export const int: Shape = (v) => (Number.isSafeInteger(v) ? undefined : `must be an integer, got ${kind(v)}`);
export const bool: Shape = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${kind(v)}`);
export const any: Shape = () => undefined;

export function oneOf(...values: readonly unknown[]): Shape {
  return (v) => (values.includes(v) ? undefined : `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
}

export function optional(s: Shape): Shape {
  return (v, at) => (v === undefined ? undefined : s(v, at));
}

export function nullable(s: Shape): Shape {
  return (v, at) => (v === null ? undefined : s(v, at));
}

const field = (at: string, k: string): string => (at ? `${at}.${k}` : k);

/** The first problem among `entries` (name, value, shape), as `"where" problem`. */
function firstProblem(entries: Iterable<[string, unknown, Shape]>): string | undefined {
  for (const [where, x, s] of entries) {
    const p = s(x, where);
    if (p !== undefined) return p.startsWith('"') ? p : `"${where}" ${x === undefined ? 'is missing' : p}`;
  }
  return undefined;
}

export function listOf(s: Shape): Shape {
  return (v, at) =>
    Array.isArray(v) ? firstProblem(v.map((x, i): [string, unknown, Shape] => [`${at}[${i}]`, x, s])) : `must be a list, got ${kind(v)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An object whose values all have shape `s` (keys are data, e.g. metric names). */
export function mapOf(s: Shape): Shape {
  return (v, at) =>
    isObject(v)
      ? firstProblem(Object.entries(v).map(([k, x]): [string, unknown, Shape] => [field(at, k), x, s]))
      : `must be an object, got ${kind(v)}`;
}

/** An object with these fields (others allowed); `optional(...)` marks fields that may be absent. */
export function record(fields: Record<string, Shape>): Shape {
  return (v, at) => {
    if (!isObject(v)) return `must be an object, got ${kind(v)}`;
    const own = (k: string) => (Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined);
    return firstProblem(Object.entries(fields).map(([k, s]): [string, unknown, Shape] => [field(at, k), own(k), s]));
  };
}

/** Throws `file: "field" problem` when `value` does not have shape `s`. */
export function checkShape<T>(value: unknown, s: Shape, file: string): T {
  const p = s(value, '');
  if (p !== undefined) throw new Error(`${file}: ${p.startsWith('"') ? p : `the file ${p}`}`);
  return value as T;
}
