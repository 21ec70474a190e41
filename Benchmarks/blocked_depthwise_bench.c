// Side-by-side microbenchmark, one core: the channel-blocked depthwise kernel
// (`ck_blocked_depthwise_forward`) and stem (`ck_blocked_dense_forward`) against the kernels the
// planar `Tensor.convolution2D` path runs today on Lite0's shapes.
//
// The "current" depthwise column is what `Tensor.forwardDepthwiseFused` does for one image:
// planes up to 64×64 go through `ck_depthwise_forward_channels` in groups of 16 channels
// (which transposes each group to a channel-last scratch block and back on every call),
// larger planes through the row kernel `ck_depthwise_forward`, then `ck_epilogue` clamps to
// [0, 6] (Lite0's ReLU6). The "current" stem is im2col + `cblas_sgemm` + bias + clamp, as the
// patch-matrix path of `Tensor.convolution2D` (one tile). Each figure is the median of many
// timed calls, after warm-up; the check column is the largest |blocked − current| after
// unblocking.
//
// Build and run from the repository root (one core; -O2 as in SwiftPM's release build of C
// targets, which is what the package runs):
//   clang -O2 -std=gnu11 -ISources/CKernels/include -ISources/CKernels \
//     $(pkg-config --cflags openblas) Benchmarks/blocked_depthwise_bench.c \
//     Sources/CKernels/blocked_depthwise.c Sources/CKernels/blocked_dense.c \
//     Sources/CKernels/depthwise.c Sources/CKernels/depthwise_channels.c \
//     Sources/CKernels/im2col.c Sources/CKernels/epilogue.c \
//     $(pkg-config --libs openblas) -lm -o /tmp/blocked_depthwise_bench
//   OPENBLAS_NUM_THREADS=1 taskset -c 0 /tmp/blocked_depthwise_bench [repeats]

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "CKernels.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static unsigned long long state = 0x9E3779B97F4A7C15ull;
static float uniform(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (float)((state >> 40) * (1.0 / 16777216.0)) * 2 - 1;
}

static float *floats(long n) {
  float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
  for (long i = 0; i < n; i++) p[i] = uniform();
  return p;
}

/// TensorFlow SAME padding and the output size along one axis.
static void same(long size, long k, long s, long *before, long *after, long *out) {
  *out = (size + s - 1) / s;
  long total = (*out - 1) * s + k - size;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - total / 2;
}

static CKWindow window_for(long h, long w, long k, long s) {
  CKWindow g = {h, w, k, k, s, s, 1, 1, 0, 0, 0, 0, 0, 0};
  same(h, k, s, &g.padTop, &g.padBottom, &g.outputHeight);
  same(w, k, s, &g.padLeft, &g.padRight, &g.outputWidth);
  return g;
}

static void block_map(const float *x, long c, long p, float *y) {
  const long blocks = (c + 15) / 16;
  memset(y, 0, sizeof(float) * blocks * 16 * p);
  for (long i = 0; i < c; i++)
    for (long j = 0; j < p; j++) y[((i / 16) * p + j) * 16 + i % 16] = x[i * p + j];
}

static void unblock_map(const float *x, long c, long p, float *y) {
  for (long i = 0; i < c; i++)
    for (long j = 0; j < p; j++) y[i * p + j] = x[((i / 16) * p + j) * 16 + i % 16];
}

static double median(double *t, int n) {
  qsort(t, n, sizeof(double), compare);
  return t[n / 2];
}

typedef struct {
  long c, k, s, h;
} Shape;

static void current_depthwise(const float *x, const float *w, const float *b, long c,
                              const CKWindow *g, float *scratch, float *y) {
  const long plane = g->height * g->width, out = g->outputHeight * g->outputWidth;
  const long taps = g->kernelHeight * g->kernelWidth;
  if (ck_depthwise_channels_scratch_count(g) <= (1 << 17)) {
    for (long f = 0; f < c; f += 16) {
      const long n = c - f < 16 ? c - f : 16;
      ck_depthwise_forward_channels(x + f * plane, w + f * taps, b + f, n, g, scratch,
                                    y + f * out);
      ck_epilogue(y + f * out, 1, n * out, 0, 0, 0.0f, 6.0f);
    }
  } else {
    for (long f = 0; f < c; f++) {
      ck_depthwise_forward(x + f * plane, w + f * taps, b + f, 1, g, scratch, y + f * out);
      ck_epilogue(y + f * out, 1, out, 0, 0, 0.0f, 6.0f);
    }
  }
}

int main(int argc, char **argv) {
  const int repeats = argc > 1 ? atoi(argv[1]) : 200;
  // Lite0's depthwise layers in order (stage: count × (C, k, s, H)).
  const Shape layers[] = {{32, 3, 1, 112},  {96, 3, 2, 112},  {144, 3, 1, 56},  {144, 5, 2, 56},
                          {240, 5, 1, 28},  {240, 3, 2, 28},  {480, 3, 1, 14},  {480, 3, 1, 14},
                          {480, 5, 1, 14},  {672, 5, 1, 14},  {672, 5, 1, 14},  {672, 5, 2, 14},
                          {1152, 5, 1, 7},  {1152, 5, 1, 7},  {1152, 5, 1, 7},  {1152, 3, 1, 7}};
  const int layerCount = sizeof(layers) / sizeof(layers[0]);
  double totalMine = 0, totalCurrent = 0;
  double *times = malloc(sizeof(double) * repeats);
  printf("%-18s %9s %9s %7s %8s %9s\n", "depthwise C,k,s,H", "current", "blocked", "speedup",
         "GFLOP/s", "max|diff|");
  for (int l = 0; l < layerCount; l++) {
    const Shape sh = layers[l];
    int seen = 0;
    for (int m = 0; m < l; m++)
      if (!memcmp(&layers[m], &sh, sizeof sh)) seen = 1;
    const CKWindow g = window_for(sh.h, sh.h, sh.k, sh.s);
    const long blocks = (sh.c + 15) / 16, taps = sh.k * sh.k;
    const long plane = sh.h * sh.h, out = g.outputHeight * g.outputWidth;
    float *x = floats(sh.c * plane), *w = floats(sh.c * taps), *b = floats(sh.c);
    float *xb = floats(blocks * 16 * plane), *yb = floats(blocks * 16 * out);
    float *wp = calloc(blocks * taps * 16, 4), *bp = calloc(blocks * 16, 4);
    float *y = floats(sh.c * out), *yu = floats(sh.c * out);
    long sc = ck_depthwise_scratch_count(&g), sc2 = ck_depthwise_channels_scratch_count(&g);
    float *scratch = floats(sc > sc2 ? sc : sc2);
    block_map(x, sh.c, plane, xb);
    for (long c = 0; c < sh.c; c++) {
      for (long t = 0; t < taps; t++) wp[((c / 16) * taps + t) * 16 + c % 16] = w[c * taps + t];
      bp[c] = b[c];
    }
    for (int r = 0; r < 5; r++) current_depthwise(x, w, b, sh.c, &g, scratch, y);
    for (int r = 0; r < repeats; r++) {
      double t0 = now();
      current_depthwise(x, w, b, sh.c, &g, scratch, y);
      times[r] = now() - t0;
    }
    const double current = median(times, repeats) * 1e3;
    for (int r = 0; r < 5; r++)
      ck_blocked_depthwise_forward(xb, wp, bp, sh.c, &g, 0, blocks, 0.0f, 6.0f, yb);
    for (int r = 0; r < repeats; r++) {
      double t0 = now();
      ck_blocked_depthwise_forward(xb, wp, bp, sh.c, &g, 0, blocks, 0.0f, 6.0f, yb);
      times[r] = now() - t0;
    }
    const double mine = median(times, repeats) * 1e3;
    unblock_map(yb, sh.c, out, yu);
    double diff = 0;
    for (long i = 0; i < sh.c * out; i++) diff = fmax(diff, fabs(yu[i] - y[i]));
    const double flops = 2.0 * sh.c * out * taps;
    if (!seen)
      printf("%4ld,%ld,%ld,%-9ld %9.3f %9.3f %7.2f %8.1f %9.2e\n", sh.c, sh.k, sh.s, sh.h,
             current, mine, current / mine, flops / mine * 1e-6, diff);
    totalMine += mine;
    totalCurrent += current;
    free(x), free(w), free(b), free(xb), free(yb), free(wp), free(bp), free(y), free(yu),
        free(scratch);
  }
  printf("Lite0 depthwise total (16 layers): current %.3f ms, blocked %.3f ms (%.2fx)\n",
         totalCurrent, totalMine, totalCurrent / totalMine);

  // The stem: 3 → 32, 3×3 stride 2, SAME, 224 → 112, bias, ReLU6.
  {
    const long C = 3, O = 32, H = 224, K = 3;
    const CKWindow g = window_for(H, H, K, 2);
    const long out = g.outputHeight * g.outputWidth, T = C * K * K;
    float *x = floats(C * H * H), *w = floats(O * T), *b = floats(O);
    float *wp = calloc(2 * T * 16, 4), *bp = calloc(32, 4);
    float *cols = floats(T * out), *y = floats(O * out), *yb = floats(O * out),
          *yu = floats(O * out);
    for (long o = 0; o < O; o++) {
      for (long t = 0; t < T; t++) wp[((o / 16) * T + t) * 16 + o % 16] = w[o * T + t];
      bp[o] = b[o];
    }
    for (int r = -5; r < repeats; r++) {
      double t0 = now();
      ck_im2col(x, C, &g, 0, out, cols);
      for (long o = 0; o < O; o++)
        for (long p = 0; p < out; p++) y[o * out + p] = b[o];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, out, T, 1, w, T, cols, out, 1,
                  y, out);
      ck_epilogue(y, 1, O * out, 0, 0, 0.0f, 6.0f);
      if (r >= 0) times[r] = now() - t0;
    }
    const double current = median(times, repeats) * 1e3;
    for (int r = -5; r < repeats; r++) {
      double t0 = now();
      ck_blocked_dense_forward(x, C, wp, bp, O, &g, 0, g.outputHeight, 0.0f, 6.0f, yb);
      if (r >= 0) times[r] = now() - t0;
    }
    const double mine = median(times, repeats) * 1e3;
    unblock_map(yb, O, out, yu);
    double diff = 0;
    for (long i = 0; i < O * out; i++) diff = fmax(diff, fabs(yu[i] - y[i]));
    printf("stem 3->32 3x3 s2 224: current %.3f ms, blocked %.3f ms (%.2fx, %.1f GFLOP/s), "
           "max|diff| %.2e\n",
           current, mine, current / mine, 2.0 * O * out * T / mine * 1e-6, diff);
  }
  return 0;
}
