/**
 * Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", MLSys 2020) as a stopping rule each run applies to itself. Rungs are at epochs
 * R, R·η, R·η², … below the run's last epoch. A run that reaches a rung records its monitored
 * validation value there and goes on only if that value is among the top max(1, ⌊n/η⌋) of the n values
 * recorded at that rung so far in its group (itself included; ties go on); otherwise it stops as
 * `pruned`, with its checkpoint and curves kept. Because nothing needs to be resumed, a promotion is
 * the run carrying on — on this machine or as a Slurm array task alike — and the rung records are
 * files in the sweep folder (one per run and rung, written atomically), which the cluster's nodes share.
 *
 * Asynchronous means order-dependent: the first run to reach a rung always goes on (there is nothing
 * to compare it with), and with runs in parallel the order they reach a rung in decides who saw whom.
 * One run at a time (`--parallel 1`, a Slurm array throttled to 1) makes a sweep repeat exactly.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { lowerIsBetter } from '../common/metrics';
import type { PruningConfig } from '../config/config';
import { writeFileAtomic, makeDirs } from './atomicWrite';

export type { PruningConfig };

/** The rung epochs for a run of `epochs` epochs: R·η^k below the last epoch (the last epoch is the run's end, not a rung). */
export function rungEpochs(minEpochs: number, eta: number, epochs: number): number[] {
  const out: number[] = [];
  for (let r = minEpochs; r < epochs; r *= eta) out.push(Math.round(r));
  return out;
}

export interface RungEntry {
  run: string;
  value: number;
}

export interface RungDecision {
  /** true: go on to the next rung. */
  promote: boolean;
  /** How many go on of those recorded (max(1, ⌊n/η⌋)). */
  keep: number;
  /** Values recorded at the rung, this run's included. */
  n: number;
  /** The value that still goes on (the keep-th best), in the metric's own sign. */
  cutoff: number;
}

/** Larger is better after this (NaN is the worst of all). */
function oriented(value: number, monitor: string): number {
  if (Number.isNaN(value)) return -Infinity;
  return lowerIsBetter(monitor) ? -value : value;
}

/**
 * The rule at one rung: does `own` (already among `entries`) go on? `entries` are the values recorded
 * at the rung in its group, in any order.
 */
export function ashaDecision(entries: readonly RungEntry[], own: string, eta: number, monitor: string): RungDecision {
  const mine = entries.find((e) => e.run === own);
  if (!mine) throw new Error(`ASHA: the run ${own} has no record at this rung`);
  const sorted = entries.map((e) => oriented(e.value, monitor)).sort((a, b) => b - a);
  const keep = Math.max(1, Math.floor(entries.length / eta));
  const cut = sorted[keep - 1];
  const score = oriented(mine.value, monitor);
  const cutoff = lowerIsBetter(monitor) ? -cut : cut;
  // A NaN value never goes on unless it is alone; a tie with the cutoff goes on.
  return { promote: score >= cut && (score > -Infinity || entries.length === 1), keep, n: entries.length, cutoff };
}

const safeName = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** The folder of one group's records at one rung. */
function rungDir(p: PruningConfig, rung: number): string {
  return path.join(p.rungs, safeName(p.group), `rung-${rung}`);
}

/** Records a run's value at a rung (replacing an earlier attempt's) and reads every record there. */
export function recordRung(p: PruningConfig, rung: number, entry: RungEntry & { epoch: number }): RungEntry[] {
  const dir = rungDir(p, rung);
  makeDirs(dir);
  // JSON has no ∞/NaN: they are written as strings and read back as the numbers.
  const value = Number.isFinite(entry.value) ? entry.value : String(entry.value);
  writeFileAtomic(
    path.join(dir, `${safeName(entry.run)}.json`),
    JSON.stringify({ run: entry.run, group: p.group, rung, epoch: entry.epoch, value, at: new Date().toISOString() }) + '\n',
  );
  return readRung(p, rung);
}

/** The largest rung record read (SegLab writes ~200 bytes). */
export const RECORD_MAX_BYTES = 64 * 1024;

/** Every record at a rung of the group; a file that does not parse (another writer's leftover), a folder or an oversized file is skipped. */
export function readRung(p: PruningConfig, rung: number): RungEntry[] {
  const dir = rungDir(p, rung);
  if (!fs.existsSync(dir)) return [];
  const out: RungEntry[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    try {
      // A record is a few hundred bytes: anything else there (a folder, a huge file) is not one, and is not read.
      const file = path.join(dir, name);
      const st = fs.statSync(file);
      if (!st.isFile() || st.size > RECORD_MAX_BYTES) continue;
      const o = JSON.parse(fs.readFileSync(file, 'utf8')) as { run?: unknown; value?: unknown };
      // ±∞ and NaN are written as strings (JSON has no such numbers); any other string is not a value.
      const value =
        typeof o.value === 'number'
          ? o.value
          : typeof o.value === 'string' && /^(-?Infinity|NaN)$/.test(o.value)
            ? Number(o.value)
            : undefined;
      if (typeof o.run === 'string' && value !== undefined) out.push({ run: o.run, value });
    } catch {
      // half-written by a writer without atomic rename: not a record
    }
  }
  return out;
}

/** The reason a pruned run states. */
export function prunedReason(rungIndex: number, epoch: number, monitor: string, value: number, d: RungDecision, eta: number): string {
  const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));
  return (
    `ASHA rung ${rungIndex + 1} (epoch ${epoch}): ${monitor} ${fmt(value)} is not in the top ${d.keep} of the ${d.n} runs ` +
    `at this rung (top 1/${eta}; the last to go on has ${fmt(d.cutoff)})`
  );
}
