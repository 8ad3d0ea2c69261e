/**
 * Exponential moving average of a curve, as TensorBoard's scalar dashboard smooths: s_t = w·s_{t−1}
 * + (1 − w)·x_t, divided by 1 − w^k (k finite values so far) so the start is not pulled towards 0.
 * Missing and non-finite values are passed through as they are and do not enter the average.
 * No DOM: unit-tested in Node.
 */
export function emaSmooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothing weight must be in [0, 1), got ${weight}`);
  let last = 0;
  let k = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = weight * last + (1 - weight) * v;
    k++;
    return last / (1 - weight ** k);
  });
}
