import Foundation
import Tensor
import XCTest

/// Asserts that two tensors have the same shape and that every pair of elements satisfies
/// `|a − b| ≤ absoluteTolerance + relativeTolerance · |b|` (NumPy's `allclose`).
public func assertAllClose(
  _ actual: Tensor, _ expected: Tensor, absoluteTolerance: Float = 1e-5,
  relativeTolerance: Float = 1e-5, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.shape == expected.shape else {
    XCTFail("Shape \(actual.shape) != expected \(expected.shape). \(message)", file: file, line: line)
    return
  }
  let a = actual.scalars
  let b = expected.scalars
  var worst = 0
  var worstExcess: Float = -.infinity
  for i in a.indices {
    let excess = abs(a[i] - b[i]) - (absoluteTolerance + relativeTolerance * abs(b[i]))
    if excess > worstExcess || excess.isNaN || a[i].isNaN != b[i].isNaN {
      worstExcess = excess.isNaN ? .infinity : excess
      worst = i
    }
  }
  if !a.isEmpty && worstExcess > 0 {
    XCTFail(
      "Element \(worst) of \(actual.shape): \(a[worst]) vs expected \(b[worst]) "
        + "(atol \(absoluteTolerance), rtol \(relativeTolerance)). \(message)",
      file: file, line: line)
  }
}

/// Central finite differences of a scalar function: `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every
/// element `i`, computed in Double to keep rounding error below the step error.
public func numericalGradient(
  of f: (Tensor) -> Double, at x: Tensor, step: Float = 1e-2
) -> Tensor {
  var gradient = [Float](repeating: 0, count: x.count)
  var probe = x.contiguous()
  let base = probe.scalars
  for i in 0..<base.count {
    probe.withUnsafeMutableBufferPointer { $0[i] = base[i] + step }
    let plus = f(probe)
    probe.withUnsafeMutableBufferPointer { $0[i] = base[i] - step }
    let minus = f(probe)
    probe.withUnsafeMutableBufferPointer { $0[i] = base[i] }
    gradient[i] = Float((plus - minus) / (2 * Double(step)))
  }
  return Tensor(shape: x.shape, scalars: gradient)
}

/// Checks an analytic gradient against central finite differences of `f`, with tolerances suited
/// to Float arithmetic. `f` is usually `⟨forward(x), w⟩` for a fixed random `w`, so one backward
/// with output gradient `w` gives `analytic`.
public func assertGradientMatchesFiniteDifferences(
  _ analytic: Tensor, of f: (Tensor) -> Double, at x: Tensor, step: Float = 1e-2,
  absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 2e-2,
  file: StaticString = #filePath, line: UInt = #line
) {
  let numeric = numericalGradient(of: f, at: x, step: step)
  assertAllClose(
    analytic, numeric, absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance,
    "analytic vs central finite differences", file: file, line: line)
}

/// `Σ aᵢ·bᵢ` in Double: the scalar `f(x) = ⟨forward(x), w⟩` used by gradient checks.
public func dot(_ a: Tensor, _ b: Tensor) -> Double {
  precondition(a.shape == b.shape, "Cannot dot \(a.shape) with \(b.shape).")
  let x = a.scalars
  let y = b.scalars
  var sum = 0.0
  for i in x.indices { sum += Double(x[i]) * Double(y[i]) }
  return sum
}

/// The checkout's root folder (found from this source file's path).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file under `Tests/Fixtures/` (small committed golden files).
public func fixtureURL(_ relativePath: String) -> URL {
  repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
}

/// A file under `Assets/` (fetched by `Scripts/setup.sh`; git-ignored). Fails the test with a
/// message naming the set-up script when the file is missing.
public func assetURL(
  _ relativePath: String, file: StaticString = #filePath, line: UInt = #line
) throws -> URL {
  let url = repositoryRoot.appendingPathComponent("Assets").appendingPathComponent(relativePath)
  guard FileManager.default.fileExists(atPath: url.path) else {
    XCTFail("Missing asset \(url.path): run Scripts/setup.sh first.", file: file, line: line)
    throw CocoaError(.fileNoSuchFile)
  }
  return url
}
