// The element-wise end of a fused convolution: a residual sum and a clamp, applied to a block of
// output rows right after the kernel wrote them, while they are still in cache.

#include "CKernels.h"
#include "internal.h"

CK_MULTIVERSION
void ck_epilogue(float *output, long rows, long count, long stride, const float *residual,
                 float lower, float upper) {
  for (long r = 0; r < rows; r++) {
    float *restrict y = output + r * stride;
    if (residual) {
      const float *restrict x = residual + r * stride;
      for (long i = 0; i < count; i++) {
        float v = y[i] + x[i];
        v = v < lower ? lower : v;
        y[i] = v > upper ? upper : v;
      }
    } else {
      for (long i = 0; i < count; i++) {
        float v = y[i];
        v = v < lower ? lower : v;
        y[i] = v > upper ? upper : v;
      }
    }
  }
}
