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
import { BINARY_MODE, LossMode, LossOptions, MULTICLASS_MODE } from './types';

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

function scalarWeight(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => x === v[0])) return v[0] as number;
  return undefined;
}

function bceTerm(name: string, o: LossOptions, a: ArraysInPool, d: CheckedLossData): TermValue {
  const count = d.n * d.h * d.w * d.c;
  let pos = 1;
  let eps = 0;
  if (name === 'bce') pos = o.beta as number;
  else {
    const w = scalarWeight(o.posWeight);
    if (w === undefined) return UNSUPPORTED;
    pos = w;
    eps = o.labelSmoothing as number;
  }
  const sum = bceSum(a, count, d.fromLogits, pos, 1, eps);
  return sum === null ? null : sum / count;
}

function crossEntropyTerm(o: LossOptions, a: ArraysInPool, d: CheckedLossData): TermValue {
  if (o.classWeights !== null || (o.labelSmoothing as number) !== 0) return UNSUPPORTED;
  const sums = softmaxCrossEntropySums(a, d.n * d.h * d.w, d.c, d.fromLogits, d.indexTarget, d.ignoreIndex);
  if (!sums) return null;
  return sums.norm > 0 ? sums.loss / sums.norm : 0; // weightedMean: nothing labelled gives 0
}

function diceTerm(o: LossOptions, a: ArraysInPool, d: CheckedLossData): TermValue {
  if (o.squaredDenominator) return UNSUPPORTED;
  const include = (o.includeBackground as boolean) || d.mode === BINARY_MODE;
  if (!include && d.c < 2) return UNSUPPORTED; // the tensor path names the problem
  const softmax = d.mode === MULTICLASS_MODE;
  const s = o.smooth as number;
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

function termValue(name: string, o: LossOptions, a: ArraysInPool, d: CheckedLossData): TermValue {
  switch (name) {
    case 'bce':
    case 'bceWithLogits':
      return d.mode === MULTICLASS_MODE ? UNSUPPORTED : bceTerm(name, o, a, d);
    case 'crossEntropy':
    case 'categoricalCrossEntropy':
      return d.mode === MULTICLASS_MODE ? crossEntropyTerm(o, a, d) : UNSUPPORTED;
    case 'dice':
      return diceTerm(o, a, d);
    default:
      return UNSUPPORTED;
  }
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
    const v = termValue(term.definition.name, term.options, arrays, d);
    if (v === null || v === UNSUPPORTED) return null;
    value += term.weight * v;
  }
  // The tensor path computes in float32: return the same precision.
  return Math.fround(value);
}
