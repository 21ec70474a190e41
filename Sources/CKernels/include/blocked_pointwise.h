#ifndef CKERNELS_BLOCKED_POINTWISE_H
#define CKERNELS_BLOCKED_POINTWISE_H

// MARK: - Channel-blocked pointwise convolution
//
// Feature maps in the 16-channel-blocked layout `[⌈C/16⌉, P, 16]` (element `(c, p)` at
// `((c / 16)·P + p)·16 + c % 16`, the padding channels of the last block zero): the 16 output
// channels of one block fill one 512-bit register, so the product needs no transposition and
// no per-call packing.

/// Floats of the packed weights `ck_blocked_pointwise_pack` writes: `⌈outputs/16⌉·16·channels`.
long ck_blocked_pointwise_packed_count(long channels, long outputs);

/// Packs the `[outputs, channels]` (row-major) weights of a pointwise convolution for
/// `ck_blocked_pointwise_forward`, once per layer. The output blocks are taken in groups of 4
/// (the last group holds the 1–3 left over); group `g` starts at `64·g·channels` and is
/// `[channels][blocks of the group][16]`, so the inner loop over the input channels streams
/// contiguous weights. The lanes of output channels past `outputs` are zero.
void ck_blocked_pointwise_pack(const float *weights, long channels, long outputs, float *packed);

/// One image of a pointwise (1×1, stride 1) convolution in the blocked layout, for the output
/// blocks `[firstBlock, firstBlock + blockCount)`:
/// `y[o][p] = min(max(bias[o] + Σ_c w[o][c] · x[c][p] + r[o][p], lower), upper)`, the sum
/// starting from the bias and running in input-channel order in registers. `input` is blocked
/// `[⌈channels/16⌉, positions, 16]` (only its `channels` real channels are read); `output` and
/// `residual` (NULL for none) are blocked `[⌈outputs/16⌉, positions, 16]`; `bias` (NULL for
/// none) holds `⌈outputs/16⌉·16` floats, zero past `outputs`. The padding lanes of the output
/// (channels ≥ `outputs`) are written as 0. Single-threaded; `blocks` may split one image over
/// threads, and each output element is computed the same way whatever the split (split at
/// multiples of 4 blocks: a split inside a packed group runs narrower register tiles).
/// O(`positions · channels · 16·blockCount`) multiply–adds.
void ck_blocked_pointwise_forward(const float *input, long positions, long channels,
                                  const float *packed, long outputs, const float *bias,
                                  long firstBlock, long blockCount, const float *residual,
                                  float lower, float upper, float *output);

#endif
