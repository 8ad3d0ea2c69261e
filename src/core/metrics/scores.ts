/**
 * Overlap scores from confusion counts.
 *   dice = 2TP/(2TP+FP+FN)   iou = TP/(TP+FP+FN)   precision = TP/(TP+FP)   recall = TP/(TP+FN)
 *   specificity = TN/(TN+FP)   accuracy = (TP+TN)/(TP+FP+FN+TN)
 *   mcc = (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN))   (Matthews; scikit-learn matthews_corrcoef)
 *   balancedAccuracy = (recall + specificity)/2              (scikit-learn balanced_accuracy_score)
 * A score whose denominator is 0 (e.g. Dice of two empty masks, precision with no predicted
 * foreground) takes the value of the `empty` convention:
 *   'one'  → 1 (both agree that nothing is there; MONAI DiceMetric with ignore_empty=False);
 *   'zero' → 0 (scikit-learn zero_division=0);
 *   'nan'  → NaN, skipped by the NaN-skipping means (MONAI ignore_empty=True).
 * MCC's denominator is 0 whenever a mask is all foreground or all background. Where prediction and
 * target then agree (FP = FN = 0) it takes the `empty` convention; where they disagree it is 0, as
 * scikit-learn returns (no correlation can be measured, and 1 would reward a blank prediction).
 * Balanced accuracy is the mean of recall and specificity, each with the `empty` convention.
 */
import { ConfusionCounts } from './confusion';

export type EmptyConvention = 'one' | 'zero' | 'nan';
export const EMPTY_CONVENTIONS: readonly EmptyConvention[] = ['one', 'zero', 'nan'];

export interface OverlapScores {
  dice: number;
  iou: number;
  precision: number;
  recall: number;
  specificity: number;
  accuracy: number;
  mcc: number;
  balancedAccuracy: number;
}

/** num/den, or the `empty` convention's value where there is nothing to count (den = 0). */
export function ratio(num: number, den: number, empty: EmptyConvention): number {
  if (den > 0) return num / den;
  return empty === 'one' ? 1 : empty === 'zero' ? 0 : NaN;
}

/** Matthews correlation coefficient of the counts, with the convention above for a zero denominator. */
function matthews(c: ConfusionCounts, empty: EmptyConvention): number {
  const den = (c.tp + c.fp) * (c.tp + c.fn) * (c.tn + c.fp) * (c.tn + c.fn);
  if (den > 0) return (c.tp * c.tn - c.fp * c.fn) / Math.sqrt(den);
  return c.fp === 0 && c.fn === 0 ? ratio(0, 0, empty) : 0;
}

export function overlapScores(c: ConfusionCounts, empty: EmptyConvention = 'one'): OverlapScores {
  const recall = ratio(c.tp, c.tp + c.fn, empty);
  const specificity = ratio(c.tn, c.tn + c.fp, empty);
  return {
    dice: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, empty),
    iou: ratio(c.tp, c.tp + c.fp + c.fn, empty),
    precision: ratio(c.tp, c.tp + c.fp, empty),
    recall,
    specificity,
    accuracy: ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn, empty),
    mcc: matthews(c, empty),
    balancedAccuracy: (recall + specificity) / 2,
  };
}

/** Mean of the non-NaN values (NaN when every value is NaN or there are none). */
export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Sample standard deviation (n − 1) of the non-NaN values; NaN with fewer than two. */
export function nanStd(values: readonly number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v));
  if (kept.length < 2) return NaN;
  const m = kept.reduce((a, b) => a + b, 0) / kept.length;
  return Math.sqrt(kept.reduce((a, b) => a + (b - m) * (b - m), 0) / (kept.length - 1));
}
