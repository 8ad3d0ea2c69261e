/**
 * Typed decoders for the run files SegLab reads back (summary.json, metrics.jsonl lines): a value that
 * parsed as JSON is checked field by field, so a damaged or hand-edited file gets a message naming
 * the field instead of a cast that fails somewhere later. Numbers may be NaN or ±∞ (the JSON codec
 * reads them back); `null` only where a field allows it.
 */
import { shown } from '../common/suggest';

/** The statuses a run can have (store.ts's RunStatus). */
export const RUN_STATUSES = ['running', 'done', 'failed', 'cancelled', 'pruned'] as const;

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number';
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const isMetrics: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'number');

function checkFields(
  v: unknown,
  required: Record<string, [Check, string]>,
  optional: Record<string, [Check, string]>,
  where: string,
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: expected an object`);
  const o = v as Record<string, unknown>;
  for (const [key, [ok, what]] of Object.entries(required)) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) throw new Error(`${where}: "${key}" is missing`);
    if (!ok(o[key])) throw new Error(`${where}: "${key}" must be ${what}, got ${shown(String(JSON.stringify(o[key])))}`);
  }
  for (const [key, [ok, what]] of Object.entries(optional)) {
    const v = Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
    if (v !== undefined && !ok(v)) throw new Error(`${where}: "${key}" must be ${what}, got ${shown(String(JSON.stringify(v)))}`);
  }
  return o;
}

function isAdapter(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const a = x as Record<string, unknown>;
  return (
    ['vendor', 'architecture', 'device', 'description'].every((k) => typeof a[k] === 'string') &&
    typeof a.software === 'boolean' &&
    ['maxBufferSize', 'maxStorageBufferBindingSize'].every((k) => isNumber(a[k]))
  );
}

/** A summary.json value with every field checked (store.ts gives it its type). */
export function checkRunSummary(v: unknown, where: string): Record<string, unknown> {
  const str: [Check, string] = [isString, 'a string'];
  const num: [Check, string] = [isNumber, 'a number'];
  const o = checkFields(
    v,
    {
      id: str,
      name: str,
      status: [(x) => (RUN_STATUSES as readonly unknown[]).includes(x), `one of ${RUN_STATUSES.join(', ')}`],
      head: str,
      startedAt: str,
      epochsCompleted: num,
      final: [orNull(isMetrics), 'an object of numbers or null'],
    },
    {
      reason: str,
      warnings: [(x) => Array.isArray(x) && x.every(isString), 'a list of strings'],
      configFile: str,
      mode: str,
      loss: str,
      backend: str,
      threads: num,
      adapter: [isAdapter, 'an adapter (vendor, architecture, device, description, software, maxBufferSize, maxStorageBufferBindingSize)'],
      dataset: str,
      trainImages: num,
      valImages: num,
      epochsPlanned: num,
      monitor: str,
      bestEpoch: [orNull(isNumber), 'a number or null'],
      best: [orNull(isMetrics), 'an object of numbers or null'],
      endedAt: str,
      durations: [
        (x) => typeof x === 'object' && x !== null && isNumber((x as Record<string, unknown>).totalSeconds),
        'an object with totalSeconds',
      ],
      pid: num,
      host: str,
    },
    where,
  );
  return o;
}

/** A metrics.jsonl line's value with every field checked. */
export function checkEpochRecord(v: unknown, where: string): Record<string, unknown> {
  const o = checkFields(
    v,
    { epoch: [isNumber, 'a number'], trainLoss: [isNumber, 'a number'] },
    {
      val: [isMetrics, 'an object of numbers'],
      seconds: [isNumber, 'a number'],
      learningRate: [isNumber, 'a number'],
      lossWeights: [isMetrics, 'an object of numbers'],
    },
    where,
  );
  return o;
}
