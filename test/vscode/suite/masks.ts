/** Mask folders the suites evaluate (2×2 PNGs with hand-known Dice values). */
import * as fs from 'fs';
import * as path from 'path';
import { encodePng8 } from '../../../src/core/data/png';

/**
 * Writes `pred/` and `gt/` under `dir`: image a (Dice 2/3: one true positive, one false positive)
 * and, unless `onlyA`, image b (a perfect prediction, Dice 1). Returns the two folders.
 */
export function writeMaskFolders(dir: string, onlyA = false): { pred: string; gt: string } {
  const pred = path.join(dir, 'pred');
  const gt = path.join(dir, 'gt');
  fs.mkdirSync(pred, { recursive: true });
  fs.mkdirSync(gt, { recursive: true });
  fs.writeFileSync(path.join(gt, 'a.png'), encodePng8([255, 0, 0, 0], 2, 2));
  fs.writeFileSync(path.join(pred, 'a.png'), encodePng8([255, 255, 0, 0], 2, 2));
  if (!onlyA) {
    fs.writeFileSync(path.join(gt, 'b.png'), encodePng8([255, 255, 0, 0], 2, 2));
    fs.writeFileSync(path.join(pred, 'b.png'), encodePng8([255, 255, 0, 0], 2, 2));
  }
  return { pred, gt };
}
