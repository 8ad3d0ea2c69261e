/**
 * `computeLoss` without tensors: the loss families whose value is a function of a few sums over the
 * data (binary cross-entropy, softmax cross-entropy, soft Dice) are evaluated by the fused kernels
 * in `kernels/lossSums.ts`, in one pass (float32 runs of 1,024 elements, added in float64). Same
 * formulas and conventions as the tensor definitions in bce.ts, crossEntropy.ts and overlap.ts (tests
 * compare both paths and the PyTorch fixtures); any option these kernels do not cover (class weights,
 * CE label smoothing, Dice's squared denominator, more than 16 channels, the other losses) goes to
 * the tensor path.
 */
import { ArraysInPool, bceSum, reserveInPool, MAX_FUSED_CHANNELS, overlapSums, softmaxCrossEntropySums } from '../kernels/lossSums';
import { CompiledLoss } from './registry';
import { transformNumber } from './expression';
import { bce, bceWithLogits } from './bce';
import { categoricalCrossEntropy, crossEntropy } from './crossEntropy';
import { dice } from './overlap';
import { BINARY_MODE, LossMode, MULTICLASS_MODE, optionsOf, OptionsOf } from './types';

export interface CheckedLossData {
  pred: ArrayLike<number>;
  target: ArrayLike<number>;
  n: number;
  h: number;
  w: number;
  c: number;
  mode: LossMode;
  fromLogits: boolean;
  /** Multiclass targets given as one class index per pixel. */
  indexTarget: boolean;
  ignoreIndex?: number;
}

const UNSUPPORTED = Symbol('unsupported');
type TermValue = number | null | typeof UNSUPPORTED;

function scalarWeight(v: number | number[]): number | undefined {
  if (typeof v === 'number') return v;
  if (v.length > 0 && v.every((x) => x === v[0])) return v[0];
  return undefined;
}

function bceTerm(pos: number, eps: number, a: ArraysInPool, d: CheckedLossData): TermValue {
  const count = d.n * d.h * d.w * d.c;
  const sum = bceSum(a, count, d.fromLogits, pos, 1, eps);
  return sum === null ? null : sum / count;
}

function crossEntropyTerm(o: OptionsOf<typeof categoricalCrossEntropy.options>, a: ArraysInPool, d: CheckedLossData): TermValue {
  if (o.classWeights !== null || o.labelSmoothing !== 0) return UNSUPPORTED;
  const sums = softmaxCrossEntropySums(a, d.n * d.h * d.w, d.c, d.fromLogits, d.indexTarget, d.ignoreIndex);
  if (!sums) return null;
  return sums.norm > 0 ? sums.loss / sums.norm : 0; // weightedMean: nothing labelled gives 0
}

function diceTerm(o: OptionsOf<typeof dice.options>, a: ArraysInPool, d: CheckedLossData): TermValue {
  if (o.squaredDenominator) return UNSUPPORTED;
  const include = o.includeBackground || d.mode === BINARY_MODE;
  if (!include && d.c < 2) return UNSUPPORTED; // the tensor path names the problem
  const softmax = d.mode === MULTICLASS_MODE;
  const s = o.smooth;
  const groups = o.perImage ? d.n : 1;
  const pixels = (d.n * d.h * d.w) / groups;
  let total = 0;
  let terms = 0;
  for (let g = 0; g < groups; g++) {
    const sums = overlapSums(a, g * pixels, pixels, d.c, d.fromLogits, softmax, d.indexTarget, d.ignoreIndex);
    if (!sums) return null;
    for (let c = include ? 0 : 1; c < d.c; c++) {
      const denominator = Math.max(sums.sumPred[c] + sums.sumTarget[c] + s, 1e-7);
      let loss = 1 - (2 * sums.tp[c] + s) / denominator;
      if (o.emptyTarget === 'zero' && !(sums.sumTarget[c] > 0)) loss = 0;
      total += loss;
      terms++;
    }
  }
  return total / terms;
}

/** A term's value on the fused kernels, by its definition (each read with its own option types). */
function termValue(term: CompiledLoss['terms'][number], a: ArraysInPool, d: CheckedLossData): TermValue {
  const sigmoid = d.mode !== MULTICLASS_MODE;
  const plain = optionsOf(term, bce);
  if (plain) return sigmoid ? bceTerm(plain.beta, 0, a, d) : UNSUPPORTED;
  const logits = optionsOf(term, bceWithLogits);
  if (logits) {
    const pos = scalarWeight(logits.posWeight);
    return sigmoid && pos !== undefined ? bceTerm(pos, logits.labelSmoothing, a, d) : UNSUPPORTED;
  }
  const ce = optionsOf(term, crossEntropy) ?? optionsOf(term, categoricalCrossEntropy);
  if (ce) return sigmoid ? UNSUPPORTED : crossEntropyTerm(ce, a, d);
  const overlap = optionsOf(term, dice);
  return overlap ? diceTerm(overlap, a, d) : UNSUPPORTED;
}

/** Names of the losses this path evaluates (with the option limits above). */
export const FUSED_LOSSES = ['bce', 'bceWithLogits', 'crossEntropy', 'categoricalCrossEntropy', 'dice'] as const;

/**
 * The loss value from the fused kernels, or null when a term is not covered or an input value is out
 * of range (the tensor path then computes the value or reports the value with its message).
 */
export function fusedLossValue(loss: CompiledLoss, d: CheckedLossData): number | null {
  if (!loss.modes.includes(d.mode) || d.c > MAX_FUSED_CHANNELS) return null;
  if (!loss.terms.every((t) => (FUSED_LOSSES as readonly string[]).includes(t.definition.name))) return null;
  const arrays = reserveInPool(d.pred, d.target);
  let value = 0;
  for (const term of loss.terms) {
    const v = termValue(term, arrays, d);
    if (v === null || v === UNSUPPORTED) return null;
    value += term.weight * transformNumber(term.transform, v);
  }
  // The tensor path computes in float32: return the same precision.
  return Math.fround(value);
}
