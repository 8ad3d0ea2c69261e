/**
 * Every message between the extension and its webview. The extension validates what the webview
 * sends (`parseViewMessage`): requests name things by id or index into lists the extension itself
 * sent, never by path.
 */
import { decodeJson, encodeJson } from '../core/common/json';

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  val?: Record<string, number | null>;
}

export interface RunView {
  id: string;
  label: string;
  head: string;
  status: string;
  epochs: EpochPoint[];
  final: Record<string, number | null> | null;
  /** Validation images with saved predictions (names). */
  predictions: string[];
  /** Validation epochs with a saved prediction (plots/images), for the overlays' epoch slider. */
  snapshots: number[];
  /** What the run was trained with (head, loss, seed, lr, batch, epochs), shown beside its curves. */
  params: Record<string, string>;
  /** The epoch its best checkpoint is from (by the config's monitor), marked on its curves. */
  bestEpoch?: number;
  /** The sweep it is a run of ("sweep isbi-losses · 20261203-001232-isbi-losses"): the curves list groups by it. */
  group?: string;
  /** What is wrong with the run's files (an unreadable summary, skipped lines of metrics.jsonl). */
  problem?: string;
}

export interface EvaluationRow {
  name: string;
  dice: number | null;
  iou: number | null;
  precision: number | null;
  recall: number | null;
  hd95: number | null;
}

export interface EvaluationView {
  predDir: string;
  gtDir: string;
  images: EvaluationRow[];
  mean: Record<string, number | null>;
  pooled: Record<string, number | null>;
}

export interface OverlayLayer {
  label: string;
  /** Foreground probability per pixel, 0…1 (a binary mask is 0/1). */
  prob: number[];
}

export interface OverlayView {
  title: string;
  width: number;
  height: number;
  /** Gray image 0…255. */
  image: number[];
  /** Ground truth 0/1. */
  gt: number[];
  /** One layer, or two side by side (e.g. sigmoid1 and softmax2 of one comparison). */
  layers: OverlayLayer[];
  /**
   * Runs' overlays: the runs and image shown, for a loss map of the same (evaluation overlays have none),
   * and the first run's loss as its config writes it (the sigmoid head's form, before the head's mapping).
   */
  source?: { runIds: string[]; image: string; loss?: string };
}

/** One run's loss over its final prediction of an image, pixel by pixel (`seglab loss-map`). */
export interface LossMapLayer {
  label: string;
  /** The loss of the whole image. */
  value: number;
  /** Each pixel's loss (mean = value), or null where the loss is not a mean of pixel terms. */
  pixelLoss: number[] | null;
  /** Why pixelLoss is null. */
  noPixelLoss?: string;
  /** dL/dp per pixel. */
  gradient: number[];
}

export interface LossMapView {
  /** The runs and image it was computed for, and the loss expression. */
  runIds: string[];
  image: string;
  loss: string;
  width: number;
  height: number;
  layers: LossMapLayer[];
}

/** Longest loss expression the webview may ask a loss map for. */
export const LOSS_EXPRESSION_MAX = 200;

export interface LossCurveView {
  name: string;
  /** Drawn on this toy image, not on one pixel (a loss of the image's layout). */
  toy?: string;
  p: number[];
  y1: { value: number[]; dp: number[]; dz: number[] };
  y0: { value: number[]; dp: number[]; dz: number[] };
}

export interface WeightMapView {
  title: string;
  width: number;
  height: number;
  max: number;
  weights: number[];
}

/** A cell's metric over seeds: mean ± std (finite values), its 95 % t interval, the per-seed values (∞/NaN kept). */
export interface SweepStatView {
  mean: number;
  std: number;
  n: number;
  of: number;
  low?: number;
  high?: number;
  /** The interval was cut at the metric's range (Dice in [0, 1]). */
  clipped?: boolean;
  values: number[];
}

export interface SweepCellView {
  id: string;
  label: string;
  /** The swept keys' values, as text. */
  params: Record<string, string>;
  n: number;
  runIds: string[];
  metrics: Record<string, SweepStatView>;
  /** A tuned sweep: the setting this cell was compared at (`optimizer.learningRate=0.002`). */
  tuned?: string;
}

/** A tuned sweep's first phase, per compared cell: its tuning runs, epochs spent and the setting chosen. */
export interface SweepTuningView {
  /** In words: what was tuned, per what, over which trials and seeds. */
  text: string;
  metric: string;
  cells: { label: string; runs: number; done: number; pruned: number; failed: number; epochs: number; chosen?: string; value?: number }[];
}

export interface SweepView {
  id: string;
  name: string;
  status: string;
  reason?: string;
  updatedAt: string;
  progress: {
    total: number;
    done: number;
    failed: number;
    cancelled: number;
    pruned?: number;
    running: number;
    pending: number;
    etaSeconds?: number;
  };
  axes: { key: string; values: string[] }[];
  seeds: number[];
  primaryMetric: string;
  metrics: string[];
  cells: SweepCellView[];
  best?: string;
  /** Paired comparisons on the primary metric, in plain words, grouped by what they compare (a swept key, or `best`). */
  verdicts: { axis: string; text: string }[];
  /** Set when the cells are the trials of a random or Sobol search (not the grid of the axes): what was searched. */
  search?: string;
  /** The ASHA rule the runs were pruned by, in words. */
  prune?: string;
  tuning?: SweepTuningView;
}

/** A run's reliability diagram (its calibration.json). */
export interface CalibrationRunView {
  id: string;
  label: string;
  head: string;
  /** The validation epoch it is from. */
  epoch: number;
  ece: number;
  brier: number;
  pixels: number;
  bars: { lo: number; hi: number; count: number; meanProb: number | null; fraction: number | null }[];
}

export interface CalibrationView {
  runs: CalibrationRunView[];
  /** Runs asked for that have no diagram, each with why (no calibration.json yet, or a damaged one). */
  missing: { label: string; why: string }[];
}

export type ViewName = 'curves' | 'overlays' | 'evaluation' | 'sweep' | 'calibration' | 'explorer' | 'weightmap';
export const VIEW_NAMES: readonly ViewName[] = ['curves', 'overlays', 'evaluation', 'sweep', 'calibration', 'explorer', 'weightmap'];
/** Most runs one calibration request may name (diagrams side by side). */
export const CALIBRATION_MAX_RUNS = 8;

/** What the dashboard can export (the extension asks where to save it). */
export type ExportFormat = 'csv' | 'svg' | 'png';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'svg', 'png'];
/** Largest export the extension accepts from the webview (characters; a PNG comes as a data URL). */
export const EXPORT_MAX_CHARS = 20 * 1024 * 1024;

/** Extension → webview. */
export type HostMessage =
  | { type: 'runs'; runs: RunView[]; threshold: number }
  | { type: 'evaluation'; evaluation: EvaluationView }
  | { type: 'overlay'; overlay: OverlayView }
  | { type: 'lossMap'; map: LossMapView }
  | { type: 'lossCurves'; curves: LossCurveView[] }
  | { type: 'weightMap'; map: WeightMapView }
  /** A sweep's results (Open Sweep, Run Sweep…), sent again while it runs. */
  | { type: 'sweep'; sweep: SweepView }
  /** Reliability diagrams of the runs the webview asked for. */
  | { type: 'calibration'; calibration: CalibrationView }
  | { type: 'show'; view: ViewName }
  /** Show these runs' curves (Open Run, Compare Selected Runs). */
  | { type: 'selectRuns'; runIds: string[] }
  | { type: 'error'; message: string };

/** Webview → extension. */
export type ViewMessage =
  | { type: 'ready' }
  /** `epoch`: the prediction saved at that validation epoch (plots/images) instead of the final one. */
  | { type: 'requestRunOverlay'; runIds: string[]; image: string; epoch?: number }
  | { type: 'requestEvaluationOverlay'; index: number }
  /** The loss map of `loss` over these runs' final predictions of `image`. */
  | { type: 'requestLossMap'; runIds: string[]; image: string; loss: string }
  | { type: 'requestLossCurves' }
  | { type: 'requestWeightMap'; runId: string; image: string }
  /** The reliability diagrams of these runs (1 … CALIBRATION_MAX_RUNS, side by side). */
  | { type: 'requestCalibration'; runIds: string[] }
  | { type: 'revealRun'; runId: string }
  /** Show the runs of the sweep's cell `index` (in the cells the extension sent) in curves and overlays. */
  | { type: 'openSweepCell'; index: number }
  | { type: 'openSweepReport' }
  /** Save a chart or table; `name` is a suggested file name (no folders), `data` text or a PNG data URL. */
  | { type: 'exportFile'; name: string; format: ExportFormat; data: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 300 && !/[\\/]|\.\./.test(v);

/** Host messages that carry metric values, which may be NaN or ±Infinity. */
const WITH_METRICS: readonly HostMessage['type'][] = ['runs', 'evaluation', 'sweep', 'calibration', 'lossMap'];

/**
 * A host message as it crosses webview.postMessage, which is JSON (NaN and ±Infinity would arrive as
 * null): metric messages go with non-finite numbers as "NaN" / "Infinity" / "-Infinity" strings.
 */
export function toWire(m: HostMessage): HostMessage {
  return WITH_METRICS.includes(m.type) ? (JSON.parse(encodeJson(m, 0)) as HostMessage) : m;
}

/** The webview's side of toWire: the numbers back. */
export function fromWire(m: HostMessage): HostMessage {
  return WITH_METRICS.includes(m.type) ? (decodeJson(JSON.stringify(m)) as HostMessage) : m;
}

/** A validated message, or a string saying what is wrong with it. */
export function parseViewMessage(v: unknown): ViewMessage | string {
  if (!isObject(v) || typeof v.type !== 'string') return 'message must be an object with a string type';
  switch (v.type) {
    case 'ready':
    case 'requestLossCurves':
    case 'openSweepReport':
      return { type: v.type };
    case 'requestRunOverlay':
      if (!Array.isArray(v.runIds) || v.runIds.length < 1 || v.runIds.length > 2 || !v.runIds.every(isName))
        return 'requestRunOverlay: runIds must be 1 or 2 run ids';
      if (!isName(v.image)) return 'requestRunOverlay: image must be an image name';
      if (v.epoch !== undefined && (!Number.isInteger(v.epoch) || (v.epoch as number) < 1 || (v.epoch as number) > 100000))
        return 'requestRunOverlay: epoch must be a positive integer';
      return {
        type: 'requestRunOverlay',
        runIds: v.runIds as string[],
        image: v.image,
        ...(v.epoch !== undefined ? { epoch: v.epoch as number } : {}),
      };
    case 'requestLossMap':
      if (!Array.isArray(v.runIds) || v.runIds.length < 1 || v.runIds.length > 2 || !v.runIds.every(isName))
        return 'requestLossMap: runIds must be 1 or 2 run ids';
      if (!isName(v.image)) return 'requestLossMap: image must be an image name';
      // The expression reaches the CLI as one argument (no shell); its grammar: names, numbers, + * ( ) : .
      if (typeof v.loss !== 'string' || v.loss.length === 0 || v.loss.length > LOSS_EXPRESSION_MAX || !/^[\w .+*():-]+$/.test(v.loss))
        return `requestLossMap: loss must be a loss expression of at most ${LOSS_EXPRESSION_MAX} characters`;
      return { type: 'requestLossMap', runIds: v.runIds as string[], image: v.image, loss: v.loss };
    case 'requestEvaluationOverlay':
      if (!Number.isInteger(v.index) || (v.index as number) < 0) return 'requestEvaluationOverlay: index must be a non-negative integer';
      return { type: 'requestEvaluationOverlay', index: v.index as number };
    case 'requestWeightMap':
      if (!isName(v.runId) || !isName(v.image)) return 'requestWeightMap: runId and image must be names';
      return { type: 'requestWeightMap', runId: v.runId, image: v.image };
    case 'requestCalibration':
      if (!Array.isArray(v.runIds) || v.runIds.length < 1 || v.runIds.length > CALIBRATION_MAX_RUNS || !v.runIds.every(isName))
        return `requestCalibration: runIds must be 1 to ${CALIBRATION_MAX_RUNS} run ids`;
      return { type: 'requestCalibration', runIds: [...new Set(v.runIds as string[])] };
    case 'revealRun':
      if (!isName(v.runId)) return 'revealRun: runId must be a run id';
      return { type: 'revealRun', runId: v.runId };
    case 'openSweepCell':
      if (!Number.isInteger(v.index) || (v.index as number) < 0) return 'openSweepCell: index must be a non-negative integer';
      return { type: 'openSweepCell', index: v.index as number };
    case 'exportFile':
      if (!(EXPORT_FORMATS as readonly unknown[]).includes(v.format))
        return `exportFile: format must be one of ${EXPORT_FORMATS.join(', ')}`;
      if (!isName(v.name) || !/^[\w .()+=-]+$/.test(v.name)) return 'exportFile: name must be a plain file name';
      if (typeof v.data !== 'string' || v.data.length === 0 || v.data.length > EXPORT_MAX_CHARS)
        return 'exportFile: data must be a non-empty string of at most 20 MiB';
      if (v.format === 'png' && !v.data.startsWith('data:image/png;base64,'))
        return 'exportFile: a PNG comes as a data:image/png;base64 URL';
      return { type: 'exportFile', name: v.name, format: v.format as ExportFormat, data: v.data };
    default:
      return `unknown message type '${v.type}'`;
  }
}
