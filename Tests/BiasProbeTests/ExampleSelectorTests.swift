import Tensor
import XCTest

@testable import BiasProbe

/// Another project's selector plugs in through the protocol: here, the rows of largest norm.
struct LargestNormSelector: ExampleSelector {
  var count: Int
  func select(from features: Tensor, labels: [Int]?) throws -> Selection {
    guard features.rank == 2 else { throw SelectionError.featuresNotMatrix(shape: features.shape) }
    let d = features.shape[1]
    let x = features.scalars
    let norms = (0..<features.shape[0]).map { i in (0..<d).reduce(0.0) { $0 + Double(x[i * d + $1] * x[i * d + $1]) } }
    let order = norms.indices.sorted { norms[$0] > norms[$1] }.prefix(count)
    return Selection(indices: Array(order), scores: order.map { norms[$0] })
  }
}

final class ExampleSelectorTests: XCTestCase {
  func testSelectorsAreInterchangeableThroughTheProtocol() throws {
    let features = Tensor(shape: [4, 2], scalars: [0, 0, 3, 4, 0.1, 0, 1, 1])
    let selectors: [any ExampleSelector] = [
      LargestNormSelector(count: 2),
      MMDPrototypes(count: 2, kernel: .init(bandwidth: .gamma(0.5))),
      MMDCriticisms(count: 1, regularizer: .none, prototypes: MMDPrototypes(count: 2)),
    ]
    let results = try selectors.map { try $0.select(from: features, labels: nil) }
    XCTAssertEqual(results[0].indices, [1, 3])
    XCTAssertEqual(results[1].indices.count, 2)
    XCTAssertEqual(results[2].indices.count, 1)
  }

  func testValidationNamesTheProblem() {
    XCTAssertThrowsError(
      try MMDPrototypes(count: 1).select(from: Tensor(zeros: [3, 2]), labels: [0, 1])
    ) { XCTAssertEqual($0 as? SelectionError, .labelCountMismatch(rows: 3, labels: 2)) }
    XCTAssertEqual(
      SelectionError.labelCountMismatch(rows: 3, labels: 2).description,
      "There are 3 feature rows but 2 labels.")
  }
}
