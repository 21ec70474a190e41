// Pointwise (1×1) convolution as a register-blocked matrix product with the epilogue in
// registers: `y[o][p] = clamp(bias[o] + Σ_c w[o][c] · x[c][p] + r[o][p])`.
//
// BLAS packs both operands on every call and leaves the bias, the residual and the clamp to
// passes over memory. Here the input rows are read where they are (an NCHW image is already a
// `[C, P]` matrix with unit stride along P), the weight comes transposed (`[C, O]`, prepared once
// by the caller), and a block of `MR` output channels × 32 positions is accumulated in `2·MR`
// vector registers over all the input channels, then biased, summed with the residual, clamped
// and stored once. Positions are cut into tiles whose input rows stay in the L2 cache while every
// block of output channels passes over them.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

#pragma clang diagnostic ignored "-Wpsabi"

typedef float pv16 __attribute__((vector_size(64)));
typedef float pv16u __attribute__((vector_size(64), aligned(4)));

#define CK_NR 32

typedef int pi16 __attribute__((vector_size(64)));

CK_INLINE pv16 pload(const float *p) { return *(const pv16u *)p; }
CK_INLINE void pstore(float *p, pv16 value) { *(pv16u *)p = value; }
CK_INLINE pv16 psplat(float v) {
  return (pv16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v};
}

/// `v < lower ? lower : (v > upper ? upper : v)` lane by lane (a NaN stays NaN), as bit masks:
/// the vector extensions of C have no vector `?:`.
CK_INLINE pv16 pclamp(pv16 v, pv16 lower, pv16 upper) {
  const pi16 below = v < lower, above = v > upper;
  pi16 bits = (pi16)v;
  bits = (bits & ~below) | ((pi16)lower & below);
  bits = (bits & ~above) | ((pi16)upper & above);
  return (pv16)bits;
}

/// `MR` output channels × `CK_NR` positions: `x` is `[channels][ldx]` (positions contiguous),
/// `wt` is `[channels][ldw]` (the `MR` channels' weights contiguous), `y`/`r` are `[MR][ld]`.
/// Only the first `columns` positions are stored (and read from `r`).
CK_INLINE void pointwise_block(const float *restrict x, long ldx, const float *restrict wt,
                               long ldw, long channels, const float *restrict bias, const int MR,
                               const float *restrict r, long ldr, float lower, float upper,
                               float *restrict y, long ldy, long columns) {
  pv16 a[12][2];
  for (int i = 0; i < MR; i++) {
    a[i][0] = a[i][1] = psplat(bias ? bias[i] : 0.0f);
  }
  for (long c = 0; c < channels; c++) {
    const pv16 x0 = pload(x + c * ldx), x1 = pload(x + c * ldx + 16);
    const float *w = wt + c * ldw;
    for (int i = 0; i < MR; i++) {
      const pv16 wi = psplat(w[i]);
      a[i][0] += wi * x0;
      a[i][1] += wi * x1;
    }
  }
  if (columns == CK_NR) {
    const pv16 lo = psplat(lower), hi = psplat(upper);
    for (int i = 0; i < MR; i++) {
      pv16 v0 = a[i][0], v1 = a[i][1];
      if (r) {
        v0 += pload(r + i * ldr);
        v1 += pload(r + i * ldr + 16);
      }
      pstore(y + i * ldy, pclamp(v0, lo, hi));
      pstore(y + i * ldy + 16, pclamp(v1, lo, hi));
    }
    return;
  }
  for (int i = 0; i < MR; i++) {
    float row[CK_NR];
    pstore(row, a[i][0]);
    pstore(row + 16, a[i][1]);
    float *restrict out = y + i * ldy;
    const float *restrict add = r ? r + i * ldr : 0;
    for (long j = 0; j < columns; j++) {
      float v = row[j] + (add ? add[j] : 0.0f);
      v = v < lower ? lower : v;
      out[j] = v > upper ? upper : v;
    }
  }
}

/// All strips of one tile for the output channels `[o, o + MR)`.
CK_INLINE void pointwise_rows(const float *restrict x, long ldx, long channels,
                              const float *restrict tail, long strips, long tailColumns,
                              const float *restrict wt, long ldw, const float *restrict bias,
                              const int MR, const float *restrict r, float lower, float upper,
                              float *restrict y, long ldy) {
  for (long s = 0; s < strips; s++) {
    pointwise_block(x + s * CK_NR, ldx, wt, ldw, channels, bias, MR, r ? r + s * CK_NR : 0, ldy,
                    lower, upper, y + s * CK_NR, ldy, CK_NR);
  }
  if (tailColumns > 0) {
    const long offset = strips * CK_NR;
    pointwise_block(tail, CK_NR, wt, ldw, channels, bias, MR, r ? r + offset : 0, ldy, lower,
                    upper, y + offset, ldy, tailColumns);
  }
}

long ck_pointwise_scratch_count(long channels) { return channels * CK_NR; }

/// The position tile: `CK_NR`-multiples whose `channels` input rows fill about 256 KiB.
CK_INLINE long tile_width(long channels) {
  long width = (65536 / (channels > 0 ? channels : 1)) / CK_NR * CK_NR;
  return width < CK_NR ? CK_NR : width;
}

CK_MULTIVERSION
void ck_pointwise_forward(const float *input, long inputStride, long channels,
                          const float *transposedWeights, long outputs, const float *bias,
                          long firstRow, long rowCount, long first, long count,
                          const float *residual, float lower, float upper, float *scratch,
                          float *output, long outputStride) {
  const long tileWidth = tile_width(channels);
  const long end = first + count;
  for (long t = first; t < end; t += tileWidth) {
    const long width = ck_min(tileWidth, end - t);
    const long strips = width / CK_NR, tailColumns = width % CK_NR;
    const float *x = input + t;
    if (tailColumns > 0) {
      // The last partial strip, zero-padded to a full one.
      for (long c = 0; c < channels; c++) {
        float *row = scratch + c * CK_NR;
        memcpy(row, x + c * inputStride + strips * CK_NR, (size_t)tailColumns * sizeof(float));
        memset(row + tailColumns, 0, (size_t)(CK_NR - tailColumns) * sizeof(float));
      }
    }
    long o = firstRow;
    const long rowEnd = firstRow + rowCount;
    while (o < rowEnd) {
      const long left = rowEnd - o;
      const float *wt = transposedWeights + o;
      const float *b = bias ? bias + o : 0;
      const float *r = residual ? residual + o * outputStride + t : 0;
      float *y = output + o * outputStride + t;
      // `outputStride` is also the residual's row stride (same shape).
      if (left >= 12) {
        pointwise_rows(x, inputStride, channels, scratch, strips, tailColumns, wt, outputs, b, 12,
                       r, lower, upper, y, outputStride);
        o += 12;
      } else if (left >= 8) {
        pointwise_rows(x, inputStride, channels, scratch, strips, tailColumns, wt, outputs, b, 8,
                       r, lower, upper, y, outputStride);
        o += 8;
      } else if (left >= 4) {
        pointwise_rows(x, inputStride, channels, scratch, strips, tailColumns, wt, outputs, b, 4,
                       r, lower, upper, y, outputStride);
        o += 4;
      } else {
        pointwise_rows(x, inputStride, channels, scratch, strips, tailColumns, wt, outputs, b, 1,
                       r, lower, upper, y, outputStride);
        o += 1;
      }
    }
  }
}
