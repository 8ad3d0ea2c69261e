/**
 * Stride-1 'same' convolutions with odd square K×K kernels (NHWC, filter [K, K, Cin, Cout]) on the
 * kernel pool: the forward pass, the input gradient and the filter gradient. Inputs and outputs are
 * Float32Arrays (which may be views into another heap, such as TensorFlow.js's wasm memory); they are
 * copied into the pool's shared memory, the input zero-padded on the way.
 */
import { KernelPool, kernelPool } from './pool';

export interface ConvShape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
}

function check(s: ConvShape): void {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`conv: ${name} must be a positive integer, got ${v}`);
  }
  if (s.k % 2 !== 1) throw new Error(`conv: kernel size must be odd for 'same' padding, got ${s.k}`);
}

/**
 * The forward kernels (also the input gradient's, on the flipped filter):
 *   conv_winograd43      Winograd F(4×4, 3×3) (kernels.c): 4× fewer multiplications than direct;
 *                        3×3 kernels on heights and widths that are multiples of 4, at least 8 input
 *                        channels and 32 × 32 pixels;
 *   conv_winograd        Winograd F(2×2, 3×3): 2.25× fewer; 3×3 kernels on even heights and widths
 *                        with at least 8 input channels (where F(4×4) does not apply or is no faster);
 *   conv_forward_packed  direct, the filter packed into one panel per output-channel block first;
 *   conv_forward         direct, the filter read in place (same sums as packed: identical results).
 * The choice is a fixed rule of the layer's shape (forwardKernelFor), not a timing made at run time:
 * Winograd and direct round differently, and a run must give the same numbers every time it is
 * repeated. The rule comes from same-process measurements (README). SEGLAB_CONV_KERNEL names one
 * kernel for every layer (A/B measurements; a Winograd kernel that does not apply falls back).
 */
export type ForwardKernel = 'conv_forward' | 'conv_forward_packed' | 'conv_winograd' | 'conv_winograd43';
/** 'auto': forwardKernelFor's rule; otherwise the kernel SEGLAB_CONV_KERNEL names, for every layer. */
const FORCED = (['conv_forward', 'conv_forward_packed', 'conv_winograd', 'conv_winograd43'] as const).find(
  (k) => k === process.env.SEGLAB_CONV_KERNEL,
);

/** Winograd F(2×2, 3×3) covers 3×3 kernels on even heights and widths; anything else runs direct. */
export function winogradApplies(s: Pick<ConvShape, 'h' | 'w' | 'k'>): boolean {
  return s.k === 3 && s.h % 2 === 0 && s.w % 2 === 0;
}

/** Winograd F(4×4, 3×3) covers 3×3 kernels on heights and widths that are multiples of 4. */
export function winograd43Applies(s: Pick<ConvShape, 'h' | 'w' | 'k'>): boolean {
  return s.k === 3 && s.h % 4 === 0 && s.w % 4 === 0;
}

/**
 * The kernel a convolution of `inChannels` → `outChannels` runs. Below 8 input channels Winograd's
 * input transform costs more than it saves (1 → 32 channels at 256²: direct 6.7 ms, F(2×2) 16.6,
 * F(4×4) 16.3; 8 → 8: 6.8 / 8.2 / 5.8), so the packed direct kernel runs. From 8 channels F(4×4, 3×3)
 * where its tiles fit and the image has at least 32 × 32 pixels (at 256²–32², 32–512 channels:
 * 1.2–1.6× F(2×2)'s speed), else F(2×2, 3×3) (at 16², 128–512 channels, F(4×4) measured 0.84–1.0×:
 * few tiles share each pass over its 2.25× larger transformed filter). Measured in one process, 2
 * threads, batch 4 (README).
 */
export function forwardKernelFor(s: Pick<ConvShape, 'h' | 'w' | 'k'>, inChannels: number): ForwardKernel {
  if (FORCED) return FORCED;
  if (inChannels < 8 || !winogradApplies(s)) return 'conv_forward_packed';
  return winograd43Applies(s) && s.h * s.w >= 32 * 32 ? 'conv_winograd43' : 'conv_winograd';
}

/**
 * The filter-gradient kernels: conv_filter_winograd43 (the Winograd F(4×4, 3×3) domain, 4× fewer
 * multiplications; where winograd43Applies), conv_filter_winograd (F(2×2, 3×3), 2.25× fewer; where
 * winogradApplies) and conv_filter (direct). A fixed rule of the shape, as the forward's;
 * SEGLAB_FILTER_KERNEL names one kernel for every layer (A/B measurements).
 */
export type FilterKernel = 'conv_filter' | 'conv_filter_winograd' | 'conv_filter_winograd43';
const FORCED_FILTER = (['conv_filter', 'conv_filter_winograd', 'conv_filter_winograd43'] as const).find(
  (k) => k === process.env.SEGLAB_FILTER_KERNEL,
);

/**
 * The filter-gradient kernel of a convolution. Winograd's transforms cost in proportion to cin + cout
 * per tile, its products to cin·cout, so it pays from some cin·cout/(cin + cout): F(4×4, 3×3) from 16
 * where it applies on at least 32 × 32 pixels, else F(2×2, 3×3) from 32, else direct. Measured in one
 * process (2 threads, batch 4, ms direct / F(2×2) / F(4×4)): 32 → 32 at 256² 78 / 75 / 60, 64 → 32
 * 166 / 130 / 91, 128 → 64 at 128² 118 / 104 / 59, 128 → 128 at 64² 77 / 39 / 26, 512 → 256 at 32²
 * 209 / 132 / 118; at 16² (512 channels) F(4×4) ≈ F(2×2); 16 → 16 at 128² 4.4 / 8.1 / 6.2, 1 → 32 at
 * 256² 10 / 35 / 14 (README).
 */
export function filterKernelFor(s: Pick<ConvShape, 'h' | 'w' | 'k' | 'cin' | 'cout'>): FilterKernel {
  if (FORCED_FILTER) return FORCED_FILTER;
  const pairs = s.cin * s.cout;
  if (winograd43Applies(s) && s.h * s.w >= 32 * 32 && pairs >= 16 * (s.cin + s.cout)) return 'conv_filter_winograd43';
  return winogradApplies(s) && pairs >= 32 * (s.cin + s.cout) ? 'conv_filter_winograd' : 'conv_filter';
}

/** The kernels a convolution of shape `s` runs on the wasm backend: forward, input gradient, filter gradient. */
export function convKernelsFor(s: ConvShape): { forward: ForwardKernel; inputGradient: ForwardKernel; filterGradient: FilterKernel } {
  return { forward: forwardKernelFor(s, s.cin), inputGradient: forwardKernelFor(s, s.cout), filterGradient: filterKernelFor(s) };
}

/** Copies x [n, h, w, c] into a zeroed scratch block [n, h+2p, w+2p, c]; returns its offset. */
function padInto(pool: KernelPool, x: Float32Array, n: number, h: number, w: number, c: number, p: number): number {
  const hp = h + 2 * p;
  const wp = w + 2 * p;
  const size = n * hp * wp * c;
  const offset = pool.alloc(size);
  const dst = pool.f32(offset, size);
  if (p > 0) dst.fill(0);
  const rowLen = w * c;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const src = (b * h + y) * rowLen;
      dst.set(x.subarray(src, src + rowLen), ((b * hp + y + p) * wp + p) * c);
    }
  }
  return offset;
}

/**
 * Tile rows conv_winograd43 transforms together: their tiles share each pass over a block of the
 * transformed filter (deep layers have few tiles per row and a large filter): up to 64 tiles and
 * 2^19 floats (2 MiB) of transformed input. Measured (2 threads, batch 4): 64² 128 → 128 channels
 * 30 ms a row at a time, 24 ms four rows at a time; 32² 256 → 256 30 → 28 ms (eight rows); 128²
 * 64 → 64 the same.
 */
export function winograd43Rows(w: number, cin: number): number {
  const T = w / 4;
  return Math.max(1, Math.min(Math.ceil(64 / T), Math.floor(2 ** 19 / (36 * T * cin))));
}

/**
 * The 'same' convolution of `src` [n,h,w,srcChannels] with the filter already in the pool at
 * `filterOffset` ([k,k,srcChannels,outChannels]) plus the bias at `biasOffset` (0: none), into `out`
 * (or a new array).
 */
function convolve(
  pool: KernelPool,
  src: Float32Array,
  srcChannels: number,
  filterOffset: number,
  biasOffset: number,
  outChannels: number,
  s: ConvShape,
  out: Float32Array | undefined,
  kernel: ForwardKernel,
): Float32Array {
  const { n, h, w, k } = s;
  const size = n * h * w * outChannels;
  const padded = padInto(pool, src, n, h, w, srcChannels, (k - 1) / 2);
  const y = pool.alloc(size);
  if (kernel === 'conv_winograd43' && winograd43Applies(s)) {
    const U = pool.alloc(36 * srcChannels * outChannels);
    pool.call('pack_winograd43_filter', filterOffset, U, srcChannels, outChannels);
    const rows = winograd43Rows(w, srcChannels);
    const scratch = pool.alloc(pool.threads * pool.call('winograd43_scratch', w, srcChannels, rows));
    pool.parallel('conv_winograd43', [padded, U, biasOffset, y, n, h, w, srcChannels, outChannels, scratch, rows], (n * h) / 4);
  } else if ((kernel === 'conv_winograd' || kernel === 'conv_winograd43') && winogradApplies(s)) {
    const U = pool.alloc(16 * srcChannels * outChannels);
    pool.call('pack_winograd_filter', filterOffset, U, srcChannels, outChannels);
    const scratch = pool.alloc(pool.threads * pool.call('winograd_scratch', w, srcChannels));
    pool.parallel('conv_winograd', [padded, U, biasOffset, y, n, h, w, srcChannels, outChannels, scratch], (n * h) / 2);
  } else {
    const direct = kernel === 'conv_forward' ? 'conv_forward' : 'conv_forward_packed';
    let weights = filterOffset;
    if (direct === 'conv_forward_packed') {
      weights = pool.alloc(k * k * srcChannels * outChannels);
      pool.call('pack_filter', filterOffset, weights, k, srcChannels, outChannels);
    }
    pool.parallel(direct, [padded, weights, biasOffset, y, n, h, w, srcChannels, outChannels, k], n * h);
  }
  const result = out ?? new Float32Array(size);
  result.set(pool.f32(y, size));
  return result;
}

/**
 * y = conv(x, filter) (+ bias): x [n,h,w,cin], filter [k,k,cin,cout], bias [cout] → out [n,h,w,cout].
 * The bias is added to each finished sum, so the result equals a convolution followed by an add.
 */
export function convForward(
  x: Float32Array,
  filter: Float32Array,
  s: ConvShape,
  out?: Float32Array,
  pool = kernelPool(),
  bias?: Float32Array,
  kernel: ForwardKernel = forwardKernelFor(s, s.cin),
): Float32Array {
  check(s);
  if (bias && bias.length !== s.cout) throw new Error(`conv: bias has ${bias.length} values for ${s.cout} output channels`);
  pool.resetScratch();
  const filterOffset = pool.copyIn(filter);
  return convolve(pool, x, s.cin, filterOffset, bias ? pool.copyIn(bias) : 0, s.cout, s, out, kernel);
}

/** dx = ∂L/∂x from dy [n,h,w,cout] and filter [k,k,cin,cout] → [n,h,w,cin]: the convolution of dy with the
 * filter flipped in both spatial axes, in/out channels swapped. */
export function convInputGradient(
  dy: Float32Array,
  filter: Float32Array,
  s: ConvShape,
  out?: Float32Array,
  pool = kernelPool(),
  kernel: ForwardKernel = forwardKernelFor(s, s.cout),
): Float32Array {
  check(s);
  pool.resetScratch();
  const flipped = pool.alloc(filter.length);
  pool.call('flip_filter', pool.copyIn(filter), flipped, s.k, s.cin, s.cout);
  return convolve(pool, dy, s.cout, flipped, 0, s.cin, s, out, kernel);
}

/** dW = ∂L/∂filter from x [n,h,w,cin] and dy [n,h,w,cout] → [k,k,cin,cout]. */
export function convFilterGradient(
  x: Float32Array,
  dy: Float32Array,
  s: ConvShape,
  out?: Float32Array,
  pool = kernelPool(),
  kernel: FilterKernel = filterKernelFor(s),
): Float32Array {
  check(s);
  const { n, h, w, cin, cout, k } = s;
  pool.resetScratch();
  const xp = padInto(pool, x, n, h, w, cin, (k - 1) / 2);
  const d = pool.copyIn(dy);
  const size = k * k * cin * cout;
  const dw = pool.alloc(size);
  if (kernel === 'conv_filter_winograd43' && winograd43Applies(s)) winogradFilterGradient(pool, xp, d, dw, s, 4);
  else if ((kernel === 'conv_filter_winograd' || kernel === 'conv_filter_winograd43') && winogradApplies(s))
    winogradFilterGradient(pool, xp, d, dw, s, 2);
  else {
    pool.f32(dw, size).fill(0);
    const blocks = pool.call('conv_filter_blocks', cin, cout, k);
    pool.parallel('conv_filter', [xp, d, dw, n, h, w, cin, cout, k], blocks);
  }
  const result = out ?? new Float32Array(size);
  result.set(pool.f32(dw, size));
  return result;
}

/** Floats of transformed tiles (V and D) one chunk of the Winograd filter gradient holds: 8 MB. */
const WINOGRAD_CHUNK_FLOATS = 1 << 21;

/**
 * dw of a 3×3 layer in the Winograd domain (kernels.c, "convolution filter gradient, Winograd"),
 * F(2×2, 3×3) (m = 2: 16 planes) or F(4×4, 3×3) (m = 4: 36 planes): the tiles in chunks of whole tile
 * rows, each chunk transformed (threads split its rows), then its products added to S (threads split
 * S's blocks), then dw = Gᵀ S G.
 */
function winogradFilterGradient(pool: KernelPool, xp: number, d: number, dw: number, s: ConvShape, m: 2 | 4): void {
  const { n, h, w, cin, cout } = s;
  const planes = (m + 2) ** 2;
  const T = w / m;
  const rows = (n * h) / m;
  const chunkRows = Math.min(rows, Math.max(1, Math.floor(WINOGRAD_CHUNK_FLOATS / (planes * T * (cin + cout)))));
  const V = pool.alloc(planes * chunkRows * T * cin);
  const D = pool.alloc(planes * chunkRows * T * cout);
  const S = pool.alloc(planes * cin * cout);
  pool.f32(S, planes * cin * cout).fill(0);
  const blocks = pool.call('conv_filter_winograd_blocks', cin, cout, planes);
  const transform = m === 2 ? 'conv_filter_winograd_transform' : 'conv_filter_winograd43_transform';
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const chunk = Math.min(chunkRows, rows - r0);
    pool.parallel(transform, [xp, d, V, D, h, w, cin, cout, r0, chunk * T], chunk);
    pool.parallel('conv_filter_winograd', [V, D, S, cin, cout, chunk * T], blocks);
  }
  pool.call(m === 2 ? 'winograd_filter_output' : 'winograd43_filter_output', S, dw, cin, cout);
}
