#ifndef CKERNELS_BLOCKED_VECTOR_H
#define CKERNELS_BLOCKED_VECTOR_H

// One block of 16 channels in one 512-bit vector (GCC vector extensions), shared by the kernels
// of the channel-blocked layout `[⌈C/16⌉, H, W, 16]` (internal).

#include "internal.h"

#pragma clang diagnostic ignored "-Wpsabi"

typedef float bv16 __attribute__((vector_size(64)));
typedef float bv16u __attribute__((vector_size(64), aligned(4)));
typedef int bi16 __attribute__((vector_size(64)));

#define CK_BLOCK 16

CK_INLINE bv16 bload(const float *p) { return *(const bv16u *)p; }
CK_INLINE void bstore(float *p, bv16 value) { *(bv16u *)p = value; }
CK_INLINE bv16 bsplat(float v) {
  return (bv16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v};
}

/// `v < lower ? lower : (v > upper ? upper : v)` lane by lane (a NaN stays NaN), then the lanes
/// outside `keep` set to +0: the padding channels of the last block stay exactly zero whatever
/// the bias and the clamp.
CK_INLINE bv16 bfinish(bv16 v, bv16 lower, bv16 upper, bi16 keep) {
  const bi16 below = v < lower, above = v > upper;
  bi16 bits = (bi16)v;
  bits = (bits & ~below) | ((bi16)lower & below);
  bits = (bits & ~above) | ((bi16)upper & above);
  return (bv16)(bits & keep);
}

/// All ones in the lanes `< count`, zero in the others (`count ≥ 16` keeps them all).
CK_INLINE bi16 block_lanes(long count) {
  bi16 keep;
  for (int i = 0; i < CK_BLOCK; i++) keep[i] = i < count ? -1 : 0;
  return keep;
}

#endif
