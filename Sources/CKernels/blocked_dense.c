// Dense convolution of a planar image with few channels (an RGB stem) into the channel-blocked
// layout `[⌈O/16⌉, Ho, Wo, 16]`.
//
// With 3 input channels an im2col + GEMM spends as long building and packing its 27-row patch
// matrix as multiplying it, and writes a planar output the blocked network would transpose.
// Here every output position is `C·KH·KW` broadcast input scalars times the weight vectors of the
// output blocks: a run of 8 positions of one row × a pair of output blocks is 16 accumulators,
// each tap loads two weight vectors and 8 scalars (folded into the multiply–adds as broadcasts).
// The bias starts the sum; clamp and the zeroing of the padding channels happen in registers.

#include "CKernels.h"
#include "blocked_depthwise.h"
#include "blocked_vector.h"

/// `N` positions of one output row (first leftmost tap at input column `c0`) for the output
/// blocks whose weights are `w0` (and `w1` when `NB == 2`), `[T][16]` each.
CK_INLINE void dense_run(const float *restrict x, long C, long H, long W, long KH, long KW,
                         long S, const float *restrict w0, const float *restrict w1,
                         const int NB, const int N, const int checked, long ihBase, long khLo,
                         long khHi, long c0, bv16 bias0, bv16 bias1, bv16 lower, bv16 upper,
                         bi16 keep0, bi16 keep1, float *restrict y0, float *restrict y1) {
  bv16 acc0[8], acc1[8];
  for (int p = 0; p < N; p++) {
    acc0[p] = bias0;
    acc1[p] = bias1;
  }
  for (long c = 0; c < C; c++) {
    for (long kh = khLo; kh < khHi; kh++) {
      const float *restrict xr = x + (c * H + ihBase + kh) * W;
      const long t0 = (c * KH + kh) * KW;
      for (long kw = 0; kw < KW; kw++) {
        const bv16 wa = bload(w0 + (t0 + kw) * CK_BLOCK);
        const bv16 wb = NB == 2 ? bload(w1 + (t0 + kw) * CK_BLOCK) : bsplat(0.0f);
        for (int p = 0; p < N; p++) {
          const long col = c0 + p * S + kw;
          float v;
          if (checked) {
            const int inside = (unsigned long)col < (unsigned long)W;
            v = xr[inside ? col : 0];
            v = inside ? v : 0.0f;
          } else {
            v = xr[col];
          }
          const bv16 vs = bsplat(v);
          acc0[p] += vs * wa;
          if (NB == 2) acc1[p] += vs * wb;
        }
      }
    }
  }
  for (int p = 0; p < N; p++) {
    bstore(y0 + p * CK_BLOCK, bfinish(acc0[p], lower, upper, keep0));
    if (NB == 2) bstore(y1 + p * CK_BLOCK, bfinish(acc1[p], lower, upper, keep1));
  }
}

#define DENSE_RUN(NB_, N_, ow_)                                                                \
  do {                                                                                         \
    const long o_ = (ow_);                                                                     \
    const int unchecked = o_ >= owLo && o_ + (N_) <= owHi;                                     \
    if (unchecked) {                                                                           \
      dense_run(x, C, H, W, KH, KW, S, w0, w1, NB_, N_, 0, ihBase, khLo, khHi,                 \
                o_ * S - padLeft, bias0, bias1, lower, upper, keep0, keep1,                    \
                y0 + o_ * CK_BLOCK, y1 + o_ * CK_BLOCK);                                       \
    } else {                                                                                   \
      dense_run(x, C, H, W, KH, KW, S, w0, w1, NB_, N_, 1, ihBase, khLo, khHi,                 \
                o_ * S - padLeft, bias0, bias1, lower, upper, keep0, keep1,                    \
                y0 + o_ * CK_BLOCK, y1 + o_ * CK_BLOCK);                                       \
    }                                                                                          \
  } while (0)

/// One output row of the blocks `ob` (and `ob + 1` when `NB == 2`), cut into runs as in the
/// depthwise kernel (8s, a 4, a last 4 overlapping the run before).
#define DENSE_ROW(NB_)                                                                         \
  do {                                                                                         \
    if (Wo >= 8) {                                                                             \
      long ow = 0;                                                                             \
      for (; ow + 8 <= Wo; ow += 8) DENSE_RUN(NB_, 8, ow);                                     \
      if (Wo - ow >= 4) {                                                                      \
        DENSE_RUN(NB_, 4, ow);                                                                 \
        ow += 4;                                                                               \
      }                                                                                        \
      if (ow < Wo) DENSE_RUN(NB_, 4, Wo - 4);                                                  \
    } else if (Wo >= 4) {                                                                      \
      DENSE_RUN(NB_, 4, 0);                                                                    \
      if (Wo > 4) DENSE_RUN(NB_, 4, Wo - 4);                                                   \
    } else {                                                                                   \
      for (long ow = 0; ow < Wo; ow++) DENSE_RUN(NB_, 1, ow);                                  \
    }                                                                                          \
  } while (0)

CK_INLINE void dense_rows(const float *restrict x, long C, const float *restrict packedWeights,
                          const float *restrict packedBias, long outputs, const CKWindow *g,
                          long KW, long S, long firstRow, long rowCount, float lowerBound,
                          float upperBound, float *restrict output) {
  const bv16 lower = bsplat(lowerBound), upper = bsplat(upperBound);
  const long H = g->height, W = g->width, KH = g->kernelHeight;
  const long Wo = g->outputWidth, outputPlane = g->outputHeight * Wo * CK_BLOCK;
  const long sh = g->strideHeight, padTop = g->padTop, padLeft = g->padLeft;
  const long T = C * KH * KW, blocks = (outputs + CK_BLOCK - 1) / CK_BLOCK;
  long owLo, owHi;
  ck_valid_range(-padLeft, S, W - KW + 1, Wo, &owLo, &owHi);
  for (long oh = firstRow; oh < firstRow + rowCount; oh++) {
    const long ihBase = oh * sh - padTop;
    const long khLo = ck_max(0, -ihBase), khHi = ck_min(KH, H - ihBase);
    for (long ob = 0; ob < blocks; ob += 2) {
      const float *w0 = packedWeights + ob * T * CK_BLOCK;
      const float *w1 = w0 + T * CK_BLOCK;
      const bv16 bias0 = packedBias ? bload(packedBias + ob * CK_BLOCK) : bsplat(0.0f);
      const bi16 keep0 = block_lanes(outputs - ob * CK_BLOCK);
      float *y0 = output + ob * outputPlane + oh * Wo * CK_BLOCK;
      float *y1 = y0 + outputPlane;
      if (ob + 1 < blocks) {
        const bv16 bias1 = packedBias ? bload(packedBias + (ob + 1) * CK_BLOCK) : bsplat(0.0f);
        const bi16 keep1 = block_lanes(outputs - (ob + 1) * CK_BLOCK);
        DENSE_ROW(2);
      } else {
        const bv16 bias1 = bias0;
        const bi16 keep1 = keep0;
        DENSE_ROW(1);
      }
    }
  }
}

CK_MULTIVERSION
void ck_blocked_dense_forward(const float *input, long inputChannels,
                              const float *packedWeights, const float *packedBias, long outputs,
                              const CKWindow *window, long firstRow, long rowCount, float lower,
                              float upper, float *output) {
  const long KW = window->kernelWidth, S = window->strideWidth;
  const float lo = lower, hi = upper;
  // The RGB stems of image networks (3×3 stride 2, and stride 1) get unrolled copies.
  if (KW == 3 && S == 2) {
    dense_rows(input, inputChannels, packedWeights, packedBias, outputs, window, 3, 2, firstRow,
               rowCount, lo, hi, output);
  } else if (KW == 3 && S == 1) {
    dense_rows(input, inputChannels, packedWeights, packedBias, outputs, window, 3, 1, firstRow,
               rowCount, lo, hi, output);
  } else {
    dense_rows(input, inputChannels, packedWeights, packedBias, outputs, window, KW, S, firstRow,
               rowCount, lo, hi, output);
  }
}
