/** Binary masks and confusion counts on typed arrays (no TensorFlow.js). */

export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * A {0,1} mask from predictions: probabilities are foreground where p ≥ threshold (smp / MONAI
 * convention, so a tie at the threshold is foreground); logits where x ≥ 0, the same decision since
 * σ(0) = 0.5. NaN is an error, with its index.
 */
export function binarize(values: ArrayLike<number>, threshold = 0.5, fromLogits = false): Uint8Array {
  const t = fromLogits ? 0 : threshold;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new Error(`prediction value ${i} is NaN`);
    out[i] = v >= t ? 1 : 0;
  }
  return out;
}

export function confusionCounts(pred: ArrayLike<number>, target: ArrayLike<number>): ConfusionCounts {
  if (pred.length !== target.length) {
    throw new Error(`confusion counts: prediction has ${pred.length} pixels, target ${target.length}`);
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const t = target[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn, tn: pred.length - tp - fp - fn };
}

export function addCounts(a: ConfusionCounts, b: ConfusionCounts): ConfusionCounts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}
