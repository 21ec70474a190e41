#ifndef CKERNELS_H
#define CKERNELS_H

// Hot loops that BLAS cannot express: im2col / col2im, the direct depthwise convolution and the
// pooling windows. Every exported function is compiled several times (AVX-512, AVX2, baseline)
// through function multi-versioning and the loader picks the best clone for the running CPU, so
// no build flag is needed.
//
// All tensors are dense row-major float planes. Sizes and indices are `long` (Swift `Int`).

/// The geometry of a 2-D sliding window over one `height × width` plane.
///
/// Output element `(oh, ow)` reads the input at rows `oh·strideHeight − padTop + kh·dilationHeight`
/// and columns `ow·strideWidth − padLeft + kw·dilationWidth` for `kh < kernelHeight`,
/// `kw < kernelWidth`; indices outside the plane are padding.
typedef struct CKWindow {
  long height;
  long width;
  long kernelHeight;
  long kernelWidth;
  long strideHeight;
  long strideWidth;
  long dilationHeight;
  long dilationWidth;
  long padTop;
  long padBottom;
  long padLeft;
  long padRight;
  long outputHeight;
  long outputWidth;
} CKWindow;

// MARK: - im2col

/// Writes the patch matrix of output positions `[first, first + count)` (row-major positions
/// `oh·outputWidth + ow`) of a `[channels, height, width]` image into `columns`, a row-major
/// `[channels·kernelHeight·kernelWidth, count]` matrix; padding reads as zero.
void ck_im2col(const float *input, long channels, const CKWindow *window, long first, long count,
               float *columns);

/// The adjoint of `ck_im2col`: adds every entry of `columns` (`[channels·kh·kw, count]`) to the
/// input element it was read from; entries that came from padding are dropped.
void ck_col2im_add(const float *columns, long channels, const CKWindow *window, long first,
                   long count, float *input);

// MARK: - Winograd F(2×2, 3×3)

/// Transforms `[outputs, channels, 3, 3]` kernels into `transformed[ξ·slab + o·channels + c]`
/// (`G g Gᵀ`: one `outputs × channels` matrix per element `ξ` of the 4×4 tile).
void ck_winograd_f2x2_3x3_weights(const float *weights, long outputs, long channels,
                                  float *transformed, long slab);

/// Transforms the 4×4 input tiles `[first, first + count)` of a batch (tile `t` is image
/// `t / T`, tile row and column `(t mod T) / ⌈Wo/2⌉`, `t mod ⌈Wo/2⌉`, `T = ⌈Ho/2⌉·⌈Wo/2⌉`;
/// images `imageStride` floats apart, channels planes apart) of `channels` channels:
/// `transformed[ξ·slab + c·count + i] = (Bᵀ d B)[ξ]` of tile `first + i`, channel `c`. The
/// window must be 3×3, stride 1, dilation 1; padding reads as zero.
void ck_winograd_f2x2_3x3_input(const float *input, long imageStride, long channels,
                                const CKWindow *window, long first, long count,
                                float *transformed, long slab);

/// The inverse of `ck_winograd_f2x2_3x3_input` on products `[16][outputs][count]` (`ξ·slab +
/// o·count + i`): writes `Aᵀ M A` (plus `bias[o]` if not NULL) to the 2×2 output block of each
/// tile, clipped to the output plane (images `imageStride` floats apart).
void ck_winograd_f2x2_3x3_output(const float *products, long slab, long outputs,
                                 const CKWindow *window, long first, long count,
                                 const float *bias, float *output, long imageStride);

// MARK: - Depthwise convolution
/// Elements of scratch `ck_depthwise_forward_channels` needs.
long ck_depthwise_channels_scratch_count(const CKWindow *window);

/// Convolves `count ≤ 16` consecutive input planes, each with its own kernel `[kh, kw]`
/// (`weights` is `[count, kh, kw]`; multiplier 1), writing `count` output planes (plus `bias[c]`
/// when `bias` is not NULL). Vectorised across the channels: meant for small planes. The kernel
/// has at most 64 taps.
void ck_depthwise_forward_channels(const float *input, const float *weights, const float *bias,
                                   long count, const CKWindow *window, float *scratch,
                                   float *output);


/// Elements of the zero-padded plane the depthwise kernels need as scratch.
long ck_depthwise_scratch_count(const CKWindow *window);

/// Convolves one input plane with `multiplier` kernels `[multiplier, kh, kw]`, writing
/// `[multiplier, outputHeight, outputWidth]` (plus `bias[j]` when `bias` is not NULL).
void ck_depthwise_forward(const float *input, const float *weights, const float *bias,
                          long multiplier, const CKWindow *window, float *scratch, float *output);

/// The input gradient of `ck_depthwise_forward`: overwrites the `[height, width]` plane
/// `inputGradient` from the `[multiplier, outputHeight, outputWidth]` output gradient.
void ck_depthwise_input_gradient(const float *outputGradient, const float *weights,
                                 long multiplier, const CKWindow *window, float *scratch,
                                 float *inputGradient);

/// The weight gradient of `ck_depthwise_forward`: adds to `weightGradient`
/// (`[multiplier, kh, kw]`) the correlation of the input plane with the output gradient.
void ck_depthwise_weight_gradient(const float *input, const float *outputGradient,
                                  long multiplier, const CKWindow *window, float *scratch,
                                  float *weightGradient);

// MARK: - Fused epilogue

/// For `rows` rows of `count` elements, `stride` apart: `y ← min(max(y + r, lower), upper)`,
/// with `r` the element at the same offset from `residual`, or 0 when `residual` is NULL. The
/// sum is rounded before the clamp; a NaN passes through unchanged (both comparisons are false).
void ck_epilogue(float *output, long rows, long count, long stride, const float *residual,
                 float lower, float upper);

// MARK: - Pointwise convolution

/// Elements of scratch `ck_pointwise_forward` needs for `channels` input channels.
long ck_pointwise_scratch_count(long channels);

/// One image of a pointwise (1×1) convolution with its epilogue, for output channels
/// `[firstRow, firstRow + rowCount)` and positions `[first, first + count)`:
/// `y[o][p] = min(max(bias[o] + Σ_c w[c][o] · x[c][p] + r[o][p], lower), upper)`.
/// `input` is `[channels][inputStride]`, `transposedWeights` `[channels][outputs]`, `output` and
/// `residual` (NULL for none) `[outputs][outputStride]`; `bias` may be NULL. The sum over the
/// channels starts from the bias and runs in channel order, in registers.
void ck_pointwise_forward(const float *input, long inputStride, long channels,
                          const float *transposedWeights, long outputs, const float *bias,
                          long firstRow, long rowCount, long first, long count,
                          const float *residual, float lower, float upper, float *scratch,
                          float *output, long outputStride);

// MARK: - Pooling and reductions

/// Maximum over each window of one plane; padding is ignored (it acts as −∞). NaN propagates.
void ck_max_pool_forward(const float *input, const CKWindow *window, float *output);

/// Overwrites `inputGradient` (one plane) with the output gradient routed to the first maximum
/// of each window (in row-major window order).
void ck_max_pool_backward(const float *input, const float *outputGradient,
                          const CKWindow *window, float *inputGradient);

/// Mean over each window of one plane. With `countIncludePad`, the divisor is the window's
/// extent clipped to the padded plane (PyTorch's `count_include_pad=True`); otherwise the number
/// of real input elements it covers.
void ck_average_pool_forward(const float *input, const CKWindow *window, int countIncludePad,
                             float *output);

/// Overwrites `inputGradient` (one plane) with the adjoint of `ck_average_pool_forward`.
void ck_average_pool_backward(const float *outputGradient, const CKWindow *window,
                              int countIncludePad, float *inputGradient);

/// `Σ values[i]` for `i < count`, accumulated in 16 float lanes.
float ck_sum(const float *values, long count);

// MARK: - Thread pool

/// One chunk of a parallel loop.
typedef void (*ck_parallel_task)(void *context, long chunk);

/// Runs `task(context, chunk)` for `chunk` in `[0, chunks)` on the calling thread and up to
/// `chunks − 1` persistent worker threads, and returns when all have finished. Workers keep
/// polling for new work for 2 ms after their last chunk (so that consecutive loops start without
/// a wake-up), then park. A call made while another is running (nested in a task, or from a
/// second thread) runs its chunks inline, one after the other.
void ck_parallel_run(long chunks, ck_parallel_task task, void *context);

/// Whether the calling thread is running a chunk of a `ck_parallel_run` job that was spread over
/// the pool (non-zero), so that code inside it should not start parallel work of its own.
int ck_parallel_in_chunk(void);

#endif

#include "blocked_pointwise.h"
#include "blocked_depthwise.h"
#include "blocked_depthwise_gradient.h"
