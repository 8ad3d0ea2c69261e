/**
 * The Pareto front of points scored on two metrics, each better high or low: a point is on the front
 * when no other point is at least as good on both and better on one. Points with a non-finite
 * coordinate are not compared (never on the front, never dominating). No imports: the webview uses it.
 */
export function paretoFront(points: readonly { x: number; y: number }[], lowerX: boolean, lowerY: boolean): boolean[] {
  const better = (a: number, b: number, lower: boolean) => (lower ? a < b : a > b);
  const noWorse = (a: number, b: number, lower: boolean) => (lower ? a <= b : a >= b);
  const ok = (p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y);
  return points.map(
    (p) =>
      ok(p) &&
      !points.some(
        (q) =>
          q !== p &&
          ok(q) &&
          noWorse(q.x, p.x, lowerX) &&
          noWorse(q.y, p.y, lowerY) &&
          (better(q.x, p.x, lowerX) || better(q.y, p.y, lowerY)),
      ),
  );
}
