/**
 * The experiment config: JSON Schema validation (schemas/experiment.schema.json is the single source
 * of truth for fields, types and defaults), plus the checks a schema cannot express (loss names,
 * dataset kind, crop vs depth). Every problem is reported at once, each with its JSON path and,
 * for misspelt names, a suggestion.
 */
import Ajv, { ErrorObject } from 'ajv';
import * as fs from 'fs';
import { BackendChoice } from '../backend/names';
import { LossRamp, rampedExpression, rampProblems } from './ramps';
import { readText } from '../data/readBytes';
import * as path from 'path';
import schema from '../../../schemas/experiment.schema.json';
import { compileLoss, formatLossTerm, lossDefinitions, parseLossTerm } from '../losses/registry';
import { expandAliases } from '../losses/aliases';
import { LossMode } from '../losses/types';
import { Head, headMode, sizeMultiple } from '../model/unet';
import { didYouMean, shown } from '../common/suggest';
import { checkJsonDepth } from '../common/json';

export type MetricName =
  'dice' | 'iou' | 'precision' | 'recall' | 'mcc' | 'balancedAccuracy' | 'pixelError' | 'hd95' | 'nsd' | 'assd' | 'ece' | 'brier';
export type MonitorName =
  'loss' | 'dice' | 'iou' | 'mcc' | 'balancedAccuracy' | 'pixelError' | 'hd95' | 'nsd' | 'assd' | 'vRand' | 'vInfo' | 'ece' | 'brier';

export interface DatasetConfig {
  builtin?: 'shapes';
  count: number;
  size: number;
  foregroundFraction: number;
  noise: number;
  images?: string;
  masks?: string;
  foreground?: number;
  classes: number;
  /** Class names, background first (as many as `classes`). */
  classNames?: string[];
  /** Folder and TIFF-stack datasets: MiB of decoded images kept in memory (default: a quarter of free memory, at most 2 GiB). */
  cacheMB?: number;
}

export interface LossConfig {
  name: string;
  options?: Record<string, unknown>;
  byHead?: Partial<Record<Head, string>>;
  /** Term weights that follow a linear ramp over epochs (ramps.ts). */
  ramps?: Record<string, LossRamp>;
}

/** What a run's config says when a sweep prunes it (runs/asha.ts applies it). */
export interface PruningConfig {
  method: 'asha';
  /** R: the first rung's epoch. */
  minEpochs: number;
  /** η: each rung keeps the top 1/η and is η times further on. */
  eta: number;
  /** The folder of the rung records (the sweep's asha/ folder). */
  rungs: string;
  /** Runs compete with the runs of their group only (a tuned sweep: one group per compared cell). */
  group: string;
}

export interface ExperimentConfig {
  name: string;
  dataset: DatasetConfig;
  crop: number | null;
  validation: { fraction: number; count?: number; every: number; memoryBudgetMB: number };
  augment: { flips: boolean; rotate90: boolean; randomCrop: boolean };
  model: { depth: number; baseFilters: number; batchNorm: boolean };
  head: Head;
  loss: string | LossConfig;
  optimizer: {
    name: 'adam' | 'sgd' | 'rmsprop';
    learningRate: number;
    momentum: number;
    schedule: 'constant' | 'cosine';
    minLearningRate: number;
  };
  epochs: number;
  batchSize: number;
  stepsPerEpoch: number | null;
  seed: number;
  threshold: number;
  metrics: MetricName[];
  monitor: MonitorName;
  earlyStopping: { patience: number; minDelta: number } | null;
  /** A sweep's early stopping of this run (runs/asha.ts); null: the run trains every epoch. */
  pruning: PruningConfig | null;
  predictions: number;
  backend: BackendChoice;
  runsDir: string;
}

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem(s) in the config:\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`,
    );
  }
}

export const EXPERIMENT_SCHEMA = schema;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const validateSchema = ajv.compile(schema);

/** The schema node at a JSON pointer into the schema itself (e.g. "/properties/dataset"). */
function schemaAt(pointer: string): { properties?: Record<string, unknown> } | undefined {
  let node: unknown = schema;
  for (const part of pointer.split('/').filter(Boolean)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node as { properties?: Record<string, unknown> } | undefined;
}

function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

function describeAjvError(e: ErrorObject): ConfigProblem {
  const at = dotted(e.instancePath);
  const join = (name: string) => (at ? `${at}.${name}` : name);
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(schemaAt(e.schemaPath.replace(/^#/, '').replace(/\/additionalProperties$/, ''))?.properties ?? {});
      const hint = didYouMean(name, known);
      return { path: join(shown(name)), message: `unknown property.${hint || (known.length ? ` Known: ${known.join(', ')}` : '')}` };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return {
        path: at,
        message: `${shown(JSON.stringify(e.data))} is not one of ${allowed.join(', ')}.${didYouMean(String(e.data), allowed)}`,
      };
    }
    case 'required':
      return { path: join((e.params as { missingProperty: string }).missingProperty), message: 'is required' };
    case 'type':
      return {
        path: at,
        message: `must be ${(e.params as { type: string | string[] }).type}, got ${shown(JSON.stringify(e.data) ?? 'undefined')}`,
      };
    default:
      return {
        path: at,
        message: `${e.message ?? e.keyword}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${shown(JSON.stringify(e.data))})` : ''}`,
      };
  }
}

/** The loss expression and options for a head: the config's loss mapped to the head's mode. */
/**
 * Options the loss of a head ignores, in words: `includeBackground: false` with one output channel
 * (MONAI warns "single channel prediction, `include_background=False` ignored." and goes on).
 */
export function ignoredLossOptions(config: Pick<ExperimentConfig, 'loss'>, head: Head): string[] {
  if (headMode(head) !== 'binary' || typeof config.loss === 'string') return [];
  const given = { ...(config.loss.options ?? {}) };
  return Object.entries(given)
    .filter(([key, value]) => (key === 'includeBackground' || key.endsWith('.includeBackground')) && value === false)
    .map(([key]) => `loss option ${key}: false is ignored by the ${head} head (one output channel, the foreground; MONAI ignores it too)`);
}

export function lossForHead(
  config: Pick<ExperimentConfig, 'loss'>,
  head: Head,
): { expression: string; options: Record<string, unknown>; mode: LossMode } {
  const mode = headMode(head);
  const loss: LossConfig = typeof config.loss === 'string' ? { name: config.loss } : config.loss;
  const explicit = loss.byHead?.[head];
  if (explicit) {
    const expanded = expandAliases(explicit, { ...(loss.options ?? {}) }, mode);
    return { expression: expanded.expression, options: expanded.options, mode };
  }
  // smp/MONAI names become SegLab terms (written for the sigmoid head), then map like any other.
  const expanded = expandAliases(loss.name, { ...(loss.options ?? {}) });
  const options = expanded.options;
  const terms = expanded.expression.split('+').map((t) => t.trim());
  const mapped = terms.map((term) => {
    const parsed = parseLossTerm(term);
    return parsed ? formatLossTerm(counterpart(parsed.name, mode), parsed.transform, parsed.prefix) : term; // compileLoss names a bad term
  });
  const expression = mapped.join('+');
  if (head === 'softmax2') {
    // Overlap losses on the foreground channel only, as the sigmoid head's binary Dice.
    for (const name of ['dice', 'jaccard', 'tversky', 'focalTversky', 'mcc', 'logCoshDice', 'sensitivitySpecificity', 'expLog']) {
      const key = mapped.length > 1 ? `${name}.includeBackground` : 'includeBackground';
      if (mapped.some((t) => parseLossTerm(t)?.name === name) && !(key in options) && !('includeBackground' in options))
        options[key] = false;
    }
  }
  return { expression, options, mode };
}

const TO_MULTICLASS: Record<string, string> = {
  bce: 'crossEntropy',
  bceWithLogits: 'crossEntropy',
  balancedBce: 'crossEntropy',
  weightedBce: 'crossEntropy',
  lovaszHinge: 'lovaszSoftmax',
};
const TO_SIGMOID: Record<string, string> = {
  crossEntropy: 'bceWithLogits',
  categoricalCrossEntropy: 'bceWithLogits',
  lovaszSoftmax: 'lovaszHinge',
};

function counterpart(name: string, mode: LossMode): string {
  if (mode === 'multiclass') return TO_MULTICLASS[name] ?? name;
  return TO_SIGMOID[name] ?? name;
}

/** Validates a parsed config and fills its defaults. */
export function validateConfig(raw: unknown, file = 'config'): ExperimentConfig {
  const value = JSON.parse(JSON.stringify(raw ?? null));
  const problems: ConfigProblem[] = [];
  if (!validateSchema(value)) {
    const errors = (validateSchema.errors ?? []).filter((e) => !(e.keyword === 'oneOf' && e.instancePath === '/loss'));
    // Inside the loss oneOf, report the branch that matches the value's type.
    const lossIsString = typeof value?.loss === 'string';
    for (const e of errors) {
      if (e.schemaPath.startsWith('#/properties/loss/oneOf/')) {
        const branch = e.schemaPath.split('/')[4];
        if ((branch === '0') !== lossIsString) continue;
      }
      problems.push(describeAjvError(e));
    }
  }
  // Checks beyond the schema run on whatever parts are well-formed, so every problem is reported at once.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(file, problems);
  const c = value as ExperimentConfig;
  const bad = new Set(problems.map((p) => p.path.split('.')[0].split('[')[0]));
  const d = c.dataset;
  if (d && typeof d === 'object' && !bad.has('dataset')) {
    const folders = d.images !== undefined || d.masks !== undefined;
    if (d.builtin && folders) problems.push({ path: 'dataset', message: "give either builtin: 'shapes' or images and masks, not both" });
    if (!d.builtin && !folders) problems.push({ path: 'dataset', message: "give builtin: 'shapes', or images and masks folders" });
    if (folders && !d.builtin) {
      if (!d.images) problems.push({ path: 'dataset.images', message: 'is required with dataset.masks' });
      if (!d.masks) problems.push({ path: 'dataset.masks', message: 'is required with dataset.images' });
    }
    if (Array.isArray(d.classNames) && d.classNames.length !== (d.classes ?? 2)) {
      problems.push({
        path: 'dataset.classNames',
        message: `names ${d.classNames.length} classes but dataset.classes is ${d.classes ?? 2}`,
      });
    }
  }
  const depth = c.model?.depth;
  if (Number.isInteger(depth) && !bad.has('model')) {
    const multiple = sizeMultiple(depth);
    if (Number.isInteger(c.crop) && !bad.has('crop') && (c.crop as number) % multiple !== 0) {
      const crop = c.crop as number;
      problems.push({
        path: 'crop',
        message: `${crop} is not a multiple of 2^model.depth = ${multiple}; try ${Math.max(multiple, Math.round(crop / multiple) * multiple)}`,
      });
    }
    if (d?.builtin && c.crop === null && Number.isInteger(d.size) && d.size % multiple !== 0) {
      problems.push({ path: 'dataset.size', message: `${d.size} is not a multiple of 2^model.depth = ${multiple}` });
    }
  }
  if (!bad.has('head') && !bad.has('dataset') && d) {
    if (c.head === 'softmaxN' && d.classes < 3)
      problems.push({ path: 'head', message: 'softmaxN needs dataset.classes ≥ 3 (use softmax2 for two classes)' });
    if (d.classes > 2 && (c.head === 'sigmoid1' || c.head === 'softmax2')) {
      problems.push({ path: 'head', message: `${c.head} has too few channels for dataset.classes = ${d.classes}; use softmaxN` });
    }
  }
  // A loss is written for the sigmoid head; with an invalid head, its names are still checked.
  if (!bad.has('loss')) problems.push(...lossProblems(c, bad.has('head') ? 'sigmoid1' : c.head, !bad.has('head')));
  if (problems.length) throw new ConfigError(file, problems);
  return value as ExperimentConfig;
}

/** The config with its loss expression's ramped weights written for `epoch` (the config itself without ramps). */
export function configAtEpoch<C extends Pick<ExperimentConfig, 'loss'>>(c: C, epoch: number): C {
  if (typeof c.loss === 'string' || !c.loss.ramps) return c;
  return { ...c, loss: { ...c.loss, name: rampedExpression(c.loss.name, c.loss.ramps, epoch) } };
}

function lossProblems(c: ExperimentConfig, head: Head, checkMode: boolean): ConfigProblem[] {
  const at = typeof c.loss === 'string' ? 'loss' : 'loss.name';
  if (typeof c.loss !== 'string' && c.loss.ramps) {
    if (c.loss.byHead) return [{ path: 'loss.ramps', message: 'ramps weigh loss.name; they cannot be combined with loss.byHead' }];
    const ramps = rampProblems(c.loss.name, c.loss.ramps).map((message) => ({ path: 'loss.ramps', message }));
    if (ramps.length) return ramps;
    c = configAtEpoch(c, 1);
  }
  try {
    const { expression, options, mode } = lossForHead(c, head);
    const compiled = compileLoss(expression, options);
    if (checkMode && !compiled.modes.includes(mode)) {
      return [{ path: at, message: `'${expression}' does not support the ${mode} mode of head ${head}` }];
    }
    return [];
  } catch (err) {
    const message = (err as Error).message.replace(/ Known: .*$/, '');
    return [{ path: at, message: message.endsWith('.') || message.endsWith('?') ? message : `${message}.` }];
  }
}

/** JSON text → value, with the line and column of a syntax error. */
export function parseJson(text: string, file: string): unknown {
  try {
    checkJsonDepth(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: (err as Error).message }]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const upTo = text.slice(0, Number(pos[1]));
      const line = upTo.split('\n').length;
      const col = Number(pos[1]) - upTo.lastIndexOf('\n');
      throw new ConfigError(file, [
        { path: '', message: `invalid JSON at line ${line}, column ${col}: ${msg.replace(/ in JSON at position \d+.*$/, '')}` },
      ]);
    }
    throw new ConfigError(file, [{ path: '', message: `invalid JSON: ${msg}` }]);
  }
}

/** Reads, validates and resolves a config file: relative paths become absolute, name defaults to the file's. */
export function loadConfig(file: string): ExperimentConfig {
  const config = validateConfig(parseJson(readText(file), file), file);
  return resolvePaths(config, file);
}

export function resolvePaths(config: ExperimentConfig, file: string): ExperimentConfig {
  const dir = path.dirname(path.resolve(file));
  const base = path
    .basename(file)
    .replace(/\.json$/i, '')
    .replace(/^seglab\.|\.experiment$/g, '')
    .replace(/[^A-Za-z0-9._-]/g, '-');
  const out: ExperimentConfig = { ...config, dataset: { ...config.dataset }, name: config.name ?? (base || 'experiment') };
  if (out.dataset.images) out.dataset.images = path.resolve(dir, out.dataset.images);
  if (out.dataset.masks) out.dataset.masks = path.resolve(dir, out.dataset.masks);
  out.runsDir = path.resolve(dir, out.runsDir);
  if (out.pruning) out.pruning = { ...out.pruning, rungs: path.resolve(dir, out.pruning.rungs) };
  return out;
}

/** The loss names a config may use (for editors and errors). */
export function configLossNames(): string[] {
  return lossDefinitions().map((d) => d.name);
}

/** SegLab's schema file on disk (the package's schemas/ folder, found upwards from this module), if present. */
export function schemaFile(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'schemas', 'experiment.schema.json');
    if (fs.existsSync(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * `$schema` for a config the CLI writes at `configFile`: SegLab's own schema file as a relative path,
 * so editors validate and complete it offline. (Configs the extension writes carry none: its
 * jsonValidation contribution covers every *.experiment.json.)
 */
export function schemaReference(configFile: string): string | undefined {
  const file = schemaFile();
  return (
    file &&
    path
      .relative(path.dirname(path.resolve(configFile)), file)
      .split(path.sep)
      .join('/')
  );
}

/**
 * A starter config for `seglab init` and the editor's scaffolding. The learning rate is the schema's
 * default; the demo uses a higher one on purpose (a 12-epoch run on small synthetic images).
 */
export function starterConfig(o: { images?: string; masks?: string; head?: Head; loss?: string } = {}): Record<string, unknown> {
  const dataset = o.images && o.masks ? { images: o.images, masks: o.masks } : { builtin: 'shapes', count: 48, size: 64 };
  return {
    name: 'my-experiment',
    dataset,
    crop: o.images ? 128 : null,
    model: { depth: 3, baseFilters: 16, batchNorm: false },
    head: o.head ?? 'sigmoid1',
    loss: o.loss ?? 'bce+dice',
    optimizer: { name: 'adam', learningRate: 0.001 },
    epochs: 10,
    batchSize: 8,
    seed: 1,
    threshold: 0.5,
    monitor: 'dice',
  };
}
