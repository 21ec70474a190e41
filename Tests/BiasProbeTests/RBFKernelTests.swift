import Models
import Tensor
import XCTest

@testable import BiasProbe

final class RBFKernelTests: XCTestCase {
  func testRowSumsAndRowsMatchBruteForceForEveryBlockSize() throws {
    // Arrange: 37 points in 5 dimensions, far from the origin (tests the centring).
    var rng = SeededGenerator(seed: 7)
    let features = Tensor.normal([37, 5], mean: 100, standardDeviation: 1, using: &rng)
    let expected = CriticismTestData.bruteForceKernel(features, gamma: 0.3)
    for blockRows in [1, 4, 16, 37, 100] {
      // Act
      let kernel = try RBFKernel(
        features: features, options: .init(bandwidth: .gamma(0.3), blockRows: blockRows))
      // Assert
      for i in 0..<37 { XCTAssertEqual(kernel.rowSums[i], expected.rowSums[i], accuracy: 2e-4) }
      let rows = kernel.rows([0, 36, 17])
      for (row, index) in zip(rows, [0, 36, 17]) {
        for j in 0..<37 { XCTAssertEqual(row[j], expected[index, j], accuracy: 2e-4) }
        XCTAssertEqual(row[index], 1)
      }
    }
  }

  func testProgressCoversTheMedianPassesAndEveryBlock() throws {
    var rng = SeededGenerator(seed: 1)
    let features = Tensor.normal([10, 2], using: &rng)
    var reports: [WorkProgress] = []
    _ = try RBFKernel(features: features, options: .init(blockRows: 4)) { reports.append($0) }
    XCTAssertEqual(reports.filter { $0.stage == "median heuristic" }.map(\.completed), [0, 1, 2])
    XCTAssertEqual(reports.filter { $0.stage == "kernel row sums" }.map(\.completed), [0, 1, 2, 3])
    XCTAssertTrue(reports.last!.isFinished)
  }

  func testLocalKernelIsZeroAcrossClasses() throws {
    let (features, labels) = CriticismTestData.blobs(
      centres: [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0]], count: 6, spread: 0.4, seed: 3)
    let shuffled = (0..<18).map { ($0 * 7) % 18 }  // interleave the classes
    let mixed = Tensor.stack(shuffled.map { features.selecting(axis: 0, index: $0) })
    let mixedLabels = shuffled.map { labels[$0] }
    let kernel = try RBFKernel(
      features: mixed, labels: mixedLabels,
      options: .init(bandwidth: .gamma(2), scope: .local, blockRows: 5))
    let expected = CriticismTestData.bruteForceKernel(mixed, gamma: 2, labels: mixedLabels)
    for i in 0..<18 { XCTAssertEqual(kernel.rowSums[i], expected.rowSums[i], accuracy: 1e-5) }
    let row = kernel.rows([3])[0]
    for j in 0..<18 {
      if mixedLabels[j] != mixedLabels[3] { XCTAssertEqual(row[j], 0) }
      XCTAssertEqual(row[j], expected[3, j], accuracy: 1e-5)
    }
  }

  func testMedianHeuristicSetsGamma() throws {
    let features = Tensor(shape: [3, 1], scalars: [0, 1, 3])  // squared distances 1, 9, 4
    let kernel = try RBFKernel(features: features)
    XCTAssertEqual(kernel.gamma, 1.0 / 8, accuracy: 1e-12)
  }

  func testBadInputThrowsTypedErrors() {
    let features = Tensor(shape: [2, 2], scalars: [0, 1, 2, .nan])
    XCTAssertThrowsError(try RBFKernel(features: features)) {
      XCTAssertEqual($0 as? SelectionError, .nonFiniteFeature(row: 1, column: 1))
    }
    let good = Tensor(shape: [2, 2], scalars: [0, 1, 2, 3])
    XCTAssertThrowsError(try RBFKernel(features: Tensor(zeros: [4]))) {
      XCTAssertEqual($0 as? SelectionError, .featuresNotMatrix(shape: [4]))
    }
    XCTAssertThrowsError(try RBFKernel(features: good, options: .init(bandwidth: .gamma(0)))) {
      XCTAssertEqual($0 as? SelectionError, .invalidGamma(0))
    }
    XCTAssertThrowsError(try RBFKernel(features: good, options: .init(scope: .local))) {
      XCTAssertEqual($0 as? SelectionError, .localKernelNeedsLabels)
    }
    XCTAssertThrowsError(try RBFKernel(features: good, labels: [1])) {
      XCTAssertEqual($0 as? SelectionError, .labelCountMismatch(rows: 2, labels: 1))
    }
  }

  func testSinglePointAndDuplicatesDoNotCrash() throws {
    let one = try RBFKernel(features: Tensor(shape: [1, 3], scalars: [1, 2, 3]))
    XCTAssertEqual(one.gamma, 1)
    XCTAssertEqual(one.rowSums, [1])
    let twins = try RBFKernel(
      features: Tensor(shape: [3, 2], scalars: [1, 1, 1, 1, 4, 5]),
      options: .init(bandwidth: .gamma(0.5)))
    XCTAssertEqual(twins.rows([0])[0][1], 1, accuracy: 1e-6)
  }
}
