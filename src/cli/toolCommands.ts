/** Helper commands the editor runs out of process: `loss-curves` and `weight-map` (JSON on stdout). */
import { initBackend } from '../core/backend/backend';
import { asBinaryMask, readArrayFile, spatialShape } from '../core/data/arrayFile';
import { lossCurves } from '../core/losses/curves';
import { encodeJson } from '../core/common/json';
import { UNET_WEIGHT_DEFAULTS } from '../core/weightmap/defaults';
import { unetWeightMap } from '../core/weightmap/unetWeightMap';
import { numberValue, parseCommand, requireValue } from './args';

export const LOSS_CURVES_USAGE = `usage: seglab loss-curves [--points N] [--loss NAME ...]
  JSON: each binary loss and its gradient (d/dp and d/dz) against the predicted probability, y = 1 and y = 0.`;

export async function lossCurvesCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    { points: { type: 'string' }, loss: { type: 'string', multiple: true }, backend: { type: 'string' } },
    LOSS_CURVES_USAGE,
  );
  await initBackend(values.backend ?? 'cpu');
  const points = numberValue(values.points, 'points') ?? 99;
  write(encodeJson(lossCurves(Math.max(3, Math.min(1000, Math.round(points))), values.loss), 0) + '\n');
  return 0;
}

export const WEIGHT_MAP_USAGE = `usage: seglab weight-map --mask FILE [--foreground V] [--w0 ${UNET_WEIGHT_DEFAULTS.w0}] [--sigma ${UNET_WEIGHT_DEFAULTS.sigma}] [--everywhere]
  JSON: the U-Net weight map w(x) = w_c(x) + w0·exp(−(d1+d2)²/2σ²) of a binary mask or instance map.`;

export async function weightMapCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      mask: { type: 'string' },
      foreground: { type: 'string' },
      w0: { type: 'string' },
      sigma: { type: 'string' },
      everywhere: { type: 'boolean' },
    },
    WEIGHT_MAP_USAGE,
  );
  const file = requireValue(values.mask, 'mask', WEIGHT_MAP_USAGE);
  const a = readArrayFile(file);
  const [height, width] = spatialShape(a);
  const mask = asBinaryMask(a, numberValue(values.foreground, 'foreground'));
  const map = unetWeightMap(mask, [height, width], {
    w0: numberValue(values.w0, 'w0'),
    sigma: numberValue(values.sigma, 'sigma'),
    borderOn: values.everywhere ? 'everywhere' : 'background',
  });
  let max = 0;
  for (const v of map) max = Math.max(max, v);
  write(encodeJson({ file, width, height, max, weights: Array.from(map, (v) => Math.round(v * 1e4) / 1e4) }, 0) + '\n');
  return 0;
}
