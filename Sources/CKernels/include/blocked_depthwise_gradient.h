#ifndef CKERNELS_BLOCKED_DEPTHWISE_GRADIENT_H
#define CKERNELS_BLOCKED_DEPTHWISE_GRADIENT_H

// The input gradient of the channel-blocked depthwise convolution (`blocked_depthwise.h`), in
// the same layout `[⌈C/16⌉, H, W, 16]`.

#include "CKernels.h"

/// The input gradient of `ck_blocked_depthwise_forward` (channel multiplier 1, dilation 1, any
/// stride and padding, without its bias and clamp) for the channel blocks
/// `[firstBlock, firstBlock + blockCount)` of one image:
/// `dx[c][i][j] = Σ w[c][kh][kw] · dy[c][oh][ow]` over the `(oh, ow, kh, kw)` with
/// `oh·sh − top + kh = i`, `ow·sw − left + kw = j`, `0 ≤ oh < outputHeight`,
/// `0 ≤ ow < outputWidth`.
///
/// - `outputGradient`: `[⌈channels/16⌉][outputHeight][outputWidth][16]`. Its padding channels
///   are loaded but only ever meet the zero weights of those channels, and the result's padding
///   channels are masked: they may hold anything (NaN included).
/// - `packedWeights`: `[⌈channels/16⌉][kernelHeight·kernelWidth][16]`, zero past `channels`
///   (as for `ck_blocked_depthwise_forward`).
/// - `inputGradient`: `[⌈channels/16⌉][height][width][16]`; the given blocks are overwritten,
///   their channels `≥ channels` with +0.
///
/// Gather form: each input position sums the taps that read it, vectorised over the 16 channels
/// of a block. With stride `S`, the columns `j ≡ r (mod S)` of one input row share their set of
/// kernel columns and read consecutive output-gradient columns, so they are computed in runs of
/// 8 (or 4) positions held in registers, one weight vector per tap; the runs whose taps all land
/// inside the output plane load unchecked, the others skip the taps outside it (or, for 5×5
/// kernels, stride 2 and short rows, read a zero-padded copy of the block from a 64 KiB stack
/// buffer when it fits). Each element of the result is written once (the last run of a residue
/// class may overlap the one before it, which gives the same bits). Cost: `16·KH·KW / (sh·sw)`
/// multiply–adds per input position and block on average.
void ck_blocked_depthwise_input_gradient(const float *outputGradient, const float *packedWeights,
                                         long channels, const CKWindow *window, long firstBlock,
                                         long blockCount, float *inputGradient);

#endif
