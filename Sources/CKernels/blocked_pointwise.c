// Pointwise (1×1, stride 1) convolution on 16-channel-blocked feature maps (onnxruntime's
// "NCHWc"), with the bias, the residual and the clamp in registers:
// `y[o][p] = clamp(bias[o] + Σ_c w[o][c] · x[c][p] + r[o][p])`.
//
// In the blocked layout one position's 16 channels of one block are one 512-bit vector. A
// register tile holds `NP` positions × `NB` output blocks (`NP·NB ≤ 28` accumulators); for each
// input channel it loads the `NB` weight vectors of that channel (contiguous in the packed
// weights), broadcasts the channel's value at each of the `NP` positions, and does `NP·NB`
// vector multiply–adds. A last output block of at most 8 real channels is computed on 8 lanes
// (half the cost on a core that splits 512-bit operations in two). Positions are cut into chunks
// whose input blocks stay in the L2 cache while every group of output blocks passes over them.
// On one Zen 4 core it runs Lite0's pointwise layers at 96.5 % of the FMA peak
// (Docs/BlockedPointwise.md, Benchmarks/blocked_pointwise_bench.c).

#include "CKernels.h"
#include "internal.h"

#pragma clang diagnostic ignored "-Wpsabi"

typedef float bv16 __attribute__((vector_size(64)));
typedef float bv16u __attribute__((vector_size(64), aligned(4)));
typedef int bi16 __attribute__((vector_size(64)));
typedef float bv8 __attribute__((vector_size(32)));
typedef float bv8u __attribute__((vector_size(32), aligned(4)));
typedef int bi8 __attribute__((vector_size(32)));

#define CK_BLOCK 16
/// Output blocks per packed group (the widest register tile).
#define CK_GROUP 4

CK_INLINE bv16 bload(const float *p) { return *(const bv16u *)p; }
CK_INLINE void bstore(float *p, bv16 value) { *(bv16u *)p = value; }
CK_INLINE bv16 bsplat(float v) {
  return (bv16){v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v};
}

CK_INLINE bv8 hload(const float *p) { return *(const bv8u *)p; }
CK_INLINE void hstore(float *p, bv8 value) { *(bv8u *)p = value; }
CK_INLINE bv8 hsplat(float v) { return (bv8){v, v, v, v, v, v, v, v}; }

/// `v < lower ? lower : (v > upper ? upper : v)` lane by lane (a NaN stays NaN).
CK_INLINE bv16 bclamp(bv16 v, bv16 lower, bv16 upper) {
  // Two selects in sequence, each of which compiles to one vmaxps / vminps.
  const bi16 below = v < lower;
  const bv16 raised = (bv16)(((bi16)v & ~below) | ((bi16)lower & below));
  const bi16 above = raised > upper;
  return (bv16)(((bi16)raised & ~above) | ((bi16)upper & above));
}

/// `bclamp` on 8 lanes.
CK_INLINE bv8 hclamp(bv8 v, bv8 lower, bv8 upper) {
  const bi8 below = v < lower;
  const bv8 raised = (bv8)(((bi8)v & ~below) | ((bi8)lower & below));
  const bi8 above = raised > upper;
  return (bv8)(((bi8)raised & ~above) | ((bi8)upper & above));
}

long ck_blocked_pointwise_packed_count(long channels, long outputs) {
  return ck_ceil_div(outputs, CK_BLOCK) * CK_BLOCK * channels;
}

void ck_blocked_pointwise_pack(const float *weights, long channels, long outputs, float *packed) {
  const long blocks = ck_ceil_div(outputs, CK_BLOCK);
  for (long g = 0; g * CK_GROUP < blocks; g++) {
    const long first = g * CK_GROUP, width = ck_min(CK_GROUP, blocks - first);
    float *group = packed + first * CK_BLOCK * channels;
    for (long c = 0; c < channels; c++) {
      for (long b = 0; b < width; b++) {
        for (long lane = 0; lane < CK_BLOCK; lane++) {
          const long o = (first + b) * CK_BLOCK + lane;
          group[(c * width + b) * CK_BLOCK + lane] = o < outputs ? weights[o * channels + c] : 0;
        }
      }
    }
  }
}

/// Fully unrolls the loops over a tile's positions and blocks before the accumulator array is
/// split into registers; without it clang kept the array in memory and stored all of it at the
/// end of every tile's channel loop (-15 % on 16-channel inputs).
#define BP_UNROLLED _Pragma("clang loop unroll(full)")

/// The bias of a convolution without one.
static const float bp_zeros[CK_GROUP * CK_BLOCK];

/// The arguments shared by every tile of one call.
typedef struct BPTile {
  const float *x;     // input, block 0, first position of the tile
  long blockStride;   // floats between blocks: positions · 16
  long channels;      // real input channels
  const float *w;     // packed weights of the tile's first output block
  long ldw;           // floats between consecutive input channels in `w`: 16 · group width
  const float *bias;  // bias of the tile's first output block (zeros for none)
  const float *r;     // residual at the tile's first output block and position, or NULL
  float *y;           // output at the tile's first output block and position
  long maskBlock;     // the tile-relative block whose padding lanes are zeroed, or −1
  bi16 mask;          // all ones on the real lanes of `maskBlock`
  float lower, upper;
} BPTile;

/// `NP` positions × `NB` output blocks over all the input channels, then the epilogue. With
/// `HALF`, the last of the blocks holds at most 8 real channels (the last block of a layer whose
/// output count is 16k + 1 … 16k + 8, e.g. 24 and 40 in Lite0): it is computed on 8 lanes,
/// which costs half a 16-lane multiply–add on a core that splits 512-bit operations in two, and
/// its upper 8 lanes are stored as zeros.
CK_INLINE void bp_tile(const BPTile *t, const int NP, const int NB, const int HALF) {
  const int NF = NB - HALF;  // full blocks
  bv16 a[28];
  bv8 h[28];
  const long ldw = t->ldw, blockStride = t->blockStride;
  const float *restrict x = t->x;
  const float *restrict w = t->w;
  // Channel 0 starts the sums from the bias (no separate initialisation, which the compiler
  // would keep in memory).
  {
    bv16 wv[4];
    BP_UNROLLED for (int b = 0; b < NF; b++) wv[b] = bload(w + b * CK_BLOCK);
    const bv8 wh = HALF ? hload(w + NF * CK_BLOCK) : hsplat(0.0f);
    BP_UNROLLED for (int p = 0; p < NP; p++) {
      const float xp = x[p * CK_BLOCK];
      const bv16 xs = bsplat(xp);
      BP_UNROLLED for (int b = 0; b < NF; b++) {
        a[p * NB + b] = xs * wv[b] + bload(t->bias + b * CK_BLOCK);
      }
      if (HALF) h[p] = hsplat(xp) * wh + hload(t->bias + NF * CK_BLOCK);
    }
  }
#pragma clang loop unroll(disable)
  for (long c = 1; c < t->channels; c++) {
    const float *restrict xc = x + (c >> 4) * blockStride + (c & (CK_BLOCK - 1));
    const float *restrict wc = w + c * ldw;
    bv16 wv[4];
    BP_UNROLLED for (int b = 0; b < NF; b++) wv[b] = bload(wc + b * CK_BLOCK);
    const bv8 wh = HALF ? hload(wc + NF * CK_BLOCK) : hsplat(0.0f);
    BP_UNROLLED for (int p = 0; p < NP; p++) {
      const float xp = xc[p * CK_BLOCK];
      const bv16 xs = bsplat(xp);
      BP_UNROLLED for (int b = 0; b < NF; b++) a[p * NB + b] += xs * wv[b];
      if (HALF) h[p] += hsplat(xp) * wh;
    }
  }
  const bv16 lo = bsplat(t->lower), hi = bsplat(t->upper);
  BP_UNROLLED for (int b = 0; b < NF; b++) {
    BP_UNROLLED for (int p = 0; p < NP; p++) {
      bv16 v = a[p * NB + b];
      const long at = b * t->blockStride + p * CK_BLOCK;
      if (t->r) v += bload(t->r + at);
      v = bclamp(v, lo, hi);
      if (b == t->maskBlock) v = (bv16)((bi16)v & t->mask);
      bstore(t->y + at, v);
    }
  }
  if (HALF) {
    const bv8 lo8 = hsplat(t->lower), hi8 = hsplat(t->upper);
    bi8 mask8;
    for (int lane = 0; lane < 8; lane++) mask8[lane] = t->mask[lane];
    BP_UNROLLED for (int p = 0; p < NP; p++) {
      bv8 v = h[p];
      const long at = NF * t->blockStride + p * CK_BLOCK;
      if (t->r) v += hload(t->r + at);
      v = hclamp(v, lo8, hi8);
      hstore(t->y + at, (bv8)((bi8)v & mask8));
      hstore(t->y + at + 8, hsplat(0.0f));
    }
  }
}

/// The widest tile of `NB` blocks: about 28 of the 32 vector registers hold accumulators, the
/// rest the `NB` weight vectors and the broadcast input. (7 × 4 needs 33 and spills a little, yet
/// measured as fast as 6 × 4 and 5 × 4 on Lite0's shapes; `-DBP_NP3=`/`-DBP_NP4=` override.)
#define BP_NP1 28
#define BP_NP2 14
/// One full and one 8-lane block: the AVX-512F clone has no AVX-512VL, so 8-lane operations
/// reach only the 16 registers ymm0–15; 12 accumulators leave room for the weight and the input.
#ifndef BP_NP2H
#define BP_NP2H 12
#endif
#ifndef BP_NP3
#define BP_NP3 9
#endif
#ifndef BP_NP4
#define BP_NP4 7
#endif

/// Positions `[0, count)` of `t` in tiles of `NPMAX`, then of 7, then one of the rest.
CK_INLINE void bp_positions(BPTile t, long count, const int NB, const int HALF,
                             const int NPMAX) {
  long p = 0;
  for (; p + NPMAX <= count; p += NPMAX) {
    bp_tile(&t, NPMAX, NB, HALF);
    t.x += NPMAX * CK_BLOCK;
    if (t.r) t.r += NPMAX * CK_BLOCK;
    t.y += NPMAX * CK_BLOCK;
  }
  if (NPMAX > 7) {
    for (; p + 7 <= count; p += 7) {
      bp_tile(&t, 7, NB, HALF);
      t.x += 7 * CK_BLOCK;
      if (t.r) t.r += 7 * CK_BLOCK;
      t.y += 7 * CK_BLOCK;
    }
  }
  switch (count - p) {
  case 1: bp_tile(&t, 1, NB, HALF); break;
  case 2: bp_tile(&t, 2, NB, HALF); break;
  case 3: bp_tile(&t, 3, NB, HALF); break;
  case 4: bp_tile(&t, 4, NB, HALF); break;
  case 5: bp_tile(&t, 5, NB, HALF); break;
  case 6: bp_tile(&t, 6, NB, HALF); break;
  default: break;
  }
}

/// One function per tile width, each compiled (and its registers allocated) on its own: inlined
/// into one function, the widest tile's loop spilled differently whenever other tiles changed,
/// and ran anywhere between 98 and 117 GFLOP/s.
#define BP_POSITIONS(NB, HALF, NPMAX)                                                        \
  CK_MULTIVERSION static void bp_positions_##NB##_##HALF(                                   \
      const BPTile *t, long count) {                                                        \
    bp_positions(*t, count, NB, HALF, NPMAX);                                               \
  }
BP_POSITIONS(4, 0, BP_NP4)
BP_POSITIONS(4, 1, BP_NP4)
BP_POSITIONS(3, 0, BP_NP3)
BP_POSITIONS(3, 1, BP_NP3)
BP_POSITIONS(2, 0, BP_NP2)
BP_POSITIONS(2, 1, BP_NP2H)
BP_POSITIONS(1, 0, BP_NP1)
BP_POSITIONS(1, 1, BP_NP1)

/// Positions per chunk: a multiple of 28 whose input blocks fill about 256 KiB of the L2 cache,
/// so that every group of output blocks re-reads them from there.
CK_INLINE long bp_chunk(long channels) {
  const long blocks = ck_max(1, ck_ceil_div(channels, CK_BLOCK));
  const long chunk = (65536 / (blocks * CK_BLOCK)) / 28 * 28;
  return chunk < 28 ? 28 : chunk;
}

CK_MULTIVERSION
void ck_blocked_pointwise_forward(const float *input, long positions, long channels,
                                  const float *packed, long outputs, const float *bias,
                                  long firstBlock, long blockCount, const float *residual,
                                  float lower, float upper, float *output) {
  const long blocks = ck_ceil_div(outputs, CK_BLOCK);
  const long blockStride = positions * CK_BLOCK;
  const long lastBlock = blocks - 1, realLanes = outputs - lastBlock * CK_BLOCK;
  bi16 mask;
  for (int lane = 0; lane < CK_BLOCK; lane++) mask[lane] = lane < realLanes ? -1 : 0;
  const long chunk = bp_chunk(channels);
  const long endBlock = firstBlock + blockCount;
  for (long p0 = 0; p0 < positions; p0 += chunk) {
    const long count = ck_min(chunk, positions - p0);
    long b = firstBlock;
    while (b < endBlock) {
      const long group = b / CK_GROUP, groupFirst = group * CK_GROUP;
      const long groupWidth = ck_min(CK_GROUP, blocks - groupFirst);
      const long nb = ck_min(groupFirst + groupWidth, endBlock) - b;
      BPTile t;
      t.x = input + p0 * CK_BLOCK;
      t.blockStride = blockStride;
      t.channels = channels;
      t.ldw = groupWidth * CK_BLOCK;
      t.w = packed + groupFirst * CK_BLOCK * channels + (b - groupFirst) * CK_BLOCK;
      t.bias = bias ? bias + b * CK_BLOCK : bp_zeros;
      t.r = residual ? residual + b * blockStride + p0 * CK_BLOCK : 0;
      t.y = output + b * blockStride + p0 * CK_BLOCK;
      t.maskBlock = realLanes < CK_BLOCK && lastBlock < b + nb ? lastBlock - b : -1;
      t.mask = mask;
      t.lower = lower;
      t.upper = upper;
      const int half = realLanes <= CK_BLOCK / 2 && lastBlock < b + nb;
      switch (nb * 2 + half) {
      case 8: bp_positions_4_0(&t, count); break;
      case 9: bp_positions_4_1(&t, count); break;
      case 6: bp_positions_3_0(&t, count); break;
      case 7: bp_positions_3_1(&t, count); break;
      case 4: bp_positions_2_0(&t, count); break;
      case 5: bp_positions_2_1(&t, count); break;
      case 2: bp_positions_1_0(&t, count); break;
      default: bp_positions_1_1(&t, count); break;
      }
      b += nb;
    }
  }
}
