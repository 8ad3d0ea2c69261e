/**
 * SegLab's JSON: standard JSON in which the non-finite numbers travel as the strings "NaN",
 * "Infinity" and "-Infinity" (as Protocol Buffers' JSON mapping writes float and double), so every
 * JSON reader parses the files and SegLab's reader gives the numbers back. Float32Array and
 * Float64Array are written as arrays.
 *
 * Reading turns exactly those three strings back into numbers wherever they appear; a string field
 * cannot hold one of them verbatim (no SegLab name or path is "NaN" or "Infinity").
 */
const NON_FINITE = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

export function encodeJson(value: unknown, indent: number = 2): string {
  return JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (v instanceof Float32Array || v instanceof Float64Array) return Array.from(v);
      return v;
    },
    indent,
  );
}

/** The deepest nesting of arrays and objects SegLab reads (its own files nest a handful of levels). */
export const MAX_JSON_DEPTH = 256;

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH before parsing it: V8 parses deep nesting, but a
 * reviver or a validator walking the value recursively runs out of stack ("Maximum call stack size
 * exceeded", naming nothing). One pass over the text, strings skipped.
 */
export function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels (at character ${i + 1})`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/**
 * Parses SegLab's JSON, non-finite numbers included. The result is `unknown` until a caller checks
 * it; `decodeJsonAs` is for values SegLab itself wrote (its own files and CLI output).
 */
export function decodeJson(text: string): unknown {
  checkJsonDepth(text);
  // A Map, not an object: `'constructor' in {}` is true (an image named "constructor" must stay a string).
  return JSON.parse(text, (_key, v) => (typeof v === 'string' && NON_FINITE.has(v) ? NON_FINITE.get(v) : v));
}

/** decodeJson for JSON that SegLab wrote with encodeJson from a value of type T. */
export function decodeJsonAs<T>(text: string): T {
  return decodeJson(text) as T;
}
