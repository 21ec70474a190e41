// Side-by-side speed of the pointwise (1×1) convolutions of EfficientNet-Lite0 on one core:
// the channel-blocked kernel (`ck_blocked_pointwise_forward`, blocked layout, weights packed
// once), the NCHW kernel (`ck_pointwise_forward`) and OpenBLAS `cblas_sgemm` (`[O,C]·[C,P]`,
// no bias: the lower bound of what the BLAS path costs). Every shape runs with bias and a
// [0, 6] clamp (ReLU6-like epilogue; Lite0's projections have none, which costs the same).
//
// Build and run from the repository root (one thread for OpenBLAS):
//   clang -O3 -I Sources/CKernels/include -I Sources/CKernels \
//     Benchmarks/blocked_pointwise_bench.c Sources/CKernels/blocked_pointwise.c \
//     Sources/CKernels/pointwise.c -lopenblas -lm -o /tmp/bpbench
//   OPENBLAS_NUM_THREADS=1 taskset -c 1 /tmp/bpbench [repeats] [median|best]
// It prints GFLOP/s per shape (median, or with `best` the fastest, of `repeats` timed runs,
// default 41, each run long enough to take ≥ 2 ms) and the sum over Lite0's pointwise layer list
// of those times. The fastest run is the better estimate when other processes share the core.

#define _GNU_SOURCE
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CKernels.h"

typedef struct Shape { long c, o, p; } Shape;

static const Shape shapes[] = {
    {32, 16, 12544},   {16, 96, 12544},  {96, 24, 3136},   {24, 144, 3136},  {144, 24, 3136},
    {144, 40, 784},    {40, 240, 784},   {240, 40, 784},   {240, 80, 196},   {80, 480, 196},
    {480, 80, 196},    {480, 112, 196},  {112, 672, 196},  {672, 112, 196},  {672, 192, 49},
    {192, 1152, 49},   {1152, 192, 49},  {1152, 320, 49},  {320, 1280, 49},
};
#define SHAPES (long)(sizeof(shapes) / sizeof(shapes[0]))

// How often Lite0 runs each shape, in the order of `shapes`.
static const int uses[SHAPES] = {1, 1, 1, 2, 1, 1, 2, 1, 1, 3, 2, 1, 3, 2, 1, 4, 3, 1, 1};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static float *randoms(long n, unsigned *state) {
  float *v = aligned_alloc(64, (size_t)((n + 15) / 16 * 16) * sizeof(float));
  for (long i = 0; i < n; i++) {
    *state = *state * 1664525u + 1013904223u;
    v[i] = (float)((*state >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  return v;
}

typedef struct Case {
  Shape s;
  float *x, *xb, *w, *wt, *packed, *bias, *biasPadded, *y, *scratch;
} Case;

static void run(Case *k, int which) {
  const long c = k->s.c, o = k->s.o, p = k->s.p;
  switch (which) {
  case 0:
    ck_blocked_pointwise_forward(k->xb, p, c, k->packed, o, k->biasPadded, 0, (o + 15) / 16, 0,
                                 0.0f, 6.0f, k->y);
    break;
  case 1:
    ck_pointwise_forward(k->x, p, c, k->wt, o, k->bias, 0, o, 0, p, 0, 0.0f, 6.0f, k->scratch,
                         k->y, p);
    break;
  default:
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)o, (int)p, (int)c, 1.0f, k->w,
                (int)c, k->x, (int)p, 0.0f, k->y, (int)p);
    break;
  }
}

static int best = 0;

static double median_seconds(Case *k, int which, int repeats) {
  // Calibrate the inner count so one timed run takes ≥ 2 ms.
  run(k, which);
  double t0 = now();
  run(k, which);
  double once = now() - t0;
  int inner = once > 0.002 ? 1 : (int)(0.002 / (once > 1e-7 ? once : 1e-7)) + 1;
  double *t = malloc(sizeof(double) * repeats);
  for (int r = 0; r < repeats; r++) {
    double a = now();
    for (int i = 0; i < inner; i++) run(k, which);
    t[r] = (now() - a) / inner;
  }
  qsort(t, repeats, sizeof(double), compare);
  double m = best ? t[0] : t[repeats / 2];
  free(t);
  return m;
}

int main(int argc, char **argv) {
  const int repeats = argc > 1 ? atoi(argv[1]) : 41;
  best = argc > 2 && strcmp(argv[2], "best") == 0;
  unsigned state = 12345;
  double total[3] = {0, 0, 0};
  printf("%-16s %9s %9s %9s   %8s %8s %8s (GFLOP/s; ms)\n", "C->O@P", "blocked", "NCHW",
         "sgemm", "blocked", "NCHW", "sgemm");
  for (long i = 0; i < SHAPES; i++) {
    Case k;
    k.s = shapes[i];
    const long c = k.s.c, o = k.s.o, p = k.s.p, cb = (c + 15) / 16, ob = (o + 15) / 16;
    k.x = randoms(c * p, &state);
    k.w = randoms(o * c, &state);
    k.bias = randoms(o, &state);
    k.xb = aligned_alloc(64, sizeof(float) * cb * 16 * p);
    memset(k.xb, 0, sizeof(float) * cb * 16 * p);
    for (long ch = 0; ch < c; ch++)
      for (long q = 0; q < p; q++) k.xb[((ch / 16) * p + q) * 16 + ch % 16] = k.x[ch * p + q];
    k.wt = malloc(sizeof(float) * c * o);
    for (long a = 0; a < o; a++)
      for (long b = 0; b < c; b++) k.wt[b * o + a] = k.w[a * c + b];
    k.packed = aligned_alloc(64, sizeof(float) * ck_blocked_pointwise_packed_count(c, o));
    ck_blocked_pointwise_pack(k.w, c, o, k.packed);
    k.biasPadded = calloc(ob * 16, sizeof(float));
    memcpy(k.biasPadded, k.bias, sizeof(float) * o);
    k.y = aligned_alloc(64, sizeof(float) * ob * 16 * p);
    k.scratch = malloc(sizeof(float) * ck_pointwise_scratch_count(c));
    const double flops = 2.0 * c * o * p;
    double sec[3];
    for (int which = 0; which < 3; which++) {
      sec[which] = median_seconds(&k, which, repeats);
      total[which] += uses[i] * sec[which];
    }
    char name[32];
    snprintf(name, sizeof name, "%ld->%ld@%ld", c, o, p);
    printf("%-16s %9.1f %9.1f %9.1f   %8.4f %8.4f %8.4f\n", name, flops / sec[0] * 1e-9,
           flops / sec[1] * 1e-9, flops / sec[2] * 1e-9, sec[0] * 1e3, sec[1] * 1e3,
           sec[2] * 1e3);
    free(k.x); free(k.w); free(k.bias); free(k.xb); free(k.wt); free(k.packed);
    free(k.biasPadded); free(k.y); free(k.scratch);
  }
  printf("Lite0 pointwise total (ms): blocked %.3f  NCHW %.3f  sgemm %.3f\n", total[0] * 1e3,
         total[1] * 1e3, total[2] * 1e3);
  return 0;
}
