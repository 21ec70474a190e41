import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class FGSMTests: XCTestCase {
  func testOnAnAffineClassifierTheStepIsEpsilonTimesTheSignOfTheCrossEntropyGradient() throws {
    // Arrange: ∇ₓ CE = Wᵀ (softmax(f(x)) − e_y) for f(x) = W x + b.
    let model = AffineClassifier(classes: 4, side: 4, seed: 3)
    let image = randomImages(count: 1, side: 4, low: 0, high: 1, seed: 4)
    let logits = model.logits(image).scalars.map(Double.init)
    let label = 2
    let exps = logits.map { exp($0 - logits.max()!) }
    let p = exps.map { $0 / exps.reduce(0, +) }
    let epsilon: Float = 0.05
    let expected = image.scalars.enumerated().map { j, x -> Float in
      var g = 0.0
      for c in 0..<4 { g += (p[c] - (c == label ? 1 : 0)) * model.row(c)[j] }
      return min(max(x + epsilon * (g > 0 ? 1 : -1), 0), 1)
    }

    // Act
    let result = try FGSM(classifier: model, epsilon: epsilon).attack(image, labels: [label])[0]

    // Assert
    XCTAssertEqual(result.image.scalars, expected)
    XCTAssertEqual(result.iterations, 1)
  }

  func testEveryUnclippedPixelOfTheLite0PerturbationMovesByExactlyEpsilon() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let image = try Lite0.photo("coffee.png", for: classifier)
    let epsilon: Float = 4 / 255

    // Act
    let result = try FGSM(classifier: classifier, epsilon: epsilon).attack(image, label: 967)

    // Assert
    XCTAssertEqual(result.linf, epsilon, accuracy: 1e-6)
    let x = image.scalars
    let y = result.image.scalars
    var exact = 0
    var unclipped = 0
    for i in x.indices where y[i] > 0 && y[i] < 1 {
      unclipped += 1
      let delta = abs(y[i] - x[i])
      XCTAssertTrue(abs(delta - epsilon) < 1e-6 || delta == 0, "pixel \(i) moved by \(delta)")
      if abs(delta - epsilon) < 1e-6 { exact += 1 }
    }
    XCTAssertGreaterThan(Double(exact), 0.99 * Double(unclipped))
    XCTAssertEqual(result.original.index, 967)
    print(
      "FGSM ε=4/255 on coffee: espresso → \(result.adversarial.label) "
        + "(\(result.adversarial.probability)), L2 \(result.l2), ρ \(result.rho)")
  }

  func testTargetedFGSMReachesTheRunnerUpOnLite0Photographs() throws {
    // Arrange: one step only reaches a nearby class, so the target is the second most likely.
    let classifier = try Lite0.classifier()
    let names = ["chelsea.png", "astronaut.png"]
    let images = Tensor.stack(try names.map { try Lite0.photo($0, for: classifier) })
    let top = classifier.topPredictions(logits: classifier.logits(images), k: 2)
    let attack = try FGSM(classifier: classifier, epsilon: 2 / 255)

    // Act
    let results = try attack.attack(
      images, labels: top.map { $0[0].index }, target: .targeted(top.map { $0[1].index }))

    // Assert
    for (name, result) in zip(names, results) {
      print("targeted FGSM \(name): \(result.original.label) → \(result.adversarial.label)")
      XCTAssertTrue(result.isSuccessful, name)
      XCTAssertEqual(result.adversarial.index, result.target, name)
    }
  }

  func testEpsilonOutsideZeroToOneIsATypedError() {
    let model = AffineClassifier(classes: 3, side: 2, seed: 1)
    for epsilon: Float in [0, -0.1, 1.5, .nan] {
      XCTAssertThrowsError(try FGSM(classifier: model, epsilon: epsilon)) { error in
        guard case .epsilonOutOfRange = error as? AttackError else {
          return XCTFail("\(error)")
        }
      }
    }
  }
}
