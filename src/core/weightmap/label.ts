/**
 * Connected-component labelling of a binary mask (scipy.ndimage.label convention: 4-connectivity by
 * default, labels 1..K in raster order of each component's first pixel, 0 = background).
 */
export type Connectivity = 4 | 8;

export interface Labelling {
  labels: Int32Array;
  count: number;
}

export function labelComponents(mask: ArrayLike<number>, shape: readonly [number, number], connectivity: Connectivity = 4): Labelling {
  const [h, w] = shape;
  if (mask.length !== h * w) throw new Error(`labelComponents: mask has ${mask.length} pixels, shape ${h}×${w} needs ${h * w}`);
  const labels = new Int32Array(h * w);
  const stack = new Int32Array(h * w);
  const dy = connectivity === 8 ? [-1, -1, -1, 0, 0, 1, 1, 1] : [-1, 0, 0, 1];
  const dx = connectivity === 8 ? [-1, 0, 1, -1, 1, -1, 0, 1] : [0, -1, 1, 0];
  let count = 0;
  for (let start = 0; start < h * w; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    count++;
    labels[start] = count;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const i = stack[--top];
      const y = (i / w) | 0;
      const x = i - y * w;
      for (let k = 0; k < dy.length; k++) {
        const ny = y + dy[k];
        const nx = x + dx[k];
        if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
        const j = ny * w + nx;
        if (mask[j] !== 0 && labels[j] === 0) {
          labels[j] = count;
          stack[top++] = j;
        }
      }
    }
  }
  return { labels, count };
}
