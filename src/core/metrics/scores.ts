/**
 * Overlap scores from confusion counts.
 *   dice = 2TP/(2TP+FP+FN)   iou = TP/(TP+FP+FN)   precision = TP/(TP+FP)   recall = TP/(TP+FN)
 *   specificity = TN/(TN+FP)   accuracy = (TP+TN)/(TP+FP+FN+TN)
 * A score whose denominator is 0 (e.g. Dice of two empty masks, precision with no predicted
 * foreground) takes the value of the `empty` convention:
 *   'one'  → 1 (both agree that nothing is there; MONAI DiceMetric with ignore_empty=False);
 *   'zero' → 0 (scikit-learn zero_division=0);
 *   'nan'  → NaN, skipped by the NaN-skipping means (MONAI ignore_empty=True).
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
}

function ratio(num: number, den: number, empty: EmptyConvention): number {
  if (den > 0) return num / den;
  return empty === 'one' ? 1 : empty === 'zero' ? 0 : NaN;
}

export function overlapScores(c: ConfusionCounts, empty: EmptyConvention = 'one'): OverlapScores {
  return {
    dice: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, empty),
    iou: ratio(c.tp, c.tp + c.fp + c.fn, empty),
    precision: ratio(c.tp, c.tp + c.fp, empty),
    recall: ratio(c.tp, c.tp + c.fn, empty),
    specificity: ratio(c.tn, c.tn + c.fp, empty),
    accuracy: ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn, empty),
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
