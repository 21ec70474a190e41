// im2col and its adjoint col2im, restricted to a range of output positions so that a caller can
// build the patch matrix one cache-sized tile at a time.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

/// Copies `n` elements `source[i·step]` to `destination[i]`; the constant steps 1 and 2 get
/// their own loops so that the compiler vectorises them.
CK_INLINE void copy_strided(float *restrict destination, const float *restrict source, long step,
                            long n) {
  if (step == 1) {
    memcpy(destination, source, (size_t)n * sizeof(float));
  } else if (step == 2) {
    for (long i = 0; i < n; i++) destination[i] = source[2 * i];
  } else {
    for (long i = 0; i < n; i++) destination[i] = source[i * step];
  }
}

/// Adds `source[i]` to `destination[i·step]` for `i < n`.
CK_INLINE void add_strided(float *restrict destination, const float *restrict source, long step,
                           long n) {
  if (step == 1) {
    for (long i = 0; i < n; i++) destination[i] += source[i];
  } else if (step == 2) {
    for (long i = 0; i < n; i++) destination[2 * i] += source[i];
  } else {
    for (long i = 0; i < n; i++) destination[i * step] += source[i];
  }
}

CK_MULTIVERSION
void ck_im2col(const float *input, long channels, const CKWindow *window, long first, long count,
               float *columns) {
  const CKWindow g = *window;
  const long plane = g.height * g.width;
  float *row = columns;
  for (long c = 0; c < channels; c++) {
    const float *image = input + c * plane;
    for (long kh = 0; kh < g.kernelHeight; kh++) {
      for (long kw = 0; kw < g.kernelWidth; kw++) {
        // One row of the patch matrix: the input element under tap (kh, kw) for every output
        // position of the tile, walked one output row (segment) at a time.
        long oh = first / g.outputWidth;
        long ow = first % g.outputWidth;
        long written = 0;
        while (written < count) {
          long n = ck_min(count - written, g.outputWidth - ow);
          float *destination = row + written;
          long ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          if (ih < 0 || ih >= g.height) {
            memset(destination, 0, (size_t)n * sizeof(float));
          } else {
            long iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            long lo, hi;
            ck_valid_range(iw, g.strideWidth, g.width, n, &lo, &hi);
            if (lo > 0) memset(destination, 0, (size_t)lo * sizeof(float));
            if (hi > lo) {
              copy_strided(destination + lo, image + ih * g.width + iw + lo * g.strideWidth,
                           g.strideWidth, hi - lo);
            }
            if (n > hi) memset(destination + hi, 0, (size_t)(n - hi) * sizeof(float));
          }
          written += n;
          ow = 0;
          oh += 1;
        }
        row += count;
      }
    }
  }
}

CK_MULTIVERSION
void ck_col2im_add(const float *columns, long channels, const CKWindow *window, long first,
                   long count, float *input) {
  const CKWindow g = *window;
  const long plane = g.height * g.width;
  const float *row = columns;
  for (long c = 0; c < channels; c++) {
    float *image = input + c * plane;
    for (long kh = 0; kh < g.kernelHeight; kh++) {
      for (long kw = 0; kw < g.kernelWidth; kw++) {
        long oh = first / g.outputWidth;
        long ow = first % g.outputWidth;
        long read = 0;
        while (read < count) {
          long n = ck_min(count - read, g.outputWidth - ow);
          long ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          if (ih >= 0 && ih < g.height) {
            long iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            long lo, hi;
            ck_valid_range(iw, g.strideWidth, g.width, n, &lo, &hi);
            if (hi > lo) {
              add_strided(image + ih * g.width + iw + lo * g.strideWidth, row + read + lo,
                          g.strideWidth, hi - lo);
            }
          }
          read += n;
          ow = 0;
          oh += 1;
        }
        row += count;
      }
    }
  }
}
