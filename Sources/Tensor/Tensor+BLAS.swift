import COpenBLAS

// Matrix products through OpenBLAS (`cblas_sgemm`, `cblas_sgemv`, `cblas_sdot`); the products
// and matrix–vector products go through DeterministicBLAS.swift, so that no result depends on
// the thread count.
//
// BLAS reads a row-major matrix through a pointer, a leading dimension (the distance between
// rows, at least the row length) and a transpose flag. Views map onto that without copying:
// a row slice or a column slice keeps the parent's row stride as leading dimension, and a
// transposed view (`transposed()`, `permuted(_:)`) of a row-major matrix is passed with
// `CblasTrans`. Only operands whose innermost axes both have non-unit strides (or broadcast rows)
// are copied first.

/// How BLAS reads a strided `rows × columns` matrix without copying: row-major with leading
/// dimension `leadingDimension`, or (`transposed`) the transpose of a row-major
/// `columns × rows` matrix. `nil` if neither axis is contiguous.
struct BLASMatrixLayout: Equatable {
  var transposed: Bool
  var leadingDimension: Int

  init?(rows: Int, columns: Int, rowStride: Int, columnStride: Int) {
    if columns == 1 || columnStride == 1 {
      let ld = rows == 1 ? Swift.max(columns, 1) : rowStride
      if ld >= Swift.max(columns, 1) {
        self.transposed = false
        self.leadingDimension = ld
        return
      }
    }
    if rows == 1 || rowStride == 1 {
      let ld = columns == 1 ? Swift.max(rows, 1) : columnStride
      if ld >= Swift.max(rows, 1) {
        self.transposed = true
        self.leadingDimension = ld
        return
      }
    }
    return nil
  }

  var cblasTranspose: CBLAS_TRANSPOSE { transposed ? CblasTrans : CblasNoTrans }
}

extension Tensor {
  /// The BLAS layout of the matrix formed by the last two axes, and a tensor holding it (this
  /// one, or a dense copy when the strides do not fit BLAS).
  func blasReadable() -> (tensor: Tensor, layout: BLASMatrixLayout) {
    let rows = shape[rank - 2]
    let columns = shape[rank - 1]
    if let layout = BLASMatrixLayout(
      rows: rows, columns: columns, rowStride: strides[rank - 2], columnStride: strides[rank - 1])
    {
      return (self, layout)
    }
    let dense = materialized()
    return (dense, BLASMatrixLayout(transposed: false, leadingDimension: Swift.max(columns, 1)))
  }

  /// The stride BLAS should use for a vector view, and a tensor holding it (a dense copy when
  /// the vector is broadcast).
  func blasVector() -> (tensor: Tensor, increment: Int) {
    if count <= 1 { return (self, 1) }
    if strides[0] != 0 { return (self, strides[0]) }
    return (materialized(), 1)
  }
}

extension BLASMatrixLayout {
  init(transposed: Bool, leadingDimension: Int) {
    self.transposed = transposed
    self.leadingDimension = leadingDimension
  }
}

/// Checks that a size fits BLAS's 32-bit integers.
@inline(__always)
func blasInt(_ value: Int, _ what: @autoclosure () -> String) -> Int32 {
  precondition(value <= Int(Int32.max), "\(what()) = \(value) exceeds the 32-bit range of BLAS.")
  return Int32(value)
}

/// The matrix product `op(a) · op(b)`, where `op(x)` is `x` or, when its flag is set, the
/// transpose of its last two axes.
///
/// Shapes follow `numpy.matmul`:
/// - `[M, K] · [K, N] → [M, N]` (`cblas_sgemm`);
/// - `[M, K] · [K] → [M]` and `[K] · [K, N] → [N]` (`cblas_sgemv`);
/// - `[K] · [K] → []` (`cblas_sdot`);
/// - batched `[B, M, K] · [B, K, N] → [B, M, N]`, where either batch extent may be 1 and a rank-2
///   operand is shared by the whole batch. `[B, M, K] · [K, N]` is one `sgemm` of `B·M` rows
///   when the batch's rows are evenly spaced (a contiguous batch); other batches loop over
///   `sgemm`. A rank-1 operand with a rank-3 one is promoted to a row (or column) matrix.
///
/// No operand is copied when its last two axes have one unit stride (see the file comment).
/// The result is a new contiguous tensor.
///
/// - Precondition: ranks 1 to 3, no transpose flag on a rank-1 operand, matching inner extents
///   and broadcastable batch extents.
/// - Complexity: O(B·M·N·K) multiply-adds.
public func matmul(
  _ a: Tensor, transposed transposeA: Bool = false, _ b: Tensor, transposed transposeB: Bool = false
) -> Tensor {
  precondition(
    (1...3).contains(a.rank) && (1...3).contains(b.rank),
    "matmul takes tensors of rank 1 to 3, not \(a.shape) and \(b.shape).")
  precondition(
    !(transposeA && a.rank == 1) && !(transposeB && b.rank == 1),
    "Cannot transpose the vector operand of matmul (shapes \(a.shape), \(b.shape)).")
  let left = transposeA ? a.transposed() : a
  let right = transposeB ? b.transposed() : b
  switch (left.rank, right.rank) {
  case (1, 1):
    return Tensor(dotProduct(left, right))
  case (2, 1):
    return matrixVectorProduct(left, right, transposingMatrix: false)
  case (1, 2):
    return matrixVectorProduct(right, left, transposingMatrix: true)
  default:
    let promotedLeft = left.rank == 1 ? left.expandingShape(at: 0) : left
    let promotedRight = right.rank == 1 ? right.expandingShape(at: 1) : right
    var product = batchedMatrixProduct(promotedLeft, promotedRight)
    if right.rank == 1 { product = product.squeezingShape(at: [product.rank - 1]) }
    if left.rank == 1 { product = product.squeezingShape(at: [product.rank - 2]) }
    return product
  }
}

/// `C ← α · op(a) · op(b) + β · C` for matrices (`cblas_sgemm` writing into `c`), the building
/// block for accumulating gradients without temporaries.
///
/// `c` is written in place when it owns its storage and its rows are contiguous (it may be a row
/// or column slice of a larger matrix); otherwise it is first replaced by a dense copy. With
/// `β = 0` the previous contents of `c` are not read (NaN in `c` does not propagate).
///
/// - Precondition: `op(a)` is `[M, K]`, `op(b)` is `[K, N]` and `c` is `[M, N]`.
/// - Complexity: O(M·N·K) multiply-adds.
public func gemm(
  _ a: Tensor, transposed transposeA: Bool = false, _ b: Tensor,
  transposed transposeB: Bool = false,
  alpha: Float = 1, beta: Float = 1, accumulatingInto c: inout Tensor
) {
  precondition(
    a.rank == 2 && b.rank == 2 && c.rank == 2,
    "gemm takes matrices, not \(a.shape), \(b.shape) into \(c.shape).")
  let left = transposeA ? a.transposed() : a
  let right = transposeB ? b.transposed() : b
  let (m, k, n) = (left.shape[0], left.shape[1], right.shape[1])
  precondition(
    right.shape[0] == k && c.shape == [m, n],
    "Cannot accumulate \(left.shape) · \(right.shape) into \(c.shape).")
  c.makeUnique()
  var cLayout = BLASMatrixLayout(
    rows: m, columns: n, rowStride: c.strides[0], columnStride: c.strides[1])
  if cLayout == nil || cLayout?.transposed == true {
    c = c.materialized()
    cLayout = BLASMatrixLayout(transposed: false, leadingDimension: Swift.max(n, 1))
  }
  guard let ldc = cLayout?.leadingDimension, m > 0, n > 0 else { return }
  if k == 0 {
    if beta == 0 {
      c.updateElements { _ in 0 }
    } else if beta != 1 {
      c *= beta
    }
    return
  }
  let (aData, aLayout) = left.blasReadable()
  let (bData, bLayout) = right.blasReadable()
  withExtendedLifetime((aData, bData)) {
    deterministicSgemm(
      transposeA: aLayout.transposed, transposeB: bLayout.transposed, m: m, n: n, k: k,
      alpha: alpha, a: aData.storage.pointer + aData.offset, lda: aLayout.leadingDimension,
      b: bData.storage.pointer + bData.offset, ldb: bLayout.leadingDimension, beta: beta,
      c: c.storage.pointer + c.offset, ldc: ldc)
  }
}

/// `Σ xᵢ yᵢ` of two vectors (`cblas_sdot`).
func dotProduct(_ x: Tensor, _ y: Tensor) -> Float {
  precondition(x.shape == y.shape, "Cannot take the dot product of \(x.shape) and \(y.shape).")
  if x.count == 0 { return 0 }
  let (xData, incX) = x.blasVector()
  let (yData, incY) = y.blasVector()
  return withExtendedLifetime((xData, yData)) {
    cblas_sdot(
      blasInt(x.count, "N"), xData.storage.pointer + xData.offset, blasInt(incX, "incx"),
      yData.storage.pointer + yData.offset, blasInt(incY, "incy"))
  }
}

/// `A · v` (or `Aᵀ · v` when `transposingMatrix`, which is `v · A` for a row vector `v`) through
/// `cblas_sgemv`.
func matrixVectorProduct(_ matrix: Tensor, _ vector: Tensor, transposingMatrix: Bool) -> Tensor {
  let (rows, columns) = (matrix.shape[0], matrix.shape[1])
  let inner = transposingMatrix ? rows : columns
  let outer = transposingMatrix ? columns : rows
  precondition(
    vector.shape[0] == inner,
    transposingMatrix
      ? "Cannot multiply the vector \(vector.shape) by the matrix \(matrix.shape)."
      : "Cannot multiply the matrix \(matrix.shape) by the vector \(vector.shape).")
  if outer == 0 { return Tensor(zeros: [0]) }
  if inner == 0 { return Tensor(zeros: [outer]) }
  let (aData, layout) = matrix.blasReadable()
  let (xData, incX) = vector.blasVector()
  // The stored row-major matrix is `rows × columns`, or `columns × rows` for a transposed view.
  let storedRows = layout.transposed ? columns : rows
  let storedColumns = layout.transposed ? rows : columns
  let transpose = layout.transposed != transposingMatrix
  let result = Tensor(zeros: [outer])
  withExtendedLifetime((aData, xData)) {
    deterministicSgemv(
      transpose: transpose, rows: storedRows, columns: storedColumns,
      a: aData.storage.pointer + aData.offset, lda: layout.leadingDimension,
      x: xData.storage.pointer + xData.offset, incX: incX, y: result.storage.pointer)
  }
  return result
}

/// `[B?, M, K] · [B?, K, N]` with batch broadcasting, as one `sgemm` when possible, else one per
/// batch element.
func batchedMatrixProduct(_ a: Tensor, _ b: Tensor) -> Tensor {
  let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
  let (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
  let batchA = a.rank == 3 ? a.shape[0] : 1
  let batchB = b.rank == 3 ? b.shape[0] : 1
  precondition(
    k == k2 && (batchA == batchB || batchA == 1 || batchB == 1),
    "Cannot multiply \(a.shape) by \(b.shape).")
  let batch = Swift.max(batchA, batchB)
  let resultShape = (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n]
  let result = Tensor(zeros: resultShape)
  if batch == 0 || m == 0 || n == 0 || k == 0 { return result }

  let (aData, aLayout) = a.blasReadable()
  let (bData, bLayout) = b.blasReadable()
  // Batch strides in elements (0 for a shared operand).
  let aBatchStride = a.rank == 3 && batchA > 1 ? aData.strides[0] : 0
  let bBatchStride = b.rank == 3 && batchB > 1 ? bData.strides[0] : 0
  let pa = aData.storage.pointer + aData.offset
  let pb = bData.storage.pointer + bData.offset
  let pc = result.storage.pointer

  withExtendedLifetime((aData, bData)) {
    // A shared right operand and evenly spaced rows of `a`: one tall product of B·M rows.
    let fusable =
      bBatchStride == 0 && !aLayout.transposed
      && (batchA == 1 || aBatchStride == m * aLayout.leadingDimension)
    if fusable && batch == batchA {
      _ = blasInt(batch * m, "B·M")
      deterministicSgemm(
        transposeA: false, transposeB: bLayout.transposed, m: batch * m, n: n, k: k, alpha: 1,
        a: pa, lda: aLayout.leadingDimension, b: pb, ldb: bLayout.leadingDimension, beta: 0,
        c: pc, ldc: n)
      return
    }
    for index in 0..<batch {
      deterministicSgemm(
        transposeA: aLayout.transposed, transposeB: bLayout.transposed, m: m, n: n, k: k,
        alpha: 1, a: pa + index * aBatchStride, lda: aLayout.leadingDimension,
        b: pb + index * bBatchStride, ldb: bLayout.leadingDimension, beta: 0,
        c: pc + index * m * n, ldc: n)
    }
  }
  return result
}
