// The input gradient of the depthwise convolution in the channel-blocked layout
// `[⌈C/16⌉, H, W, 16]`, in gather form.
//
// Input position `(i, j)` of a block receives `w[kh][kw] · dy[oh][ow]` from every tap with
// `oh·sh − top + kh = i` and `ow·sw − left + kw = j`. The kernel rows that reach row `i` are
// `kh ≡ i + top (mod sh)`, with `oh` falling by one for each step of `sh` in `kh`; likewise, the
// columns `j ≡ r (mod sw)` of one residue `r` all take the kernel columns `kw ≡ r + left
// (mod sw)`, and tap `kw0 + u·sw` of column `j = r + q·sw` reads output-gradient column
// `d0 − u + q`: consecutive columns `q` read consecutive output-gradient vectors. So, as in the
// forward kernel, a run of `N` positions `q` (8, else 4, else 1) of one residue is held in `N`
// accumulators while the taps go by, each tap's weight vector loaded once per run; for stride 1
// this is the forward correlation with the flipped kernel. Runs whose taps all land inside the
// output plane load unchecked, the border runs skip the taps outside it, and the
// kernel rows that miss the output plane are skipped for the whole row. The padding channels
// of the result are zeroed in registers before the single store, so whatever the padding lanes
// of the output gradient hold (they only ever meet zero weights, lane by lane) never shows.

#include "CKernels.h"
#include "blocked_depthwise_gradient.h"
#include "blocked_vector.h"

/// `N` input-gradient positions of one residue class of one row of one block: positions `q0 +
/// p` (`p < N`), stored `S` vectors apart from `dx`. `dy` is the block's output-gradient plane
/// (`Wo` columns), `w` its `[KH·KW][16]` weights. Tap row `t ∈ [tLo, tHi)` is kernel row
/// `kh0 + t·sh` reading output row `ohTop − t`; tap column `u < U` is kernel column
/// `kw0 + u·S` reading output column `d0 − u + q`. With `checked`, the taps on columns outside
/// `[0, Wo)` are skipped.
CK_INLINE void gradient_run(const float *restrict dy, long Wo, const float *restrict w, long KW,
                            long S, const int N, const int checked, long kh0, long sh,
                            long ohTop, long tLo, long tHi, long kw0, long U, long d0, long q0,
                            bi16 keep, float *restrict dx) {
  bv16 acc[8];
  for (int p = 0; p < N; p++) acc[p] = bsplat(0.0f);
  for (long t = tLo; t < tHi; t++) {
    const float *restrict dyr = dy + (ohTop - t) * Wo * CK_BLOCK;
    const float *restrict wr = w + (kh0 + t * sh) * KW * CK_BLOCK;
    for (long u = 0; u < U; u++) {
      const bv16 wv = bload(wr + (kw0 + u * S) * CK_BLOCK);
      for (int p = 0; p < N; p++) {
        const long col = d0 - u + q0 + p;
        // A tap outside the output plane adds nothing: skipped (the test is the same for every
        // row of the run, so the branch is predicted; masking the load instead compiled to
        // ~15 instructions per tap at SwiftPM's -O2).
        if (!checked || (unsigned long)col < (unsigned long)Wo) {
          acc[p] += bload(dyr + col * CK_BLOCK) * wv;
        }
      }
    }
  }
  for (int p = 0; p < N; p++) bstore(dx + p * S * CK_BLOCK, (bv16)((bi16)acc[p] & keep));
}

/// The run of `N` positions from `q`, unchecked when it lies inside `[qLo, qHi)`.
#define GRADIENT_RUN(N_, q_)                                                                     \
  do {                                                                                           \
    const long o_ = (q_);                                                                        \
    float *restrict d_ = dxr + (r + o_ * S) * CK_BLOCK;                                          \
    if (o_ >= qLo && o_ + (N_) <= qHi) {                                                         \
      gradient_run(dy, Wo, w, KW, S, N_, 0, kh0, sh, ohTop, tLo, tHi, kw0, U, d0, o_, keep, d_); \
    } else {                                                                                     \
      gradient_run(dy, Wo, w, KW, S, N_, 1, kh0, sh, ohTop, tLo, tHi, kw0, U, d0, o_, keep, d_); \
    }                                                                                            \
  } while (0)

/// The columns `j = r + q·S` (`q < Q`) of one row, whose kernel columns start at `kw0`, cut into
/// runs of 8 positions, a run of 4 for a remainder of 4 or more, and a last run of 4 that ends
/// at the residue's last column (overlapping the previous run).
CK_INLINE void gradient_residue(const float *restrict dy, long Wo, const float *restrict w,
                                long KW, long S, long kh0, long sh, long ohTop, long tLo,
                                long tHi, long r, long kw0, long Q, long padLeft, long shift,
                                bi16 keep, float *restrict dxr) {
  const long d0 = (r + padLeft - kw0) / S + shift;
  const long U = kw0 < KW ? (KW - kw0 + S - 1) / S : 0;
  // Every tap of position q lands inside the output plane for q ∈ [qLo, qHi).
  long qLo = 0, qHi = Q;
  if (U > 0) {
    qLo = ck_min(ck_max(U - 1 - d0, 0), Q);
    qHi = ck_max(ck_min(Wo - d0, Q), qLo);
  }
  if (Q >= 8) {
    long q = 0;
    for (; q + 8 <= Q; q += 8) GRADIENT_RUN(8, q);
    if (Q - q >= 4) {
      GRADIENT_RUN(4, q);
      q += 4;
    }
    if (q < Q) GRADIENT_RUN(4, Q - 4);
  } else if (Q >= 4) {
    GRADIENT_RUN(4, 0);
    if (Q > 4) GRADIENT_RUN(4, Q - 4);
  } else {
    for (long q = 0; q < Q; q++) GRADIENT_RUN(1, q);
  }
}

/// Every row of one block's input gradient, reading the output-gradient plane `dy` of `Wo`
/// columns from column `shift` (its first `shift` columns are zero padding, or `shift` is 0).
/// `KW` and `S` (the column stride) are compile-time constants in the unrolled copies; for
/// stride 2 so is the first kernel column of each residue.
CK_INLINE void gradient_rows(const float *restrict dy, long Wo, long shift,
                             const float *restrict w, const CKWindow *g, long KW, long S,
                             bi16 keep, float *restrict dx) {
  const long H = g->height, W = g->width, KH = g->kernelHeight, Ho = g->outputHeight;
  const long sh = g->strideHeight, padTop = g->padTop, padLeft = g->padLeft;
  for (long i = 0; i < H; i++) {
    // Kernel rows kh0 + t·sh reach row i from output rows ohTop − t.
    const long kh0 = ck_floor_div(i + padTop, sh) * -sh + (i + padTop);
    const long ohTop = ck_floor_div(i + padTop, sh);
    const long tLo = ck_max(0, ohTop - Ho + 1);
    const long tHi = kh0 < KH ? ck_min((KH - kh0 + sh - 1) / sh, ohTop + 1) : 0;
    float *restrict dxr = dx + i * W * CK_BLOCK;
    for (long r = 0; r < ck_min(S, W); r++) {
      const long Q = (W - r + S - 1) / S;
      const long kw0 = (r + padLeft) - ck_floor_div(r + padLeft, S) * S;
      if (S == 2 && kw0 == 0) {
        gradient_residue(dy, Wo, w, KW, S, kh0, sh, ohTop, tLo, tHi, r, 0, Q, padLeft, shift,
                         keep, dxr);
      } else if (S == 2 && kw0 == 1) {
        gradient_residue(dy, Wo, w, KW, S, kh0, sh, ohTop, tLo, tHi, r, 1, Q, padLeft, shift,
                         keep, dxr);
      } else {
        gradient_residue(dy, Wo, w, KW, S, kh0, sh, ohTop, tLo, tHi, r, kw0, Q, padLeft,
                         shift, keep, dxr);
      }
    }
  }
}

/// The floats of the stack scratch that holds one output-gradient block padded along its rows
/// (64 KiB).
#define CK_PADDED_GRADIENT (16384)

/// One block. When some runs would read past the left or right edge of the output gradient
/// and the block, widened by the zero columns those runs need, fits `padded`
/// (`CK_PADDED_GRADIENT` floats), the block is first copied there between zero columns, so that
/// every run is unchecked; otherwise the border runs skip their taps outside the plane.
CK_INLINE void gradient_block(const float *restrict dy, const float *restrict w,
                              const CKWindow *g, long KW, long S, bi16 keep,
                              float *restrict padded, float *restrict dx) {
  const long W = g->width, Ho = g->outputHeight, Wo = g->outputWidth, padLeft = g->padLeft;
  // The output-gradient columns the residues read: [−left, Wo + right).
  long left = 0, right = 0;
  for (long r = 0; r < ck_min(S, W); r++) {
    const long kw0 = (r + padLeft) - ck_floor_div(r + padLeft, S) * S;
    if (kw0 >= KW) continue;
    const long d0 = (r + padLeft - kw0) / S;
    const long U = (KW - kw0 + S - 1) / S, Q = (W - r + S - 1) / S;
    left = ck_max(left, U - 1 - d0);
    right = ck_max(right, d0 + Q - Wo);
  }
  const long Wp = left + Wo + right;
  // As for the forward kernel, the copy pays for 5×5 kernels and for rows shorter than a run;
  // for stride 2 a third of the runs would be masked (measured on one core, Lite0's 3×3
  // stride-2 layer on 28×28: 0.028 → 0.025 ms, the 112×112 one does not fit).
  const int worthIt = g->kernelHeight * KW >= 25 || W < 8 * S || S > 1;
  if (padded && worthIt && (left > 0 || right > 0) && Ho * Wp * CK_BLOCK <= CK_PADDED_GRADIENT) {
    const bv16 zero = bsplat(0.0f);
    for (long i = 0; i < Ho; i++) {
      const float *restrict src = dy + i * Wo * CK_BLOCK;
      float *restrict dst = padded + i * Wp * CK_BLOCK;
      for (long j = 0; j < Wp; j++) {
        const long col = j - left;
        bstore(dst + j * CK_BLOCK, col >= 0 && col < Wo ? bload(src + col * CK_BLOCK) : zero);
      }
    }
    gradient_rows(padded, Wp, left, w, g, KW, S, keep, dx);
  } else {
    gradient_rows(dy, Wo, 0, w, g, KW, S, keep, dx);
  }
}

// (The vectors are made inside inline helpers: a multi-versioned function's baseline clone may
// not pass or return 512-bit vectors itself.)
CK_INLINE void gradient_blocks(const float *outputGradient, const float *packedWeights,
                               long channels, const CKWindow *window, long firstBlock,
                               long blockCount, float *inputGradient) {
  const long KW = window->kernelWidth, S = window->strideWidth;
  const long taps = window->kernelHeight * KW;
  const long inputPlane = window->height * window->width * CK_BLOCK;
  const long outputPlane = window->outputHeight * window->outputWidth * CK_BLOCK;
#ifdef CK_NO_PADDED_COPY
  float *padded = 0;
#else
  float padded[CK_PADDED_GRADIENT] __attribute__((aligned(64)));
#endif
  for (long b = firstBlock; b < firstBlock + blockCount; b++) {
    const bi16 keep = block_lanes(channels - b * CK_BLOCK);
    const float *dy = outputGradient + b * outputPlane;
    const float *w = packedWeights + b * taps * CK_BLOCK;
    float *dx = inputGradient + b * inputPlane;
    // The kernels of Lite0 (and most depthwise networks) get their own unrolled copies.
    if (KW == 3 && S == 1) {
      gradient_block(dy, w, window, 3, 1, keep, padded, dx);
    } else if (KW == 3 && S == 2) {
      gradient_block(dy, w, window, 3, 2, keep, padded, dx);
    } else if (KW == 5 && S == 1) {
      gradient_block(dy, w, window, 5, 1, keep, padded, dx);
    } else if (KW == 5 && S == 2) {
      gradient_block(dy, w, window, 5, 2, keep, padded, dx);
    } else {
      gradient_block(dy, w, window, KW, S, keep, padded, dx);
    }
  }
}

CK_MULTIVERSION
void ck_blocked_depthwise_input_gradient(const float *outputGradient, const float *packedWeights,
                                         long channels, const CKWindow *window, long firstBlock,
                                         long blockCount, float *inputGradient) {
  gradient_blocks(outputGradient, packedWeights, channels, window, firstBlock, blockCount,
                  inputGradient);
}
