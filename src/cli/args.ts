/** Command-line parsing on node:util parseArgs, with errors that suggest the intended option. */
import { parseArgs, ParseArgsConfig } from 'util';
import { didYouMean, shown } from '../core/common/suggest';

/** An error in how the command was called (exit code 2), as opposed to bad input data (exit code 1). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<const O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
    if (unknown) {
      const names = Object.keys(options).map((k) => `--${k}`);
      throw new UsageError(`unknown option ${shown(unknown[1])}.${didYouMean(unknown[1], names)}\n${usage}`);
    }
    throw new UsageError(`${message}\n${usage}`);
  }
}

export function requireValue(value: string | undefined, name: string, usage: string): string {
  if (value === undefined) throw new UsageError(`--${name} is required\n${usage}`);
  return value;
}

export function numberValue(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: '${value}' is not a number`);
  return n;
}

/** A flag that must be a positive integer (a count of threads, runs, seeds …). */
export function positiveInteger(value: string | undefined, name: string): number | undefined {
  const n = numberValue(value, name);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`--${name}: '${value}' is not a positive integer`);
  return n;
}

export function choiceValue<T extends string>(value: string | undefined, name: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name}: '${shown(value)}' is not one of ${choices.join(', ')}.${didYouMean(value, choices)}`);
  }
  return value as T;
}

/** "k=v" pairs; v is read as JSON when it parses (numbers, true/false, null, [lists]), else a string. */
export function keyValues(pairs: string[] | undefined): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>; // '__proto__' stays a key (and is refused)
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set '${pair}': write key=value, e.g. --set smooth=1 or --set dice.smooth=1`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string such as normalize=weights
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}
