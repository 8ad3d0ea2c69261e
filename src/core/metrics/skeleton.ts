/**
 * Skeletons of binary masks and the clDice score of a prediction (Shit et al. 2021, "clDice — a novel
 * topology-preserving loss function for tubular structure segmentation", CVPR):
 *   Tprec = |S(P) ∩ L| / |S(P)|    (the predicted skeleton's share inside the true mask)
 *   Tsens = |S(L) ∩ P| / |S(L)|    (the true skeleton's share inside the prediction)
 *   clDice = 2·Tprec·Tsens / (Tprec + Tsens)
 * A ratio with nothing to count (an empty skeleton) takes the `empty` convention of the overlap scores
 * (scores.ts): with 'one', two empty masks score 1 and an empty prediction of a non-empty truth 0.
 *
 * Skeletons by Zhang & Suen's thinning ("A fast parallel algorithm for thinning digital patterns",
 * CACM 27(3), 1984) as the paper states it: two sub-iterations, each deleting at once every foreground
 * pixel P1 with 2 ≤ B(P1) ≤ 6 neighbours, A(P1) = 1 (one 0→1 transition in the clockwise ring P2…P9, P2
 * north), and P2·P4·P6 = 0, P4·P6·P8 = 0 (first) or P2·P4·P8 = 0, P2·P6·P8 = 0 (second); repeated
 * until nothing changes. Pixels outside the image are background. The clDice authors' code skeletonizes
 * with scikit-image's `skeletonize`, whose lookup table is a modified Zhang–Suen (it also removes
 * staircase pixels the paper keeps), so scores computed with it differ slightly (README gives the size
 * of the difference on the ISBI labels). Known property of the paper's rules: a 2×2 block thins to
 * nothing.
 */
import { EmptyConvention, ratio } from './scores';

/** Removal class per 8-neighbourhood code (bit 0 NW, 1 N, 2 NE, 3 E, 4 SE, 5 S, 6 SW, 7 W): bit 1 first sub-iteration, bit 2 second. */
const REMOVABLE = (() => {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) {
    const bit = (i: number) => (code >> i) & 1;
    // P2…P9 clockwise from north: N, NE, E, SE, S, SW, W, NW
    const ring = [bit(1), bit(2), bit(3), bit(4), bit(5), bit(6), bit(7), bit(0)];
    const [p2, , p4, , p6, , p8] = ring;
    const b = ring.reduce((s, v) => s + v, 0);
    let a = 0;
    for (let i = 0; i < 8; i++) if (ring[i] === 0 && ring[(i + 1) % 8] === 1) a++;
    if (b < 2 || b > 6 || a !== 1) continue;
    if (p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0) table[code] |= 1;
    if (p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0) table[code] |= 2;
  }
  return table;
})();

/**
 * The Zhang–Suen skeleton of a binary mask (non-zero = foreground), row-major `shape` [H, W]. Only
 * pixels touching the background can go (B ≤ 6), so each sub-iteration looks at the front — the live
 * pixels next to the background — and the work is proportional to the area, not area × thickness.
 */
export function skeletonize(mask: Uint8Array, shape: readonly [number, number]): Uint8Array {
  const [h, w] = shape;
  const W = w + 2; // a background border: every pixel has eight neighbours in the array
  const img = new Uint8Array((h + 2) * W);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (mask[y * w + x]) img[(y + 1) * W + x + 1] = 1;
  const offsets = [-W - 1, -W, -W + 1, 1, W + 1, W, W - 1, -1]; // NW N NE E SE S SW W: code bits 0…7
  const queued = new Uint8Array(img.length);
  let front: number[] = [];
  for (let i = 0; i < img.length; i++) {
    if (img[i] && offsets.some((o) => img[i + o] === 0)) {
      front.push(i);
      queued[i] = 1;
    }
  }
  let unchangedPasses = 0;
  for (let pass = 1; unchangedPasses < 2; pass = 3 - pass) {
    const removed: number[] = [];
    for (const i of front) {
      let code = 0;
      for (let k = 0; k < 8; k++) code |= img[i + offsets[k]] << k;
      if (REMOVABLE[code] & pass) removed.push(i);
    }
    unchangedPasses = removed.length === 0 ? unchangedPasses + 1 : 0;
    for (const i of removed) img[i] = 0;
    const next = front.filter((i) => img[i] === 1);
    for (const i of removed) {
      for (const o of offsets) {
        if (img[i + o] === 1 && !queued[i + o]) {
          queued[i + o] = 1;
          next.push(i + o);
        }
      }
    }
    front = next;
  }
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = img[(y + 1) * W + x + 1];
  return out;
}

/** clDice of a binary prediction against a binary truth (both non-zero = foreground), with Tprec and Tsens. */
export function clDiceScore(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: readonly [number, number],
  empty: EmptyConvention = 'one',
): { clDice: number; tprec: number; tsens: number } {
  const sp = skeletonize(pred, shape);
  const st = skeletonize(truth, shape);
  let spN = 0;
  let spIn = 0;
  let stN = 0;
  let stIn = 0;
  for (let i = 0; i < sp.length; i++) {
    if (sp[i]) {
      spN++;
      if (truth[i]) spIn++;
    }
    if (st[i]) {
      stN++;
      if (pred[i]) stIn++;
    }
  }
  const tprec = ratio(spIn, spN, empty);
  const tsens = ratio(stIn, stN, empty);
  const sum = tprec + tsens;
  return { clDice: sum > 0 ? (2 * tprec * tsens) / sum : sum === 0 ? 0 : NaN, tprec, tsens };
}
