/**
 * Loss explorer data: each binary loss and its gradient as a function of the predicted probability p
 * of one pixel, for target y = 1 and y = 0. Gradients are given with respect to p and to the logit
 * z (dL/dz = dL/dp · p(1−p)), which shows where a sigmoid output saturates: BCE keeps |dL/dz| = 1 − p
 * on a wrong confident pixel, while an overlap loss on one pixel can flatten out.
 *
 * Losses of the image's layout (`spatial`: distance maps, skeletons, object borders) have no value on
 * one pixel; theirs is drawn on a toy image (TOY): a disk of radius 4.5 in 16×16. For y = 1 every
 * pixel of the disk is predicted at p and the background exactly right (0); for y = 0 every background
 * pixel is at p and the disk right (1). dL/dp is then the slope of that curve (the sum of the varied
 * pixels' gradients), as it is for one pixel.
 */
import { computeLoss, lossGradient, lossValueAndGradient } from './compute';
import { lossDefinitions, lossTermDefinitions } from './registry';

export interface LossCurve {
  name: string;
  /** Set for the losses drawn on the toy image (TOY), not on one pixel. */
  toy?: string;
  p: number[];
  /** Indexed by target: y1 for y = 1, y0 for y = 0. */
  y1: { value: number[]; dp: number[]; dz: number[] };
  y0: { value: number[]; dp: number[]; dz: number[] };
}

export const TOY = 'a disk of radius 4.5 in 16×16: its pixels (y = 1) or the background (y = 0) at p, the rest right';
const TOY_SIZE = 16;
const TOY_DISK = Array.from({ length: TOY_SIZE * TOY_SIZE }, (_, i) => {
  const [y, x] = [Math.floor(i / TOY_SIZE), i % TOY_SIZE];
  return (y - 7.5) ** 2 + (x - 7.5) ** 2 <= 4.5 ** 2 ? 1 : 0;
});

/** A spatial loss on the toy image: value and slope as the object's (y = 1) or background's (y = 0) pixels move together. */
function toyCurve(name: string, p: number[], y: 0 | 1): LossCurve['y1'] {
  const value: number[] = [];
  const dp: number[] = [];
  const dz: number[] = [];
  const varied = TOY_DISK.map((t) => t === y);
  for (const pi of p) {
    const pred = TOY_DISK.map((t, i) => (varied[i] ? pi : t));
    const data = { pred, target: TOY_DISK, shape: [1, TOY_SIZE, TOY_SIZE, 1], fromLogits: false, mode: 'binary' as const };
    const both = lossValueAndGradient(name, data);
    value.push(both.value);
    const g = both.gradient.reduce((sum, v, i) => (varied[i] ? sum + v : sum), 0);
    dp.push(g);
    dz.push(g * pi * (1 - pi));
  }
  return { value, dp, dz };
}

export function lossCurves(points = 99, names?: string[]): LossCurve[] {
  const chosen =
    names ??
    lossDefinitions()
      .filter((d) => d.modes.includes('binary') && !d.requires?.length)
      .map((d) => d.name);
  const p = Array.from({ length: points }, (_, i) => 0.005 + (0.99 * i) / (points - 1));
  const spatial = new Set(
    lossDefinitions()
      .filter((d) => d.spatial)
      .map((d) => d.name),
  );
  return chosen.map((name) => {
    if (lossTermDefinitions(name).some((d) => spatial.has(d.name))) {
      return { name, toy: TOY, p, y1: toyCurve(name, p, 1), y0: toyCurve(name, p, 0) };
    }
    const curve = (y: number) => {
      const value: number[] = [];
      const dp: number[] = [];
      const dz: number[] = [];
      for (const pi of p) {
        const data = { pred: [pi], target: [y], shape: [1, 1, 1, 1], fromLogits: false, mode: 'binary' as const };
        value.push(computeLoss(name, data));
        const g = lossGradient(name, data)[0];
        dp.push(g);
        dz.push(g * pi * (1 - pi));
      }
      return { value, dp, dz };
    };
    return { name, p, y1: curve(1), y0: curve(0) };
  });
}
