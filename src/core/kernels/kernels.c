/*
 * SegLab's hand-written WebAssembly kernels (SIMD128, shared memory, no libc).
 *
 * Convolutions are NHWC, stride 1, 'same' padding, odd square kernels K (TensorFlow.js layout
 * filter [K, K, Cin, Cout]). The caller copies the input into a zero-padded buffer
 * xp [N, H+K-1, W+K-1, Cin], so no kernel branches on borders. For a fixed kernel row ky the
 * padded input row, read from column x, is a [W, K*Cin] matrix with row stride Cin, and the
 * filter slice W[ky] is a contiguous [K*Cin, Cout] matrix: a convolution is K small GEMMs per
 * output row, and the filter gradient is K transposed GEMMs accumulated over all rows.
 *
 * Work is split between threads by a [first, last) range of an outer index chosen so that every
 * output element is written by exactly one thread and summed in the same order whatever the
 * thread count: results do not depend on how many threads run.
 *
 * Loss kernels (evaluation only, no gradient): per-element terms summed in float32 (four lanes) over
 * runs of 1,024 elements, the runs' sums added in float64.
 */
#include <wasm_simd128.h>
typedef __SIZE_TYPE__ size_t;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
/*
 * a·b + c. The relaxed-SIMD build (build.sh compiles this file twice) uses f32x4.relaxed_madd: one
 * fused multiply-add with a single rounding where the hardware has FMA (x64 with FMA3, arm64), a
 * multiply then an add elsewhere; the baseline build always multiplies then adds.
 */
#ifdef __wasm_relaxed_simd__
#define MADD(a, b, c) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(c)))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

/* ---------------------------------------------------------------- convolution forward ------- */

/*
 * The register tile every forward kernel runs (direct, packed, Winograd's channel sums): for R items
 * (pixels, or Winograd tiles) from `a`, item r at a + r·aStep and its result at out + r·outStride,
 *   out[r][4v ..] = Σ_ky Σ_{j < kc} a[ky·aKy + r·aStep + j] · b[ky·bKy + j·bStride + 4v ..] (+ bias[4v ..]).
 * A direct convolution reads the padded input row ky (aKy its stride) as a [W, K·cin] matrix with row
 * stride cin, and the filter slice W[ky] as [K·cin, cout] (bStride cout; packed: the block's width).
 */
#define PANEL_TILE(R, NV)                                                                         \
  INLINE void panel_tile_##R##_##NV(const float *a, int aKy, int aStep, const float *b, int bKy,  \
                                    int bStride, int K, int kc, const float *bias, float *out,   \
                                    int outStride) {                                             \
    v128_t acc[R][NV];                                                                            \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                                \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f); \
    for (int ky = 0; ky < K; ky++) {                                                              \
      const float *ap = a + ky * aKy;                                                             \
      const float *bp = b + (size_t)ky * bKy;                                                     \
      for (int j = 0; j < kc; j++) {                                                              \
        v128_t bv[NV];                                                                            \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(bp + j * bStride + 4 * v); \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                          \
          v128_t av = wasm_v128_load32_splat(ap + r * aStep + j);                                 \
          _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++)                         \
            acc[r][v] = MADD(av, bv[v], acc[r][v]);                                                  \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                                \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++)                             \
        wasm_v128_store(out + r * outStride + v * 4,                                              \
                        bias ? wasm_f32x4_add(acc[r][v], wasm_v128_load(bias + v * 4)) : acc[r][v]); \
  }
/* 2 pixels × 12 channels (6 accumulators) measured fastest in V8 (x64 has 16 vector registers; 4 × 12
 * spills): the ISBI U-Net's forward convolutions took 108 ms with 4 × 12 tiles, 74 ms with 2 × 12. */
PANEL_TILE(2, 4)
PANEL_TILE(1, 4)
PANEL_TILE(2, 3)
PANEL_TILE(1, 3)
PANEL_TILE(2, 2)
PANEL_TILE(1, 2)
PANEL_TILE(4, 1)
PANEL_TILE(1, 1)

INLINE void panel_scalar(const float *a, int aKy, const float *b, int bKy, int bStride, int K, int kc,
                         const float *bias, float *out) {
  float s = 0.0f;
  for (int ky = 0; ky < K; ky++) {
    const float *ap = a + ky * aKy;
    const float *bp = b + (size_t)ky * bKy;
    for (int j = 0; j < kc; j++) s += ap[j] * bp[j * bStride];
  }
  *out = bias ? s + *bias : s;
}

/*
 * `count` items (a row's pixels, or a tile row's tiles) for one output-channel block of nvec vectors
 * (0: a single channel), tile by tile: 2 items × nvec vectors, 4 items for one vector.
 */
INLINE void panel_sweep(const float *a, int aKy, int aStep, const float *b, int bKy, int bStride, int K, int kc,
                        const float *bias, float *out, int outStride, int count, int nvec) {
  int x = 0;
#define PANEL_SWEEP(R, NV)                                                                              \
  for (; x + R <= count; x += R)                                                                        \
    panel_tile_##R##_##NV(a + x * aStep, aKy, aStep, b, bKy, bStride, K, kc, bias, out + x * outStride, outStride); \
  for (; x < count; x++) panel_tile_1_##NV(a + x * aStep, aKy, aStep, b, bKy, bStride, K, kc, bias, out + x * outStride, outStride);
  if (nvec == 4) {
    PANEL_SWEEP(2, 4)
  } else if (nvec == 3) {
    PANEL_SWEEP(2, 3)
  } else if (nvec == 2) {
    PANEL_SWEEP(2, 2)
  } else if (nvec == 1) {
    PANEL_SWEEP(4, 1)
  } else {
    for (; x < count; x++) panel_scalar(a + x * aStep, aKy, b, bKy, bStride, K, kc, bias, out + x * outStride);
  }
#undef PANEL_SWEEP
}

/*
 * Output-channel blocks of both convolution kernels: 12-wide (3 vectors) as far as they go, then 8
 * and 4, then single channels. (Splitting a 12 + 4 remainder into 8 + 8 measured no faster.)
 */
INLINE void co_plan(int cout, int *n16, int *n12, int *n8, int *n4, int *n1) {
  *n16 = cout / 16;
  int rest = cout % 16;
  *n12 = rest / 12;
  rest %= 12;
  *n8 = rest / 8;
  rest %= 8;
  *n4 = rest / 4;
  *n1 = rest % 4;
}

INLINE int co_blocks(int cout) {
  int n16, n12, n8, n4, n1;
  co_plan(cout, &n16, &n12, &n8, &n4, &n1);
  return n16 + n12 + n8 + n4 + n1;
}

/* Block `index` of the plan: its first channel and width in vectors (0: a single channel). */
INLINE void co_block(int cout, int index, int *co, int *nvec) {
  int n16, n12, n8, n4, n1;
  co_plan(cout, &n16, &n12, &n8, &n4, &n1);
  if (index < n16) { *co = index * 16; *nvec = 4; return; }
  index -= n16;
  int base = n16 * 16;
  if (index < n12) { *co = base + index * 12; *nvec = 3; return; }
  index -= n12;
  base += n12 * 12;
  if (index < n8) { *co = base + index * 8; *nvec = 2; return; }
  index -= n8;
  base += n8 * 8;
  if (index < n4) { *co = base + index * 4; *nvec = 1; return; }
  index -= n4;
  base += n4 * 4;
  *co = base + index;
  *nvec = 0;
}

/*
 * y[n, yy, x, :] for output rows [first, last) of the N*H rows.
 * xp: [N, H+K-1, W+K-1, cin] zero-padded input; w: [K, K, cin, cout]; bias: [cout] or null (added
 * after the sum, as a separate add would); y: [N, H, W, cout].
 */
EXPORT(conv_forward)
void conv_forward(const float *xp, const float *w, const float *bias, float *y, int n, int h, int wd, int cin,
                  int cout, int K, int first, int last) {
  (void)n;
  const int hp = h + K - 1, wp = wd + K - 1;
  const int rowStrideXp = wp * cin;
  for (int row = first; row < last; row++) {
    const int b = row / h, yy = row % h;
    const float *xrow = xp + ((b * hp + yy) * wp) * cin;
    float *yrow = y + (size_t)row * wd * cout;
    const int blocks = co_blocks(cout);
    for (int blk = 0; blk < blocks; blk++) {
      int co, nvec;
      co_block(cout, blk, &co, &nvec);
      panel_sweep(xrow, rowStrideXp, cin, w + co, K * cin * cout, cout, K, K * cin, bias ? bias + co : 0, yrow + co, cout, wd,
                  nvec);
    }
  }
}

/* ------------------------------------------------ convolution forward, packed and blocked --- */

/*
 * The filter packed into one contiguous panel per output-channel block of co_plan: block (co, width
 * W = 4·nvec, or 1 for a single channel) holds [K, K, cin, W] at offset co·K·K·cin, so a tile reads
 * its weights as one sequential stream instead of rows `cout` apart.
 */
EXPORT(pack_filter)
void pack_filter(const float *w, float *pw, int K, int cin, int cout) {
  const int blocks = co_blocks(cout), kk = K * K * cin;
  for (int blk = 0; blk < blocks; blk++) {
    int co, nvec;
    co_block(cout, blk, &co, &nvec);
    const int W = nvec ? 4 * nvec : 1;
    float *panel = pw + (size_t)co * kk;
    for (int j = 0; j < kk; j++)
      for (int c = 0; c < W; c++) panel[j * W + c] = w[(size_t)j * cout + co + c];
  }
}

/*
 * conv_forward with the filter packed by pack_filter (pw): y[n, yy, x, :] for output rows [first, last)
 * of the N*H rows, each element summed in the same order as conv_forward (ky, then kx·cin + ci), so the
 * two give identical results. Against conv_forward in one process (2 threads, batch 4, median of 9,
 * 2026-12-02): the same at 16 channels, 1.0–1.3× at 32–128, 1.2–1.4× at 256 and 1.4–2.1× at 512
 * (weights `cout` floats apart each spill from L1; a packed panel is one stream). Passes over blocks of
 * input channels, to keep a block's weights in L1, measured no faster than one pass.
 */
EXPORT(conv_forward_packed)
void conv_forward_packed(const float *xp, const float *pw, const float *bias, float *y, int n, int h, int wd,
                         int cin, int cout, int K, int first, int last) {
  (void)n;
  const int hp = h + K - 1, wp = wd + K - 1;
  const int rowStrideXp = wp * cin;
  const int blocks = co_blocks(cout);
  for (int row = first; row < last; row++) {
    const int b = row / h, yy = row % h;
    const float *xrow = xp + ((b * hp + yy) * wp) * cin;
    float *yrow = y + (size_t)row * wd * cout;
    for (int blk = 0; blk < blocks; blk++) {
      int co, nvec;
      co_block(cout, blk, &co, &nvec);
      const int W = nvec ? 4 * nvec : 1;
      panel_sweep(xrow, rowStrideXp, cin, pw + (size_t)co * K * K * cin, K * cin * W, W, K, K * cin, bias ? bias + co : 0,
                  yrow + co, cout, wd, nvec);
    }
  }
}

/* ------------------------------------------- convolution forward, Winograd F(2x2, 3x3) ------ */

/*
 * Lavin & Gray's minimal filtering (2016) for 3×3 'same' convolutions on even H and W: each 2×2 block
 * of outputs comes from a 4×4 input tile d as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the channel sums are 16
 * products per tile (4 per output) instead of 36 (9 per output): 2.25× fewer multiplications, with
 * transforms whose coefficients are 0, ±1 and ±½ (G), so the extra rounding is a few float32 ulps.
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1].
 * The transformed filter U = G g Gᵀ is packed like pack_filter's panels: per output-channel block
 * (co, width W), [16, cin, W] at offset co·16·cin.
 */
EXPORT(pack_winograd_filter)
void pack_winograd_filter(const float *w, float *U, int cin, int cout) {
  const int blocks = co_blocks(cout);
  for (int blk = 0; blk < blocks; blk++) {
    int co, nvec;
    co_block(cout, blk, &co, &nvec);
    const int W = nvec ? 4 * nvec : 1;
    float *panel = U + (size_t)co * 16 * cin;
    for (int ci = 0; ci < cin; ci++)
      for (int c = 0; c < W; c++) {
        float g[3][3], t[4][3];
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) g[ky][kx] = w[((size_t)(ky * 3 + kx) * cin + ci) * cout + co + c];
        for (int kx = 0; kx < 3; kx++) { /* t = G g */
          t[0][kx] = g[0][kx];
          t[1][kx] = 0.5f * (g[0][kx] + g[1][kx] + g[2][kx]);
          t[2][kx] = 0.5f * (g[0][kx] - g[1][kx] + g[2][kx]);
          t[3][kx] = g[2][kx];
        }
        for (int i = 0; i < 4; i++) { /* U = t Gᵀ */
          float u[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
          for (int j = 0; j < 4; j++) panel[((size_t)(i * 4 + j) * cin + ci) * W + c] = u[j];
        }
      }
  }
}

/*
 * V[ξ, t, ci ..ci+4) = (Bᵀ d B)[ξ] for tile t of one tile row: d = xp rows [0, 4), columns [2t, 2t+4);
 * V[ξ] starts at V + ξ·xiStride.
 */
INLINE void winograd_input_row(const float *xp, float *V, int T, int cin, int rowStride, size_t xiStride) {
  for (int t = 0; t < T; t++) {
    const float *d0 = xp + (size_t)(2 * t) * cin;
    int ci = 0;
    for (; ci + 4 <= cin; ci += 4) {
      v128_t d[4][4], u[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) d[i][j] = wasm_v128_load(d0 + (size_t)i * rowStride + j * cin + ci);
      for (int j = 0; j < 4; j++) {
        u[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
        u[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
        u[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
        u[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
      }
      for (int i = 0; i < 4; i++) {
        float *v = V + (size_t)(i * 4) * xiStride + (size_t)t * cin + ci;
        const size_t xi = xiStride; /* stride between ξ = (i, j) and (i, j+1) */
        wasm_v128_store(v, wasm_f32x4_sub(u[i][0], u[i][2]));
        wasm_v128_store(v + xi, wasm_f32x4_add(u[i][1], u[i][2]));
        wasm_v128_store(v + 2 * xi, wasm_f32x4_sub(u[i][2], u[i][1]));
        wasm_v128_store(v + 3 * xi, wasm_f32x4_sub(u[i][1], u[i][3]));
      }
    }
    for (; ci < cin; ci++) {
      float d[4][4], u[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) d[i][j] = d0[(size_t)i * rowStride + j * cin + ci];
      for (int j = 0; j < 4; j++) {
        u[0][j] = d[0][j] - d[2][j];
        u[1][j] = d[1][j] + d[2][j];
        u[2][j] = d[2][j] - d[1][j];
        u[3][j] = d[1][j] - d[3][j];
      }
      for (int i = 0; i < 4; i++) {
        float *v = V + (size_t)(i * 4) * xiStride + (size_t)t * cin + ci;
        const size_t xi = xiStride;
        v[0] = u[i][0] - u[i][2];
        v[xi] = u[i][1] + u[i][2];
        v[2 * xi] = u[i][2] - u[i][1];
        v[3 * xi] = u[i][1] - u[i][3];
      }
    }
  }
}

/* Y = Aᵀ m A for the output vector lanes [co + 4k …) of one tile, written to y rows yr0 and yr0 + 1. */
INLINE void winograd_output4(const v128_t m[16], v128_t out[4]) {
  v128_t t0[4], t1[4];
  for (int j = 0; j < 4; j++) {
    t0[j] = wasm_f32x4_add(wasm_f32x4_add(m[j], m[4 + j]), m[8 + j]);
    t1[j] = wasm_f32x4_sub(wasm_f32x4_sub(m[4 + j], m[8 + j]), m[12 + j]);
  }
  out[0] = wasm_f32x4_add(wasm_f32x4_add(t0[0], t0[1]), t0[2]);
  out[1] = wasm_f32x4_sub(wasm_f32x4_sub(t0[1], t0[2]), t0[3]);
  out[2] = wasm_f32x4_add(wasm_f32x4_add(t1[0], t1[1]), t1[2]);
  out[3] = wasm_f32x4_sub(wasm_f32x4_sub(t1[1], t1[2]), t1[3]);
}

INLINE float winograd_output1(const float m[16], int k) {
  float t0[4], t1[4];
  for (int j = 0; j < 4; j++) {
    t0[j] = m[j] + m[4 + j] + m[8 + j];
    t1[j] = m[4 + j] - m[8 + j] - m[12 + j];
  }
  return k == 0 ? t0[0] + t0[1] + t0[2] : k == 1 ? t0[1] - t0[2] - t0[3] : k == 2 ? t1[0] + t1[1] + t1[2] : t1[1] - t1[2] - t1[3];
}

/* Floats of scratch one thread of conv_winograd uses for rows of width wd: V then M. */
EXPORT(winograd_scratch)
int winograd_scratch(int wd, int cin) { return 16 * (wd / 2) * cin + 16 * (wd / 2) * 16; }

/*
 * y [N, H, W, cout] for tile rows [first, last) of the N·H/2 (H and W even): xp is the input padded
 * by 1 as for conv_forward, U the packed transformed filter, scratch `thread`'s slot of
 * winograd_scratch floats. Every output element comes from its own tile's sums over ci, in order:
 * results do not depend on the thread count.
 */
EXPORT(conv_winograd)
void conv_winograd(const float *xp, const float *U, const float *bias, float *y, int n, int h, int wd, int cin,
                   int cout, float *scratch, int first, int last, int thread) {
  (void)n;
  const int hp = h + 2, wp = wd + 2, T = wd / 2;
  const int rowStride = wp * cin;
  float *V = scratch + (size_t)thread * winograd_scratch(wd, cin);
  float *M = V + (size_t)16 * T * cin;
  const int blocks = co_blocks(cout);
  for (int tr = first; tr < last; tr++) {
    const int b = tr / (h / 2), r = tr % (h / 2);
    winograd_input_row(xp + ((size_t)(b * hp + 2 * r) * wp) * cin, V, T, cin, rowStride, (size_t)T * cin);
    float *y0 = y + ((size_t)(b * h + 2 * r) * wd) * cout;
    float *y1 = y0 + (size_t)wd * cout;
    for (int blk = 0; blk < blocks; blk++) {
      int co, nvec;
      co_block(cout, blk, &co, &nvec);
      const int W = nvec ? 4 * nvec : 1;
      const float *panel = U + (size_t)co * 16 * cin;
      for (int xi = 0; xi < 16; xi++) {
        const float *Vx = V + (size_t)xi * T * cin;
        const float *Ub = panel + (size_t)xi * cin * W;
        float *Mx = M + (size_t)xi * T * W;
        /* M[ξ, t, ..] = Σ_ci V[ξ, t, ci] · U[ξ, ci, ..]: the direct tiles with one "kernel row" of cin. */
        panel_sweep(Vx, 0, cin, Ub, 0, W, 1, cin, 0, Mx, W, T, nvec);
      }
      for (int t = 0; t < T; t++) {
        if (nvec) {
          for (int v = 0; v < nvec; v++) {
            v128_t m[16], out[4];
            for (int xi = 0; xi < 16; xi++) m[xi] = wasm_v128_load(M + ((size_t)xi * T + t) * W + 4 * v);
            winograd_output4(m, out);
            const int c = co + 4 * v;
            if (bias) {
              const v128_t bv = wasm_v128_load(bias + c);
              for (int k = 0; k < 4; k++) out[k] = wasm_f32x4_add(out[k], bv);
            }
            wasm_v128_store(y0 + (size_t)(2 * t) * cout + c, out[0]);
            wasm_v128_store(y0 + (size_t)(2 * t + 1) * cout + c, out[1]);
            wasm_v128_store(y1 + (size_t)(2 * t) * cout + c, out[2]);
            wasm_v128_store(y1 + (size_t)(2 * t + 1) * cout + c, out[3]);
          }
        } else {
          float m[16];
          for (int xi = 0; xi < 16; xi++) m[xi] = M[(size_t)xi * T + t];
          const float bv = bias ? bias[co] : 0.0f;
          y0[(size_t)(2 * t) * cout + co] = winograd_output1(m, 0) + bv;
          y0[(size_t)(2 * t + 1) * cout + co] = winograd_output1(m, 1) + bv;
          y1[(size_t)(2 * t) * cout + co] = winograd_output1(m, 2) + bv;
          y1[(size_t)(2 * t + 1) * cout + co] = winograd_output1(m, 3) + bv;
        }
      }
    }
  }
}

/* ------------------------------------------- convolution forward, Winograd F(4x4, 3x3) ------ */

/*
 * The same minimal filtering with 6×6 input tiles giving 4×4 output blocks (H and W multiples of 4):
 * 36 products per tile (2.25 per output) instead of F(2×2)'s 4 and direct's 9 — 1.78× fewer than
 * F(2×2). Its transforms have coefficients up to 8 (Aᵀ) and 5 (Bᵀ), so it rounds more: a few times
 * F(2×2)'s error against float64 on narrow layers, about the same on wide ones (kernels.test.ts).
 * Interpolation points 0, ±1, ±2, ∞ (Lavin & Gray 2016):
 *   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
 *   G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1],
 *   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
 * U = G g Gᵀ (computed in double, rounded once) is packed per output-channel block as pack_filter's
 * panels: block (co, width W) holds [36, cin, W] at offset co·36·cin.
 */
INLINE void g43(const double g[3], double u[6]) {
  u[0] = g[0] / 4;
  u[1] = -(g[0] + g[1] + g[2]) / 6;
  u[2] = -(g[0] - g[1] + g[2]) / 6;
  u[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
  u[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
  u[5] = g[2];
}

EXPORT(pack_winograd43_filter)
void pack_winograd43_filter(const float *w, float *U, int cin, int cout) {
  const int blocks = co_blocks(cout);
  for (int blk = 0; blk < blocks; blk++) {
    int co, nvec;
    co_block(cout, blk, &co, &nvec);
    const int W = nvec ? 4 * nvec : 1;
    float *panel = U + (size_t)co * 36 * cin;
    for (int ci = 0; ci < cin; ci++)
      for (int c = 0; c < W; c++) {
        double t[3][6]; /* t[ky] = G g[ky][·] along kx, then G along ky */
        for (int ky = 0; ky < 3; ky++) {
          double g[3];
          for (int kx = 0; kx < 3; kx++) g[kx] = w[((size_t)(ky * 3 + kx) * cin + ci) * cout + co + c];
          g43(g, t[ky]);
        }
        for (int j = 0; j < 6; j++) {
          double col[3] = {t[0][j], t[1][j], t[2][j]}, u[6];
          g43(col, u);
          for (int i = 0; i < 6; i++) panel[((size_t)(i * 6 + j) * cin + ci) * W + c] = (float)u[i];
        }
      }
  }
}

/* r = Bᵀ d for six vectors d0 … d5 (one column or row of a tile). */
#define BT43(R, D, ADD, SUB, MUL, K4, K5, K2)                                                       \
  do {                                                                                              \
    const V43 t1 = SUB(D[4], MUL(K4, D[2])), t2 = SUB(D[3], MUL(K4, D[1]));                          \
    const V43 t3 = SUB(D[4], D[2]), t4 = MUL(K2, SUB(D[3], D[1]));                                  \
    R[0] = ADD(SUB(MUL(K4, D[0]), MUL(K5, D[2])), D[4]);                                            \
    R[1] = ADD(t1, t2);                                                                             \
    R[2] = SUB(t1, t2);                                                                             \
    R[3] = ADD(t3, t4);                                                                             \
    R[4] = SUB(t3, t4);                                                                             \
    R[5] = ADD(SUB(MUL(K4, D[1]), MUL(K5, D[3])), D[5]);                                            \
  } while (0)

#define VADD wasm_f32x4_add
#define VSUB wasm_f32x4_sub
#define VMUL wasm_f32x4_mul
#define SADD(a, b) ((a) + (b))
#define SSUB(a, b) ((a) - (b))
#define SMUL(a, b) ((a) * (b))

/*
 * V[ξ, t, ci] = (Bᵀ d B)[ξ] for the T tiles of one tile row: d = xp rows [0, 6), columns [4t, 4t+6);
 * V[ξ] starts at V + ξ·xiStride.
 */
INLINE void winograd43_input_row(const float *xp, float *V, int T, int cin, int rowStride, size_t xiStride) {
  for (int t = 0; t < T; t++) {
    const float *d0 = xp + (size_t)(4 * t) * cin;
    int ci = 0;
    {
#define V43 v128_t
      const v128_t k4 = wasm_f32x4_splat(4.0f), k5 = wasm_f32x4_splat(5.0f), k2 = wasm_f32x4_splat(2.0f);
      for (; ci + 4 <= cin; ci += 4) {
        v128_t u[6][6]; /* u[i][j] = (Bᵀ d)[i][j] */
        for (int j = 0; j < 6; j++) {
          v128_t d[6];
          for (int i = 0; i < 6; i++) d[i] = wasm_v128_load(d0 + (size_t)i * rowStride + j * cin + ci);
          v128_t r[6];
          BT43(r, d, VADD, VSUB, VMUL, k4, k5, k2);
          for (int i = 0; i < 6; i++) u[i][j] = r[i];
        }
        for (int i = 0; i < 6; i++) {
          v128_t r[6];
          BT43(r, u[i], VADD, VSUB, VMUL, k4, k5, k2);
          float *v = V + (size_t)(i * 6) * xiStride + (size_t)t * cin + ci;
          for (int j = 0; j < 6; j++) wasm_v128_store(v + j * xiStride, r[j]);
        }
      }
#undef V43
    }
#define V43 float
    for (; ci < cin; ci++) {
      float u[6][6];
      for (int j = 0; j < 6; j++) {
        float d[6], r[6];
        for (int i = 0; i < 6; i++) d[i] = d0[(size_t)i * rowStride + j * cin + ci];
        BT43(r, d, SADD, SSUB, SMUL, 4.0f, 5.0f, 2.0f);
        for (int i = 0; i < 6; i++) u[i][j] = r[i];
      }
      for (int i = 0; i < 6; i++) {
        float r[6];
        BT43(r, u[i], SADD, SSUB, SMUL, 4.0f, 5.0f, 2.0f);
        float *v = V + (size_t)(i * 6) * xiStride + (size_t)t * cin + ci;
        for (int j = 0; j < 6; j++) v[j * xiStride] = r[j];
      }
    }
#undef V43
  }
}

/* o = Aᵀ m for six vectors m0 … m5. */
#define AT43(O, M, ADD, SUB, MUL, K2, K4, K8)                                                       \
  do {                                                                                              \
    const V43 a = ADD(M[1], M[2]), b = SUB(M[1], M[2]), c = ADD(M[3], M[4]), d = SUB(M[3], M[4]);   \
    O[0] = ADD(ADD(M[0], a), c);                                                                    \
    O[1] = ADD(b, MUL(K2, d));                                                                      \
    O[2] = ADD(a, MUL(K4, c));                                                                      \
    O[3] = ADD(ADD(b, MUL(K8, d)), M[5]);                                                           \
  } while (0)

/* Floats of scratch one thread of conv_winograd43 uses for `rows` tile rows of width wd: V then M. */
EXPORT(winograd43_scratch)
int winograd43_scratch(int wd, int cin, int rows) { return 36 * rows * (wd / 4) * (cin + 16); }

/*
 * y [N, H, W, cout] for tile rows [first, last) of the N·H/4 (H and W multiples of 4), `rows` tile
 * rows at a time (their tiles share each pass over a block of U: deep layers have few tiles per row
 * and a large U). xp is the input padded by 1 as for conv_forward, U from pack_winograd43_filter,
 * scratch `thread`'s slot of winograd43_scratch floats. Every output element comes from its own
 * tile's sums over ci, in order, whatever the grouping: results do not depend on the thread count.
 */
EXPORT(conv_winograd43)
void conv_winograd43(const float *xp, const float *U, const float *bias, float *y, int n, int h, int wd, int cin,
                     int cout, float *scratch, int rows, int first, int last, int thread) {
  (void)n;
  const int hp = h + 2, wp = wd + 2, T = wd / 4, tileRows = h / 4;
  const int rowStride = wp * cin;
  float *V = scratch + (size_t)thread * winograd43_scratch(wd, cin, rows);
  float *M = V + (size_t)36 * rows * T * cin;
  const int blocks = co_blocks(cout);
  for (int tr0 = first; tr0 < last; tr0 += rows) {
    const int R = last - tr0 < rows ? last - tr0 : rows, tiles = R * T;
    for (int q = 0; q < R; q++) {
      const int b = (tr0 + q) / tileRows, r = (tr0 + q) % tileRows;
      winograd43_input_row(xp + ((size_t)(b * hp + 4 * r) * wp) * cin, V + (size_t)q * T * cin, T, cin, rowStride,
                           (size_t)tiles * cin);
    }
    for (int blk = 0; blk < blocks; blk++) {
      int co, nvec;
      co_block(cout, blk, &co, &nvec);
      const int W = nvec ? 4 * nvec : 1;
      const float *panel = U + (size_t)co * 36 * cin;
      for (int xi = 0; xi < 36; xi++)
        panel_sweep(V + (size_t)xi * tiles * cin, 0, cin, panel + (size_t)xi * cin * W, 0, W, 1, cin, 0,
                    M + (size_t)xi * tiles * W, W, tiles, nvec);
      for (int q = 0; q < tiles; q++) {
        const int tr = tr0 + q / T, t = q % T;
        const int b = tr / tileRows, r = tr % tileRows;
        float *y0 = y + ((size_t)(b * h + 4 * r) * wd + 4 * t) * cout;
        if (nvec) {
#define V43 v128_t
          const v128_t k2 = wasm_f32x4_splat(2.0f), k4 = wasm_f32x4_splat(4.0f), k8 = wasm_f32x4_splat(8.0f);
          for (int v = 0; v < nvec; v++) {
            v128_t s[4][6]; /* s = Aᵀ m along ξ's first index */
            for (int j = 0; j < 6; j++) {
              v128_t m[6], o[4];
              for (int i = 0; i < 6; i++) m[i] = wasm_v128_load(M + ((size_t)(i * 6 + j) * tiles + q) * W + 4 * v);
              AT43(o, m, VADD, VSUB, VMUL, k2, k4, k8);
              for (int i = 0; i < 4; i++) s[i][j] = o[i];
            }
            const int c = co + 4 * v;
            const v128_t bv = bias ? wasm_v128_load(bias + c) : wasm_f32x4_splat(0.0f);
            for (int i = 0; i < 4; i++) {
              v128_t o[4];
              AT43(o, s[i], VADD, VSUB, VMUL, k2, k4, k8);
              for (int j = 0; j < 4; j++)
                wasm_v128_store(y0 + ((size_t)i * wd + j) * cout + c, bias ? wasm_f32x4_add(o[j], bv) : o[j]);
            }
          }
#undef V43
        } else {
#define V43 float
          float s[4][6];
          for (int j = 0; j < 6; j++) {
            float m[6], o[4];
            for (int i = 0; i < 6; i++) m[i] = M[(size_t)(i * 6 + j) * tiles + q];
            AT43(o, m, SADD, SSUB, SMUL, 2.0f, 4.0f, 8.0f);
            for (int i = 0; i < 4; i++) s[i][j] = o[i];
          }
          for (int i = 0; i < 4; i++) {
            float o[4];
            AT43(o, s[i], SADD, SSUB, SMUL, 2.0f, 4.0f, 8.0f);
            for (int j = 0; j < 4; j++) y0[((size_t)i * wd + j) * cout + co] = bias ? o[j] + bias[co] : o[j];
          }
#undef V43
        }
      }
    }
  }
}

/* ------------------------------------------------------------ convolution filter gradient --- */

/*
 * The register tile of both filter-gradient kernels (direct and Winograd): for R rows of A and NV
 * vectors of D, acc[r][v] += Σ_{x < count} a[x·aStride + r] · d[x·dStride + 4v ..].
 */
#define DOT_RUN(R, NV)                                                                            \
  INLINE void dot_run_##R##_##NV(v128_t acc[R][NV], const float *a, int aStride, const float *d, int dStride, \
                                 int count) {                                                     \
    for (int x = 0; x < count; x++) {                                                             \
      v128_t dv[NV];                                                                              \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) dv[v] = wasm_v128_load(d + (size_t)x * dStride + 4 * v); \
      _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {                            \
        v128_t av = wasm_v128_load32_splat(a + (size_t)x * aStride + r);                          \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) acc[r][v] = MADD(av, dv[v], acc[r][v]); \
      }                                                                                           \
    }                                                                                             \
  }                                                                                               \
  INLINE void acc_zero_##R##_##NV(v128_t acc[R][NV]) {                                            \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                                \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f); \
  }                                                                                               \
  INLINE void acc_add_to_##R##_##NV(v128_t acc[R][NV], float *out, int outStride) {              \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)                                \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) {                           \
        float *o = out + r * outStride + v * 4;                                                   \
        wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), acc[r][v]));                         \
      }                                                                                           \
  }

/*
 * dw[ky, j .. j+R, co .. co+4*NV) += Σ_rows Σ_x A[x, j ..] · dy[x, co ..] over the pixel rows
 * [r0, r1). A row of A for kernel row ky is the padded input row (b, yy+ky).
 */
#define FILTER_TILE(R, NV)                                                                        \
  DOT_RUN(R, NV)                                                                                  \
  INLINE void filter_tile_##R##_##NV(const float *xp, const float *dy, float *dw, int h, int wd,  \
                                     int cin, int cout, int K, int ky, int j, int co, int r0,     \
                                     int r1) {                                                    \
    const int hp = h + K - 1, wp = wd + K - 1;                                                    \
    v128_t acc[R][NV];                                                                            \
    acc_zero_##R##_##NV(acc);                                                                     \
    for (int row = r0; row < r1; row++) {                                                         \
      const int b = row / h, yy = row % h;                                                        \
      dot_run_##R##_##NV(acc, xp + ((b * hp + yy + ky) * wp) * cin + j, cin, dy + (size_t)row * wd * cout + co, cout, wd); \
    }                                                                                             \
    acc_add_to_##R##_##NV(acc, dw + (ky * K * cin + j) * cout + co, cout);                        \
  }
/* 2 rows × 12 channels, as the forward tiles (4 × 12 needs every vector register and spills). */
FILTER_TILE(2, 4)
FILTER_TILE(1, 4)
FILTER_TILE(2, 3)
FILTER_TILE(1, 3)
FILTER_TILE(2, 2)
FILTER_TILE(1, 2)
FILTER_TILE(2, 1)
FILTER_TILE(1, 1)

INLINE void filter_scalar(const float *xp, const float *dy, float *dw, int h, int wd, int cin, int cout,
                          int K, int ky, int j, int co, int r0, int r1) {
  const int hp = h + K - 1, wp = wd + K - 1;
  float s = 0.0f;
  for (int row = r0; row < r1; row++) {
    const int b = row / h, yy = row % h;
    const float *a = xp + ((b * hp + yy + ky) * wp) * cin + j;
    const float *d = dy + (size_t)row * wd * cout + co;
    for (int x = 0; x < wd; x++) s += a[x * cin] * d[x * cout];
  }
  dw[(ky * K * cin + j) * cout + co] += s;
}

/* Channel blocks of the filter gradient: (j block of up to JB rows of K*cin) × (co block). */
#define JB 2
EXPORT(conv_filter_blocks)
int conv_filter_blocks(int cin, int cout, int K) { return K * ((K * cin + JB - 1) / JB) * co_blocks(cout); }

/*
 * dw [K, K, cin, cout] (zeroed by the caller) for blocks [first, last) of conv_filter_blocks();
 * rows are swept in chunks that stay in cache, each chunk once per block.
 */
EXPORT(conv_filter)
void conv_filter(const float *xp, const float *dy, float *dw, int n, int h, int wd, int cin, int cout,
                 int K, int first, int last) {
  const int kc = K * cin;
  const int jblocks = (kc + JB - 1) / JB, cblocks = co_blocks(cout);
  const int total = n * h;
  int widest = cin > cout ? cin : cout;
  int chunk = (16384 / (wd * widest)) | 1; /* ~64 KB of each operand per chunk */
  for (int r0 = 0; r0 < total; r0 += chunk) {
    const int r1 = r0 + chunk < total ? r0 + chunk : total;
    for (int blk = first; blk < last; blk++) {
      const int ky = blk / (jblocks * cblocks);
      const int rem = blk % (jblocks * cblocks);
      const int j = (rem / cblocks) * JB;
      int co, nvec;
      co_block(cout, rem % cblocks, &co, &nvec);
      const int rows = kc - j < JB ? kc - j : JB;
      if (nvec == 0) {
        for (int r = 0; r < rows; r++) filter_scalar(xp, dy, dw, h, wd, cin, cout, K, ky, j + r, co, r0, r1);
      } else if (rows == JB) {
        if (nvec == 4) filter_tile_2_4(xp, dy, dw, h, wd, cin, cout, K, ky, j, co, r0, r1);
        else if (nvec == 3) filter_tile_2_3(xp, dy, dw, h, wd, cin, cout, K, ky, j, co, r0, r1);
        else if (nvec == 2) filter_tile_2_2(xp, dy, dw, h, wd, cin, cout, K, ky, j, co, r0, r1);
        else filter_tile_2_1(xp, dy, dw, h, wd, cin, cout, K, ky, j, co, r0, r1);
      } else {
        for (int r = 0; r < rows; r++) {
          if (nvec == 4) filter_tile_1_4(xp, dy, dw, h, wd, cin, cout, K, ky, j + r, co, r0, r1);
          else if (nvec == 3) filter_tile_1_3(xp, dy, dw, h, wd, cin, cout, K, ky, j + r, co, r0, r1);
          else if (nvec == 2) filter_tile_1_2(xp, dy, dw, h, wd, cin, cout, K, ky, j + r, co, r0, r1);
          else filter_tile_1_1(xp, dy, dw, h, wd, cin, cout, K, ky, j + r, co, r0, r1);
        }
      }
    }
  }
}

/* -------------------------------------------------- convolution filter gradient, Winograd --- */
/*
 * The filter gradient of a 3×3 layer in the Winograd F(2×2, 3×3) domain. The forward pass is
 * y_tile = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per 2×2 output tile, so for L = Σ y·dy the gradient of the
 * transformed filter is (A dy Aᵀ) ⊙ (Bᵀ d B) and that of g is Gᵀ[·]G (the transposition principle):
 *   S[ξ, ci, co] = Σ over every tile of V[ξ, tile, ci] · D[ξ, tile, co],  V = Bᵀ d B,  D = A dy Aᵀ,
 *   dw[·, ·, ci, co] = Gᵀ S[·, ci, co] G,
 * 16 products per tile and channel pair where the direct gradient takes 36 (2.25× fewer). The tiles
 * are taken in chunks of whole tile rows: conv_filter_winograd_transform fills a chunk's V and D
 * (threads split the tile rows), conv_filter_winograd adds the chunk's products to S (threads split
 * blocks of S; every block sums the tiles in order, so results do not depend on the thread count),
 * winograd_filter_output makes dw from S.
 */

/* D[ξ, t, co ..] = (A e Aᵀ)[ξ] for the 2×2 tile t of dy rows e0 (and e0 + rowStride); D[ξ] at D + ξ·xiStride. */
INLINE void winograd_dy_row(const float *e0, float *D, int T, int cout, int rowStride, size_t xiStride) {
  for (int t = 0; t < T; t++) {
    const float *a = e0 + (size_t)(2 * t) * cout;
    const float *c = a + rowStride;
    float *o = D + (size_t)t * cout;
    int co = 0;
    for (; co + 4 <= cout; co += 4) {
      const v128_t a0 = wasm_v128_load(a + co), a1 = wasm_v128_load(a + cout + co);
      const v128_t c0 = wasm_v128_load(c + co), c1 = wasm_v128_load(c + cout + co);
      /* rows of A e: e0, e0 + e1, e0 − e1, −e1; then each row [p, q] → [p, p + q, p − q, −q] */
      const v128_t r[4][2] = {{a0, a1},
                              {wasm_f32x4_add(a0, c0), wasm_f32x4_add(a1, c1)},
                              {wasm_f32x4_sub(a0, c0), wasm_f32x4_sub(a1, c1)},
                              {wasm_f32x4_neg(c0), wasm_f32x4_neg(c1)}};
      for (int i = 0; i < 4; i++) {
        float *v = o + (size_t)(4 * i) * xiStride + co;
        wasm_v128_store(v, r[i][0]);
        wasm_v128_store(v + xiStride, wasm_f32x4_add(r[i][0], r[i][1]));
        wasm_v128_store(v + 2 * xiStride, wasm_f32x4_sub(r[i][0], r[i][1]));
        wasm_v128_store(v + 3 * xiStride, wasm_f32x4_neg(r[i][1]));
      }
    }
    for (; co < cout; co++) {
      const float r[4][2] = {{a[co], a[cout + co]},
                             {a[co] + c[co], a[cout + co] + c[cout + co]},
                             {a[co] - c[co], a[cout + co] - c[cout + co]},
                             {-c[co], -c[cout + co]}};
      for (int i = 0; i < 4; i++) {
        float *v = o + (size_t)(4 * i) * xiStride + co;
        v[0] = r[i][0];
        v[xiStride] = r[i][0] + r[i][1];
        v[2 * xiStride] = r[i][0] - r[i][1];
        v[3 * xiStride] = -r[i][1];
      }
    }
  }
}

/*
 * V and D of the chunk of tile rows starting at row0 (tile rows count over the batch, H/2 per image;
 * `tiles` the chunk's tile count, the ξ stride), for the chunk's tile rows [first, last). xp is the
 * input padded by 1, dy [N, H, W, cout].
 */
EXPORT(conv_filter_winograd_transform)
void conv_filter_winograd_transform(const float *xp, const float *dy, float *V, float *D, int h, int wd, int cin, int cout,
                                    int row0, int tiles, int first, int last) {
  const int hp = h + 2, wp = wd + 2, T = wd / 2;
  for (int i = first; i < last; i++) {
    const int tr = row0 + i, b = tr / (h / 2), r = tr % (h / 2);
    const size_t at = (size_t)i * T;
    winograd_input_row(xp + ((size_t)(b * hp + 2 * r) * wp) * cin, V + at * cin, T, cin, wp * cin, (size_t)tiles * cin);
    winograd_dy_row(dy + ((size_t)(b * h + 2 * r) * wd) * cout, D + at * cout, T, cout, wd * cout, (size_t)tiles * cout);
  }
}

/* out[r][co ..co+4·NV) += Σ_{x < count} a[x·aStride + r] · d[x·dStride + co ..]: the filter tiles without geometry. */
#define DOT_TILE(R, NV)                                                                           \
  INLINE void dot_tile_##R##_##NV(const float *a, int aStride, const float *d, int dStride, int count, float *out, \
                                  int outStride) {                                                \
    v128_t acc[R][NV];                                                                            \
    acc_zero_##R##_##NV(acc);                                                                     \
    dot_run_##R##_##NV(acc, a, aStride, d, dStride, count);                                       \
    acc_add_to_##R##_##NV(acc, out, outStride);                                                   \
  }
DOT_TILE(2, 4)
DOT_TILE(1, 4)
DOT_TILE(2, 3)
DOT_TILE(1, 3)
DOT_TILE(2, 2)
DOT_TILE(1, 2)
DOT_TILE(2, 1)
DOT_TILE(1, 1)

/* One block of `rows` (1 or 2) rows × (4·nvec channels, or 1 for nvec 0) of dot tiles. */
INLINE void dot_block(const float *a, int aStride, const float *d, int dStride, int count, float *out, int outStride,
                      int rows, int nvec) {
  if (nvec == 0) {
    for (int r = 0; r < rows; r++) {
      float s = 0.0f;
      for (int x = 0; x < count; x++) s += a[(size_t)x * aStride + r] * d[(size_t)x * dStride];
      out[r * outStride] += s;
    }
  } else if (rows == 2) {
    if (nvec == 4) dot_tile_2_4(a, aStride, d, dStride, count, out, outStride);
    else if (nvec == 3) dot_tile_2_3(a, aStride, d, dStride, count, out, outStride);
    else if (nvec == 2) dot_tile_2_2(a, aStride, d, dStride, count, out, outStride);
    else dot_tile_2_1(a, aStride, d, dStride, count, out, outStride);
  } else {
    if (nvec == 4) dot_tile_1_4(a, aStride, d, dStride, count, out, outStride);
    else if (nvec == 3) dot_tile_1_3(a, aStride, d, dStride, count, out, outStride);
    else if (nvec == 2) dot_tile_1_2(a, aStride, d, dStride, count, out, outStride);
    else dot_tile_1_1(a, aStride, d, dStride, count, out, outStride);
  }
}

EXPORT(conv_filter_winograd_blocks)
int conv_filter_winograd_blocks(int cin, int cout, int planes) { return planes * ((cin + JB - 1) / JB) * co_blocks(cout); }

/*
 * S [planes, cin, cout] += the products of a chunk of `tiles` tiles (V, D as either transform left
 * them: 16 planes for F(2×2), 36 for F(4×4)) for blocks [first, last) of conv_filter_winograd_blocks:
 * (ξ, JB input channels, an output-channel block).
 * Tiles are swept in runs whose operands stay in cache, each run once per block.
 */
EXPORT(conv_filter_winograd)
void conv_filter_winograd(const float *V, const float *D, float *S, int cin, int cout, int tiles, int first, int last) {
  const int jblocks = (cin + JB - 1) / JB, cblocks = co_blocks(cout);
  const int widest = cin > cout ? cin : cout;
  const int run = 8192 / widest > 1 ? 8192 / widest : 1; /* ~32 KB of each operand per run */
  for (int t0 = 0; t0 < tiles; t0 += run) {
    const int count = t0 + run < tiles ? run : tiles - t0;
    for (int blk = first; blk < last; blk++) {
      const int xi = blk / (jblocks * cblocks), rem = blk % (jblocks * cblocks);
      const int ci = (rem / cblocks) * JB;
      int co, nvec;
      co_block(cout, rem % cblocks, &co, &nvec);
      const int rows = cin - ci < JB ? cin - ci : JB;
      const float *a = V + (size_t)xi * tiles * cin + (size_t)t0 * cin + ci;
      const float *d = D + (size_t)xi * tiles * cout + (size_t)t0 * cout + co;
      dot_block(a, cin, d, cout, count, S + ((size_t)xi * cin + ci) * cout + co, cout, rows, nvec);
    }
  }
}

/* dw [3, 3, cin, cout] = Gᵀ S G for every channel pair, Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]. */
EXPORT(winograd_filter_output)
void winograd_filter_output(const float *S, float *dw, int cin, int cout) {
  const size_t plane = (size_t)cin * cout;
  for (size_t k = 0; k < plane; k++) {
    float t[3][4];
    for (int j = 0; j < 4; j++) { /* t = Gᵀ S, by columns */
      const float s0 = S[(size_t)j * plane + k], s1 = S[(size_t)(4 + j) * plane + k];
      const float s2 = S[(size_t)(8 + j) * plane + k], s3 = S[(size_t)(12 + j) * plane + k];
      t[0][j] = s0 + 0.5f * (s1 + s2);
      t[1][j] = 0.5f * (s1 - s2);
      t[2][j] = 0.5f * (s1 + s2) + s3;
    }
    for (int i = 0; i < 3; i++) { /* dw = t G, by rows */
      dw[(size_t)(i * 3 + 0) * plane + k] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
      dw[(size_t)(i * 3 + 1) * plane + k] = 0.5f * (t[i][1] - t[i][2]);
      dw[(size_t)(i * 3 + 2) * plane + k] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
    }
  }
}

/*
 * The same gradient in the F(4×4, 3×3) domain: S[ξ, ci, co] = Σ over every 4×4-output tile of
 * V[ξ, tile, ci] · D[ξ, tile, co] with V = Bᵀ d B (6×6 input tiles, as conv_winograd43) and
 * D = A dy Aᵀ, then dw = Gᵀ S G: 36 products per tile and channel pair where the direct gradient takes
 * 144 (16 outputs × 9), 1.78× fewer than F(2×2)'s 16 per 4 outputs. conv_filter_winograd sums the
 * products of either (its blocks count ξ; conv_filter_winograd_blocks takes the number of planes).
 */

/* D[ξ, t, co ..] = (A e Aᵀ)[ξ] for the 4×4 tile t of dy rows e0 … e0 + 3·rowStride; D[ξ] at D + ξ·xiStride. */
#define A43(R, E, ADD, SUB, MUL, K2, K4, K8)                                                       \
  do {                                                                                              \
    const V43 p = ADD(E[0], E[2]), q = ADD(E[1], E[3]);                                             \
    const V43 p2 = ADD(E[0], MUL(K4, E[2])), q2 = ADD(MUL(K2, E[1]), MUL(K8, E[3]));                \
    R[0] = E[0];                                                                                    \
    R[1] = ADD(p, q);                                                                               \
    R[2] = SUB(p, q);                                                                               \
    R[3] = ADD(p2, q2);                                                                             \
    R[4] = SUB(p2, q2);                                                                             \
    R[5] = E[3];                                                                                    \
  } while (0)

INLINE void winograd43_dy_row(const float *e0, float *D, int T, int cout, int rowStride, size_t xiStride) {
  for (int t = 0; t < T; t++) {
    const float *a = e0 + (size_t)(4 * t) * cout;
    float *o = D + (size_t)t * cout;
    int co = 0;
    {
#define V43 v128_t
      const v128_t k2 = wasm_f32x4_splat(2.0f), k4 = wasm_f32x4_splat(4.0f), k8 = wasm_f32x4_splat(8.0f);
      for (; co + 4 <= cout; co += 4) {
        v128_t r[6][4]; /* r = A e, by columns of the tile */
        for (int j = 0; j < 4; j++) {
          v128_t e[4], c[6];
          for (int i = 0; i < 4; i++) e[i] = wasm_v128_load(a + (size_t)i * rowStride + j * cout + co);
          A43(c, e, VADD, VSUB, VMUL, k2, k4, k8);
          for (int i = 0; i < 6; i++) r[i][j] = c[i];
        }
        for (int i = 0; i < 6; i++) {
          v128_t c[6];
          A43(c, r[i], VADD, VSUB, VMUL, k2, k4, k8);
          float *v = o + (size_t)(6 * i) * xiStride + co;
          for (int j = 0; j < 6; j++) wasm_v128_store(v + j * xiStride, c[j]);
        }
      }
#undef V43
    }
#define V43 float
    for (; co < cout; co++) {
      float r[6][4];
      for (int j = 0; j < 4; j++) {
        float e[4], c[6];
        for (int i = 0; i < 4; i++) e[i] = a[(size_t)i * rowStride + j * cout + co];
        A43(c, e, SADD, SSUB, SMUL, 2.0f, 4.0f, 8.0f);
        for (int i = 0; i < 6; i++) r[i][j] = c[i];
      }
      for (int i = 0; i < 6; i++) {
        float c[6];
        A43(c, r[i], SADD, SSUB, SMUL, 2.0f, 4.0f, 8.0f);
        float *v = o + (size_t)(6 * i) * xiStride + co;
        for (int j = 0; j < 6; j++) v[j * xiStride] = c[j];
      }
    }
#undef V43
  }
}

/* conv_filter_winograd_transform for F(4×4): tile rows count over the batch, H/4 per image. */
EXPORT(conv_filter_winograd43_transform)
void conv_filter_winograd43_transform(const float *xp, const float *dy, float *V, float *D, int h, int wd, int cin,
                                      int cout, int row0, int tiles, int first, int last) {
  const int hp = h + 2, wp = wd + 2, T = wd / 4;
  for (int i = first; i < last; i++) {
    const int tr = row0 + i, b = tr / (h / 4), r = tr % (h / 4);
    const size_t at = (size_t)i * T;
    winograd43_input_row(xp + ((size_t)(b * hp + 4 * r) * wp) * cin, V + at * cin, T, cin, wp * cin, (size_t)tiles * cin);
    winograd43_dy_row(dy + ((size_t)(b * h + 4 * r) * wd) * cout, D + at * cout, T, cout, wd * cout, (size_t)tiles * cout);
  }
}

/* dw [3, 3, cin, cout] = Gᵀ S G for every channel pair (S [36, cin, cout]), in double, rounded once. */
EXPORT(winograd43_filter_output)
void winograd43_filter_output(const float *S, float *dw, int cin, int cout) {
  static const double GT[3][6] = {{0.25, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0},
                                  {0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0},
                                  {0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 1}};
  const size_t plane = (size_t)cin * cout;
  for (size_t k = 0; k < plane; k++) {
    double t[3][6];
    for (int j = 0; j < 6; j++)
      for (int i = 0; i < 3; i++) {
        double s = 0;
        for (int l = 0; l < 6; l++) s += GT[i][l] * S[(size_t)(l * 6 + j) * plane + k];
        t[i][j] = s;
      }
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        double s = 0;
        for (int l = 0; l < 6; l++) s += t[i][l] * GT[j][l];
        dw[(size_t)(i * 3 + j) * plane + k] = (float)s;
      }
  }
}
#undef A43

#undef BT43
#undef AT43
#undef VADD
#undef VSUB
#undef VMUL
#undef SADD
#undef SSUB
#undef SMUL

/* --------------------------------------------------------------------------- helpers -------- */

/* w' [K,K,cout,cin] = w [K,K,cin,cout] flipped in both spatial axes with in/out swapped: the filter
 * whose forward convolution of dy is dx. */
EXPORT(flip_filter)
void flip_filter(const float *w, float *wf, int K, int cin, int cout) {
  for (int ky = 0; ky < K; ky++)
    for (int kx = 0; kx < K; kx++)
      for (int ci = 0; ci < cin; ci++)
        for (int co = 0; co < cout; co++)
          wf[((ky * K + kx) * cout + co) * cin + ci] = w[(((K - 1 - ky) * K + (K - 1 - kx)) * cin + ci) * cout + co];
}


/* ------------------------------------------------------------------ layer helper kernels --- */
/*
 * The small per-element layers around the convolutions of a U-Net, on [pixels, channels] arrays
 * (NHWC with N·H·W pixels): the bias add and its gradient (per-channel sums), channel concat/split
 * of the skip connections, and the 2×2 max-pool gradient. Threads split pixels (or rows); sums are
 * cut into fixed chunks whose float64 partial sums the caller adds in order.
 */

/* y[p, c] = x[p, c] + b[c] for pixels [first, last). */
EXPORT(bias_add)
void bias_add(const float *x, const float *b, float *y, int channels, int first, int last) {
  for (int p = first; p < last; p++) {
    const float *xs = x + (size_t)p * channels;
    float *ys = y + (size_t)p * channels;
    int c = 0;
    for (; c + 4 <= channels; c += 4) wasm_v128_store(ys + c, wasm_f32x4_add(wasm_v128_load(xs + c), wasm_v128_load(b + c)));
    for (; c < channels; c++) ys[c] = xs[c] + b[c];
  }
}

/* o[0..3] += the four lanes of a (float64 accumulation of a float32 run). */
INLINE void add_lanes(double *o, v128_t a) {
  o[0] += wasm_f32x4_extract_lane(a, 0);
  o[1] += wasm_f32x4_extract_lane(a, 1);
  o[2] += wasm_f32x4_extract_lane(a, 2);
  o[3] += wasm_f32x4_extract_lane(a, 3);
}

#define SUM_CHUNK 1024
EXPORT(sum_chunk)
int sum_chunk(void) { return SUM_CHUNK; }

/*
 * Per-channel sums of one term of x [pixels, channels] — x itself, or (x − center)² with `squared` (a
 * constant where it is inlined: each export is its own specialised loop) — for pixel chunks [first,
 * last) of SUM_CHUNK pixels: out[chunk · channels + c] = Σ over the chunk's pixels (float32 within
 * runs of 64 pixels, float64 across runs).
 */
INLINE void moment_chunks(const float *x, const float *center, double *out, int pixels, int channels, int first, int last,
                          int squared) {
  for (int chunk = first; chunk < last; chunk++) {
    const int start = chunk * SUM_CHUNK, end = start + SUM_CHUNK < pixels ? start + SUM_CHUNK : pixels;
    double *o = out + (size_t)chunk * channels;
    for (int c = 0; c < channels; c++) o[c] = 0;
    for (int p0 = start; p0 < end; p0 += 64) {
      const int p1 = p0 + 64 < end ? p0 + 64 : end;
      int c = 0;
      for (; c + 16 <= channels; c += 16) {
        v128_t a[4], m[4];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++) {
          a[v] = wasm_f32x4_splat(0.0f);
          m[v] = squared ? wasm_v128_load(center + c + 4 * v) : a[v];
        }
        for (int p = p0; p < p1; p++) {
          const float *xs = x + (size_t)p * channels + c;
          _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++) {
            const v128_t t = wasm_v128_load(xs + 4 * v);
            if (squared) {
              const v128_t d = wasm_f32x4_sub(t, m[v]);
              a[v] = wasm_f32x4_add(a[v], wasm_f32x4_mul(d, d));
            } else {
              a[v] = wasm_f32x4_add(a[v], t);
            }
          }
        }
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++) add_lanes(o + c + 4 * v, a[v]);
      }
      for (; c + 4 <= channels; c += 4) {
        v128_t a = wasm_f32x4_splat(0.0f);
        const v128_t m = squared ? wasm_v128_load(center + c) : a;
        for (int p = p0; p < p1; p++) {
          const v128_t t = wasm_v128_load(x + (size_t)p * channels + c);
          if (squared) {
            const v128_t d = wasm_f32x4_sub(t, m);
            a = wasm_f32x4_add(a, wasm_f32x4_mul(d, d));
          } else {
            a = wasm_f32x4_add(a, t);
          }
        }
        add_lanes(o + c, a);
      }
      for (; c < channels; c++) {
        float a = 0.0f;
        for (int p = p0; p < p1; p++) {
          const float t = x[(size_t)p * channels + c];
          a += squared ? (t - center[c]) * (t - center[c]) : t;
        }
        o[c] += a;
      }
    }
  }
}

/* out[chunk · channels + c] = Σ over the chunk's pixels of x[p, c]. */
EXPORT(channel_sum_chunks)
void channel_sum_chunks(const float *x, double *out, int pixels, int channels, int first, int last) {
  moment_chunks(x, 0, out, pixels, channels, first, last, 0);
}

/*
 * dst[p, dstOffset + k] = src[p, srcOffset + k] for k < width and pixels [first, last): one part of a
 * channel concat (src a part, dst the whole) or of a channel split (the other way round).
 */
EXPORT(copy_channels)
void copy_channels(const float *src, int srcChannels, int srcOffset, float *dst, int dstChannels, int dstOffset, int width,
                   int first, int last) {
  for (int p = first; p < last; p++) {
    const float *s = src + (size_t)p * srcChannels + srcOffset;
    float *d = dst + (size_t)p * dstChannels + dstOffset;
    int k = 0;
    for (; k + 4 <= width; k += 4) wasm_v128_store(d + k, wasm_v128_load(s + k));
    for (; k < width; k++) d[k] = s[k];
  }
}

/*
 * Gradient of 2×2 stride-2 'valid' max pooling for output rows [first, last) of the N·(H/2) rows:
 * each window's dy goes to its first maximum in row-major order (as tfjs and PyTorch); the other
 * three get 0. dx [N, H, W, C] rows and columns beyond 2·(H/2), 2·(W/2) are zeroed by the caller.
 */
EXPORT(max_pool_grad2)
void max_pool_grad2(const float *x, const float *dy, float *dx, int h, int w, int c, int first, int last) {
  const int oh = h / 2, ow = w / 2;
  for (int row = first; row < last; row++) {
    const int b = row / oh, oy = row % oh;
    for (int ox = 0; ox < ow; ox++) {
      const size_t p00 = ((size_t)(b * h + 2 * oy) * w + 2 * ox) * c, p01 = p00 + c, p10 = p00 + (size_t)w * c, p11 = p10 + c;
      const float *g = dy + ((size_t)(b * oh + oy) * ow + ox) * c;
      int k = 0;
      for (; k + 4 <= c; k += 4) {
        const v128_t x00 = wasm_v128_load(x + p00 + k), x01 = wasm_v128_load(x + p01 + k);
        const v128_t x10 = wasm_v128_load(x + p10 + k), x11 = wasm_v128_load(x + p11 + k);
        /* Which of the four is the first maximum: a later one wins only when strictly greater. */
        const v128_t t01 = wasm_f32x4_gt(x01, x00);
        v128_t best = wasm_v128_bitselect(x01, x00, t01);
        const v128_t t10 = wasm_f32x4_gt(x10, best);
        best = wasm_v128_bitselect(x10, best, t10);
        const v128_t t11 = wasm_f32x4_gt(x11, best);
        const v128_t s11 = t11;
        const v128_t s10 = wasm_v128_andnot(t10, t11);
        const v128_t s01 = wasm_v128_andnot(wasm_v128_andnot(t01, t10), t11);
        const v128_t s00 = wasm_v128_not(wasm_v128_or(wasm_v128_or(t01, t10), t11));
        const v128_t gv = wasm_v128_load(g + k);
        wasm_v128_store(dx + p00 + k, wasm_v128_and(gv, s00));
        wasm_v128_store(dx + p01 + k, wasm_v128_and(gv, s01));
        wasm_v128_store(dx + p10 + k, wasm_v128_and(gv, s10));
        wasm_v128_store(dx + p11 + k, wasm_v128_and(gv, s11));
      }
      for (; k < c; k++) {
        size_t at = p00 + k;
        float best = x[at];
        if (x[p01 + k] > best) { best = x[p01 + k]; at = p01 + k; }
        if (x[p10 + k] > best) { best = x[p10 + k]; at = p10 + k; }
        if (x[p11 + k] > best) at = p11 + k;
        dx[p00 + k] = 0;
        dx[p01 + k] = 0;
        dx[p10 + k] = 0;
        dx[p11 + k] = 0;
        dx[at] = g[k];
      }
    }
  }
}

/* ------------------------------------------------------------------------- batch norm ----- */
/*
 * Batch normalisation in training (Ioffe & Szegedy 2015) on [pixels, channels]: per channel the
 * mean and the biased variance over every pixel of the batch, then y = (x − m)·scale + offset; its
 * gradient dx = a·dy + b·(x − m) + d, per-channel a, b, d from Σdy and Σdy·(x − m). m is the float32
 * mean (the "center"); sums are chunked as channel_sum_chunks (float32 within runs of 64 pixels,
 * float64 across runs and chunks). These passes are memory-bound: one thread, like the layer helpers.
 */

/* out[chunk · channels + c] = Σ over the chunk's pixels of (x[p, c] − center[c])². */
EXPORT(channel_sq_dev_chunks)
void channel_sq_dev_chunks(const float *x, const float *center, double *out, int pixels, int channels, int first, int last) {
  moment_chunks(x, center, out, pixels, channels, first, last, 1);
}

/*
 * The two sums of the batch-norm gradient per chunk: out[chunk · 2·channels + c] = Σ dy[p, c] and
 * out[chunk · 2·channels + channels + c] = Σ dy[p, c]·(x[p, c] − center[c]).
 */
EXPORT(bn_grad_chunks)
void bn_grad_chunks(const float *dy, const float *x, const float *center, double *out, int pixels, int channels, int first,
                    int last) {
  for (int chunk = first; chunk < last; chunk++) {
    const int start = chunk * SUM_CHUNK, end = start + SUM_CHUNK < pixels ? start + SUM_CHUNK : pixels;
    double *o = out + (size_t)chunk * 2 * channels;
    for (int c = 0; c < 2 * channels; c++) o[c] = 0;
    for (int p0 = start; p0 < end; p0 += 64) {
      const int p1 = p0 + 64 < end ? p0 + 64 : end;
      int c = 0;
      for (; c + 8 <= channels; c += 8) {
        v128_t s[2], t[2], m[2];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 2; v++) {
          s[v] = t[v] = wasm_f32x4_splat(0.0f);
          m[v] = wasm_v128_load(center + c + 4 * v);
        }
        for (int p = p0; p < p1; p++) {
          const size_t at = (size_t)p * channels + c;
          _Pragma("clang loop unroll(full)") for (int v = 0; v < 2; v++) {
            const v128_t g = wasm_v128_load(dy + at + 4 * v);
            s[v] = wasm_f32x4_add(s[v], g);
            t[v] = wasm_f32x4_add(t[v], wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + at + 4 * v), m[v])));
          }
        }
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 2; v++) {
          add_lanes(o + c + 4 * v, s[v]);
          add_lanes(o + channels + c + 4 * v, t[v]);
        }
      }
      for (; c + 4 <= channels; c += 4) {
        v128_t s = wasm_f32x4_splat(0.0f), t = s;
        const v128_t m = wasm_v128_load(center + c);
        for (int p = p0; p < p1; p++) {
          const size_t at = (size_t)p * channels + c;
          const v128_t g = wasm_v128_load(dy + at);
          s = wasm_f32x4_add(s, g);
          t = wasm_f32x4_add(t, wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + at), m)));
        }
        add_lanes(o + c, s);
        add_lanes(o + channels + c, t);
      }
      for (; c < channels; c++) {
        float s = 0.0f, t = 0.0f;
        for (int p = p0; p < p1; p++) {
          const size_t at = (size_t)p * channels + c;
          s += dy[at];
          t += dy[at] * (x[at] - center[c]);
        }
        o[c] += s;
        o[channels + c] += t;
      }
    }
  }
}

/* y[p, c] = (x[p, c] − center[c])·scale[c] + offset[c] for pixels [first, last). */
EXPORT(channel_affine)
void channel_affine(const float *x, const float *center, const float *scale, const float *offset, float *y, int channels,
                    int first, int last) {
  for (int p = first; p < last; p++) {
    const float *xs = x + (size_t)p * channels;
    float *ys = y + (size_t)p * channels;
    int c = 0;
    for (; c + 4 <= channels; c += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(xs + c), wasm_v128_load(center + c));
      wasm_v128_store(ys + c, wasm_f32x4_add(wasm_f32x4_mul(d, wasm_v128_load(scale + c)), wasm_v128_load(offset + c)));
    }
    for (; c < channels; c++) ys[c] = (xs[c] - center[c]) * scale[c] + offset[c];
  }
}

/* dx[p, c] = a[c]·dy[p, c] + b[c]·(x[p, c] − center[c]) + d[c] for pixels [first, last). */
EXPORT(bn_input_grad)
void bn_input_grad(const float *dy, const float *x, const float *center, const float *a, const float *b, const float *d,
                   float *dx, int channels, int first, int last) {
  for (int p = first; p < last; p++) {
    const size_t at = (size_t)p * channels;
    int c = 0;
    for (; c + 4 <= channels; c += 4) {
      const v128_t xc = wasm_f32x4_sub(wasm_v128_load(x + at + c), wasm_v128_load(center + c));
      const v128_t ag = wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(dy + at + c));
      const v128_t bx = wasm_f32x4_mul(wasm_v128_load(b + c), xc);
      wasm_v128_store(dx + at + c, wasm_f32x4_add(wasm_f32x4_add(ag, bx), wasm_v128_load(d + c)));
    }
    for (; c < channels; c++) dx[at + c] = (a[c] * dy[at + c] + b[c] * (x[at + c] - center[c])) + d[c];
  }
}

/* -------------------------------------------------------------------------- loss kernels ---- */
/*
 * Evaluation only (no gradient). Work is cut into fixed chunks of CHUNK elements (pixels for the
 * multi-channel kernels); chunk i writes its partial sums to out[i * stride ...] in float64, and the
 * caller adds the chunks in order, so a value does not depend on the thread count. Each chunk also
 * checks its inputs and writes a flag when one is out of range (the caller then reports it).
 */
#define CHUNK 65536

EXPORT(loss_chunk)
int loss_chunk(void) { return CHUNK; }

/*
 * e^x for x in [-87.3, 88.7] (clamped): 2^n · 2^r with t = x·log2 e, n = round(t), r = t − n in
 * [−½, ½], and 2^r by a degree-6 polynomial (least-squares fit to 2^r on Chebyshev nodes, refined
 * towards minimax with numpy: 2.2e-9 relative in exact arithmetic, ≤ 1e-7 evaluated in float32).
 * Rounding t costs ≤ ½ ulp(t) in the exponent, so the relative error grows with |x| (≈ 7e-7 at
 * |x| = 16, 3e-6 at 87); every caller uses e^x where it is bounded by 1 or added to 1 (sigmoid,
 * softmax with the maximum subtracted, softplus), where that is ≤ 4e-8 absolute: below float32's
 * rounding of the result. One reduction step in place of Cephes' two saves 5 of ~30 instructions.
 */
INLINE v128_t exp4(v128_t x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.3f)), wasm_f32x4_splat(88.7f));
  /* n = round(t) by adding 1.5·2^23: the sum's low mantissa bits hold n as an integer, which also
   * gives 2^n without a float→int conversion (V8 expands i32x4.trunc_sat into ~6 instructions). */
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  v128_t t = wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f));
  v128_t shifted = wasm_f32x4_add(t, magic);
  v128_t r = wasm_f32x4_sub(t, wasm_f32x4_sub(shifted, magic));
  v128_t p = wasm_f32x4_splat(1.537070784e-4f);
  p = MADD(p, r, wasm_f32x4_splat(1.339984825e-3f));
  p = MADD(p, r, wasm_f32x4_splat(9.618373588e-3f));
  p = MADD(p, r, wasm_f32x4_splat(5.550329015e-2f));
  p = MADD(p, r, wasm_f32x4_splat(2.402264774e-1f));
  p = MADD(p, r, wasm_f32x4_splat(6.931471825e-1f));
  p = MADD(p, r, wasm_f32x4_splat(1.0f));
  v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(shifted, magic), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, bits);
}

/* log x for x ≥ 0, Cephes' logf polynomial; subnormal x is scaled by 2^64 first (x = 0 gives about
 * −131.6, below every floor the callers apply). */
INLINE v128_t log4(v128_t x) {
  v128_t tiny = wasm_f32x4_lt(x, wasm_f32x4_splat(1.17549435e-38f));
  x = wasm_v128_bitselect(wasm_f32x4_mul(x, wasm_f32x4_splat(18446744073709551616.0f)), x, tiny);
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(1.17549435e-38f));
  v128_t e = wasm_i32x4_sub(wasm_u32x4_shr(x, 23), wasm_i32x4_splat(126));
  v128_t m = wasm_v128_or(wasm_v128_and(x, wasm_i32x4_splat(0x807fffff)), wasm_i32x4_splat(0x3f000000)); /* [0.5, 1) */
  v128_t small = wasm_f32x4_lt(m, wasm_f32x4_splat(0.707106781186547524f));
  v128_t ef = wasm_f32x4_convert_i32x4(wasm_i32x4_add(e, small)); /* small lanes are -1 */
  m = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(small, m)), wasm_f32x4_splat(1.0f));
  v128_t z = wasm_f32x4_mul(m, m);
  v128_t p = wasm_f32x4_splat(7.0376836292e-2f);
  p = MADD(p, m, wasm_f32x4_splat(-1.1514610310e-1f));
  p = MADD(p, m, wasm_f32x4_splat(1.1676998740e-1f));
  p = MADD(p, m, wasm_f32x4_splat(-1.2420140846e-1f));
  p = MADD(p, m, wasm_f32x4_splat(1.4249322787e-1f));
  p = MADD(p, m, wasm_f32x4_splat(-1.6668057665e-1f));
  p = MADD(p, m, wasm_f32x4_splat(2.0000714765e-1f));
  p = MADD(p, m, wasm_f32x4_splat(-2.4999993993e-1f));
  p = MADD(p, m, wasm_f32x4_splat(3.3333331174e-1f));
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, m), z);
  y = wasm_f32x4_add(y, wasm_f32x4_mul(ef, wasm_f32x4_splat(-2.12194440e-4f)));
  y = wasm_f32x4_sub(y, wasm_f32x4_mul(z, wasm_f32x4_splat(0.5f)));
  v128_t r = wasm_f32x4_add(wasm_f32x4_add(m, y), wasm_f32x4_mul(ef, wasm_f32x4_splat(0.693359375f)));
  return wasm_f32x4_sub(r, wasm_v128_and(tiny, wasm_f32x4_splat(44.3614195558365f))); /* 64·ln 2 */
}

/* Lanes that are NaN or ±∞. */
INLINE v128_t not_finite4(v128_t x) {
  return wasm_i32x4_ge(wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff)), wasm_i32x4_splat(0x7f800000));
}
/* Lanes outside [0, 1] (NaN included). */
INLINE v128_t not_unit4(v128_t x) {
  return wasm_v128_not(wasm_v128_and(wasm_f32x4_ge(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_le(x, wasm_f32x4_splat(1.0f))));
}

/* Index-target lanes that are neither an integer in [0, channels) nor the ignore index (NaN: none). */
INLINE v128_t bad_index4(v128_t t, int channels, float ignore) {
  v128_t ok = wasm_v128_and(wasm_f32x4_eq(t, wasm_f32x4_nearest(t)),
                            wasm_v128_and(wasm_f32x4_ge(t, wasm_f32x4_splat(0.0f)), wasm_f32x4_lt(t, wasm_f32x4_splat((float)channels))));
  return wasm_v128_not(wasm_v128_or(ok, wasm_f32x4_eq(t, wasm_f32x4_splat(ignore))));
}

INLINE double hsum(v128_t v) {
  return (double)wasm_f32x4_extract_lane(v, 0) + (double)wasm_f32x4_extract_lane(v, 1) +
         (double)wasm_f32x4_extract_lane(v, 2) + (double)wasm_f32x4_extract_lane(v, 3);
}

/*
 * log(1 + t) for t in [0, 1]: 2·atanh(u) with u = t/(2 + t) ∈ [0, 1/3], the odd series to u^15
 * (truncation < 1e-8 relative). No exponent extraction, and exact to float precision for small t.
 */
INLINE v128_t log1p01(v128_t t) {
  v128_t u = wasm_f32x4_div(t, wasm_f32x4_add(t, wasm_f32x4_splat(2.0f)));
  v128_t z = wasm_f32x4_mul(u, u);
  v128_t p = wasm_f32x4_splat(2.0f / 15);
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 13));
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 11));
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 9));
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 7));
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 5));
  p = MADD(p, z, wasm_f32x4_splat(2.0f / 3));
  p = MADD(p, z, wasm_f32x4_splat(2.0f));
  return wasm_f32x4_mul(p, u);
}

/* softplus(x) = max(x, 0) + log(1 + e^−|x|). */
INLINE v128_t softplus4(v128_t x) {
  v128_t t = exp4(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  return wasm_f32x4_add(wasm_f32x4_pmax(x, wasm_f32x4_splat(0.0f)), log1p01(t));
}

INLINE v128_t floored_log4(v128_t p) { return wasm_f32x4_pmax(log4(p), wasm_f32x4_splat(-100.0f)); }

INLINE v128_t sigmoid4(v128_t x) {
  return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), exp4(wasm_f32x4_neg(x))));
}

/* Binary cross-entropy terms of 4 elements (see bce_chunks), flagging bad inputs. */
INLINE v128_t bce4(v128_t x, v128_t y, int fromLogits, v128_t va, v128_t vb, v128_t keep, v128_t shift, v128_t *bad) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  *bad = wasm_v128_or(*bad, wasm_v128_or(fromLogits ? not_finite4(x) : not_unit4(x), not_unit4(y)));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, keep), shift);
  v128_t pos, neg; /* −log p, −log(1−p) */
  if (fromLogits) {
    neg = softplus4(x);
    pos = wasm_f32x4_sub(neg, x);
  } else {
    pos = wasm_f32x4_neg(floored_log4(x));
    neg = wasm_f32x4_neg(floored_log4(wasm_f32x4_sub(one, x)));
  }
  return wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(va, y), pos), wasm_f32x4_mul(wasm_f32x4_mul(vb, wasm_f32x4_sub(one, y)), neg));
}

INLINE double bce_run(const float *pred, const float *target, int start, int end, int fromLogits, v128_t va, v128_t vb,
                      v128_t keep, v128_t shift, v128_t *bad) {
  double sum = 0;
  int i = start;
  while (i + 4 <= end) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    const int stop = i + 1024 < end ? i + 1024 : end;
    for (; i + 4 <= stop; i += 4)
      acc = wasm_f32x4_add(acc, bce4(wasm_v128_load(pred + i), wasm_v128_load(target + i), fromLogits, va, vb, keep, shift, bad));
    sum += hsum(acc);
  }
  for (; i < end; i++) /* tail: one lane at a time */
    sum += wasm_f32x4_extract_lane(bce4(wasm_f32x4_splat(pred[i]), wasm_f32x4_splat(target[i]), fromLogits, va, vb, keep, shift, bad), 0);
  return sum;
}

/*
 * Binary cross-entropy: Σ a·y'·(−log p) + b·(1−y')·(−log(1−p)) per chunk, with y' = y(1−ε)+ε/2; from
 * logits via softplus (−log σ(x) = sp − x, −log(1−σ(x)) = sp), from probabilities floored at −100.
 * out[2i] = sum, out[2i+1] = 1 if chunk i holds a pred that is not finite (logits) / not in [0, 1]
 * (probabilities), or a target outside [0, 1] (the sum is then meaningless).
 */
EXPORT(bce_chunks)
void bce_chunks(const float *pred, const float *target, double *out, int count, int fromLogits, float a, float b,
                float eps, int first, int last) {
  const v128_t va = wasm_f32x4_splat(a), vb = wasm_f32x4_splat(b);
  const v128_t keep = wasm_f32x4_splat(1.0f - eps), shift = wasm_f32x4_splat(eps / 2);
  for (int chunk = first; chunk < last; chunk++) {
    const int start = chunk * CHUNK, end = start + CHUNK < count ? start + CHUNK : count;
    v128_t bad = wasm_i32x4_splat(0);
    out[2 * chunk] = fromLogits ? bce_run(pred, target, start, end, 1, va, vb, keep, shift, &bad)
                                : bce_run(pred, target, start, end, 0, va, vb, keep, shift, &bad);
    out[2 * chunk + 1] = wasm_v128_any_true(bad) ? 1 : 0;
  }
}

/* Channels per pixel the loss kernels take (one vector of 4 pixels per channel); lossSums.ts checks. */
#define MAXC 16

INLINE void load_pixels(const float *pred, int p, int channels, v128_t *v) {
  for (int c = 0; c < channels; c++)
    v[c] = wasm_f32x4_make(pred[p * channels + c], pred[(p + 1) * channels + c], pred[(p + 2) * channels + c],
                           pred[(p + 3) * channels + c]);
}

/* Up to 4 pixels (lanes) of pred and target, one vector per channel (lanes = pixels), targets one-hot
 * from indices; invalid indices and soft targets outside [0, 1] set *bad. Returns the lanes in use. */
INLINE v128_t load_block(const float *pred, const float *target, int p, int lanes, int channels, int indexTarget, float ignore,
                         v128_t *x, v128_t *y, v128_t *bad) {
  const v128_t lanemask = wasm_i32x4_lt(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(lanes));
  if (lanes == 4) load_pixels(pred, p, channels, x);
  else
    for (int c = 0; c < channels; c++) {
      float v[4] = {0, 0, 0, 0};
      for (int l = 0; l < lanes; l++) v[l] = pred[(p + l) * channels + c];
      x[c] = wasm_f32x4_make(v[0], v[1], v[2], v[3]);
    }
  if (indexTarget) {
    float t[4] = {-1, -1, -1, -1};
    for (int l = 0; l < lanes; l++) t[l] = target[p + l];
    v128_t tv = wasm_f32x4_make(t[0], t[1], t[2], t[3]);
    *bad = wasm_v128_or(*bad, wasm_v128_and(lanemask, bad_index4(tv, channels, ignore)));
    for (int c = 0; c < channels; c++) y[c] = wasm_v128_and(wasm_f32x4_eq(tv, wasm_f32x4_splat((float)c)), wasm_f32x4_splat(1.0f));
  } else {
    if (lanes == 4) load_pixels(target, p, channels, y);
    else
      for (int c = 0; c < channels; c++) {
        float v[4] = {0, 0, 0, 0};
        for (int l = 0; l < lanes; l++) v[l] = target[(p + l) * channels + c];
        y[c] = wasm_f32x4_make(v[0], v[1], v[2], v[3]);
      }
    for (int c = 0; c < channels; c++) *bad = wasm_v128_or(*bad, wasm_v128_and(lanemask, not_unit4(y[c])));
  }
  return lanemask;
}

/* Two channels of 4 pixels from 8 interleaved floats. */
INLINE void load2(const float *p, v128_t *c0, v128_t *c1) {
  v128_t a = wasm_v128_load(p), b = wasm_v128_load(p + 4);
  *c0 = wasm_i32x4_shuffle(a, b, 0, 2, 4, 6);
  *c1 = wasm_i32x4_shuffle(a, b, 1, 3, 5, 7);
}

/* One-hot of 4 index targets for 2 classes, flagging invalid indices in *bad. */
INLINE void index2(v128_t t, float ignore, v128_t *y0, v128_t *y1, v128_t *bad) {
  *bad = wasm_v128_or(*bad, bad_index4(t, 2, ignore));
  *y0 = wasm_v128_and(wasm_f32x4_eq(t, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f));
  *y1 = wasm_v128_and(wasm_f32x4_eq(t, wasm_f32x4_splat(1.0f)), wasm_f32x4_splat(1.0f));
}

/*
 * 2-class softmax cross-entropy of 4 pixels: from logits, with d = x1 − x0,
 * −log p0 = softplus(d) and −log p1 = softplus(d) − d; from probabilities, floored logs.
 */
INLINE v128_t ce2(v128_t x0, v128_t x1, v128_t y0, v128_t y1, int fromLogits, v128_t *bad) {
  if (fromLogits) {
    *bad = wasm_v128_or(*bad, wasm_v128_or(not_finite4(x0), not_finite4(x1)));
    v128_t d = wasm_f32x4_sub(x1, x0);
    v128_t sp = softplus4(d);
    return wasm_f32x4_add(wasm_f32x4_mul(y0, sp), wasm_f32x4_mul(y1, wasm_f32x4_sub(sp, d)));
  }
  *bad = wasm_v128_or(*bad, wasm_v128_or(not_unit4(x0), not_unit4(x1)));
  return wasm_f32x4_neg(wasm_f32x4_add(wasm_f32x4_mul(y0, floored_log4(x0)), wasm_f32x4_mul(y1, floored_log4(x1))));
}

/* The 2-channel case of softmax_ce_chunks for whole vectors of pixels [p, end4); returns the new p. */
INLINE int ce2_run(const float *pred, const float *target, int p, int end4, int fromLogits, int indexTarget, float ignore,
                   double *sum, double *norm, v128_t *bad) {
  while (p < end4) {
    const int stop = p + 1024 < end4 ? p + 1024 : end4;
    v128_t ls = wasm_f32x4_splat(0.0f), ns = wasm_f32x4_splat(0.0f);
    for (; p < stop; p += 4) {
      v128_t x0, x1, y0, y1;
      load2(pred + 2 * p, &x0, &x1);
      if (indexTarget) index2(wasm_v128_load(target + p), ignore, &y0, &y1, bad);
      else {
        load2(target + 2 * p, &y0, &y1);
        *bad = wasm_v128_or(*bad, wasm_v128_or(not_unit4(y0), not_unit4(y1)));
      }
      ls = wasm_f32x4_add(ls, ce2(x0, x1, y0, y1, fromLogits, bad));
      ns = wasm_f32x4_add(ns, wasm_f32x4_add(y0, y1));
    }
    *sum += hsum(ls);
    *norm += hsum(ns);
  }
  return p;
}

/* Overlap sums for 1 channel (sigmoid) or 2 channels (softmax or sigmoid) over whole vectors of pixels. */
INLINE int overlap12_run(const float *pred, const float *target, int p, int end4, int channels, int fromLogits, int softmax,
                         int indexTarget, float ignore, double *o, v128_t *bad) {
  while (p < end4) {
    const int stop = p + 1024 < end4 ? p + 1024 : end4;
    v128_t i0 = wasm_f32x4_splat(0.0f), p0s = i0, y0s = i0, i1 = i0, p1s = i0, y1s = i0;
    v128_t lo = wasm_f32x4_splat(0.0f), hi = lo, xmax = lo;
    for (; p < stop; p += 4) {
      if (channels == 1) {
        v128_t x = wasm_v128_load(pred + p), y = wasm_v128_load(target + p);
        /* Range checks as running extremes (NaN reaches the sums, which the caller checks). */
        lo = wasm_f32x4_pmin(lo, fromLogits ? y : wasm_f32x4_pmin(y, x));
        hi = wasm_f32x4_pmax(hi, fromLogits ? y : wasm_f32x4_pmax(y, x));
        if (fromLogits) xmax = wasm_f32x4_pmax(xmax, wasm_f32x4_abs(x));
        if (fromLogits) x = sigmoid4(x);
        i0 = wasm_f32x4_add(i0, wasm_f32x4_mul(x, y));
        p0s = wasm_f32x4_add(p0s, x);
        y0s = wasm_f32x4_add(y0s, y);
      } else {
        v128_t x0, x1, y0, y1;
        load2(pred + 2 * p, &x0, &x1);
        if (indexTarget) index2(wasm_v128_load(target + p), ignore, &y0, &y1, bad);
        else {
          load2(target + 2 * p, &y0, &y1);
          *bad = wasm_v128_or(*bad, wasm_v128_or(not_unit4(y0), not_unit4(y1)));
        }
        if (fromLogits) {
          *bad = wasm_v128_or(*bad, wasm_v128_or(not_finite4(x0), not_finite4(x1)));
          if (softmax) {
            x1 = sigmoid4(wasm_f32x4_sub(x1, x0)); /* softmax of two = sigmoid of the difference */
            x0 = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), x1);
          } else {
            x0 = sigmoid4(x0);
            x1 = sigmoid4(x1);
          }
        } else {
          *bad = wasm_v128_or(*bad, wasm_v128_or(not_unit4(x0), not_unit4(x1)));
        }
        i0 = wasm_f32x4_add(i0, wasm_f32x4_mul(x0, y0));
        p0s = wasm_f32x4_add(p0s, x0);
        y0s = wasm_f32x4_add(y0s, y0);
        i1 = wasm_f32x4_add(i1, wasm_f32x4_mul(x1, y1));
        p1s = wasm_f32x4_add(p1s, x1);
        y1s = wasm_f32x4_add(y1s, y1);
      }
    }
    if (channels == 1) {
      /* targets and probabilities in [0, 1]; logits finite (|x| < ∞) */
      v128_t over = wasm_v128_or(wasm_f32x4_gt(hi, wasm_f32x4_splat(1.0f)), wasm_f32x4_eq(xmax, wasm_f32x4_splat(__builtin_inff())));
      *bad = wasm_v128_or(*bad, wasm_v128_or(wasm_f32x4_lt(lo, wasm_f32x4_splat(0.0f)), over));
    }
    o[2] += hsum(i0);
    o[3] += hsum(p0s);
    o[4] += hsum(y0s);
    if (channels == 2) {
      o[5] += hsum(i1);
      o[6] += hsum(p1s);
      o[7] += hsum(y1s);
    }
  }
  return p;
}

/*
 * Softmax cross-entropy per chunk of pixels (channels ≤ 16): out[3i] = Σ −log p[target] (index
 * targets; pixels whose index is the ignore index count in neither sum) or
 * Σ_c −y_c·log p_c (one-hot/soft targets), out[3i+1] = Σ_c y_c (the labelled-pixel count for index
 * targets), out[3i+2] = 1 when a pred is not finite / not in [0, 1], or a soft target is outside [0, 1].
 */
EXPORT(softmax_ce_chunks)
void softmax_ce_chunks(const float *pred, const float *target, double *out, int pixels, int channels, int fromLogits,
                       int indexTarget, float ignore, int first, int last) {
  for (int chunk = first; chunk < last; chunk++) {
    const int start = chunk * CHUNK, end = start + CHUNK < pixels ? start + CHUNK : pixels;
    double sum = 0, norm = 0;
    v128_t bad = wasm_i32x4_splat(0);
    int p = start;
    if (channels == 2) {
      const int end4 = start + ((end - start) & ~3);
      p = fromLogits ? ce2_run(pred, target, p, end4, 1, indexTarget, ignore, &sum, &norm, &bad)
                     : ce2_run(pred, target, p, end4, 0, indexTarget, ignore, &sum, &norm, &bad);
    }
    for (; p < end; p += 4) {
      const int lanes = end - p < 4 ? end - p : 4;
      v128_t x[MAXC], y[MAXC];
      const v128_t lanemask = load_block(pred, target, p, lanes, channels, indexTarget, ignore, x, y, &bad);
      v128_t lsum = wasm_f32x4_splat(0.0f), ysum = wasm_f32x4_splat(0.0f);
      if (fromLogits) {
        v128_t mx = x[0];
        for (int c = 0; c < channels; c++) {
          bad = wasm_v128_or(bad, wasm_v128_and(lanemask, not_finite4(x[c])));
          mx = wasm_f32x4_pmax(mx, x[c]);
        }
        v128_t se = wasm_f32x4_splat(0.0f);
        for (int c = 0; c < channels; c++) se = wasm_f32x4_add(se, exp4(wasm_f32x4_sub(x[c], mx)));
        v128_t lse = wasm_f32x4_add(mx, log4(se));
        for (int c = 0; c < channels; c++) {
          lsum = wasm_f32x4_add(lsum, wasm_f32x4_mul(y[c], wasm_f32x4_sub(lse, x[c])));
          ysum = wasm_f32x4_add(ysum, y[c]);
        }
      } else {
        for (int c = 0; c < channels; c++) {
          bad = wasm_v128_or(bad, wasm_v128_and(lanemask, not_unit4(x[c])));
          lsum = wasm_f32x4_sub(lsum, wasm_f32x4_mul(y[c], floored_log4(x[c])));
          ysum = wasm_f32x4_add(ysum, y[c]);
        }
      }
      lsum = wasm_v128_and(lsum, lanemask);
      ysum = wasm_v128_and(ysum, lanemask);
      sum += hsum(lsum);
      norm += hsum(ysum);
    }
    out[3 * chunk] = sum;
    out[3 * chunk + 1] = norm;
    out[3 * chunk + 2] = wasm_v128_any_true(bad) ? 1 : 0;
  }
}

/*
 * Soft confusion sums per channel for overlap losses, per chunk of pixels (channels ≤ 16):
 * out[(2+3C)·i + …]: [bad flag, unused, then per channel c: Σ p·y, Σ p, Σ y]. p = softmax over
 * channels (softmax != 0) or sigmoid, from logits; as given from probabilities. Index targets
 * (one value per pixel) are one-hot; the ignore index gives an all-zero row. Index targets that are
 * neither a class nor the ignore index (NaN: none) set the bad flag.
 */
EXPORT(overlap_chunks)
void overlap_chunks(const float *pred, const float *target, double *out, int pixels, int channels, int fromLogits,
                    int softmax, int indexTarget, float ignore, int first, int last) {
  const int stride = 2 + 3 * channels;
  for (int chunk = first; chunk < last; chunk++) {
    const int start = chunk * CHUNK, end = start + CHUNK < pixels ? start + CHUNK : pixels;
    double *o = out + chunk * stride;
    for (int k = 0; k < stride; k++) o[k] = 0;
    v128_t bad = wasm_i32x4_splat(0);
    int p0 = start;
    if (channels <= 2) {
      const int end4 = start + ((end - start) & ~3);
      if (channels == 1) p0 = fromLogits ? overlap12_run(pred, target, p0, end4, 1, 1, 0, 0, ignore, o, &bad)
                                         : overlap12_run(pred, target, p0, end4, 1, 0, 0, 0, ignore, o, &bad);
      else if (fromLogits) p0 = softmax ? overlap12_run(pred, target, p0, end4, 2, 1, 1, indexTarget, ignore, o, &bad)
                                        : overlap12_run(pred, target, p0, end4, 2, 1, 0, indexTarget, ignore, o, &bad);
      else p0 = overlap12_run(pred, target, p0, end4, 2, 0, 0, indexTarget, ignore, o, &bad);
    }
    while (p0 < end) {
      const int stop = p0 + 1024 < end ? p0 + 1024 : end;
      v128_t sI[MAXC], sP[MAXC], sY[MAXC];
      for (int c = 0; c < channels; c++) sI[c] = sP[c] = sY[c] = wasm_f32x4_splat(0.0f);
      for (int p = p0; p < stop; p += 4) {
        const int lanes = stop - p < 4 ? stop - p : 4;
        v128_t x[MAXC], y[MAXC];
        const v128_t lanemask = load_block(pred, target, p, lanes, channels, indexTarget, ignore, x, y, &bad);
        if (fromLogits) {
          for (int c = 0; c < channels; c++) bad = wasm_v128_or(bad, wasm_v128_and(lanemask, not_finite4(x[c])));
          if (softmax) {
            v128_t mx = x[0];
            for (int c = 1; c < channels; c++) mx = wasm_f32x4_pmax(mx, x[c]);
            v128_t se = wasm_f32x4_splat(0.0f);
            for (int c = 0; c < channels; c++) {
              x[c] = exp4(wasm_f32x4_sub(x[c], mx));
              se = wasm_f32x4_add(se, x[c]);
            }
            for (int c = 0; c < channels; c++) x[c] = wasm_f32x4_div(x[c], se);
          } else {
            for (int c = 0; c < channels; c++) x[c] = sigmoid4(x[c]);
          }
        } else {
          for (int c = 0; c < channels; c++) bad = wasm_v128_or(bad, wasm_v128_and(lanemask, not_unit4(x[c])));
        }
        for (int c = 0; c < channels; c++) {
          v128_t pc = wasm_v128_and(x[c], lanemask), yc = wasm_v128_and(y[c], lanemask);
          sI[c] = wasm_f32x4_add(sI[c], wasm_f32x4_mul(pc, yc));
          sP[c] = wasm_f32x4_add(sP[c], pc);
          sY[c] = wasm_f32x4_add(sY[c], yc);
        }
      }
      for (int c = 0; c < channels; c++) {
        o[2 + 3 * c] += hsum(sI[c]);
        o[3 + 3 * c] += hsum(sP[c]);
        o[4 + 3 * c] += hsum(sY[c]);
      }
      p0 = stop;
    }
    o[0] = wasm_v128_any_true(bad) ? 1 : 0;
  }
}
