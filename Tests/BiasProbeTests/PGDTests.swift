import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class PGDTests: XCTestCase {
  private func distance(_ a: Tensor, _ b: Tensor, _ norm: AttackNorm) -> Double {
    let d = zip(a.scalars, b.scalars).map { Double($0 - $1) }
    switch norm {
    case .linf: return d.map(abs).max() ?? 0
    case .l2: return d.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
  }

  func testEveryIterateStaysInsideTheBallAndThePixelCube() throws {
    // Arrange: large steps that would leave the ball without the projection.
    let model = AffineClassifier(classes: 5, side: 6, seed: 5)
    let images = randomImages(count: 3, side: 6, low: 0, high: 1, seed: 6)
    for (norm, epsilon, step) in [(AttackNorm.linf, Float(0.03), Float(0.02)), (.l2, 0.5, 0.4)] {
      for steps in [1, 3, 7] {
        let attack = try PGD(
          classifier: model, norm: norm, epsilon: epsilon, stepSize: step, steps: steps, seed: 9)

        // Act
        let results = try attack.attack(images, labels: [0, 1, 2])

        // Assert
        for (index, result) in results.enumerated() {
          let d = distance(result.image, images[index: index], norm)
          XCTAssertLessThanOrEqual(d, Double(epsilon) * (1 + 1e-5), "\(norm) \(steps) steps")
          XCTAssertTrue(result.image.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
          XCTAssertEqual(Double(norm == .linf ? result.linf : result.l2), d, accuracy: 1e-5)
        }
      }
    }
  }

  func testTheRandomStartIsUniformInTheLinfCube() throws {
    // With one tiny step the perturbation is the random start: spread over [−ε, ε].
    let model = AffineClassifier(classes: 3, side: 8, seed: 1)
    let image = Tensor(shape: [1, 3, 8, 8], repeating: 0.5)
    let result = try PGD(classifier: model, epsilon: 0.1, stepSize: 1e-6, steps: 1, seed: 3)
      .attack(image, labels: [0])[0]
    let deltas = result.image.scalars.map { $0 - 0.5 }
    let mean = deltas.reduce(0, +) / Float(deltas.count)
    let variance = deltas.reduce(0) { $0 + $1 * $1 } / Float(deltas.count)
    XCTAssertEqual(mean, 0, accuracy: 0.015)
    XCTAssertEqual(variance, 0.01 / 3, accuracy: 0.0006)  // U[−ε, ε] has variance ε²/3
  }

  func testTheSameSeedGivesABitIdenticalResultForAnyBatchSize() throws {
    let model = AffineClassifier(classes: 4, side: 4, seed: 2)
    let images = randomImages(count: 3, side: 4, low: 0, high: 1, seed: 3)
    for norm in AttackNorm.allCases {
      let epsilon: Float = norm == .linf ? 0.05 : 0.5
      let one = try PGD(classifier: model, norm: norm, epsilon: epsilon, seed: 42, batchSize: 1)
      let three = try PGD(classifier: model, norm: norm, epsilon: epsilon, seed: 42, batchSize: 3)
      let other = try PGD(classifier: model, norm: norm, epsilon: epsilon, seed: 43)

      let a = try one.attack(images, labels: [0, 1, 2])
      let b = try three.attack(images, labels: [0, 1, 2])
      let c = try other.attack(images, labels: [0, 1, 2])

      XCTAssertEqual(a.map(\.image), b.map(\.image), "\(norm)")
      XCTAssertNotEqual(a.map(\.image), c.map(\.image), "\(norm)")
    }
  }

  func testTheDefaultStepIsTwoAndAHalfEpsilonOverSteps() throws {
    let model = AffineClassifier(classes: 3, side: 2, seed: 1)
    let attack = try PGD(classifier: model, epsilon: 8 / 255, steps: 10)
    XCTAssertEqual(attack.stepSize, 2 / 255, accuracy: 1e-7)
  }

  func testTargetedLinfAndL2ReachTheirTargetsOnLite0Photographs() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let names = ["coffee.png", "horse.png"]
    let images = Tensor.stack(try names.map { try Lite0.photo($0, for: classifier) })
    let labels = try PGD(classifier: classifier, epsilon: 0.1).predictedLabels(images)
    let targets = [285, 954]  // Egyptian cat, banana
    for (norm, epsilon) in [(AttackNorm.linf, Float(4) / 255), (.l2, Float(2))] {
      let attack = try PGD(classifier: classifier, norm: norm, epsilon: epsilon, steps: 10, seed: 1)

      // Act
      let results = try attack.attack(images, labels: labels, target: .targeted(targets))

      // Assert
      for (name, result) in zip(names, results) {
        print(
          "targeted PGD \(norm) ε=\(epsilon) \(name): \(result.original.label) → "
            + "\(result.adversarial.label) (\(result.adversarial.probability)), ρ \(result.rho)")
        XCTAssertTrue(result.isSuccessful, "\(norm) \(name)")
        XCTAssertEqual(result.adversarial.index, result.target, "\(norm) \(name)")
        XCTAssertEqual(classifier.logits(result.image.expandingShape(at: 0)).argmax(),
          result.target)
      }
    }
  }

  func testUntargetedLinfFlipsALite0Photograph() throws {
    let classifier = try Lite0.classifier()
    let image = try Lite0.photo("chelsea.png", for: classifier)
    let attack = try PGD(classifier: classifier, epsilon: 2 / 255, steps: 5, seed: 7)
    let label = attack.predictedLabels(image.expandingShape(at: 0))[0]

    let result = try attack.attack(image, label: label)

    XCTAssertTrue(result.isSuccessful)
    XCTAssertNotEqual(result.adversarial.index, label)
    XCTAssertLessThanOrEqual(result.linf, 2 / 255 + 1e-6)
  }
}
