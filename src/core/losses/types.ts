import type * as tf from '@tensorflow/tfjs';

import { LossMode } from '../common/modes';

// The modes live in core/common (the model and the data loaders use them too); re-exported here.
export { BINARY_MODE, LOSS_MODES, MULTICLASS_MODE, MULTILABEL_MODE } from '../common/modes';
export type { LossMode } from '../common/modes';

/**
 * What every loss receives. Layout is NHWC.
 * - binary: `pred` [N,H,W,1], `target` [N,H,W,1] with values in [0,1] (normally {0,1});
 * - multilabel: `pred` and `target` [N,H,W,C], C independent sigmoid channels;
 * - multiclass: `pred` [N,H,W,C] (softmax over C), `target` either [N,H,W,1] class indices or
 *   [N,H,W,C] one-hot (or soft) class probabilities.
 * `fromLogits` says whether `pred` holds logits (sigmoid/softmax applied inside) or probabilities.
 */
export interface LossInput {
  pred: tf.Tensor4D;
  target: tf.Tensor4D;
  fromLogits: boolean;
  mode: LossMode;
  /**
   * The values of `target` on the host, when the caller has them (training batches, files). A loss
   * that computes something from the target on the CPU (the U-Net weight map) reads these instead of
   * the tensor: a GPU backend can only be read asynchronously, and a loss is a synchronous function.
   */
  targetValues?: ArrayLike<number>;
}

export type OptionValue = number | boolean | string | number[] | null;
export type LossOptions = Record<string, OptionValue | Float32Array | undefined>;

export interface OptionSpec {
  type: 'number' | 'boolean' | 'string' | 'number[]' | 'weights';
  default: OptionValue | undefined;
  description: string;
  /** Allowed strings for type 'string'. */
  choices?: readonly string[];
  /** `null` is an accepted value (e.g. focal `alpha: null` disables class weighting). */
  nullable?: boolean;
  /** The value used when the option is not given, where it depends on the mode (then `default` is
   * undefined): e.g. focal alpha 0.25 for binary and multilabel, null for multiclass. */
  defaultByMode?: Partial<Record<LossMode, OptionValue>>;
  min?: number;
  max?: number;
}

/**
 * The value option spec S holds once resolveOptions has filled its default and checked it: 'number[]'
 * takes one number or one per channel; `nullable` adds null; an option whose default is left to the
 * mode (`default: undefined`, not a weight map, which `requires` makes present) may be undefined.
 */
export type ResolvedOption<S extends OptionSpec> =
  | (S['type'] extends 'number'
      ? number
      : S['type'] extends 'boolean'
        ? boolean
        : S['type'] extends 'string'
          ? S extends { choices: readonly (infer C)[] }
            ? C
            : string
          : S['type'] extends 'number[]'
            ? number | number[]
            : Float32Array)
  | (S extends { nullable: true } ? null : never)
  | (S extends { default: undefined } ? (S['type'] extends 'weights' ? never : undefined) : never);

/** The resolved options of a loss whose specs are M, each typed by its spec. */
export type OptionsOf<M extends Record<string, OptionSpec>> = string extends keyof M
  ? LossOptions
  : { readonly [K in keyof M]: ResolvedOption<M[K]> };

/**
 * A registered loss: a function of (prediction, target, options) returning a scalar tensor. Written
 * with defineLoss, its `fn` sees each option with the type its spec gives (OptionsOf); the registry
 * holds every loss as LossDefinition<Record<string, OptionSpec>>, whose options are LossOptions.
 */
export interface LossDefinition<M extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  summary: string;
  /** The formula and the reference implementation it reproduces. */
  reference: string;
  modes: readonly LossMode[];
  options: M;
  /** Needs an option without a default (e.g. a weight map) to be applicable. */
  requires?: readonly (keyof M & string)[];
  /**
   * Reads the prediction back on the CPU inside the loss (a map of the thresholded prediction): only
   * backends that can read a tensor synchronously run it (not webgpu in Node).
   */
  readsPrediction?: boolean;
  /**
   * Its value depends on where the pixels lie (distance maps, skeletons, object borders): one pixel
   * says nothing about it, so the loss explorer draws it on a toy image (curves.ts) instead.
   */
  spatial?: boolean;
  /** Multiclass mode: the one channel count it is defined for (unifiedFocal: background and foreground). */
  classes?: number;
  /**
   * Binary and multilabel modes, for losses that are a mean of per-pixel terms: each pixel's term,
   * shaped as the prediction, whose mean is `fn`'s value (`fn` is written as that mean). The loss map
   * (lossMap.ts) shows it; losses without it (region, distance-map, sorted) have only a gradient map.
   */
  pixelTerms?: (input: LossInput, options: OptionsOf<M>) => tf.Tensor;
  fn: (input: LossInput, options: OptionsOf<M>) => tf.Scalar;
}

/** A loss definition with its option types inferred from its specs (literal types kept). */
export function defineLoss<const M extends Record<string, OptionSpec>>(definition: LossDefinition<M>): LossDefinition<M> {
  return definition;
}

/**
 * A definition as the registry holds it. resolveOptions gives `fn` exactly the options its specs
 * describe, so the specific function type widens to the general one here, in this one place.
 */
export function registered<M extends Record<string, OptionSpec>>(definition: LossDefinition<M>): LossDefinition {
  return definition as unknown as LossDefinition;
}

/**
 * The options of a compiled term typed by `definition`'s specs, when the term is of that loss (the
 * registry holds the definition object itself); undefined for a term of another loss.
 */
export function optionsOf<M extends Record<string, OptionSpec>>(
  term: { definition: LossDefinition; options: LossOptions },
  definition: LossDefinition<M>,
): OptionsOf<M> | undefined {
  return term.definition === registered(definition) ? (term.options as OptionsOf<M>) : undefined;
}
