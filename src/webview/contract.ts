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
}

export interface LossCurveView {
  name: string;
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

export type ViewName = 'curves' | 'overlays' | 'evaluation' | 'explorer' | 'weightmap';
export const VIEW_NAMES: readonly ViewName[] = ['curves', 'overlays', 'evaluation', 'explorer', 'weightmap'];

/** Extension → webview. */
export type HostMessage =
  | { type: 'runs'; runs: RunView[]; threshold: number }
  | { type: 'evaluation'; evaluation: EvaluationView }
  | { type: 'overlay'; overlay: OverlayView }
  | { type: 'lossCurves'; curves: LossCurveView[] }
  | { type: 'weightMap'; map: WeightMapView }
  | { type: 'show'; view: ViewName }
  /** Show these runs' curves (Open Run, Compare Selected Runs). */
  | { type: 'selectRuns'; runIds: string[] }
  | { type: 'error'; message: string };

/** Webview → extension. */
export type ViewMessage =
  | { type: 'ready' }
  | { type: 'requestRunOverlay'; runIds: string[]; image: string }
  | { type: 'requestEvaluationOverlay'; index: number }
  | { type: 'requestLossCurves' }
  | { type: 'requestWeightMap'; runId: string; image: string }
  | { type: 'revealRun'; runId: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 300 && !/[\\/]|\.\./.test(v);

/** A validated message, or a string saying what is wrong with it. */
/** Host messages that carry metric values, which may be NaN or ±Infinity. */
const WITH_METRICS: readonly HostMessage['type'][] = ['runs', 'evaluation'];

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

export function parseViewMessage(v: unknown): ViewMessage | string {
  if (!isObject(v) || typeof v.type !== 'string') return 'message must be an object with a string type';
  switch (v.type) {
    case 'ready':
    case 'requestLossCurves':
      return { type: v.type };
    case 'requestRunOverlay':
      if (!Array.isArray(v.runIds) || v.runIds.length < 1 || v.runIds.length > 2 || !v.runIds.every(isName))
        return 'requestRunOverlay: runIds must be 1 or 2 run ids';
      if (!isName(v.image)) return 'requestRunOverlay: image must be an image name';
      return { type: 'requestRunOverlay', runIds: v.runIds as string[], image: v.image };
    case 'requestEvaluationOverlay':
      if (!Number.isInteger(v.index) || (v.index as number) < 0) return 'requestEvaluationOverlay: index must be a non-negative integer';
      return { type: 'requestEvaluationOverlay', index: v.index as number };
    case 'requestWeightMap':
      if (!isName(v.runId) || !isName(v.image)) return 'requestWeightMap: runId and image must be names';
      return { type: 'requestWeightMap', runId: v.runId, image: v.image };
    case 'revealRun':
      if (!isName(v.runId)) return 'revealRun: runId must be a run id';
      return { type: 'revealRun', runId: v.runId };
    default:
      return `unknown message type '${v.type}'`;
  }
}
