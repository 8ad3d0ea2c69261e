/**
 * Loss class names users of segmentation_models_pytorch (smp) and MONAI know, as aliases of SegLab
 * losses with the options those classes default to. An alias is written like a loss name, alone or in
 * a compound ("DiceCELoss", "0.5*FocalLoss+dice"); it expands to SegLab terms before anything else,
 * and options the user gives win over the alias's defaults. The defaults were read from each class's
 * signature (MONAI 1.3 monai/losses, smp 0.3 segmentation_models_pytorch/losses):
 *
 *   DiceLoss (MONAI)             dice, perImage (batch=False), smooth 1e-5 (smooth_nr = smooth_dr),
 *                                includeBackground. smp's DiceLoss differs (batch-wide, smooth 0, a class
 *                                absent from the target zeroed): write dice with perImage false, smooth 0,
 *                                emptyTarget 'zero'.
 *   GeneralizedDiceLoss (MONAI)  generalizedDice (w_type 'square', per image, smooth 1e-5)
 *   DiceCELoss (MONAI)           dice (as DiceLoss) + cross-entropy, λ_dice = λ_ce = 1; one output channel
 *                                uses BCE with logits, as MONAI does
 *   DiceFocalLoss (MONAI)        dice (as DiceLoss) + focal with γ 2 and no α (MONAI FocalLoss's defaults)
 *   FocalLoss (smp and MONAI)    focal, γ 2, no α weighting (both classes default alpha=None)
 *   TverskyLoss (smp)            tversky, α 0.5, β 0.5, γ 1, smooth 0, batch-wide, absent classes zeroed
 *   LovaszLoss (smp)             lovaszHinge (binary) / lovaszSoftmax (multiclass), per_image False
 *   SoftBCEWithLogitsLoss (smp)  bceWithLogits, no label smoothing (smooth_factor None), no pos_weight
 *   JaccardLoss (smp)            jaccard, smooth 0, batch-wide, absent classes zeroed
 *   MCCLoss (smp)                mcc, eps 1e-5 (binary only in smp)
 *   HausdorffDTLoss (MONAI)      hausdorffDT, alpha 2, include_background False
 *   LogHausdorffDTLoss (MONAI)   logHausdorffDT, alpha 2, include_background False
 *   SoftclDiceLoss (MONAI)       clDice, iter_ 3, smooth 1 (SegLab scores a one-channel output; MONAI returns 0)
 *   SoftDiceclDiceLoss (MONAI)   diceClDice, alpha 0.5, iter_ 3, smooth 1
 *   AsymmetricUnifiedFocalLoss (MONAI)  unifiedFocal, weight 0.5, gamma 0.5, delta 0.7
 * Where the two libraries' classes of one name differ, "monai:Name" and "smp:Name" choose
 * (LIBRARY_ALIASES): monai:TverskyLoss is per image with smooth 1e-5 (batch=False, smooth_nr =
 * smooth_dr), smp:DiceLoss batch-wide with smooth 0 and absent classes zeroed.
 */
import { didYouMean } from '../common/suggest';
import { formatLossTerm, parseLossTerm } from './expression';
import { LossMode } from './types';

export interface LossAlias {
  library: string;
  /** SegLab terms, written for one output channel (multiclass names where they differ). */
  binary: string;
  multiclass: string;
  /** Options per SegLab term name. */
  defaults: Record<string, Record<string, unknown>>;
}

const MONAI_DICE = { perImage: true, smooth: 1e-5 };

export const LOSS_ALIASES: Readonly<Record<string, LossAlias>> = {
  DiceLoss: { library: 'MONAI', binary: 'dice', multiclass: 'dice', defaults: { dice: MONAI_DICE } },
  GeneralizedDiceLoss: {
    library: 'MONAI',
    binary: 'generalizedDice',
    multiclass: 'generalizedDice',
    defaults: { generalizedDice: { perImage: true, smooth: 1e-5, weighting: 'square' } },
  },
  DiceCELoss: { library: 'MONAI', binary: 'dice+bceWithLogits', multiclass: 'dice+crossEntropy', defaults: { dice: MONAI_DICE } },
  DiceFocalLoss: {
    library: 'MONAI',
    binary: 'dice+focal',
    multiclass: 'dice+focal',
    defaults: { dice: MONAI_DICE, focal: { gamma: 2, alpha: null } },
  },
  FocalLoss: { library: 'smp, MONAI', binary: 'focal', multiclass: 'focal', defaults: { focal: { gamma: 2, alpha: null } } },
  TverskyLoss: {
    library: 'smp',
    binary: 'tversky',
    multiclass: 'tversky',
    defaults: { tversky: { alpha: 0.5, beta: 0.5, gamma: 1, smooth: 0, perImage: false, emptyTarget: 'zero' } },
  },
  LovaszLoss: {
    library: 'smp',
    binary: 'lovaszHinge',
    multiclass: 'lovaszSoftmax',
    defaults: { lovaszHinge: { perImage: false }, lovaszSoftmax: { perImage: false } },
  },
  SoftBCEWithLogitsLoss: {
    library: 'smp',
    binary: 'bceWithLogits',
    multiclass: 'bceWithLogits',
    defaults: { bceWithLogits: { labelSmoothing: 0, posWeight: 1 } },
  },
  MCCLoss: {
    library: 'smp',
    binary: 'mcc',
    multiclass: 'mcc',
    defaults: { mcc: { eps: 1e-5 } },
  },
  JaccardLoss: {
    library: 'smp',
    binary: 'jaccard',
    multiclass: 'jaccard',
    defaults: { jaccard: { smooth: 0, perImage: false, emptyTarget: 'zero' } },
  },
  HausdorffDTLoss: {
    library: 'MONAI',
    binary: 'hausdorffDT',
    multiclass: 'hausdorffDT',
    defaults: { hausdorffDT: { alpha: 2, includeBackground: false } },
  },
  LogHausdorffDTLoss: {
    library: 'MONAI',
    binary: 'logHausdorffDT',
    multiclass: 'logHausdorffDT',
    defaults: { logHausdorffDT: { alpha: 2, includeBackground: false } },
  },
  AsymmetricUnifiedFocalLoss: {
    library: 'MONAI',
    binary: 'unifiedFocal',
    multiclass: 'unifiedFocal',
    defaults: { unifiedFocal: { weight: 0.5, gamma: 0.5, delta: 0.7 } },
  },
  SoftclDiceLoss: { library: 'MONAI', binary: 'clDice', multiclass: 'clDice', defaults: { clDice: { iterations: 3, smooth: 1 } } },
  SoftDiceclDiceLoss: {
    library: 'MONAI',
    binary: 'diceClDice',
    multiclass: 'diceClDice',
    defaults: { diceClDice: { iterations: 3, smooth: 1, alpha: 0.5 } },
  },
};

/**
 * Classes whose smp and MONAI versions differ, under their library's prefix (the bare name follows the
 * library its entry above names). Every other alias is also accepted with the prefix of a library it
 * lists ("monai:DiceCELoss", "smp:FocalLoss").
 */
export const LIBRARY_ALIASES: Readonly<Record<string, LossAlias>> = {
  'monai:TverskyLoss': {
    library: 'MONAI',
    binary: 'tversky',
    multiclass: 'tversky',
    defaults: { tversky: { alpha: 0.5, beta: 0.5, gamma: 1, smooth: 1e-5, perImage: true, emptyTarget: 'formula' } },
  },
  'smp:DiceLoss': {
    library: 'smp',
    binary: 'dice',
    multiclass: 'dice',
    defaults: { dice: { smooth: 0, perImage: false, emptyTarget: 'zero' } },
  },
};

export function aliasNames(): string[] {
  return Object.keys(LOSS_ALIASES);
}

/** The alias a name stands for: a bare class name, or "monai:"/"smp:" and a class of that library. */
export function aliasOf(name: string): LossAlias | undefined {
  if (Object.prototype.hasOwnProperty.call(LIBRARY_ALIASES, name)) return LIBRARY_ALIASES[name];
  const colon = name.indexOf(':');
  const bare = colon < 0 ? name : name.slice(colon + 1);
  if (!Object.prototype.hasOwnProperty.call(LOSS_ALIASES, bare)) return undefined;
  const alias = LOSS_ALIASES[bare];
  if (colon < 0) return alias;
  const library = name.slice(0, colon) === 'monai' ? 'MONAI' : 'smp';
  return alias.library.split(', ').includes(library) ? alias : undefined;
}

export function isLossAlias(name: string): boolean {
  return aliasOf(name) !== undefined;
}

/**
 * Replaces alias terms by their SegLab terms (weights multiplied), for `mode` when given (else the
 * one-channel form), and returns the options with the aliases' defaults under "term.key", except where
 * the user's options set that option of that term. Options addressed to an alias ("DiceLoss.smooth")
 * go to the term it expands to. Expressions without aliases come back unchanged.
 */
export function expandAliases(
  expression: string,
  options: Record<string, unknown> = {},
  mode?: LossMode,
): { expression: string; options: Record<string, unknown> } {
  const parts = expression.split('+');
  const parsed = parts.map(parseLossTerm);
  if (!parsed.some((t) => t && isLossAlias(t.name))) return { expression, options };
  const terms: string[] = [];
  const defaults: [string, string, unknown][] = [];
  const targets = new Map<string, string[]>();
  parsed.forEach((t, i) => {
    if (!t || !isLossAlias(t.name)) {
      terms.push(parts[i].trim());
      return;
    }
    const alias = aliasOf(t.name)!;
    const weight = t.weight;
    const inner = (mode === 'multiclass' ? alias.multiclass : alias.binary).split('+');
    if (t.transform && inner.length > 1) {
      throw new Error(
        `loss '${expression}': ${t.transform}() wraps one loss; ${t.name} is ${inner.join(' + ')} (write the transform around one of them)`,
      );
    }
    targets.set(t.name, inner);
    for (const name of inner) {
      terms.push(formatLossTerm(name, t.transform, weight === 1 ? '' : `${weight}*`));
      for (const [k, v] of Object.entries(alias.defaults[name] ?? {})) defaults.push([name, k, v]);
    }
  });
  const names = terms.map((t) => parseLossTerm(t)?.name ?? t);
  const user = Object.create(null) as Record<string, unknown>; // a user's '__proto__' stays a key
  for (const [key, value] of Object.entries(options)) {
    const dot = key.indexOf('.');
    const target = dot > 0 ? key.slice(0, dot) : '';
    const inner = targets.get(target);
    if (!inner) {
      user[key] = value;
      continue;
    }
    if (inner.length > 1) {
      const choices = inner.map((n) => `${n}${key.slice(dot)}`);
      throw new Error(
        `option '${key}': ${target} is ${inner.join(' + ')}; address one term:${didYouMean(choices[0], choices)} (${choices.join(' or ')})`,
      );
    }
    user[`${inner[0]}${key.slice(dot)}`] = value;
  }
  const covered = (term: string, k: string) => Object.hasOwn(user, `${term}.${k}`) || Object.hasOwn(user, k);
  const merged: Record<string, unknown> = {};
  for (const [term, k, v] of defaults) if (!covered(term, k) && names.filter((n) => n === term).length === 1) merged[`${term}.${k}`] = v;
  return { expression: terms.join('+'), options: { ...merged, ...user } };
}
