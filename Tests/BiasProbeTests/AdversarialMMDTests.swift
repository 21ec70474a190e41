import BiasProbe
import Models
import Tensor
import TestSupport
import XCTest

final class AdversarialMMDTests: XCTestCase {
  func testWitnessMarksTheRealPointsTheAdversarialSetCoversAndMisses() throws {
    // Arrange: real points at 0, 0.1 and 5 (1-D); adversarial points near 0.
    let real = Tensor(shape: [3, 1], scalars: [0, 0.1, 5])
    let adversarial = Tensor(shape: [2, 1], scalars: [0.05, 0.02])
    let gamma = 1.0
    func k(_ a: Float, _ b: Float) -> Double { exp(-gamma * Double((a - b) * (a - b))) }
    let x: [Float] = [0, 0.1, 5]
    let z: [Float] = [0.05, 0.02]

    // Act
    let comparison = try AdversarialMMD.compare(real: real, adversarial: adversarial, bandwidth: .gamma(gamma))
    let result = AdversarialMMDResult(
      mmdSquared: comparison.mmdSquared, gamma: comparison.gamma, witness: comparison.witness,
      adversarialResults: [], adversarialIndices: [])

    // Assert: MMD² and the witness from their definitions, written out.
    var xx = 0.0, xz = 0.0, zz = 0.0
    for a in x { for b in x { xx += k(a, b) } }
    for a in x { for b in z { xz += k(a, b) } }
    for a in z { for b in z { zz += k(a, b) } }
    XCTAssertEqual(comparison.mmdSquared, xx / 9 - 2 * xz / 6 + zz / 4, accuracy: 1e-5)
    for (i, a) in x.enumerated() {
      let expected = x.map { k(a, $0) }.reduce(0, +) / 3 - z.map { k(a, $0) }.reduce(0, +) / 2
      XCTAssertEqual(comparison.witness[i], expected, accuracy: 1e-5)
    }
    XCTAssertEqual(result.criticisms(count: 1).indices, [2])
    XCTAssertEqual(Set(result.prototypes(count: 2).indices), [0, 1])
    XCTAssertEqual(result.criticisms(count: 3, excluding: [0, 1]).indices, [2])
  }

  func testMedianHeuristicRunsOverBothSets() throws {
    let real = Tensor(shape: [3, 2], scalars: [0, 0, 1, 0, 0, 2])
    let adversarial = Tensor(shape: [2, 2], scalars: [3, 3, 1, 1])
    let comparison = try AdversarialMMD.compare(real: real, adversarial: adversarial)
    let union = Tensor(shape: [5, 2], scalars: [0, 0, 1, 0, 0, 2, 3, 3, 1, 1])
    XCTAssertEqual(comparison.gamma, try MedianHeuristic.gamma(for: union))
    XCTAssertThrowsError(try AdversarialMMD.compare(real: real, adversarial: Tensor(shape: [1, 3], scalars: [0, 0, 0])))
  }

  /// Real cat views against coffee and rocket photographs pushed to the cat class by PGD.
  func testLite0CatClassAgainstTargetedPGDExamples() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let cat = try Lite0.photo("chelsea.png", for: classifier)
    let zoomed = cat.sliced(axis: 1, 28..<196).sliced(axis: 2, 28..<196).contiguous()
      .resized(height: 224, width: 224)
    let real = Tensor.stack([cat, ProbeFixtures.mirrored(cat), zoomed])
    let others = Tensor.stack(try ["coffee.png", "rocket.jpg"].map { try Lite0.photo($0, for: classifier) })
    let pgd = try PGD(classifier: classifier, epsilon: 8 / 255, steps: 5, seed: 7)
    let target = pgd.predictedLabels(cat.expandingShape(at: 0))[0]

    // Act
    let result = try AdversarialMMD(attack: pgd).compare(classImages: real, otherImages: others, target: target)

    // Assert
    print("AdversarialMMD Lite0 class \(target): MMD² \(result.mmdSquared), γ \(result.gamma), witness \(result.witness), adversarial \(result.adversarialIndices)")
    XCTAssertEqual(result.adversarialResults.count, 2)
    XCTAssertFalse(result.adversarialIndices.isEmpty)
    for index in result.adversarialIndices {
      XCTAssertEqual(result.adversarialResults[index].adversarial.index, target)
      XCTAssertLessThanOrEqual(result.adversarialResults[index].linf, 8 / 255 + 1e-6)
    }
    XCTAssertEqual(result.witness.count, 3)
    XCTAssertGreaterThan(result.mmdSquared, 0)
    XCTAssertGreaterThan(result.gamma, 0)
    let prototypes = result.prototypes(count: 1)
    let criticisms = result.criticisms(count: 2, excluding: prototypes.indices)
    XCTAssertEqual(Set(prototypes.indices + criticisms.indices), [0, 1, 2])
    XCTAssertLessThanOrEqual(prototypes.scores[0], criticisms.scores.min()!)
  }

  func testNoSuccessfulAdversarialIsATypedError() throws {
    let classifier = try Lite0.classifier()
    let others = try Lite0.photo("coffee.png", for: classifier).expandingShape(at: 0)
    let pgd = try PGD(classifier: classifier, epsilon: 1e-6, steps: 1, randomStart: false)
    let target = 0  // tench: a millionth of a pixel step does not make coffee a fish
    XCTAssertThrowsError(
      try AdversarialMMD(attack: pgd).compare(classImages: others, otherImages: others, target: target)
    ) { error in
      XCTAssertEqual(error as? AdversarialMMDError, .noSuccessfulAdversarial(target: 0, attempted: 1))
    }
  }
}
