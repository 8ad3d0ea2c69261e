/**
 * calibration.json: the reliability diagram of a run's last validation (every validation pixel's
 * foreground probability against its mask, metrics/calibration.ts), with its ECE and Brier score.
 * Read back with every field checked, so a damaged or hostile file is an error naming the field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ReliabilityBar, ReliabilityBins, reliabilityDiagram } from '../metrics/calibration';
import { readJsonFile } from './runFiles';

export const CALIBRATION_FILE = 'calibration.json';

export interface CalibrationFile {
  /** The epoch after which the validation ran. */
  epoch: number;
  head: string;
  bars: ReliabilityBar[];
  /** ECE and Brier score of the pooled pixels (summary.json's values are means of per-image ones). */
  ece: number;
  brier: number;
  pixels: number;
}

export function calibrationFile(epoch: number, head: string, bins: ReliabilityBins): CalibrationFile {
  return { epoch, head, ...reliabilityDiagram(bins) };
}

const isNumber = (v: unknown): v is number => typeof v === 'number';
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isUnit = (v: unknown): boolean => v === null || (isNumber(v) && v >= 0 && v <= 1);

/** One checked field or an error naming it. */
function need(ok: boolean, file: string, field: string): void {
  if (!ok) throw new Error(`${file}: ${field} is missing or out of range`);
}

function checkBar(b: unknown, file: string, at: string): ReliabilityBar {
  need(typeof b === 'object' && b !== null && !Array.isArray(b), file, at);
  const r = b as Record<string, unknown>;
  need(isNumber(r.lo) && isNumber(r.hi) && r.lo >= 0 && r.lo < r.hi && r.hi <= 1, file, `${at}.lo/hi`);
  need(isCount(r.count), file, `${at}.count`);
  need(isUnit(r.meanProb) && isUnit(r.fraction), file, `${at}.meanProb/fraction`);
  need(
    (r.count === 0) === (r.meanProb === null) && (r.count === 0) === (r.fraction === null),
    file,
    `${at} (null means for empty bins only)`,
  );
  return {
    lo: r.lo as number,
    hi: r.hi as number,
    count: r.count as number,
    meanProb: r.meanProb as number | null,
    fraction: r.fraction as number | null,
  };
}

/** The run's calibration.json, or null where the run has none (runs from before it, or not validated yet). */
export function readCalibration(dir: string): CalibrationFile | null {
  const file = path.join(dir, CALIBRATION_FILE);
  if (!fs.existsSync(file)) return null;
  const v = readJsonFile<unknown>(file);
  need(typeof v === 'object' && v !== null && !Array.isArray(v), file, 'the top level');
  const r = v as Record<string, unknown>;
  need(isCount(r.epoch), file, 'epoch');
  need(typeof r.head === 'string' && r.head.length <= 32, file, 'head');
  need(Array.isArray(r.bars) && r.bars.length >= 1 && r.bars.length <= 1000, file, 'bars');
  const bars = (r.bars as unknown[]).map((b, i) => checkBar(b, file, `bars[${i}]`));
  // ECE and Brier are NaN (written "NaN") when a probability was NaN: kept as NaN, not dropped
  need(isNumber(r.ece) && (Number.isNaN(r.ece) || (r.ece >= 0 && r.ece <= 1)), file, 'ece');
  need(isNumber(r.brier) && (Number.isNaN(r.brier) || (r.brier >= 0 && r.brier <= 1)), file, 'brier');
  need(isCount(r.pixels), file, 'pixels');
  return {
    epoch: r.epoch as number,
    head: r.head as string,
    bars,
    ece: r.ece as number,
    brier: r.brier as number,
    pixels: r.pixels as number,
  };
}
