import Tensor
import XCTest

@testable import BiasProbe

final class NearestPrototypeClassifierTests: XCTestCase {
  func testNearestPrototypeTakesTheClosestLabel() throws {
    let classifier = try NearestPrototypeClassifier(
      prototypes: Tensor(shape: [3, 2], scalars: [0, 0, 10, 0, 0, 10]), labels: [4, 5, 6])
    let queries = Tensor(shape: [4, 2], scalars: [1, 1, 9, 2, 2, 8, 5, 0])
    XCTAssertEqual(try classifier.nearest(queries, blockRows: 3), [0, 1, 2, 0])  // tie → earlier
    XCTAssertEqual(try classifier.predict(queries), [4, 5, 6, 4])
    XCTAssertEqual(try classifier.accuracy(on: queries, labels: [4, 5, 5, 4]), 0.75)
  }

  /// MMD-critic's evaluation: 1-NN over digits prototypes, trained on the first 1000 digits and
  /// tested on the other 797 (local kernel, as the paper's USPS experiment).
  func testDigitPrototypesClassifyHeldOutDigits() throws {
    let (features, labels) = try CriticismTestData.digits()
    let train = features.sliced(axis: 0, 0..<1000)
    let test = features.sliced(axis: 0, 1000..<1797)
    let options = RBFKernel.Options(bandwidth: .gamma(1e-3), scope: .local)
    var accuracies: [Double] = []
    for count in [10, 40] {
      let selection = try MMDPrototypes(count: count, kernel: options)
        .select(from: train, labels: Array(labels[0..<1000]))
      let classifier = try NearestPrototypeClassifier(
        selecting: selection.indices, from: train, labels: Array(labels[0..<1000]))
      accuracies.append(try classifier.accuracy(on: test, labels: Array(labels[1000...])))
    }
    XCTAssertGreaterThan(accuracies[0], 0.6)
    XCTAssertGreaterThan(accuracies[1], 0.85)
    XCTAssertGreaterThan(accuracies[1], accuracies[0])
  }

  func testNoPrototypeThrows() {
    XCTAssertThrowsError(try NearestPrototypeClassifier(prototypes: Tensor(zeros: [0, 2]), labels: []))
  }
}
