/**
 * Every metric SegLab reports, in one place: its key (as in metrics.jsonl, summary.json and
 * comparison.json), how people write it, and which way is better. Trainer (best checkpoint, early
 * stopping), reports, the CLI, the tree and the dashboard read it from here. (No imports, so the
 * webview bundle can include it.)
 */
export const METRICS = {
  loss: { label: 'loss', lowerIsBetter: true, digits: 4 },
  dice: { label: 'Dice', lowerIsBetter: false, digits: 3 },
  iou: { label: 'IoU', lowerIsBetter: false, digits: 3 },
  precision: { label: 'precision', lowerIsBetter: false, digits: 3 },
  recall: { label: 'recall', lowerIsBetter: false, digits: 3 },
  specificity: { label: 'specificity', lowerIsBetter: false, digits: 3 },
  accuracy: { label: 'accuracy', lowerIsBetter: false, digits: 3 },
  mcc: { label: 'MCC', lowerIsBetter: false, digits: 3 },
  balancedAccuracy: { label: 'balanced accuracy', lowerIsBetter: false, digits: 3 },
  pixelError: { label: 'pixel error', lowerIsBetter: true, digits: 4 },
  hd: { label: 'HD', lowerIsBetter: true, digits: 2 },
  hd95: { label: 'HD95', lowerIsBetter: true, digits: 2 },
  nsd: { label: 'NSD', lowerIsBetter: false, digits: 3 },
  assd: { label: 'ASSD', lowerIsBetter: true, digits: 2 },
  vRand: { label: 'V_Rand', lowerIsBetter: false, digits: 4 },
  vInfo: { label: 'V_Info', lowerIsBetter: false, digits: 4 },
  clDice: { label: 'clDice', lowerIsBetter: false, digits: 4 },
  betti0Error: { label: 'Betti-0 error', lowerIsBetter: true, digits: 2 },
  betti1Error: { label: 'Betti-1 error', lowerIsBetter: true, digits: 2 },
  ece: { label: 'ECE', lowerIsBetter: true, digits: 4 },
  brier: { label: 'Brier', lowerIsBetter: true, digits: 4 },
} as const;

export type MetricKey = keyof typeof METRICS;

/** The values a metric can take where it is bounded (overlap scores, rates, calibration errors). */
const RANGES: Partial<Record<MetricKey, readonly [number, number]>> = {
  dice: [0, 1],
  iou: [0, 1],
  precision: [0, 1],
  recall: [0, 1],
  specificity: [0, 1],
  accuracy: [0, 1],
  mcc: [-1, 1],
  balancedAccuracy: [0, 1],
  pixelError: [0, 1],
  nsd: [0, 1],
  vRand: [0, 1],
  vInfo: [0, 1],
  clDice: [0, 1],
  ece: [0, 1],
  brier: [0, 1],
  // Distances and counts are never negative (no upper bound).
  hd: [0, Infinity],
  hd95: [0, Infinity],
  assd: [0, Infinity],
  betti0Error: [0, Infinity],
  betti1Error: [0, Infinity],
};

/** [min, max] of a bounded metric (max ∞ for distances and counts); undefined for the loss and unknown names. */
export function metricRange(name: string): readonly [number, number] | undefined {
  return isMetricKey(name) ? RANGES[name] : undefined;
}

/** The range of a difference of two values of a bounded metric: ±(max − min); undefined where max is ∞. */
export function differenceRange(name: string): readonly [number, number] | undefined {
  const r = metricRange(name);
  return r && Number.isFinite(r[1]) ? [r[0] - r[1], r[1] - r[0]] : undefined;
}

export function isMetricKey(name: string): name is MetricKey {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

/** True when a smaller value is better (loss, pixel error, Hausdorff distances). Unknown names: false. */
export function lowerIsBetter(name: string): boolean {
  return isMetricKey(name) && METRICS[name].lowerIsBetter;
}

/** How people write a metric ('HD95', 'pixel error'); the key itself for unknown names. */
export function metricLabel(name: string): string {
  return isMetricKey(name) ? METRICS[name].label : name;
}

/** The metrics a run or comparison shows first (CLI summaries, the experiments tree, the report's paired table). */
export const HEADLINE_METRICS = ['dice', 'iou', 'hd95', 'pixelError'] as const satisfies readonly MetricKey[];

/** '↓' when lower is better, '↑' otherwise. */
export function betterArrow(name: string): '↓' | '↑' {
  return lowerIsBetter(name) ? '↓' : '↑';
}

/**
 * A metric value for people: the registry's digits, ∞ / −∞ / NaN by name (never a blank or a
 * number they are not), — when there is no value.
 */
export function formatMetric(name: string, v: number | null | undefined): string {
  if (typeof v !== 'number') return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return v.toFixed(isMetricKey(name) ? METRICS[name].digits : 4);
}
