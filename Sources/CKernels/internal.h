#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include <stddef.h>

// Function multi-versioning: the compiler emits one clone per target and an ifunc resolver that
// picks the best one at load time.
// (A build may predefine CK_MULTIVERSION as empty to compile one baseline version only.)
// Not under ThreadSanitizer: it instruments the ifunc resolvers, which the dynamic loader runs
// before the TSan runtime is initialised, so the test binary crashed at load
// (`__tsan_func_entry` in `ck_sum[resolver]`, Swift 6.3.1).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(CK_MULTIVERSION)
#define CK_MULTIVERSION
#endif
#endif
#ifndef CK_MULTIVERSION
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(__APPLE__)
#define CK_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CK_MULTIVERSION
#endif
#endif

#define CK_INLINE static inline __attribute__((always_inline))

CK_INLINE long ck_min(long a, long b) { return a < b ? a : b; }
CK_INLINE long ck_max(long a, long b) { return a > b ? a : b; }

/// `⌈a / b⌉` for `b > 0` and any sign of `a`.
CK_INLINE long ck_ceil_div(long a, long b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/// `⌊a / b⌋` for `b > 0` and any sign of `a`.
CK_INLINE long ck_floor_div(long a, long b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// The half-open range `[lo, hi)` of `i ∈ [0, n)` with `0 ≤ start + i·step < limit` (`step > 0`).
CK_INLINE void ck_valid_range(long start, long step, long limit, long n, long *lo, long *hi) {
  long first = start >= 0 ? 0 : ck_ceil_div(-start, step);
  long last = ck_floor_div(limit - 1 - start, step) + 1;
  *lo = ck_min(ck_max(first, 0), n);
  *hi = ck_max(ck_min(last, n), *lo);
}

#endif
