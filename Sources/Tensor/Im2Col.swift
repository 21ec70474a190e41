import CKernels
import COpenBLAS

/// The lowering of a convolution to matrix multiplication (internal).
///
/// For one image `[C, H, W]` and a range of output positions `p = oh·Wo + ow`, the patch matrix
/// has one row per kernel tap `(c, kh, kw)` and one column per position, holding
/// `x[c, oh·sh − top + kh·dh, ow·sw − left + kw·dw]` (zero in the padding). The convolution is
/// then `Y[O, P] = W[O, C·KH·KW] · patches`, and its input gradient scatters
/// `Wᵀ · dY` back through the adjoint ("col2im").
enum Im2Col {
  /// Writes the patch matrix `[channels·KH·KW, positions.count]` of `image` into `columns`.
  ///
  /// - Complexity: O(channels · KH · KW · positions.count).
  static func patches(
    of image: UnsafePointer<Float>, channels: Int, window: ConvolutionWindow,
    positions: Range<Int>, into columns: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: window.raw) { raw in
      ck_im2col(image, channels, raw, positions.lowerBound, positions.count, columns)
    }
  }

  /// Adds each entry of the patch matrix `columns` to the image element it was read from.
  ///
  /// - Complexity: O(channels · KH · KW · positions.count).
  static func addPatches(
    _ columns: UnsafePointer<Float>, channels: Int, window: ConvolutionWindow,
    positions: Range<Int>, into image: UnsafeMutablePointer<Float>
  ) {
    withUnsafePointer(to: window.raw) { raw in
      ck_col2im_add(columns, channels, raw, positions.lowerBound, positions.count, image)
    }
  }

  /// Row-major `C = α·op(A)·op(B) + β·C` with `op(A)` of shape `m × k` and `op(B)` `k × n`.
  static func multiply(
    transposingA: Bool = false, transposingB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, transposingA ? CblasTrans : CblasNoTrans,
      transposingB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha, a,
      blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
}
