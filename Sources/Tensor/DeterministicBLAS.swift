import COpenBLAS

// Matrix products whose every bit is independent of the thread count.
//
// OpenBLAS's threaded SGEMM driver cuts the inner dimension K into blocks differently from its
// single-threaded driver, so with more than one thread a product with K above a few hundred
// (measured with OpenBLAS 0.3.21, Cooperlake kernels: K = 400, 1000, 2000, but not 512 or 1280)
// rounds about 70 % of its entries differently: `[2, 1000] · [1000, 1280]`, the input gradient
// of EfficientNet-Lite0's classifier, changed PGD-L2 adversarial images between 1 and 2
// threads. Its threaded SGEMV likewise changed 2 of 1797 entries of `[1797, 64] · [64]`.
//
// So the products below never let OpenBLAS thread. They cut the result into panels whose
// boundaries depend on the shape alone (never on `ComputeThreads.count`), run each panel as a
// single-threaded BLAS call, and spread the panels over `ComputeThreads.parallelFor`. Each entry
// of the result is thus computed by the same BLAS call, with the same K blocking, whatever the
// number of threads.

/// How a product is cut into panels (internal): `count` contiguous ranges of the rows (`byRows`)
/// or columns of the result, from the shape alone.
struct ProductPanels: Equatable {
  /// Whether the panels are ranges of rows of the result (else of columns).
  let byRows: Bool
  /// The number of panels (1: one BLAS call).
  let count: Int

  /// Products smaller than this many multiply–adds run as one call.
  static let minimumWork = 1 << 20
  /// The most panels: enough to balance 2–8 threads, few enough that re-packing the shared
  /// operand for each panel stays a small fraction of the work.
  static let maximumCount = 8
  /// Rows (or columns) per panel, at least.
  static let minimumRows = 64
  static let minimumColumns = 128

  /// The panels of an `m × n` result with inner dimension `k`.
  init(m: Int, n: Int, k: Int) {
    let (area, overflowed) = m.multipliedReportingOverflow(by: n)
    let (work, overflowedAgain) = area.multipliedReportingOverflow(by: k)
    if !overflowed && !overflowedAgain && work < Self.minimumWork {
      self.byRows = true
      self.count = 1
    } else if m >= 2 * Self.minimumRows && (m >= n || n < 2 * Self.minimumColumns) {
      // Cut the longer side: every panel re-packs the whole operand of the other side, so
      // cutting the rows of a short, wide product (a 256-row block of a 10,000-point Gram
      // matrix) would re-pack the wide operand once per panel.
      self.byRows = true
      self.count = Swift.min(Self.maximumCount, m / Self.minimumRows)
    } else {
      self.byRows = false
      self.count = Swift.max(1, Swift.min(Self.maximumCount, n / Self.minimumColumns))
    }
  }

  /// Panel `index` of `extent` rows or columns.
  func range(_ index: Int, of extent: Int) -> Range<Int> {
    (extent * index / count)..<(extent * (index + 1) / count)
  }
}

/// Runs `body` with OpenBLAS on one thread (cheaply when it already is).
@inline(__always)
private func withOneBLASThread(_ body: () -> Void) {
  if openblas_get_num_threads() == 1 {
    body()
  } else {
    ComputeThreads.withSingleThreadedBLAS(body)
  }
}

/// Row-major `C = α·op(A)·op(B) + β·C` (`cblas_sgemm` arguments) with a result that does not
/// depend on the thread count: single-threaded BLAS calls on shape-determined panels, in
/// parallel over `ComputeThreads`.
///
/// - Complexity: O(m·n·k); each panel re-packs the operand it shares with the others.
func deterministicSgemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  let panels = ProductPanels(m: m, n: n, k: k)
  withOneBLASThread {
    ComputeThreads.parallelFor(panels.count) { index in
      var (a, b, c) = (a, b, c)
      var (rows, columns) = (m, n)
      if panels.byRows {
        let range = panels.range(index, of: m)
        rows = range.count
        a += transposeA ? range.lowerBound : range.lowerBound * lda
        c += range.lowerBound * ldc
      } else {
        let range = panels.range(index, of: n)
        columns = range.count
        b += transposeB ? range.lowerBound * ldb : range.lowerBound
        c += range.lowerBound
      }
      guard rows > 0, columns > 0 else { return }
      cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans, blasInt(rows, "M"), blasInt(columns, "N"),
        blasInt(k, "K"), alpha, a, blasInt(lda, "lda"), b, blasInt(ldb, "ldb"), beta, c,
        blasInt(ldc, "ldc"))
    }
  }
}

/// Row-major `y = op(A)·x` (`cblas_sgemv` with α = 1, β = 0, `incY` = 1) for a stored
/// `rows × columns` matrix, with a result that does not depend on the thread count (as
/// `deterministicSgemm`: panels of the output, single-threaded BLAS calls).
func deterministicSgemv(
  transpose: Bool, rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int,
  x: UnsafePointer<Float>, incX: Int, y: UnsafeMutablePointer<Float>
) {
  let outputs = transpose ? columns : rows
  let inner = transpose ? rows : columns
  // One output per "row" of a product `outputs × 1 × inner`, cut by rows of the output.
  let panels = ProductPanels(m: outputs, n: 1, k: inner)
  withOneBLASThread {
    ComputeThreads.parallelFor(panels.count) { index in
      let range = panels.count == 1 ? 0..<outputs : panels.range(index, of: outputs)
      guard !range.isEmpty else { return }
      let a = a + (transpose ? range.lowerBound : range.lowerBound * lda)
      cblas_sgemv(
        CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
        blasInt(transpose ? rows : range.count, "M"), blasInt(transpose ? range.count : columns, "N"),
        1, a, blasInt(lda, "lda"), x, blasInt(incX, "incx"), 0, y + range.lowerBound, 1)
    }
  }
}
