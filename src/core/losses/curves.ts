/**
 * Loss explorer data: each binary loss and its gradient as a function of the predicted probability p
 * of one pixel, for target y = 1 and y = 0. Gradients are given with respect to p and to the logit
 * z (dL/dz = dL/dp · p(1−p)), which shows where a sigmoid output saturates: BCE keeps |dL/dz| = 1 − p
 * on a wrong confident pixel, while an overlap loss on one pixel can flatten out. Losses of the
 * image's layout (`spatial`: distance maps, skeletons, object borders) are left out: one pixel has none.
 */
import { computeLoss, lossGradient } from './compute';
import { lossDefinitions } from './registry';

export interface LossCurve {
  name: string;
  p: number[];
  /** Indexed by target: y1 for y = 1, y0 for y = 0. */
  y1: { value: number[]; dp: number[]; dz: number[] };
  y0: { value: number[]; dp: number[]; dz: number[] };
}

export function lossCurves(points = 99, names?: string[]): LossCurve[] {
  const chosen =
    names ??
    lossDefinitions()
      .filter((d) => d.modes.includes('binary') && !d.requires?.length && !d.spatial)
      .map((d) => d.name);
  const p = Array.from({ length: points }, (_, i) => 0.005 + (0.99 * i) / (points - 1));
  return chosen.map((name) => {
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
