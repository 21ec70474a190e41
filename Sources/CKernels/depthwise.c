// Direct depthwise convolution: each input plane is convolved with its own small kernels. The
// plane is first copied into a zero-padded scratch plane so that the inner loops have no bounds
// checks; the loops run along output rows, which the compiler vectorises (constant strides 1 and
// 2 get their own instantiations).

#include <string.h>

#include "CKernels.h"
#include "internal.h"

/// Output positions computed together in registers.
#define CK_BLOCK 32
/// Independent partial sums of a dot product (one AVX-512 register).
#define CK_LANES 16

CK_INLINE long padded_height(const CKWindow *g) {
  return (g->outputHeight - 1) * g->strideHeight + (g->kernelHeight - 1) * g->dilationHeight + 1;
}

CK_INLINE long padded_width(const CKWindow *g) {
  return (g->outputWidth - 1) * g->strideWidth + (g->kernelWidth - 1) * g->dilationWidth + 1;
}

long ck_depthwise_scratch_count(const CKWindow *window) {
  return padded_height(window) * padded_width(window);
}

/// Copies the input plane into the `paddedHeight × paddedWidth` scratch plane at offset
/// (padTop, padLeft), zero elsewhere; input rows or columns the windows never reach are dropped.
CK_INLINE void fill_padded(const float *restrict input, const CKWindow *g, long paddedHeight,
                           long paddedWidth, float *restrict padded) {
  long lo = ck_min(g->padLeft, paddedWidth);
  long hi = ck_max(ck_min(g->padLeft + g->width, paddedWidth), lo);
  for (long r = 0; r < paddedHeight; r++) {
    float *destination = padded + r * paddedWidth;
    long ih = r - g->padTop;
    if (ih < 0 || ih >= g->height) {
      memset(destination, 0, (size_t)paddedWidth * sizeof(float));
      continue;
    }
    if (lo > 0) memset(destination, 0, (size_t)lo * sizeof(float));
    if (hi > lo) {
      memcpy(destination + lo, input + ih * g->width + (lo - g->padLeft),
             (size_t)(hi - lo) * sizeof(float));
    }
    if (paddedWidth > hi) {
      memset(destination + hi, 0, (size_t)(paddedWidth - hi) * sizeof(float));
    }
  }
}

/// One output row of one kernel: `out[ow] = b + Σ w[kh][kw] · row(kh)[kw·dw + ow·step]`.
CK_INLINE void forward_row(const float *restrict base, long paddedWidth,
                           const float *restrict weights, long kernelHeight, long kernelWidth,
                           long dilationHeight, long dilationWidth, long step, float bias,
                           long outputWidth, float *restrict output) {
  long ow = 0;
  for (; ow + CK_BLOCK <= outputWidth; ow += CK_BLOCK) {
    float accumulator[CK_BLOCK];
    for (long i = 0; i < CK_BLOCK; i++) accumulator[i] = bias;
    for (long kh = 0; kh < kernelHeight; kh++) {
      const float *source = base + kh * dilationHeight * paddedWidth + ow * step;
      for (long kw = 0; kw < kernelWidth; kw++) {
        const float w = weights[kh * kernelWidth + kw];
        const float *tap = source + kw * dilationWidth;
        for (long i = 0; i < CK_BLOCK; i++) accumulator[i] += w * tap[i * step];
      }
    }
    for (long i = 0; i < CK_BLOCK; i++) output[ow + i] = accumulator[i];
  }
  long n = outputWidth - ow;
  if (n > 0) {
    float accumulator[CK_BLOCK];
    for (long i = 0; i < n; i++) accumulator[i] = bias;
    for (long kh = 0; kh < kernelHeight; kh++) {
      const float *source = base + kh * dilationHeight * paddedWidth + ow * step;
      for (long kw = 0; kw < kernelWidth; kw++) {
        const float w = weights[kh * kernelWidth + kw];
        const float *tap = source + kw * dilationWidth;
        for (long i = 0; i < n; i++) accumulator[i] += w * tap[i * step];
      }
    }
    for (long i = 0; i < n; i++) output[ow + i] = accumulator[i];
  }
}

CK_INLINE void forward_plane(const float *restrict padded, long paddedWidth, const CKWindow *g,
                             const float *restrict weights, float bias, long step,
                             float *restrict output) {
  for (long oh = 0; oh < g->outputHeight; oh++) {
    forward_row(padded + oh * g->strideHeight * paddedWidth, paddedWidth, weights,
                g->kernelHeight, g->kernelWidth, g->dilationHeight, g->dilationWidth, step, bias,
                g->outputWidth, output + oh * g->outputWidth);
  }
}

CK_MULTIVERSION
void ck_depthwise_forward(const float *input, const float *weights, const float *bias,
                          long multiplier, const CKWindow *window, float *scratch, float *output) {
  const long paddedHeight = padded_height(window);
  const long paddedWidth = padded_width(window);
  fill_padded(input, window, paddedHeight, paddedWidth, scratch);
  const long taps = window->kernelHeight * window->kernelWidth;
  const long plane = window->outputHeight * window->outputWidth;
  for (long j = 0; j < multiplier; j++) {
    const float b = bias ? bias[j] : 0.0f;
    const float *w = weights + j * taps;
    float *out = output + j * plane;
    switch (window->strideWidth) {
    case 1: forward_plane(scratch, paddedWidth, window, w, b, 1, out); break;
    case 2: forward_plane(scratch, paddedWidth, window, w, b, 2, out); break;
    default: forward_plane(scratch, paddedWidth, window, w, b, window->strideWidth, out); break;
    }
  }
}

/// Scatters one output-gradient row into the padded input gradient:
/// `row(kh)[kw·dw + ow·step] += w[kh][kw] · dy[ow]`.
CK_INLINE void input_gradient_plane(const float *restrict outputGradient,
                                    const float *restrict weights, const CKWindow *g,
                                    long paddedWidth, long step, float *restrict padded) {
  for (long oh = 0; oh < g->outputHeight; oh++) {
    const float *dy = outputGradient + oh * g->outputWidth;
    for (long kh = 0; kh < g->kernelHeight; kh++) {
      float *row = padded + (oh * g->strideHeight + kh * g->dilationHeight) * paddedWidth;
      for (long kw = 0; kw < g->kernelWidth; kw++) {
        const float w = weights[kh * g->kernelWidth + kw];
        float *tap = row + kw * g->dilationWidth;
        for (long ow = 0; ow < g->outputWidth; ow++) tap[ow * step] += w * dy[ow];
      }
    }
  }
}

CK_MULTIVERSION
void ck_depthwise_input_gradient(const float *outputGradient, const float *weights,
                                 long multiplier, const CKWindow *window, float *scratch,
                                 float *inputGradient) {
  const CKWindow *g = window;
  const long paddedHeight = padded_height(g);
  const long paddedWidth = padded_width(g);
  memset(scratch, 0, (size_t)(paddedHeight * paddedWidth) * sizeof(float));
  const long taps = g->kernelHeight * g->kernelWidth;
  const long plane = g->outputHeight * g->outputWidth;
  for (long j = 0; j < multiplier; j++) {
    const float *dy = outputGradient + j * plane;
    const float *w = weights + j * taps;
    switch (g->strideWidth) {
    case 1: input_gradient_plane(dy, w, g, paddedWidth, 1, scratch); break;
    case 2: input_gradient_plane(dy, w, g, paddedWidth, 2, scratch); break;
    default: input_gradient_plane(dy, w, g, paddedWidth, g->strideWidth, scratch); break;
    }
  }
  // Crop the padded gradient back to the input plane; input elements no window reaches get 0.
  long lo = ck_min(g->padLeft, paddedWidth);
  long hi = ck_max(ck_min(g->padLeft + g->width, paddedWidth), lo);
  for (long ih = 0; ih < g->height; ih++) {
    float *destination = inputGradient + ih * g->width;
    long r = ih + g->padTop;
    if (r >= paddedHeight) {
      memset(destination, 0, (size_t)g->width * sizeof(float));
      continue;
    }
    long copied = hi - lo;
    if (copied > 0) {
      memcpy(destination, scratch + r * paddedWidth + lo, (size_t)copied * sizeof(float));
    }
    if (g->width > copied) {
      memset(destination + copied, 0, (size_t)(g->width - copied) * sizeof(float));
    }
  }
}

/// `Σ_ow dy[ow] · tap[ow·step]` in `CK_LANES` independent partial sums.
CK_INLINE float strided_dot(const float *restrict dy, const float *restrict tap, long step,
                            long n) {
  float lanes[CK_LANES] = {0};
  long i = 0;
  for (; i + CK_LANES <= n; i += CK_LANES) {
    for (long l = 0; l < CK_LANES; l++) lanes[l] += dy[i + l] * tap[(i + l) * step];
  }
  for (long l = 0; i + l < n; l++) lanes[l] += dy[i + l] * tap[(i + l) * step];
  float total = 0;
  for (long l = 0; l < CK_LANES; l++) total += lanes[l];
  return total;
}

CK_INLINE float weight_gradient_tap(const float *restrict padded, long paddedWidth,
                                    const float *restrict dy, const CKWindow *g, long kh, long kw,
                                    long step) {
  float total = 0;
  for (long oh = 0; oh < g->outputHeight; oh++) {
    const float *tap = padded + (oh * g->strideHeight + kh * g->dilationHeight) * paddedWidth
                       + kw * g->dilationWidth;
    total += strided_dot(dy + oh * g->outputWidth, tap, step, g->outputWidth);
  }
  return total;
}

CK_MULTIVERSION
void ck_depthwise_weight_gradient(const float *input, const float *outputGradient,
                                  long multiplier, const CKWindow *window, float *scratch,
                                  float *weightGradient) {
  const CKWindow *g = window;
  const long paddedHeight = padded_height(g);
  const long paddedWidth = padded_width(g);
  fill_padded(input, g, paddedHeight, paddedWidth, scratch);
  const long taps = g->kernelHeight * g->kernelWidth;
  const long plane = g->outputHeight * g->outputWidth;
  for (long j = 0; j < multiplier; j++) {
    const float *dy = outputGradient + j * plane;
    for (long kh = 0; kh < g->kernelHeight; kh++) {
      for (long kw = 0; kw < g->kernelWidth; kw++) {
        float value;
        switch (g->strideWidth) {
        case 1: value = weight_gradient_tap(scratch, paddedWidth, dy, g, kh, kw, 1); break;
        case 2: value = weight_gradient_tap(scratch, paddedWidth, dy, g, kh, kw, 2); break;
        default:
          value = weight_gradient_tap(scratch, paddedWidth, dy, g, kh, kw, g->strideWidth);
          break;
        }
        weightGradient[j * taps + kh * g->kernelWidth + kw] += value;
      }
    }
  }
}
