/**
 * `seglab loss-map`: a loss over one saved prediction pixel by pixel — each pixel's loss (for losses
 * that are a mean of per-pixel terms), ∂L/∂p everywhere — and the errors split by distance to the
 * true boundary. The Overlays view runs it for its loss map.
 */
import { BACKEND_CHOICES } from '../core/backend/names';
import { initBackend } from '../core/backend/backend';
import { asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../core/data/arrayFile';
import { encodeNpyFloat32 } from '../core/data/npy';
import { encodeJson } from '../core/common/json';
import { lossMap } from '../core/losses/lossMap';
import { boundaryDistances } from '../core/common/edt';
import { binErrorsByDistance } from '../core/metrics/distanceBins';
import { writeFileAtomic } from '../core/runs/atomicWrite';
import { keyValues, numberValue, parseCommand, requireValue, UsageError } from './args';
import { formatNumber, table } from './format';

export const LOSS_MAP_USAGE = `usage: seglab loss-map --pred P --target T [--loss EXPR] [--set KEY=VALUE ...] [--foreground V]
                       [--threshold 0.5] [--out PREFIX] [--backend ${BACKEND_CHOICES.join('|')}] [--json]
  P: one image's foreground probabilities (PNG 8/16-bit scaled to [0, 1], or .npy); T: its binary mask.
  The loss (default bce+dice; the sigmoid head's form, on the foreground probability) pixel by pixel:
  each pixel's loss where the loss is a mean of per-pixel terms (cross-entropy, focal, hinge, …), and
  dL/dp for every loss; then FP and FN by distance to the true boundary at the threshold.
  --out writes PREFIX_loss.npy (when defined) and PREFIX_grad.npy, float32 [H, W];
  --json prints everything, the maps and each pixel's boundary distance included.`;

export async function lossMapCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      pred: { type: 'string' },
      target: { type: 'string' },
      loss: { type: 'string' },
      set: { type: 'string', multiple: true },
      foreground: { type: 'string' },
      threshold: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    },
    LOSS_MAP_USAGE,
  );
  const predFile = requireValue(values.pred, 'pred', LOSS_MAP_USAGE);
  const targetFile = requireValue(values.target, 'target', LOSS_MAP_USAGE);
  const threshold = numberValue(values.threshold, 'threshold') ?? 0.5;
  if (!(threshold > 0 && threshold < 1)) throw new UsageError(`--threshold must be in (0, 1), got ${values.threshold}`);
  const predArray = readArrayFile(predFile);
  const targetArray = readArrayFile(targetFile);
  const [height, width] = spatialShape(predArray);
  const [th, tw] = spatialShape(targetArray);
  if (th !== height || tw !== width) throw new Error(`${predFile} is ${width}×${height}, ${targetFile} is ${tw}×${th}`);
  const prob = asPredictionValues(predArray);
  const truth = asBinaryMask(targetArray, numberValue(values.foreground, 'foreground'));
  await initBackend(values.backend ?? 'cpu');
  const name = values.loss ?? 'bce+dice';
  const map = lossMap(name, prob, truth, [height, width], keyValues(values.set));
  const distances = boundaryDistances(truth, [height, width]);
  const predicted = Uint8Array.from(prob, (p) => (p >= threshold ? 1 : 0));
  const bins = binErrorsByDistance(distances, predicted, truth);
  if (values.out) {
    if (map.pixelLoss) writeFileAtomic(`${values.out}_loss.npy`, encodeNpyFloat32(map.pixelLoss, [height, width]));
    writeFileAtomic(`${values.out}_grad.npy`, encodeNpyFloat32(map.gradient, [height, width]));
  }
  if (values.json) {
    const { pixelLoss, gradient, ...rest } = map;
    const out = {
      pred: predFile,
      target: targetFile,
      width,
      height,
      threshold,
      ...rest,
      pixelLoss,
      gradient,
      distance: distances,
      errorsByDistance: bins,
    };
    write(encodeJson(out, 0) + '\n');
    return 0;
  }
  write(summaryLines(map, predFile, targetFile, width, height, threshold, bins, values.out).join('\n') + '\n');
  return 0;
}

function range(values: ArrayLike<number>): string {
  let [min, max, sum] = [Infinity, -Infinity, 0];
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
    sum += values[i];
  }
  return `min ${formatNumber(min, 6)}, mean ${formatNumber(sum / values.length, 6)}, max ${formatNumber(max, 6)}`;
}

function summaryLines(
  map: ReturnType<typeof lossMap>,
  predFile: string,
  targetFile: string,
  width: number,
  height: number,
  threshold: number,
  bins: ReturnType<typeof binErrorsByDistance>,
  out: string | undefined,
): string[] {
  const edge = (v: number) => (v === Infinity ? '∞' : String(v));
  return [
    `${map.loss} of ${predFile} against ${targetFile} (${width}×${height}): ${formatNumber(map.value, 6)}`,
    map.pixelLoss ? `per-pixel loss: ${range(map.pixelLoss)}` : `per-pixel loss: none — ${map.noPixelLoss}`,
    `dL/dp: ${range(map.gradient)}`,
    '',
    `errors by distance to the true boundary (pixels; prediction at threshold ${threshold}):`,
    table(
      ['distance', 'pixels', 'FP', 'FN', 'error rate'],
      bins.map((b) => [`(${edge(b.from)}, ${edge(b.to)}]`, b.pixels, b.falsePositives, b.falseNegatives, formatNumber(b.errorRate)]),
    ),
    ...(out ? ['', `wrote ${map.pixelLoss ? `${out}_loss.npy and ` : ''}${out}_grad.npy`] : []),
  ];
}
