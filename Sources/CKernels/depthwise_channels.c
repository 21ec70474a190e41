// Depthwise convolution of small planes, vectorised across channels instead of along rows.
//
// On a 14×14 or 7×7 plane a 16-column vector along a row wastes most of its lanes (7 of 16 on a
// 7×7 output) and every row ends in a tail. Here a block of up to 16 channels (multiplier 1) is
// first copied into a zero-padded channel-last scratch block `[paddedHeight][paddedWidth][16]`,
// so that one vector holds one pixel of 16 channels. Each tap is then one multiply–add of a
// per-channel weight vector with one plain load, `B` output pixels of a row at once in
// independent accumulators; the channel-last result is transposed back into the planes.
//
// `y[c][oh][ow] = b[c] + Σ w[c][kh][kw] · padded[oh·sh + kh·dh][ow·sw + kw·dw][c]`.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

#pragma clang diagnostic ignored "-Wpsabi"

typedef float cv16 __attribute__((vector_size(64)));
typedef float cv16u __attribute__((vector_size(64), aligned(4)));

#define CK_LANES 16

CK_INLINE cv16 cload(const float *p) { return *(const cv16u *)p; }
CK_INLINE void cstore(float *p, cv16 value) { *(cv16u *)p = value; }

CK_INLINE long channels_padded_height(const CKWindow *g) {
  return (g->outputHeight - 1) * g->strideHeight + (g->kernelHeight - 1) * g->dilationHeight + 1;
}

CK_INLINE long channels_padded_width(const CKWindow *g) {
  return (g->outputWidth - 1) * g->strideWidth + (g->kernelWidth - 1) * g->dilationWidth + 1;
}

/// Transposes the 16×16 matrix whose rows are `r[0 ..< 16]` in registers: four rounds that
/// swap the off-diagonal blocks of 8, 4, 2 and 1 lanes.
CK_INLINE void transpose16(cv16 r[16]) {
  for (int i = 0; i < 16; i++) {
    if (i & 8) continue;
    const cv16 a = r[i], b = r[i + 8];
    r[i] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    r[i + 8] = __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  }
  for (int i = 0; i < 16; i++) {
    if (i & 4) continue;
    const cv16 a = r[i], b = r[i + 4];
    r[i] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    r[i + 4] = __builtin_shufflevector(a, b, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  }
  for (int i = 0; i < 16; i++) {
    if (i & 2) continue;
    const cv16 a = r[i], b = r[i + 2];
    r[i] = __builtin_shufflevector(a, b, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    r[i + 2] = __builtin_shufflevector(a, b, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  }
  for (int i = 0; i < 16; i++) {
    if (i & 1) continue;
    const cv16 a = r[i], b = r[i + 1];
    r[i] = __builtin_shufflevector(a, b, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    r[i + 1] = __builtin_shufflevector(a, b, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  }
}

long ck_depthwise_channels_scratch_count(const CKWindow *window) {
  long padded = channels_padded_height(window) * channels_padded_width(window);
  long output = window->outputHeight * window->outputWidth;
  long taps = window->kernelHeight * window->kernelWidth;
  return (padded + output + taps + 1) * CK_LANES;
}

/// `B` consecutive output pixels of one row: `out[b] = bias + Σ_t w[t] · in[b·sw + offset[t]]`
/// (all in channel-last units of 16 floats). The vectors are passed by pointer: a vector
/// argument's ABI would depend on the clone.
CK_INLINE void channels_block(const float *restrict in, long pixelStep, const long *offsets,
                              const cv16 *restrict w, long taps, const float *bias,
                              const int B, float *restrict out) {
  cv16 a[8];
  for (int b = 0; b < B; b++) a[b] = cload(bias);
  for (long t = 0; t < taps; t++) {
    const float *p = in + offsets[t];
    const cv16 weight = w[t];
    for (int b = 0; b < B; b++) a[b] += weight * cload(p + b * pixelStep);
  }
  for (int b = 0; b < B; b++) cstore(out + b * CK_LANES, a[b]);
}

/// The body of `ck_depthwise_forward_channels`, inlined into each clone (vector values may only
/// cross calls between always-inlined functions).
CK_INLINE void forward_channels(const float *restrict input, const float *restrict weights,
                                const float *restrict bias, long count, const CKWindow *window,
                                float *restrict scratch, float *restrict output) {
  const CKWindow *g = window;
  const long paddedHeight = channels_padded_height(g), paddedWidth = channels_padded_width(g);
  const long taps = g->kernelHeight * g->kernelWidth;
  const long inputPlane = g->height * g->width;
  const long outputPlane = g->outputHeight * g->outputWidth;
  float *padded = scratch;
  float *result = padded + paddedHeight * paddedWidth * CK_LANES;
  float *weightLanes = result + outputPlane * CK_LANES;

  // Channel-last padded copy, 16 pixels of the flattened plane at a time (a 16×16 transpose in
  // registers), of the rows / columns the window reads.
  memset(padded, 0, (size_t)(paddedHeight * paddedWidth * CK_LANES) * sizeof(float));
  long firstRow, lastRow, firstColumn, lastColumn;
  ck_valid_range(g->padTop, 1, paddedHeight, g->height, &firstRow, &lastRow);
  ck_valid_range(g->padLeft, 1, paddedWidth, g->width, &firstColumn, &lastColumn);
  long p = 0;
  for (; p + 16 <= inputPlane; p += 16) {
    cv16 r[16];
    for (int c = 0; c < 16; c++) {
      r[c] = c < count ? cload(input + c * inputPlane + p) : (cv16){0};
    }
    transpose16(r);
    for (int k = 0; k < 16; k++) {
      const long i = (p + k) / g->width, j = (p + k) % g->width;
      if (i < firstRow || i >= lastRow || j < firstColumn || j >= lastColumn) continue;
      cstore(padded + ((i + g->padTop) * paddedWidth + j + g->padLeft) * CK_LANES, r[k]);
    }
  }
  for (; p < inputPlane; p++) {
    const long i = p / g->width, j = p % g->width;
    if (i < firstRow || i >= lastRow || j < firstColumn || j >= lastColumn) continue;
    float *pixel = padded + ((i + g->padTop) * paddedWidth + j + g->padLeft) * CK_LANES;
    for (long c = 0; c < count; c++) pixel[c] = input[c * inputPlane + p];
  }

  // One weight vector per tap (lanes beyond `count` are zero), and the bias vector.
  for (long t = 0; t < taps; t++) {
    for (long c = 0; c < CK_LANES; c++) {
      weightLanes[t * CK_LANES + c] = c < count ? weights[c * taps + t] : 0.0f;
    }
  }
  float *biasLanes = weightLanes + taps * CK_LANES;
  for (long c = 0; c < CK_LANES; c++) biasLanes[c] = bias && c < count ? bias[c] : 0.0f;
  const cv16 *w = (const cv16 *)weightLanes;

  // Kernels of at most 64 taps (the caller checks): every tap's offset in the padded block.
  long offsets[64];
  for (long t = 0; t < taps; t++) {
    long kh = t / g->kernelWidth, kw = t % g->kernelWidth;
    offsets[t] = (kh * g->dilationHeight * paddedWidth + kw * g->dilationWidth) * CK_LANES;
  }

  const long pixelStep = g->strideWidth * CK_LANES;
  const long n = g->outputWidth;
  for (long oh = 0; oh < g->outputHeight; oh++) {
    const float *base = padded + oh * g->strideHeight * paddedWidth * CK_LANES;
    float *out = result + oh * n * CK_LANES;
    long ow = 0;
    for (; ow + 8 <= n; ow += 8) {
      channels_block(base + ow * pixelStep, pixelStep, offsets, w, taps, biasLanes, 8,
                     out + ow * CK_LANES);
    }
    if (ow + 4 <= n) {
      channels_block(base + ow * pixelStep, pixelStep, offsets, w, taps, biasLanes, 4,
                     out + ow * CK_LANES);
      ow += 4;
    }
    if (ow + 2 <= n) {
      channels_block(base + ow * pixelStep, pixelStep, offsets, w, taps, biasLanes, 2,
                     out + ow * CK_LANES);
      ow += 2;
    }
    if (ow < n) {
      channels_block(base + ow * pixelStep, pixelStep, offsets, w, taps, biasLanes, 1,
                     out + ow * CK_LANES);
    }
  }

  // Back to planes, 16 pixels at a time.
  long q = 0;
  for (; q + 16 <= outputPlane; q += 16) {
    cv16 r[16];
    for (int k = 0; k < 16; k++) r[k] = cload(result + (q + k) * CK_LANES);
    transpose16(r);
    for (long c = 0; c < count; c++) cstore(output + c * outputPlane + q, r[c]);
  }
  for (; q < outputPlane; q++) {
    for (long c = 0; c < count; c++) output[c * outputPlane + q] = result[q * CK_LANES + c];
  }
}

CK_MULTIVERSION
void ck_depthwise_forward_channels(const float *input, const float *weights, const float *bias,
                                   long count, const CKWindow *window, float *scratch,
                                   float *output) {
  forward_channels(input, weights, bias, count, window, scratch, output);
}
