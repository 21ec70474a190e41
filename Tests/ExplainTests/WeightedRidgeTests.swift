import Explain
import Tensor
import XCTest

final class WeightedRidgeTests: XCTestCase {
  /// One column: `β = Σ w (x − x̄)(y − ȳ) / (Σ w (x − x̄)² + α)`, `b = ȳ − β x̄` (weighted means).
  func testOneColumnFitMatchesTheClosedForm() throws {
    // Arrange
    let x: [Double] = [0, 1, 2, 3, 4]
    let y: [Double] = [1.0, 2.5, 2.9, 4.8, 5.1]
    let w: [Double] = [1, 0.5, 2, 1, 0.25]
    let data = RegressionData(rows: 5, columns: 1, values: x, weights: w)
    let total = w.reduce(0, +)
    let xMean = zip(w, x).map(*).reduce(0, +) / total
    let yMean = zip(w, y).map(*).reduce(0, +) / total
    var sxy = 0.0
    var sxx = 0.0
    for i in 0..<5 {
      sxy += w[i] * (x[i] - xMean) * (y[i] - yMean)
      sxx += w[i] * (x[i] - xMean) * (x[i] - xMean)
    }
    let alpha = 0.7

    // Act
    let model = try WeightedRidge.fit(data, targets: [y], alpha: alpha)[0]

    // Assert
    let beta = sxy / (sxx + alpha)
    XCTAssertEqual(model.coefficients[0], beta, accuracy: 1e-12)
    XCTAssertEqual(model.intercept, yMean - beta * xMean, accuracy: 1e-12)
    XCTAssertEqual(model.predict([2.0]), model.intercept + 2 * beta, accuracy: 1e-12)
  }

  func testUnpenalisedFitOfExactlyLinearDataIsExactWithScoreOne() throws {
    // y = 0.3 + 2 x₀ − x₁ on four points, random positive weights.
    let values: [Double] = [0, 0, 1, 0, 0, 1, 1, 1, 2, 1]
    let targets = stride(from: 0, to: values.count, by: 2).map { 0.3 + 2 * values[$0] - values[$0 + 1] }
    let data = RegressionData(rows: 5, columns: 2, values: values, weights: [1, 2, 0.5, 1.5, 1])

    let model = try WeightedRidge.fit(data, targets: [targets], alpha: 0)[0]

    XCTAssertEqual(model.coefficients[0], 2, accuracy: 1e-12)
    XCTAssertEqual(model.coefficients[1], -1, accuracy: 1e-12)
    XCTAssertEqual(model.intercept, 0.3, accuracy: 1e-12)
    XCTAssertEqual(model.score(data, targets: targets), 1, accuracy: 1e-12)
  }

  func testSingularUnpenalisedSystemFallsBackToTheMinimumNormSolution() throws {
    // Two identical columns: any β₀ + β₁ = 2 fits; the minimum-norm answer splits it evenly.
    let values: [Double] = [0, 0, 1, 1, 2, 2, 3, 3]
    let targets: [Double] = [1, 3, 5, 7]
    let data = RegressionData(rows: 4, columns: 2, values: values, weights: [1, 1, 1, 1])

    let model = try WeightedRidge.fit(data, targets: [targets], alpha: 0)[0]

    XCTAssertEqual(model.coefficients[0], 1, accuracy: 1e-9)
    XCTAssertEqual(model.coefficients[1], 1, accuracy: 1e-9)
    XCTAssertEqual(model.intercept, 1, accuracy: 1e-9)
  }

  func testConstantTargetsScoreOneWhenFittedExactly() throws {
    let data = RegressionData(rows: 3, columns: 1, values: [0, 1, 2], weights: [1, 1, 1])
    let model = try WeightedRidge.fit(data, targets: [[0.5, 0.5, 0.5]], alpha: 1)[0]

    XCTAssertEqual(model.coefficients, [0])
    XCTAssertEqual(model.intercept, 0.5)
    XCTAssertEqual(model.score(data, targets: [0.5, 0.5, 0.5]), 1)
  }

  func testSeveralTargetsGiveTheSameModelsAsSeparateFits() throws {
    let values: [Double] = [1, 0, 0, 1, 1, 1, 0, 0, 1, 0]
    let data = RegressionData(rows: 5, columns: 2, values: values, weights: [1, 0.2, 0.7, 1, 0.4])
    let first: [Double] = [0.9, 0.1, 0.8, 0.2, 0.7]
    let second: [Double] = [0.05, 0.6, 0.3, 0.4, 0.1]

    let together = try WeightedRidge.fit(data, targets: [first, second], alpha: 1)
    let apart = try [first, second].map { try WeightedRidge.fit(data, targets: [$0], alpha: 1)[0] }

    for (a, b) in zip(together, apart) {
      XCTAssertEqual(a.intercept, b.intercept, accuracy: 1e-15)
      for (x, y) in zip(a.coefficients, b.coefficients) { XCTAssertEqual(x, y, accuracy: 1e-15) }
    }
  }
}
