/**
 * The ISBI 2012 challenge's scores of a boundary map (Arganda-Carreras et al. 2015, "Crowdsourcing the
 * creation of image segmentation algorithms for connectomics", Front. Neuroanat. 9:142): the mask's
 * foreground is the boundary (membranes), and the segments are the 4-connected regions it separates
 * (cells). Foreground-restricted: only pixels inside a true region count; a pixel the prediction marks
 * as boundary is a segment of its own (a singleton).
 *
 * With n_ij the pixels of true region i in predicted segment j, s_i = Σ_j n_ij, t_j = Σ_i n_ij, N = Σ n_ij:
 *   V_Rand = 2PR/(P + R), P = Σ n_ij(n_ij − 1) / Σ t_j(t_j − 1), R = Σ n_ij(n_ij − 1) / Σ s_i(s_i − 1)
 *            (pairs of pixels together in both over pairs together in one: scikit-image's
 *            adapted_rand_error, 1 − error)
 *   V_Info = 2·(I/H(S))·(I/H(T)) / (I/H(S) + I/H(T)), I the mutual information of the two labelings,
 *            H(S), H(T) the entropies of prediction and truth (natural log; the ratios do not depend on it)
 * Both are 1 for a perfect split and higher is better. (Betti errors, below, count components and holes.) NaN where they are undefined: no true region
 * pixel, or no pair of pixels sharing a segment, or a labeling with zero entropy on either side (one
 * region everywhere), where the information ratios are 0/0.
 */
import { labelComponents } from '../weightmap/label';

/** 1 where the mask is 0: the regions a boundary map separates, the background of a mask. */
const inverse = (m: Uint8Array) => Uint8Array.from(m, (v) => (v ? 0 : 1));

/** The contingency counts n_ij of true regions (rows) and predicted segments (columns) over true region pixels. */
function contingency(pred: Uint8Array, truth: Uint8Array, shape: readonly [number, number]) {
  const t = labelComponents(inverse(truth), shape, 4);
  const s = labelComponents(inverse(pred), shape, 4);
  const cells = new Map<number, Map<number, number>>(); // true region → predicted segment → pixels
  const rows = new Float64Array(t.count + 1);
  const cols = new Map<number, number>();
  let singleton = s.count;
  let n = 0;
  for (let k = 0; k < truth.length; k++) {
    const i = t.labels[k];
    if (i === 0) continue; // a true boundary pixel: not scored
    const j = s.labels[k] === 0 ? ++singleton : s.labels[k]; // a predicted boundary pixel: its own segment
    let row = cells.get(i);
    if (!row) cells.set(i, (row = new Map()));
    row.set(j, (row.get(j) ?? 0) + 1);
    rows[i]++;
    cols.set(j, (cols.get(j) ?? 0) + 1);
    n++;
  }
  return {
    cells: [...cells.values()].flatMap((row) => [...row.values()]),
    rows: Array.from(rows).filter((v) => v > 0),
    cols: [...cols.values()],
    n,
  };
}

export function regionScores(pred: Uint8Array, truth: Uint8Array, shape: readonly [number, number]): { vRand: number; vInfo: number } {
  const { cells, rows, cols, n } = contingency(pred, truth, shape);
  if (n === 0) return { vRand: NaN, vInfo: NaN };
  const pairs = (v: number[]) => v.reduce((a, x) => a + x * (x - 1), 0);
  const [both, inPred, inTruth] = [pairs(cells), pairs(cols), pairs(rows)];
  const precision = both / inPred;
  const recall = both / inTruth;
  const vRand = inPred > 0 && inTruth > 0 ? (both === 0 ? 0 : (2 * precision * recall) / (precision + recall)) : NaN;
  const entropy = (v: number[]) => -v.reduce((a, x) => a + (x / n) * Math.log(x / n), 0);
  const [hPred, hTruth, hJoint] = [entropy(cols), entropy(rows), entropy(cells)];
  const mutual = hPred + hTruth - hJoint;
  const [split, merge] = [mutual / hPred, mutual / hTruth];
  const vInfo = hPred > 0 && hTruth > 0 ? (split + merge > 0 ? (2 * split * merge) / (split + merge) : 0) : NaN;
  return { vRand, vInfo };
}

/**
 * Betti numbers of a 2-D mask: β0 the 8-connected components of the foreground, β1 its holes — the
 * 4-connected components of the background that do not touch the image border (the complementary
 * connectivities of digital topology, so a diagonal chain closes a loop).
 */
export function bettiNumbers(mask: Uint8Array, shape: readonly [number, number]): { b0: number; b1: number } {
  const [h, w] = shape;
  const b0 = labelComponents(mask, shape, 8).count;
  const background = labelComponents(inverse(mask), shape, 4);
  const outside = new Set<number>();
  for (let x = 0; x < w; x++) outside.add(background.labels[x]).add(background.labels[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) outside.add(background.labels[y * w]).add(background.labels[y * w + w - 1]);
  outside.delete(0);
  return { b0, b1: background.count - outside.size };
}

/** |β0(pred) − β0(truth)| and |β1(pred) − β1(truth)|: components and holes the prediction gets wrong. */
export function bettiErrors(pred: Uint8Array, truth: Uint8Array, shape: readonly [number, number]): { betti0: number; betti1: number } {
  const [p, t] = [bettiNumbers(pred, shape), bettiNumbers(truth, shape)];
  return { betti0: Math.abs(p.b0 - t.b0), betti1: Math.abs(p.b1 - t.b1) };
}
