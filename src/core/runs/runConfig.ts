/**
 * config.json of a run folder, decoded: the experiment config as seglab train resolved it (validated by
 * the same schema as a config file) and the facts training derived from the data. A damaged or hand-made
 * file gives an error naming the file and the field, never "Cannot read properties of undefined".
 */
import * as path from 'path';
import { ConfigError, ExperimentConfig, validateConfig } from '../config/config';
import { readJsonFile } from './store';

export interface DerivedFacts {
  loss: string;
  mode: string;
  outputChannels: number;
  normalization: { mean: number[]; std: number[] };
}

export interface RunConfig {
  config: ExperimentConfig;
  derived: DerivedFacts;
}

function finiteList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function decodeDerived(v: unknown, file: string): DerivedFacts {
  const bad = (what: string): never => {
    throw new Error(`${file}: derived.${what} is missing or damaged (not written by seglab train?)`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`${file}: no derived section (not written by seglab train?)`);
  const d = v as Record<string, unknown>;
  if (typeof d.loss !== 'string') bad('loss');
  if (typeof d.mode !== 'string') bad('mode');
  if (!Number.isSafeInteger(d.outputChannels) || (d.outputChannels as number) < 1) bad('outputChannels');
  const n = d.normalization as Record<string, unknown> | null;
  if (typeof n !== 'object' || n === null || !finiteList(n.mean) || !finiteList(n.std) || n.mean.length !== n.std.length)
    bad('normalization');
  if ((n!.std as number[]).some((s) => !(s > 0))) bad('normalization.std (every value must be positive)');
  return {
    loss: d.loss as string,
    mode: d.mode as string,
    outputChannels: d.outputChannels as number,
    normalization: n as DerivedFacts['normalization'],
  };
}

/** config.json of the run folder `dir`, decoded and checked. */
export function readRunConfig(dir: string): RunConfig {
  const file = path.join(dir, 'config.json');
  const raw = readJsonFile<unknown>(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: not a JSON object`);
  const { derived, ...rest } = raw as Record<string, unknown>;
  let config: ExperimentConfig;
  try {
    config = validateConfig(rest, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`${file}: the run's config is damaged: ${err.message.replace(`${file}: `, '')}`);
    throw err;
  }
  return { config, derived: decodeDerived(derived, file) };
}
