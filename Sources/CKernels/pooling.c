// Max and average pooling over one plane, and a vectorised sum. Windows are clipped to the
// input plane, so padding never needs to be materialised.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

/// The clipped input range `[*begin, *end)` of window `o` along one axis.
CK_INLINE void window_range(long o, long stride, long pad, long kernel, long dilation, long size,
                            long *begin, long *end, long *firstTap) {
  long start = o * stride - pad;
  // Taps k with 0 ≤ start + k·dilation < size.
  long lo, hi;
  ck_valid_range(start, dilation, size, kernel, &lo, &hi);
  *firstTap = lo;
  *begin = start + lo * dilation;
  *end = start + hi * dilation;
}

/// The index (in the plane) of the first maximum of window (oh, ow), or −1 for an empty window.
CK_INLINE long window_argmax(const float *input, const CKWindow *g, long oh, long ow) {
  long h0, h1, w0, w1, tap;
  window_range(oh, g->strideHeight, g->padTop, g->kernelHeight, g->dilationHeight, g->height,
               &h0, &h1, &tap);
  window_range(ow, g->strideWidth, g->padLeft, g->kernelWidth, g->dilationWidth, g->width, &w0,
               &w1, &tap);
  if (h0 >= h1 || w0 >= w1) return -1;
  // PyTorch's rule: the first strictly greater value wins, so ties go to the first maximum in
  // row-major window order; a NaN always wins (the last NaN), so NaN propagates.
  long best = h0 * g->width + w0;
  float maximum = -__builtin_inff();
  for (long ih = h0; ih < h1; ih += g->dilationHeight) {
    for (long iw = w0; iw < w1; iw += g->dilationWidth) {
      long index = ih * g->width + iw;
      float value = input[index];
      if (value > maximum || value != value) {
        best = index;
        maximum = value;
      }
    }
  }
  return best;
}

/// `a` unless `b` is greater or NaN (PyTorch's rule when `b` comes later in window order).
CK_INLINE float later_max(float a, float b) { return (b > a || b != b) ? b : a; }

/// The forward max pooling of an undilated window: per output row, the maximum over the window's
/// rows of every input column (a vectorised pass), then over each window's columns. The value is
/// the window maximum, NaN when the window holds one, as in `window_argmax`.
CK_INLINE void max_pool_forward_rows(const float *input, const CKWindow *g, float *columns,
                                     float *output) {
  for (long oh = 0; oh < g->outputHeight; oh++) {
    float *out = output + oh * g->outputWidth;
    long h0, h1, tap;
    window_range(oh, g->strideHeight, g->padTop, g->kernelHeight, 1, g->height, &h0, &h1, &tap);
    if (h0 >= h1) {
      for (long ow = 0; ow < g->outputWidth; ow++) out[ow] = -__builtin_inff();
      continue;
    }
    memcpy(columns, input + h0 * g->width, (size_t)g->width * sizeof(float));
    for (long ih = h0 + 1; ih < h1; ih++) {
      const float *row = input + ih * g->width;
      for (long iw = 0; iw < g->width; iw++) columns[iw] = later_max(columns[iw], row[iw]);
    }
    for (long ow = 0; ow < g->outputWidth; ow++) {
      long w0, w1;
      window_range(ow, g->strideWidth, g->padLeft, g->kernelWidth, 1, g->width, &w0, &w1, &tap);
      float maximum = -__builtin_inff();
      for (long iw = w0; iw < w1; iw++) maximum = later_max(maximum, columns[iw]);
      out[ow] = maximum;
    }
  }
}

CK_MULTIVERSION
void ck_max_pool_forward(const float *input, const CKWindow *window, float *output) {
  const CKWindow *g = window;
  if (g->dilationHeight == 1 && g->dilationWidth == 1 && g->width <= 4096) {
    float columns[4096];
    max_pool_forward_rows(input, g, columns, output);
    return;
  }
  for (long oh = 0; oh < g->outputHeight; oh++) {
    for (long ow = 0; ow < g->outputWidth; ow++) {
      long index = window_argmax(input, g, oh, ow);
      output[oh * g->outputWidth + ow] = index >= 0 ? input[index] : -__builtin_inff();
    }
  }
}

CK_MULTIVERSION
void ck_max_pool_backward(const float *input, const float *outputGradient,
                          const CKWindow *window, float *inputGradient) {
  const CKWindow *g = window;
  memset(inputGradient, 0, (size_t)(g->height * g->width) * sizeof(float));
  for (long oh = 0; oh < g->outputHeight; oh++) {
    for (long ow = 0; ow < g->outputWidth; ow++) {
      long index = window_argmax(input, g, oh, ow);
      if (index >= 0) inputGradient[index] += outputGradient[oh * g->outputWidth + ow];
    }
  }
}

/// The divisor of window (oh, ow): with `countIncludePad`, the window clipped to the padded plane
/// `[−padTop, height + padBottom) × [−padLeft, width + padRight)`; otherwise the real elements.
CK_INLINE float average_divisor(const CKWindow *g, long oh, long ow, int countIncludePad,
                                long h0, long h1, long w0, long w1) {
  if (countIncludePad) {
    long top = oh * g->strideHeight - g->padTop;
    long left = ow * g->strideWidth - g->padLeft;
    long bottom = ck_min(top + g->kernelHeight, g->height + g->padBottom);
    long right = ck_min(left + g->kernelWidth, g->width + g->padRight);
    return (float)((bottom - top) * (right - left));
  }
  return (float)((h1 - h0) * (w1 - w0));
}

CK_MULTIVERSION
void ck_average_pool_forward(const float *input, const CKWindow *window, int countIncludePad,
                             float *output) {
  const CKWindow *g = window;
  for (long oh = 0; oh < g->outputHeight; oh++) {
    long h0, h1, tap;
    window_range(oh, g->strideHeight, g->padTop, g->kernelHeight, 1, g->height, &h0, &h1, &tap);
    for (long ow = 0; ow < g->outputWidth; ow++) {
      long w0, w1;
      window_range(ow, g->strideWidth, g->padLeft, g->kernelWidth, 1, g->width, &w0, &w1, &tap);
      float sum = 0;
      for (long ih = h0; ih < h1; ih++) {
        for (long iw = w0; iw < w1; iw++) sum += input[ih * g->width + iw];
      }
      float divisor = average_divisor(g, oh, ow, countIncludePad, h0, h1, w0, w1);
      output[oh * g->outputWidth + ow] = divisor > 0 ? sum / divisor : 0.0f;
    }
  }
}

CK_MULTIVERSION
void ck_average_pool_backward(const float *outputGradient, const CKWindow *window,
                              int countIncludePad, float *inputGradient) {
  const CKWindow *g = window;
  memset(inputGradient, 0, (size_t)(g->height * g->width) * sizeof(float));
  for (long oh = 0; oh < g->outputHeight; oh++) {
    long h0, h1, tap;
    window_range(oh, g->strideHeight, g->padTop, g->kernelHeight, 1, g->height, &h0, &h1, &tap);
    for (long ow = 0; ow < g->outputWidth; ow++) {
      long w0, w1;
      window_range(ow, g->strideWidth, g->padLeft, g->kernelWidth, 1, g->width, &w0, &w1, &tap);
      float divisor = average_divisor(g, oh, ow, countIncludePad, h0, h1, w0, w1);
      if (divisor <= 0) continue;
      float share = outputGradient[oh * g->outputWidth + ow] / divisor;
      for (long ih = h0; ih < h1; ih++) {
        for (long iw = w0; iw < w1; iw++) inputGradient[ih * g->width + iw] += share;
      }
    }
  }
}

CK_MULTIVERSION
float ck_sum(const float *values, long count) {
  float lanes[16] = {0};
  long i = 0;
  for (; i + 16 <= count; i += 16) {
    for (long l = 0; l < 16; l++) lanes[l] += values[i + l];
  }
  for (long l = 0; i + l < count; l++) lanes[l] += values[i + l];
  float total = 0;
  for (long l = 0; l < 16; l++) total += lanes[l];
  return total;
}
