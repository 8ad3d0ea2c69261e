/** The metrics the loss-curves view offers (DOM-free, so tests can import it). */
import type { RunView } from '../contract';
import { isMetricKey, metricLabel, METRICS } from '../../core/common/metrics';

export const CURVE_METRICS: Record<string, string> = {
  trainLoss: 'train loss',
  ...Object.fromEntries((['loss', 'dice', 'iou', 'pixelError', 'hd95'] as const).map((k) => [`val.${k}`, `validation ${metricLabel(k)}`])),
};

/** CURVE_METRICS and every other validation metric the runs recorded (NSD, V_Rand, clDice, ECE, …), in METRICS order. */
export function curveMetrics(runs: readonly RunView[]): Record<string, string> {
  const seen = new Set(runs.flatMap((r) => r.epochs.flatMap((e) => Object.keys(e.val ?? {}))));
  const more = Object.keys(METRICS).filter((k) => seen.has(k) && !(`val.${k}` in CURVE_METRICS));
  return { ...CURVE_METRICS, ...Object.fromEntries(more.map((k) => [`val.${k}`, `validation ${isMetricKey(k) ? metricLabel(k) : k}`])) };
}
