/**
 * The loss registry: names → definitions with their option schemas, option validation, and compound
 * losses written as weighted sums ("bce+dice", "0.5*bce + 2*dice").
 */
import * as tf from '@tensorflow/tfjs';
import { didYouMean, shown } from '../common/suggest';
import { aliasNames, expandAliases, LOSS_ALIASES, LossAlias } from './aliases';
import { applyTransform, LossTransform, parseLossTerm } from './expression';

export { formatLossTerm, LOSS_TRANSFORMS, parseLossTerm } from './expression';
export type { LossTerm } from './expression';
import { balancedBce, bce, bceWithLogits, weightedBce } from './bce';
import { categoricalCrossEntropy, crossEntropy } from './crossEntropy';
import { boundary, distancePenalizedCE, hausdorffDT, logHausdorffDT } from './distance';
import { clDice, diceClDice } from './clDice';
import { expLog, unifiedFocal } from './compound';
import { focal } from './focal';
import { focalTversky, penaltyGDice } from './presets';
import { topK } from './topK';
import { hinge, squaredHinge } from './hinge';
import { lovaszHinge, lovaszSoftmax } from './lovasz';
import { mcc } from './mcc';
import { dice, generalizedDice, jaccard, logCoshDice, tversky } from './overlap';
import { sensitivitySpecificity } from './sensitivitySpecificity';
import { LossDefinition, LossInput, LossMode, LossOptions, OptionSpec, registered } from './types';
import { unetWeighted } from './unetWeighted';

const DEFINITIONS: readonly LossDefinition[] = [
  registered(bce),
  registered(bceWithLogits),
  registered(balancedBce),
  registered(weightedBce),
  registered(crossEntropy),
  registered(categoricalCrossEntropy),
  registered(focal),
  registered(hinge),
  registered(squaredHinge),
  registered(dice),
  registered(generalizedDice),
  registered(jaccard),
  registered(tversky),
  registered(mcc),
  registered(logCoshDice),
  registered(sensitivitySpecificity),
  registered(lovaszHinge),
  registered(lovaszSoftmax),
  registered(unetWeighted),
  registered(boundary),
  registered(hausdorffDT),
  registered(logHausdorffDT),
  registered(distancePenalizedCE),
  registered(topK),
  registered(focalTversky),
  registered(penaltyGDice),
  registered(clDice),
  registered(diceClDice),
  registered(unifiedFocal),
  registered(expLog),
];
const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

/** The registered loss names. Compound losses are written from them with '+' (see compileLoss). */
export function lossNames(): string[] {
  return DEFINITIONS.map((d) => d.name);
}

export function lossDefinitions(): readonly LossDefinition[] {
  return DEFINITIONS;
}

export function getLoss(name: string): LossDefinition {
  const def = BY_NAME.get(name);
  if (!def) {
    const colon = name.indexOf(':');
    if (colon > 0) {
      const [library, bare] = [name.slice(0, colon), name.slice(colon + 1)];
      const other = LOSS_ALIASES[bare as keyof typeof LOSS_ALIASES] as LossAlias | undefined;
      const note = other && Object.hasOwn(LOSS_ALIASES, bare) ? ` (${bare} is ${other.library}'s: write ${bare})` : '';
      const lib = library === 'monai' ? 'MONAI' : library;
      throw new Error(`'${shown(name)}': ${lib} has no loss class '${shown(bare)}' that SegLab knows${note}`);
    }
    const known = [...BY_NAME.keys(), ...aliasNames()];
    throw new Error(
      `'${shown(name)}' is not a loss.${didYouMean(name, known)} Known: ` +
        `${lossNames().join(', ')}; smp/MONAI names: ${aliasNames().join(', ')}`,
    );
  }
  return def;
}

function describe(value: unknown): string {
  if (value instanceof Float32Array) return `a Float32Array(${value.length})`;
  return JSON.stringify(value);
}

/** Checks one option value against its spec; returns the value in canonical form. */
function checkOption(where: string, spec: OptionSpec, value: unknown): unknown {
  if (value === null) {
    if (spec.nullable) return null;
    throw new Error(`${where}: null is not allowed (expected ${spec.type})`);
  }
  const range = (x: number) => {
    if (!Number.isFinite(x)) throw new Error(`${where}: ${x} is not a finite number`);
    if (spec.min !== undefined && x < spec.min) throw new Error(`${where}: ${x} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && x > spec.max) throw new Error(`${where}: ${x} is above the maximum ${spec.max}`);
  };
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number') throw new Error(`${where}: expected a number, got ${describe(value)}`);
      range(value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new Error(`${where}: expected true or false, got ${describe(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string' || (spec.choices && !spec.choices.includes(value))) {
        throw new Error(`${where}: expected one of ${spec.choices?.join(', ')}, got ${describe(value)}`);
      }
      return value;
    case 'number[]':
      if (typeof value === 'number') {
        range(value);
        return value;
      }
      if (!Array.isArray(value) || value.some((x) => typeof x !== 'number')) {
        throw new Error(`${where}: expected a number or a list of numbers, got ${describe(value)}`);
      }
      value.forEach(range);
      return value;
    case 'weights':
      if (value instanceof Float32Array) return value;
      if (Array.isArray(value) && value.every((x) => typeof x === 'number')) return Float32Array.from(value);
      throw new Error(`${where}: expected an array of weights, got ${describe(value)}`);
  }
}

/** An option's default as the loss library shows it: "2", or "0.25 (binary, multilabel), null (multiclass)". */
export function describeDefault(spec: OptionSpec): string {
  if (spec.default !== undefined || !spec.defaultByMode) return JSON.stringify(spec.default ?? null);
  const byValue = new Map<string, string[]>();
  for (const [mode, value] of Object.entries(spec.defaultByMode)) {
    const text = JSON.stringify(value);
    byValue.set(text, [...(byValue.get(text) ?? []), mode]);
  }
  return [...byValue].map(([value, modes]) => `${value} (${modes.join(', ')})`).join(', ');
}

/**
 * Fills defaults and validates every option of one loss; unknown names are errors with a suggestion.
 * Option names come from users: own keys only (`toString` is not an option of every loss).
 */
export function resolveOptions(def: LossDefinition, options: Record<string, unknown> = {}): LossOptions {
  const out: LossOptions = {};
  for (const [key, value] of Object.entries(options)) {
    const spec = Object.hasOwn(def.options, key) ? def.options[key] : undefined;
    if (!spec) {
      const known = Object.keys(def.options);
      throw new Error(`${def.name}: '${shown(key)}' is not an option.${didYouMean(key, known)} Options: ${known.join(', ') || '(none)'}`);
    }
    if (value !== undefined) out[key] = checkOption(`${def.name}.${key}`, spec, value) as LossOptions[string];
  }
  for (const [key, spec] of Object.entries(def.options)) {
    if (!Object.hasOwn(out, key)) out[key] = spec.default;
  }
  for (const key of def.requires ?? []) {
    if (out[key] === undefined) throw new Error(`${def.name}: option '${key}' is required (${def.options[key].description})`);
  }
  return out;
}

/** A loss ready to apply: a single registered loss or a weighted sum of them. */
export interface CompiledLoss {
  /** The expression as given, e.g. "bce+dice". */
  name: string;
  /** Each term: its weight, the transform written around it (`log1p(hausdorffDT)`), the loss and its options. */
  terms: { weight: number; transform?: LossTransform; definition: LossDefinition; options: LossOptions }[];
  /** Modes every term supports. */
  modes: LossMode[];
  apply(input: LossInput): tf.Scalar;
}

/** The weighted terms of an expression whose aliases are expanded, each with its definition. */
function parseTerms(expression: string): { weight: number; transform?: LossTransform; definition: LossDefinition }[] {
  return expression.split('+').map((part) => {
    const term = parseLossTerm(part);
    if (!term) {
      throw new Error(
        `loss '${expression}': cannot read term '${part.trim()}' (write e.g. "bce+dice", "0.5*bce+dice" or "dice+log1p(hausdorffDT)")`,
      );
    }
    if (!Number.isFinite(term.weight)) {
      throw new Error(`loss '${expression}': the weight ${term.prefix.replace(/\s*\*\s*$/, '')} of '${term.name}' is beyond float range`);
    }
    return { weight: term.weight, transform: term.transform, definition: getLoss(term.name) };
  });
}

/**
 * The definitions of a loss expression's terms (aliases expanded), without resolving any option: what a
 * caller asks before it has the options (which of them take weights, which option names exist).
 */
export function lossTermDefinitions(given: string, mode?: LossMode): LossDefinition[] {
  return parseTerms(expandAliases(given, {}, mode).expression).map((t) => t.definition);
}

/**
 * Parses "bce", "bce+dice" or "0.5*bce + 2*dice". Options are plain keys for a single loss; for a
 * compound, "dice.smooth" targets one term and a plain key goes to every term that has it. smp and
 * MONAI class names ("DiceCELoss") expand first (aliases.ts), for `mode` when given.
 */
export function compileLoss(given: string, givenOptions: Record<string, unknown> = {}, mode?: LossMode): CompiledLoss {
  const { expression, options } = expandAliases(given, givenOptions, mode);
  const parsed = parseTerms(expression);
  const names = parsed.map((p) => p.definition.name);
  // No prototype: a user's key '__proto__' stays a key (and is refused as an option) instead of vanishing.
  const perTerm: Record<string, unknown>[] = parsed.map(() => Object.create(null) as Record<string, unknown>);
  for (const [key, value] of Object.entries(options)) {
    const dot = key.indexOf('.');
    if (dot > 0) {
      const target = key.slice(0, dot);
      const index = names.indexOf(target);
      if (index < 0)
        throw new Error(`option '${shown(key)}': '${shown(target)}' is not a term of '${shown(expression)}'.${didYouMean(target, names)}`);
      perTerm[index][key.slice(dot + 1)] = value;
      continue;
    }
    const takers = parsed.map((p, i) => (Object.hasOwn(p.definition.options, key) ? i : -1)).filter((i) => i >= 0);
    if (takers.length === 0) {
      if (parsed.length === 1)
        perTerm[0][key] = value; // resolveOptions names the problem
      else {
        const known = parsed.flatMap((p) => Object.keys(p.definition.options).map((k) => `${p.definition.name}.${k}`));
        throw new Error(`option '${shown(key)}' belongs to no term of '${shown(expression)}'.${didYouMean(key, known)}`);
      }
    }
    for (const i of takers) perTerm[i][key] = value;
  }
  const terms = parsed.map((p, i) => ({ ...p, options: resolveOptions(p.definition, perTerm[i]) }));
  const modes = terms.reduce<LossMode[]>(
    (acc, t) => acc.filter((m) => t.definition.modes.includes(m)),
    ['binary', 'multiclass', 'multilabel'],
  );
  return {
    name: given,
    terms,
    modes,
    apply(input: LossInput): tf.Scalar {
      if (!modes.includes(input.mode)) {
        throw new Error(`loss '${given}' does not support ${input.mode} mode (supports: ${modes.join(', ') || 'none'})`);
      }
      const values = terms.map((t) => tf.mul(applyTransform(t.transform, t.definition.fn(input, t.options)), t.weight) as tf.Scalar);
      return (values.length === 1 ? values[0] : tf.addN(values)) as tf.Scalar;
    },
  };
}
