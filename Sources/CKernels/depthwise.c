// Direct depthwise convolution: each input plane is convolved with its own small kernels.
//
// The plane is first copied into a zero-padded scratch plane so that the inner loops have no
// bounds checks. The loops then run along output rows, 16 columns per vector (GCC/Clang vector
// extensions: one AVX-512 register, two AVX2 registers or four SSE registers depending on the
// clone), with up to four independent accumulators.
//
// - Forward: `y[oh][ow] = b + Σ w[kh][kw] · padded[oh·sh + kh·dh][ow·sw + kw·dw]`.
// - Input gradient: the same loop over the output gradient, spread by the stride (zeros between
//   its elements) and padded by `(k − 1)·d − pad`, with the kernel flipped — a transposed
//   convolution computed as a gather, so no two lanes ever write the same element.
// - Weight gradient: for each tap, the dot product of the output gradient with the shifted
//   padded input, up to eight taps per pass so that their accumulators stay in registers.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

// The vector helpers below are always inlined, so their argument ABI never matters.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

/// Floats of zeroed slack after each padded plane: a 16-column block at the end of a row may
/// read up to 31 columns beyond it (stride 2), and those lanes are discarded.
#define CK_SLACK 64

CK_INLINE v16 splat(float value) { return (v16){0} + value; }
CK_INLINE v16 load(const float *p) { return *(const v16u *)p; }
CK_INLINE void store(float *p, v16 value) { *(v16u *)p = value; }

/// `p[0], p[step], …, p[15·step]`; steps 1 and 2 are plain loads and a shuffle.
CK_INLINE v16 load_strided(const float *p, long step) {
  if (step == 1) return load(p);
  if (step == 2) {
    v16 a = load(p), b = load(p + 16);
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                   30);
  }
  v16 v;
  for (int i = 0; i < 16; i++) v[i] = p[i * step];
  return v;
}

/// The first `count` lanes of `load_strided(p, step)`; with a stride above 2 the other lanes are
/// not read (they could lie beyond the slack), otherwise they are read and ignored.
CK_INLINE v16 load_tail(const float *p, long step, long count) {
  if (step <= 2 || count == 16) return load_strided(p, step);
  v16 v = splat(0);
  for (long i = 0; i < count; i++) v[i] = p[i * step];
  return v;
}

/// The padded plane a window reads: `(outputHeight − 1)·sh + (kh − 1)·dh + 1` rows.
CK_INLINE long padded_height(const CKWindow *g) {
  return (g->outputHeight - 1) * g->strideHeight + (g->kernelHeight - 1) * g->dilationHeight + 1;
}

CK_INLINE long padded_width(const CKWindow *g) {
  return (g->outputWidth - 1) * g->strideWidth + (g->kernelWidth - 1) * g->dilationWidth + 1;
}

/// The window of the input gradient seen as a forward pass: the output gradient (spread by the
/// stride) is the input, the kernel is flipped, the stride is 1, and the output is the input
/// plane. Its padding is `(k − 1)·d − pad` (negative padding crops).
CK_INLINE CKWindow transposed_window(const CKWindow *g) {
  CKWindow t = {0};
  t.height = (g->outputHeight - 1) * g->strideHeight + 1;
  t.width = (g->outputWidth - 1) * g->strideWidth + 1;
  t.kernelHeight = g->kernelHeight;
  t.kernelWidth = g->kernelWidth;
  t.strideHeight = 1;
  t.strideWidth = 1;
  t.dilationHeight = g->dilationHeight;
  t.dilationWidth = g->dilationWidth;
  t.padTop = (g->kernelHeight - 1) * g->dilationHeight - g->padTop;
  t.padLeft = (g->kernelWidth - 1) * g->dilationWidth - g->padLeft;
  t.outputHeight = g->height;
  t.outputWidth = g->width;
  return t;
}

long ck_depthwise_scratch_count(const CKWindow *window) {
  long forward = padded_height(window) * padded_width(window);
  CKWindow t = transposed_window(window);
  long backward = padded_height(&t) * padded_width(&t)
                  + window->kernelHeight * window->kernelWidth;
  return (forward > backward ? forward : backward) + 2 * CK_SLACK;
}

/// Copies a `height × width` plane into the padded scratch plane (`paddedHeight × paddedWidth`,
/// then `CK_SLACK` zeros): element `(i, j)` goes to `(i·spreadH + padTop, j·spreadW + padLeft)`,
/// every other element is zero. Padding may be negative (the plane is then cropped).
CK_INLINE void fill_padded(const float *restrict input, long height, long width, long spreadH,
                           long spreadW, long padTop, long padLeft, long paddedHeight,
                           long paddedWidth, float *restrict padded) {
  // Columns c with c = j·spreadW + padLeft, 0 ≤ j < width, 0 ≤ c < paddedWidth.
  long first, last;
  ck_valid_range(padLeft, spreadW, paddedWidth, width, &first, &last);
  for (long r = 0; r < paddedHeight; r++) {
    float *destination = padded + r * paddedWidth;
    long shifted = r - padTop;
    if (shifted < 0 || shifted % spreadH != 0 || shifted / spreadH >= height || first >= last) {
      memset(destination, 0, (size_t)paddedWidth * sizeof(float));
      continue;
    }
    const float *source = input + (shifted / spreadH) * width;
    if (spreadW == 1) {
      long lo = first + padLeft, hi = last + padLeft;
      if (lo > 0) memset(destination, 0, (size_t)lo * sizeof(float));
      memcpy(destination + lo, source + first, (size_t)(hi - lo) * sizeof(float));
      if (paddedWidth > hi) {
        memset(destination + hi, 0, (size_t)(paddedWidth - hi) * sizeof(float));
      }
    } else {
      memset(destination, 0, (size_t)paddedWidth * sizeof(float));
      for (long j = first; j < last; j++) destination[j * spreadW + padLeft] = source[j];
    }
  }
  memset(padded + paddedHeight * paddedWidth, 0, CK_SLACK * sizeof(float));
}

/// `R` output rows × `16·V` columns held in registers: `out[r][c] (+)= bias + Σ w[kh][kw] ·
/// base[r·rowPitch + kh·dh·Wp + kw·dw + c·step]`. `R` and `V` are compile-time constants after
/// inlining, so the `R·V` accumulators are independent registers.
CK_INLINE void forward_block(const float *restrict base, long rowPitch, long paddedWidth,
                             const float *restrict weights, const CKWindow *g, long step,
                             const int R, const int V, float bias, int accumulate,
                             float *restrict out, long outPitch) {
  v16 a[2][4];
  for (int r = 0; r < R; r++) {
    for (int v = 0; v < V; v++) {
      a[r][v] = accumulate ? load(out + r * outPitch + 16 * v) : splat(bias);
    }
  }
  const long kernelWidth = g->kernelWidth;
  for (long kh = 0; kh < g->kernelHeight; kh++) {
    const float *row = base + kh * g->dilationHeight * paddedWidth;
    for (long kw = 0; kw < kernelWidth; kw++) {
      const v16 w = splat(weights[kh * kernelWidth + kw]);
      const float *p = row + kw * g->dilationWidth;
      for (int r = 0; r < R; r++) {
        for (int v = 0; v < V; v++) {
          a[r][v] += w * load_strided(p + r * rowPitch + 16 * v * step, step);
        }
      }
    }
  }
  for (int r = 0; r < R; r++) {
    for (int v = 0; v < V; v++) store(out + r * outPitch + 16 * v, a[r][v]);
  }
}

/// The last `count < 16` columns of one output row.
CK_INLINE void forward_tail(const float *restrict base, long paddedWidth,
                            const float *restrict weights, const CKWindow *g, long step,
                            long count, float bias, int accumulate, float *restrict out) {
  v16 a = splat(bias);
  if (accumulate) {
    a = splat(0);
    for (long i = 0; i < count; i++) a[i] = out[i];
  }
  for (long kh = 0; kh < g->kernelHeight; kh++) {
    const float *row = base + kh * g->dilationHeight * paddedWidth;
    for (long kw = 0; kw < g->kernelWidth; kw++) {
      a += splat(weights[kh * g->kernelWidth + kw])
           * load_tail(row + kw * g->dilationWidth, step, count);
    }
  }
  for (long i = 0; i < count; i++) out[i] = a[i];
}

/// `R` consecutive output rows starting at `base` / `out`, cut into blocks of 64, 32 and 16
/// columns and a tail.
CK_INLINE void forward_rows(const float *restrict base, long paddedWidth, const CKWindow *g,
                            const float *restrict weights, long step, const int R, float bias,
                            int accumulate, float *restrict out) {
  const long n = g->outputWidth;
  const long rowPitch = g->strideHeight * paddedWidth;
  long ow = 0;
  for (; ow + 64 <= n; ow += 64) {
    forward_block(base + ow * step, rowPitch, paddedWidth, weights, g, step, R, 4, bias,
                  accumulate, out + ow, n);
  }
  if (ow + 32 <= n) {
    forward_block(base + ow * step, rowPitch, paddedWidth, weights, g, step, R, 2, bias,
                  accumulate, out + ow, n);
    ow += 32;
  }
  if (ow + 16 <= n) {
    forward_block(base + ow * step, rowPitch, paddedWidth, weights, g, step, R, 1, bias,
                  accumulate, out + ow, n);
    ow += 16;
  }
  if (ow < n) {
    for (int r = 0; r < R; r++) {
      forward_tail(base + r * rowPitch + ow * step, paddedWidth, weights, g, step, n - ow, bias,
                   accumulate, out + r * n + ow);
    }
  }
}

CK_INLINE void forward_plane_step(const float *restrict padded, long paddedWidth,
                                  const CKWindow *g, const float *restrict weights, float bias,
                                  int accumulate, long step, float *restrict output) {
  const long n = g->outputWidth;
  long oh = 0;
  for (; oh + 2 <= g->outputHeight; oh += 2) {
    forward_rows(padded + oh * g->strideHeight * paddedWidth, paddedWidth, g, weights, step, 2,
                 bias, accumulate, output + oh * n);
  }
  if (oh < g->outputHeight) {
    forward_rows(padded + oh * g->strideHeight * paddedWidth, paddedWidth, g, weights, step, 1,
                 bias, accumulate, output + oh * n);
  }
}

/// The whole output plane of one kernel over a padded plane (strides 1 and 2 specialised).
CK_INLINE void forward_plane(const float *restrict padded, long paddedWidth, const CKWindow *g,
                             const float *restrict weights, float bias, int accumulate,
                             float *restrict output) {
  switch (g->strideWidth) {
  case 1: forward_plane_step(padded, paddedWidth, g, weights, bias, accumulate, 1, output); break;
  case 2: forward_plane_step(padded, paddedWidth, g, weights, bias, accumulate, 2, output); break;
  default:
    forward_plane_step(padded, paddedWidth, g, weights, bias, accumulate, g->strideWidth, output);
    break;
  }
}

CK_MULTIVERSION
void ck_depthwise_forward(const float *input, const float *weights, const float *bias,
                          long multiplier, const CKWindow *window, float *scratch, float *output) {
  const long paddedHeight = padded_height(window), paddedWidth = padded_width(window);
  fill_padded(input, window->height, window->width, 1, 1, window->padTop, window->padLeft,
              paddedHeight, paddedWidth, scratch);
  const long taps = window->kernelHeight * window->kernelWidth;
  const long plane = window->outputHeight * window->outputWidth;
  for (long j = 0; j < multiplier; j++) {
    forward_plane(scratch, paddedWidth, window, weights + j * taps, bias ? bias[j] : 0.0f, 0,
                  output + j * plane);
  }
}

CK_MULTIVERSION
void ck_depthwise_input_gradient(const float *outputGradient, const float *weights,
                                 long multiplier, const CKWindow *window, float *scratch,
                                 float *inputGradient) {
  const CKWindow t = transposed_window(window);
  const long paddedHeight = padded_height(&t), paddedWidth = padded_width(&t);
  const long taps = window->kernelHeight * window->kernelWidth;
  const long plane = window->outputHeight * window->outputWidth;
  float *flipped = scratch + paddedHeight * paddedWidth + CK_SLACK;
  for (long j = 0; j < multiplier; j++) {
    fill_padded(outputGradient + j * plane, window->outputHeight, window->outputWidth,
                window->strideHeight, window->strideWidth, t.padTop, t.padLeft, paddedHeight,
                paddedWidth, scratch);
    for (long i = 0; i < taps; i++) flipped[i] = weights[j * taps + taps - 1 - i];
    forward_plane(scratch, paddedWidth, &t, flipped, 0.0f, j > 0, inputGradient);
  }
}

/// Adds to `sums[0 ..< T]` the dot products of the output gradient with the padded input
/// shifted by `offsets[t]`, for `T` taps at once (accumulators in registers).
CK_INLINE void weight_gradient_taps(const float *restrict padded, long paddedWidth,
                                    const float *restrict dy, const CKWindow *g, long step,
                                    const long *offsets, const int T, float *sums) {
  v16 a[8];
  for (int t = 0; t < T; t++) a[t] = splat(0);
  float tail[8] = {0};
  const long n = g->outputWidth;
  for (long oh = 0; oh < g->outputHeight; oh++) {
    const float *row = padded + oh * g->strideHeight * paddedWidth;
    const float *d = dy + oh * n;
    long ow = 0;
    for (; ow + 16 <= n; ow += 16) {
      const v16 gradient = load(d + ow);
      for (int t = 0; t < T; t++) {
        a[t] += gradient * load_strided(row + offsets[t] + ow * step, step);
      }
    }
    for (; ow < n; ow++) {
      for (int t = 0; t < T; t++) tail[t] += d[ow] * row[offsets[t] + ow * step];
    }
  }
  for (int t = 0; t < T; t++) {
    float total = tail[t];
    for (int i = 0; i < 16; i++) total += a[t][i];
    sums[t] += total;
  }
}

CK_INLINE void weight_gradient_chunk(const float *restrict padded, long paddedWidth,
                                     const float *restrict dy, const CKWindow *g,
                                     const long *offsets, int count, float *sums) {
#define CK_TAPS(T)                                                                              \
  case T:                                                                                       \
    if (g->strideWidth == 1) {                                                                  \
      weight_gradient_taps(padded, paddedWidth, dy, g, 1, offsets, T, sums);                    \
    } else if (g->strideWidth == 2) {                                                           \
      weight_gradient_taps(padded, paddedWidth, dy, g, 2, offsets, T, sums);                    \
    } else {                                                                                    \
      weight_gradient_taps(padded, paddedWidth, dy, g, g->strideWidth, offsets, T, sums);       \
    }                                                                                           \
    break;
  switch (count) {
    CK_TAPS(1) CK_TAPS(2) CK_TAPS(3) CK_TAPS(4) CK_TAPS(5) CK_TAPS(6) CK_TAPS(7) CK_TAPS(8)
  }
#undef CK_TAPS
}

CK_MULTIVERSION
void ck_depthwise_weight_gradient(const float *input, const float *outputGradient,
                                  long multiplier, const CKWindow *window, float *scratch,
                                  float *weightGradient) {
  const CKWindow *g = window;
  const long paddedHeight = padded_height(g), paddedWidth = padded_width(g);
  fill_padded(input, g->height, g->width, 1, 1, g->padTop, g->padLeft, paddedHeight, paddedWidth,
              scratch);
  const long taps = g->kernelHeight * g->kernelWidth;
  const long plane = g->outputHeight * g->outputWidth;
  for (long j = 0; j < multiplier; j++) {
    // Balanced chunks of at most 8 taps (9 taps → 5 + 4), so that no pass has a lone chain.
    const long chunks = (taps + 7) / 8, size = (taps + chunks - 1) / chunks;
    for (long first = 0; first < taps; first += size) {
      const int count = (int)(taps - first < size ? taps - first : size);
      long offsets[8];
      for (int t = 0; t < count; t++) {
        long kh = (first + t) / g->kernelWidth, kw = (first + t) % g->kernelWidth;
        offsets[t] = kh * g->dilationHeight * paddedWidth + kw * g->dilationWidth;
      }
      weight_gradient_chunk(scratch, paddedWidth, outputGradient + j * plane, g, offsets, count,
                            weightGradient + j * taps + first);
    }
  }
}
