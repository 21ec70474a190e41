import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class DeepFoolTests: XCTestCase {
  /// The closed form on an affine model: the nearest hyperplane `f_c = f_k̂` among the candidates
  /// is at `r = |f'_l| / ‖w_l‖² · w_l`, reached in one step (plus the reference's 10⁻⁴ margin
  /// along `w_l / ‖w_l‖`), and the result is `x + 1.02 r`.
  private func assertMatchesClosedForm(candidates: Int, seed: UInt64) throws {
    // Arrange
    let model = AffineClassifier(classes: 6, side: 4, seed: seed)
    let image = randomImages(count: 1, side: 4, low: 0.3, high: 0.7, seed: seed + 100)
    let x = image.scalars.map(Double.init)
    let logits = model.logits(image).scalars
    let label = logits.indices.max { logits[$0] < logits[$1] }!
    let considered = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(candidates)
      .filter { $0 != label }
    var best = (distance: Double.infinity, step: [Double]())
    for c in considered {
      let w = zip(model.row(c), model.row(label)).map { $0 - $1 }
      let difference = Double(logits[c] - logits[label])
      let squaredNorm = w.reduce(0) { $0 + $1 * $1 }
      let distance = abs(difference) / squaredNorm.squareRoot()
      let length = distance + DeepFool.distanceMargin
      if distance < best.distance {
        best = (distance, w.map { length / squaredNorm.squareRoot() * $0 })
      }
    }
    let expected = zip(x, best.step).map { Float($0 + 1.02 * $1) }
    XCTAssertTrue(expected.allSatisfy { $0 > 0 && $0 < 1 }, "the closed form must not be clipped")

    // Act
    let result = try DeepFool(classifier: model, candidates: candidates)
      .attack(image, labels: [label])[0]

    // Assert
    XCTAssertEqual(result.iterations, 1)
    XCTAssertTrue(result.isSuccessful)
    XCTAssertNotEqual(result.adversarial.index, label)
    assertAllClose(
      result.image, Tensor(shape: [3, 4, 4], scalars: expected), absoluteTolerance: 1e-5,
      relativeTolerance: 1e-5)
    XCTAssertEqual(
      Double(result.l2), 1.02 * best.step.reduce(0) { $0 + $1 * $1 }.squareRoot(),
      accuracy: 1e-5)
  }

  func testOnAnAffineClassifierOneStepReachesTheNearestHyperplaneTimesOnePointZeroTwo() throws {
    for seed: UInt64 in [1, 2, 3, 4, 5] { try assertMatchesClosedForm(candidates: 6, seed: seed) }
  }

  func testCandidatesRestrictTheHyperplanesToTheLargestLogits() throws {
    for seed: UInt64 in [1, 2, 3] { try assertMatchesClosedForm(candidates: 2, seed: seed) }
  }

  /// Golden iterates from the reference algorithm in NumPy (float64) on a ReLU network: several
  /// steps, overshoot on the accumulated perturbation, clipping to [0, 1]
  /// (`Tools/make_deepfool_fixtures.py`).
  func testMatchesTheNumPyReferenceOnAReLUNetworkOverSeveralClippedSteps() throws {
    // Arrange
    struct Case: Decodable {
      var image: [Float]
      var label: Int
      var adversarialImage: [Float]
      var iterations: Int
      var adversarialLabel: Int
    }
    struct Fixture: Decodable {
      var candidates: Int
      var overshoot: Float
      var w1: [[Float]]
      var b1: [Float]
      var w2: [[Float]]
      var b2: [Float]
      var cases: [Case]
    }
    let fixture = try JSONDecoder().decode(
      Fixture.self, from: Data(contentsOf: fixtureURL("Attacks/deepfool_mlp.json")))
    let model = ReLUNetwork(w1: fixture.w1, b1: fixture.b1, w2: fixture.w2, b2: fixture.b2)
    let images = Tensor(
      shape: [fixture.cases.count, 3, 4, 4], scalars: fixture.cases.flatMap(\.image))
    let attack = try DeepFool(
      classifier: model, candidates: fixture.candidates, overshoot: fixture.overshoot)

    // Act
    let results = try attack.attack(images, labels: fixture.cases.map(\.label))

    // Assert
    XCTAssertGreaterThan(fixture.cases.map(\.iterations).max() ?? 0, 2)
    for (index, (result, expected)) in zip(results, fixture.cases).enumerated() {
      XCTAssertEqual(result.iterations, expected.iterations, "case \(index)")
      XCTAssertEqual(result.adversarial.index, expected.adversarialLabel, "case \(index)")
      assertAllClose(
        result.image, Tensor(shape: [3, 4, 4], scalars: expected.adversarialImage),
        absoluteTolerance: 1e-4, relativeTolerance: 1e-4, "case \(index)")
    }
  }

  func testAnAlreadyMisclassifiedImageIsReturnedUnchangedAfterZeroIterations() throws {
    let model = AffineClassifier(classes: 4, side: 4, seed: 7)
    let image = randomImages(count: 1, side: 4, low: 0.2, high: 0.8, seed: 8)
    let predicted = model.logits(image).argmax()
    let wrongLabel = (predicted + 1) % 4

    let result = try DeepFool(classifier: model).attack(image, labels: [wrongLabel])[0]

    XCTAssertEqual(result.iterations, 0)
    XCTAssertTrue(result.isSuccessful)
    XCTAssertEqual(result.l2, 0)
    XCTAssertEqual(result.image, image.reshaped(to: [3, 4, 4]))
  }

  func testBatchedImagesGiveTheSameResultsAsOneAtATime() throws {
    let model = AffineClassifier(classes: 5, side: 4, seed: 11)
    let images = randomImages(count: 4, side: 4, low: 0.3, high: 0.7, seed: 12)
    let attack = try DeepFool(classifier: model, batchSize: 3)
    let labels = attack.predictedLabels(images)

    let together = try attack.attack(images, labels: labels)
    let alone = try (0..<4).map {
      try attack.attack(images[index: $0], label: labels[$0])
    }

    for (a, b) in zip(together, alone) {
      XCTAssertEqual(a.image, b.image)
      XCTAssertEqual(a.iterations, b.iterations)
    }
  }

  func testATargetIsRejected() throws {
    let model = AffineClassifier(classes: 3, side: 2, seed: 1)
    let image = randomImages(count: 1, side: 2, low: 0, high: 1, seed: 2)
    XCTAssertThrowsError(
      try DeepFool(classifier: model).attack(image, labels: [0], target: .targeted([1]))
    ) { XCTAssertEqual($0 as? AttackError, .targetNotSupported(attack: "DeepFool")) }
  }

  func testInvalidParametersAreTypedErrors() {
    let model = AffineClassifier(classes: 3, side: 2, seed: 1)
    XCTAssertThrowsError(try DeepFool(classifier: model, candidates: 1))
    XCTAssertThrowsError(try DeepFool(classifier: model, overshoot: -0.1))
    XCTAssertThrowsError(try DeepFool(classifier: model, maxIterations: 0))
  }

  /// Three bundled photographs on Lite0 (all ten are measured by `demo bench-attacks`).
  func testLite0FlipsThreePhotographsWithSmallRho() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let names = ["coffee.png", "chelsea.png", "rocket.jpg"]
    let images = Tensor.stack(try names.map { try Lite0.photo($0, for: classifier) })
    let attack = try DeepFool(classifier: classifier)
    let labels = attack.predictedLabels(images)

    // Act
    let results = try attack.attack(images, labels: labels)

    // Assert
    for (name, result) in zip(names, results) {
      print(
        "DeepFool Lite0 \(name): \(result.original.label) (\(result.original.probability)) → "
          + "\(result.adversarial.label) (\(result.adversarial.probability)), ρ = \(result.rho), "
          + "L2 = \(result.l2), L∞ = \(result.linf), \(result.iterations) iterations")
      XCTAssertTrue(result.isSuccessful, name)
      XCTAssertNotEqual(result.adversarial.index, result.original.index, name)
      XCTAssertLessThan(result.rho, 0.01, name)
      XCTAssertGreaterThan(result.rho, 0, name)
      XCTAssertLessThanOrEqual(result.iterations, 50, name)
      XCTAssertEqual(classifier.logits(result.image.expandingShape(at: 0)).argmax(),
        result.adversarial.index, name)
    }
    let summary = AttackSummary(results)
    XCTAssertEqual(summary.successRate.successes, 3)
    print("DeepFool Lite0 median ρ \(summary.medianRho), mean ρ \(summary.meanRho)")
  }

  func testTheSameInputGivesABitIdenticalResult() throws {
    let model = AffineClassifier(classes: 5, side: 4, seed: 21)
    let images = randomImages(count: 2, side: 4, low: 0, high: 1, seed: 22)
    let attack = try DeepFool(classifier: model)
    let labels = attack.predictedLabels(images)

    let first = try attack.attack(images, labels: labels)
    let second = try attack.attack(images, labels: labels)

    XCTAssertEqual(first.map(\.image), second.map(\.image))
  }
}
