// Depthwise convolution in the channel-blocked layout `[⌈C/16⌉, H, W, 16]`.
//
// One vector holds one position of a block of 16 channels, and each channel has its own kernel,
// so a tap `(kh, kw)` is one multiply–add of the block's weight vector for that tap with the
// input vector at the tapped position: no transposition, no shuffle for stride 2, and no lane
// wasted on a 7-wide row. Per output row a run of `N` positions (8, then 4 to 7) is held in
// `N` independent accumulators while the taps go by; each tap's weight vector is loaded once
// per run and its input vectors come straight from the row (for stride 1 a loaded vector serves
// `KW` taps of neighbouring positions, the compiler keeps it in a register). Kernel rows that
// fall outside the image are skipped for the whole row; runs that touch the left or right
// padding skip the taps there (a branch per tap that is the same on every row, so predicted),
// or, on short stride-1 rows where such runs are the whole row, the block is first copied with
// its padding columns to a stack buffer. The bias starts the sum, and the clamp and the zeroing
// of the padding channels happen in registers before the single store.
//
// A block of a 112×112 plane is 800 KB: it is streamed row by row, the `KH` input rows one
// output row reads (at most 5·112·64 B = 35 KB) stay in the L1/L2 caches between rows.

#include "CKernels.h"
#include "blocked_depthwise.h"
#include "blocked_vector.h"

/// `N` output positions of one row of one block, starting at input column `c0` (the first
/// position's leftmost tap): `x` is the block's plane, `w` its `[KH·KW][16]` weights, the
/// kernel rows `[khLo, khHi)` are inside the image (input row `ihBase + kh`). With `checked`,
/// the taps on columns outside `[0, W)` are skipped.
CK_INLINE void depthwise_run(const float *restrict x, long W, const float *restrict w,
                             long KW, long S, const int N, const int checked, bv16 bias,
                             long ihBase, long khLo, long khHi, long c0, bv16 lower, bv16 upper,
                             bi16 keep, float *restrict y) {
  bv16 acc[8];
  for (int p = 0; p < N; p++) acc[p] = bias;
  // The offsets `q = p·S + kw` from `c0` that lie inside the row: `[qLo, qHi)`.
  const long qLo = checked ? ck_max(0, -c0) : 0, qHi = checked ? W - c0 : 0;
  for (long kh = khLo; kh < khHi; kh++) {
    const float *restrict xr = x + (ihBase + kh) * W * CK_BLOCK + c0 * CK_BLOCK;
    const float *restrict wr = w + kh * KW * CK_BLOCK;
    for (long kw = 0; kw < KW; kw++) {
      const bv16 wv = bload(wr + kw * CK_BLOCK);
      for (int p = 0; p < N; p++) {
        const long q = p * S + kw;
        // A tap in the padding adds nothing: skipped (the test is the same for every row of
        // the run, so the branch is predicted).
        if (!checked || (q >= qLo && q < qHi)) acc[p] += bload(xr + q * CK_BLOCK) * wv;
      }
    }
  }
  for (int p = 0; p < N; p++) bstore(y + p * CK_BLOCK, bfinish(acc[p], lower, upper, keep));
}

/// The run of `N` positions from output column `ow`, unchecked when it lies inside the columns
/// `[owLo, owHi)` whose taps are all inside the image.
#define DEPTHWISE_RUN(N_, ow_)                                                                   \
  do {                                                                                           \
    const long o_ = (ow_);                                                                       \
    if (o_ >= owLo && o_ + (N_) <= owHi) {                                                       \
      depthwise_run(x, W, w, KW, S, N_, 0, bias, ihBase, khLo, khHi, o_ * S - padLeft, lower,    \
                    upper, keep, yr + o_ * CK_BLOCK);                                            \
    } else {                                                                                     \
      depthwise_run(x, W, w, KW, S, N_, 1, bias, ihBase, khLo, khHi, o_ * S - padLeft, lower,    \
                    upper, keep, yr + o_ * CK_BLOCK);                                            \
    }                                                                                            \
  } while (0)

/// Every output row of one block, cut into runs of 8 positions and one run of the remaining 4 to
/// 7; a remainder of 1 to 3 is a run of 4 that ends at the row's end (overlapping the previous
/// run), or single positions in a row narrower than 4.
/// `x` is `[H][W][16]`, read from column `ow·S − padLeft`; the runs inside `[owLo, owHi)` are
/// unchecked.
CK_INLINE void depthwise_rows(const float *restrict x, long W, long padLeft, long owLo,
                              long owHi, const float *restrict w, bv16 bias, const CKWindow *g,
                              long KW, long S, bv16 lower, bv16 upper, bi16 keep,
                              float *restrict y) {
  const long H = g->height, KH = g->kernelHeight;
  const long Ho = g->outputHeight, Wo = g->outputWidth;
  const long sh = g->strideHeight, padTop = g->padTop;
  for (long oh = 0; oh < Ho; oh++) {
    const long ihBase = oh * sh - padTop;
    const long khLo = ck_max(0, -ihBase), khHi = ck_min(KH, H - ihBase);
    float *restrict yr = y + oh * Wo * CK_BLOCK;
    long ow = 0;
    for (; ow + 8 <= Wo; ow += 8) DEPTHWISE_RUN(8, ow);
    switch (Wo - ow) {
    case 0:
      break;
    case 7:
      DEPTHWISE_RUN(7, ow);
      break;
    case 6:
      DEPTHWISE_RUN(6, ow);
      break;
    case 5:
      DEPTHWISE_RUN(5, ow);
      break;
    case 4:
      DEPTHWISE_RUN(4, ow);
      break;
    default:
      if (Wo >= 4) {
        DEPTHWISE_RUN(4, Wo - 4);
      } else {
        for (; ow < Wo; ow++) DEPTHWISE_RUN(1, ow);
      }
    }
  }
}

/// The floats of the stack scratch that holds one block padded along its rows (64 KiB).
#define CK_PADDED_BLOCK (16384)

/// One block. When the runs that touch the left or right padding are most of a row and the
/// block, widened by its padding columns, fits `padded` (`CK_PADDED_BLOCK` floats), the block is
/// first copied there with zero columns on both sides (one load and store per input vector,
/// against `KH·KW` multiply–adds), so that every run is unchecked; otherwise the border runs
/// skip their taps in the padding.
CK_INLINE void depthwise_block(const float *restrict x, const float *restrict w, bv16 bias,
                               const CKWindow *g, long KW, long S, bv16 lower, bv16 upper,
                               bi16 keep, float *restrict padded, float *restrict y) {
  const long H = g->height, W = g->width, Wo = g->outputWidth, padLeft = g->padLeft;
  long owLo, owHi;
  ck_valid_range(-padLeft, S, W - KW + 1, Wo, &owLo, &owHi);
  // The columns the windows span, from the first padding column.
  const long Wp = (Wo - 1) * S + KW;
  // Measured on one Zen 4 core (Lite0's shapes, -O2): at stride 1 the copy pays on rows where
  // every run touches the padding: 7-wide rows (1.4× for 3×3, 1.1× for 5×5) and 14-wide ones
  // with a 5×5 kernel (1.2×); not for 3×3 on 14-wide rows, 5×5 on 28-wide ones (0.9×) or at
  // stride 2 (which copies 4 input vectors per output position, and a 512-bit store costs about
  // two multiply–adds on this core).
  const int worthIt = S == 1 && g->strideHeight == 1 &&
                      (Wo < 8 || (g->kernelHeight * KW >= 25 && Wo <= 16));
  if (padded && worthIt && (owLo > 0 || owHi < Wo) && H * Wp * CK_BLOCK <= CK_PADDED_BLOCK) {
    const bv16 zero = bsplat(0.0f);
    for (long i = 0; i < H; i++) {
      const float *restrict src = x + i * W * CK_BLOCK;
      float *restrict dst = padded + i * Wp * CK_BLOCK;
      for (long j = 0; j < Wp; j++) {
        const long col = j - padLeft;
        bstore(dst + j * CK_BLOCK, col >= 0 && col < W ? bload(src + col * CK_BLOCK) : zero);
      }
    }
    depthwise_rows(padded, Wp, 0, 0, Wo, w, bias, g, KW, S, lower, upper, keep, y);
  } else {
    depthwise_rows(x, W, padLeft, owLo, owHi, w, bias, g, KW, S, lower, upper, keep, y);
  }
}

// (The vectors are made inside inline helpers: a multi-versioned function's baseline clone may
// not pass or return 512-bit vectors itself.)
CK_INLINE void depthwise_blocks(const float *input, const float *packedWeights,
                                const float *packedBias, long channels, const CKWindow *window,
                                long firstBlock, long blockCount, float lower, float upper,
                                float *output) {
  const long KW = window->kernelWidth, S = window->strideWidth;
  const long taps = window->kernelHeight * KW;
  const long inputPlane = window->height * window->width * CK_BLOCK;
  const long outputPlane = window->outputHeight * window->outputWidth * CK_BLOCK;
  const bv16 lo = bsplat(lower), hi = bsplat(upper);
#ifdef CK_NO_PADDED_COPY
  float *padded = 0;
#else
  float padded[CK_PADDED_BLOCK] __attribute__((aligned(64)));
#endif
  for (long b = firstBlock; b < firstBlock + blockCount; b++) {
    const bi16 keep = block_lanes(channels - b * CK_BLOCK);
    const bv16 bias = packedBias ? bload(packedBias + b * CK_BLOCK) : bsplat(0.0f);
    const float *x = input + b * inputPlane;
    const float *w = packedWeights + b * taps * CK_BLOCK;
    float *y = output + b * outputPlane;
    // The kernels of Lite0 (and most depthwise networks) get their own unrolled copies.
    if (KW == 3 && S == 1) {
      depthwise_block(x, w, bias, window, 3, 1, lo, hi, keep, padded, y);
    } else if (KW == 3 && S == 2) {
      depthwise_block(x, w, bias, window, 3, 2, lo, hi, keep, padded, y);
    } else if (KW == 5 && S == 1) {
      depthwise_block(x, w, bias, window, 5, 1, lo, hi, keep, padded, y);
    } else if (KW == 5 && S == 2) {
      depthwise_block(x, w, bias, window, 5, 2, lo, hi, keep, padded, y);
    } else {
      depthwise_block(x, w, bias, window, KW, S, lo, hi, keep, padded, y);
    }
  }
}

CK_MULTIVERSION
void ck_blocked_depthwise_forward(const float *input, const float *packedWeights,
                                  const float *packedBias, long channels,
                                  const CKWindow *window, long firstBlock, long blockCount,
                                  float lower, float upper, float *output) {
  depthwise_blocks(input, packedWeights, packedBias, channels, window, firstBlock, blockCount,
                   lower, upper, output);
}

CK_INLINE void average_pool(const float *input, long channels, long positions, float *output) {
  const float scale = 1.0f / (float)positions;
  const long blocks = (channels + CK_BLOCK - 1) / CK_BLOCK;
  for (long b = 0; b < blocks; b++) {
    const float *slab = input + b * positions * CK_BLOCK;
    bv16 sum = bsplat(0.0f);
    for (long p = 0; p < positions; p++) sum += bload(slab + p * CK_BLOCK);
    const long lanes = ck_min(CK_BLOCK, channels - b * CK_BLOCK);
    for (long lane = 0; lane < lanes; lane++) output[b * CK_BLOCK + lane] = sum[lane] * scale;
  }
}

CK_MULTIVERSION
void ck_blocked_average_pool(const float *input, long channels, long positions, float *output) {
  average_pool(input, channels, positions, output);
}
