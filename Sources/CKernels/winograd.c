// The transforms of the Winograd convolution F(2×2, 3×3) (Lavin & Gray 2016): a stride-1 3×3
// convolution computed on 4×4 input tiles that each give a 2×2 block of outputs, with 16
// multiplications per tile and channel pair instead of 36. The 16 products of all tiles and
// channel pairs are 16 independent matrix products, left to BLAS by the caller; these functions
// only move data into and out of the transformed domain:
//
//   U = G g Gᵀ (weights, 3×3 → 4×4),  V = Bᵀ d B (inputs, 4×4 → 4×4),  Y = Aᵀ M A (4×4 → 2×2),
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 −1 −1].
//
// Every coefficient is 0, ±1 or ±½, so each transform is exact up to one rounding per addition;
// see Convolution2D+Winograd.swift for the error bound.

#include <string.h>

#include "CKernels.h"
#include "internal.h"

/// The tile grid of an output plane: `⌈Ho/2⌉ × ⌈Wo/2⌉` tiles.
CK_INLINE void tile_grid(const CKWindow *g, long *rows, long *columns) {
  *rows = (g->outputHeight + 1) / 2;
  *columns = (g->outputWidth + 1) / 2;
}

CK_MULTIVERSION
void ck_winograd_f2x2_3x3_weights(const float *weights, long outputs, long channels,
                                  float *transformed, long slab) {
  for (long o = 0; o < outputs; o++) {
    const float *kernels = weights + o * channels * 9;
    float *u = transformed + o * channels;
    // One kernel per channel; each of the 16 results goes to its own contiguous row.
    for (long c = 0; c < channels; c++) {
      const float *g = kernels + c * 9;
      float t[4][3];
      for (int j = 0; j < 3; j++) {
        const float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        t[0][j] = g0;
        t[1][j] = 0.5f * (g0 + g1 + g2);
        t[2][j] = 0.5f * (g0 - g1 + g2);
        t[3][j] = g2;
      }
      for (int r = 0; r < 4; r++) {
        const float g0 = t[r][0], g1 = t[r][1], g2 = t[r][2];
        u[(4 * r + 0) * slab + c] = g0;
        u[(4 * r + 1) * slab + c] = 0.5f * (g0 + g1 + g2);
        u[(4 * r + 2) * slab + c] = 0.5f * (g0 - g1 + g2);
        u[(4 * r + 3) * slab + c] = g2;
      }
    }
  }
}

/// `Bᵀ d B` of the 4×4 tile `d` (row-major), written to `v[ξ·slab]` for `ξ = 0..15`.
CK_INLINE void input_tile(const float d[16], float *v, long slab) {
  float t[16];
  for (int j = 0; j < 4; j++) {
    t[0 + j] = d[0 + j] - d[8 + j];
    t[4 + j] = d[4 + j] + d[8 + j];
    t[8 + j] = d[8 + j] - d[4 + j];
    t[12 + j] = d[4 + j] - d[12 + j];
  }
  for (int r = 0; r < 4; r++) {
    const float *q = t + 4 * r;
    v[(4 * r + 0) * slab] = q[0] - q[2];
    v[(4 * r + 1) * slab] = q[1] + q[2];
    v[(4 * r + 2) * slab] = q[2] - q[1];
    v[(4 * r + 3) * slab] = q[1] - q[3];
  }
}

CK_MULTIVERSION
void ck_winograd_f2x2_3x3_input(const float *input, long imageStride, long channels,
                                const CKWindow *window, long first, long count,
                                float *transformed, long slab) {
  const CKWindow g = *window;
  const long plane = g.height * g.width;
  long tileRows, tileColumns;
  tile_grid(&g, &tileRows, &tileColumns);
  const long perImage = tileRows * tileColumns;
  for (long c = 0; c < channels; c++) {
    float *row = transformed + c * count;
    long i = 0;
    while (i < count) {
      // One run of tiles along a tile row of one image.
      const long t = first + i;
      const long n = t / perImage;
      const long th = (t % perImage) / tileColumns;
      const long tw0 = t % tileColumns;
      const long run = ck_min(count - i, tileColumns - tw0);
      const float *image = input + n * imageStride + c * plane;
      const long ih = 2 * th - g.padTop;
      const int rowsInside = ih >= 0 && ih + 4 <= g.height;
      for (long k = 0; k < run; k++) {
        const long iw = 2 * (tw0 + k) - g.padLeft;
        float d[16];
        if (rowsInside && iw >= 0 && iw + 4 <= g.width) {
          const float *p = image + ih * g.width + iw;
          for (int r = 0; r < 4; r++) {
            for (int s = 0; s < 4; s++) d[4 * r + s] = p[r * g.width + s];
          }
        } else {
          for (int r = 0; r < 4; r++) {
            const long y = ih + r;
            for (int s = 0; s < 4; s++) {
              const long x = iw + s;
              d[4 * r + s] = (y >= 0 && y < g.height && x >= 0 && x < g.width)
                                 ? image[y * g.width + x]
                                 : 0.0f;
            }
          }
        }
        input_tile(d, row + i + k, slab);
      }
      i += run;
    }
  }
}

CK_MULTIVERSION
void ck_winograd_f2x2_3x3_output(const float *products, long slab, long outputs,
                                 const CKWindow *window, long first, long count,
                                 const float *bias, float *output, long imageStride) {
  const CKWindow g = *window;
  const long plane = g.outputHeight * g.outputWidth;
  long tileRows, tileColumns;
  tile_grid(&g, &tileRows, &tileColumns);
  const long perImage = tileRows * tileColumns;
  for (long o = 0; o < outputs; o++) {
    const float *row = products + o * count;
    const float b = bias ? bias[o] : 0.0f;
    for (long i = 0; i < count; i++) {
      const long t = first + i;
      const long n = t / perImage;
      const long th = (t % perImage) / tileColumns;
      const long tw = t % tileColumns;
      float m[16];
      for (int xi = 0; xi < 16; xi++) m[xi] = row[xi * slab + i];
      // Aᵀ m: 2 rows × 4 columns, then (Aᵀ m) A: 2 × 2.
      float s[2][4];
      for (int j = 0; j < 4; j++) {
        s[0][j] = m[j] + m[4 + j] + m[8 + j];
        s[1][j] = m[4 + j] - m[8 + j] - m[12 + j];
      }
      float *y = output + n * imageStride + o * plane;
      const long oh = 2 * th, ow = 2 * tw;
      for (int r = 0; r < 2; r++) {
        if (oh + r >= g.outputHeight) break;
        float *line = y + (oh + r) * g.outputWidth + ow;
        line[0] = b + s[r][0] + s[r][1] + s[r][2];
        if (ow + 1 < g.outputWidth) line[1] = b + s[r][1] - s[r][2] - s[r][3];
      }
    }
  }
}
