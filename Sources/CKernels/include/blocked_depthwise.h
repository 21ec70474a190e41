#ifndef CKERNELS_BLOCKED_DEPTHWISE_H
#define CKERNELS_BLOCKED_DEPTHWISE_H

// Convolutions that write the channel-blocked layout `[⌈C/16⌉, H, W, 16]` (onnxruntime's
// "NCHWc"): element `(c, i, j)` of a `[C, H, W]` map sits at `((c/16)·H·W + i·W + j)·16 + c%16`
// and the channels past `C` in the last block are zero. One vector holds one position of 16
// channels, so a depthwise convolution is a multiply–add of a weight vector per tap, with no
// transposition and no lane wasted on narrow rows.

#include "CKernels.h"

/// The depthwise convolution (channel multiplier 1, dilation 1) of the channel blocks
/// `[firstBlock, firstBlock + blockCount)` of one blocked image:
/// `y[c][oh][ow] = clamp(b[c] + Σ_{kh,kw} w[c][kh][kw] · x[c][oh·sh − top + kh][ow·sw − left + kw])`
/// with zero padding, the clamp to `[lower, upper]` (±∞ for none; a NaN stays NaN) in registers,
/// and the channels `≥ channels` of the last block written as +0.
///
/// - `input`: `[⌈channels/16⌉][height][width][16]` (`window->height`, `window->width`).
/// - `packedWeights`: `[⌈channels/16⌉][kernelHeight·kernelWidth][16]`, zero past `channels`.
/// - `packedBias`: `[⌈channels/16⌉·16]`, or NULL for none.
/// - `output`: `[⌈channels/16⌉][outputHeight][outputWidth][16]`; only the given blocks are written.
///
/// Each output row is computed in runs of 8 positions (and one of the remaining 4 to 7) held in
/// registers, one weight vector per tap; runs that touch the left or right padding skip those
/// taps (short stride-1 rows are first copied with their padding columns to a stack buffer),
/// rows of the kernel outside the image are skipped. A remainder of 1 to 3 positions is a run of
/// 4 that overlaps the run before, which gives the same bits. Cost: `16·KH·KW` multiply–adds per
/// output position and block, at most `KH·KW` vector loads per run of positions and tap row.
void ck_blocked_depthwise_forward(const float *input, const float *packedWeights,
                                  const float *packedBias, long channels,
                                  const CKWindow *window, long firstBlock, long blockCount,
                                  float lower, float upper, float *output);

/// The dense convolution (groups 1, dilation 1) of a planar image with few channels into a
/// blocked output, for the output rows `[firstRow, firstRow + rowCount)`:
/// `y[o][oh][ow] = clamp(b[o] + Σ_{c,kh,kw} w[o][c][kh][kw] · x[c][oh·sh − top + kh][ow·sw − left + kw])`
/// with zero padding, the clamp to `[lower, upper]` (±∞ for none) in registers, and the
/// channels `≥ outputs` of the last block written as +0.
///
/// - `input`: `[inputChannels][height][width]` (planar).
/// - `packedWeights`: `[⌈outputs/16⌉][inputChannels·kernelHeight·kernelWidth][16]`, zero past
///   `outputs` (tap `(c, kh, kw)` at index `(c·kernelHeight + kh)·kernelWidth + kw`).
/// - `packedBias`: `[⌈outputs/16⌉·16]`, or NULL for none.
/// - `output`: `[⌈outputs/16⌉][outputHeight][outputWidth][16]`.
///
/// Per run of 8 output positions and pair of output blocks, every tap is one broadcast input
/// scalar per position times two weight vectors: `C·KH·KW·⌈O/16⌉` vector multiply–adds per
/// position, the accumulators in registers.
void ck_blocked_dense_forward(const float *input, long inputChannels,
                              const float *packedWeights, const float *packedBias, long outputs,
                              const CKWindow *window, long firstRow, long rowCount, float lower,
                              float upper, float *output);

/// The mean over the `positions` positions of each channel of a blocked map
/// (`[⌈channels/16⌉][positions][16]`), written to `output[c]` for `c < channels`: a global
/// average pool, summed in position order in 16-lane vectors.
void ck_blocked_average_pool(const float *input, long channels, long positions, float *output);

#endif
