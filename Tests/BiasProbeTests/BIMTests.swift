import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class BIMTests: XCTestCase {
  func testKurakinsStepCountIsMinOfEpsilonPlusFourAndOnePointTwoFiveEpsilonInPixelUnits() {
    XCTAssertEqual(BIM.kurakinSteps(epsilon: 8 / 255), 10)  // min(12, 10)
    XCTAssertEqual(BIM.kurakinSteps(epsilon: 16 / 255), 20)  // min(20, 20)
    XCTAssertEqual(BIM.kurakinSteps(epsilon: 32 / 255), 36)  // min(36, 40)
    XCTAssertEqual(BIM.kurakinSteps(epsilon: 4 / 255), 5)  // min(8, 5)
    XCTAssertEqual(BIM.kurakinSteps(epsilon: 0.5 / 255), 1)  // never fewer than one
  }

  func testBIMIsPGDWithoutARandomStart() throws {
    let model = AffineClassifier(classes: 4, side: 4, seed: 8)
    let images = randomImages(count: 2, side: 4, low: 0, high: 1, seed: 9)
    let bim = try BIM(classifier: model, epsilon: 0.05, stepSize: 0.01, steps: 7)
    let pgd = try PGD(
      classifier: model, epsilon: 0.05, stepSize: 0.01, steps: 7, randomStart: false)

    let a = try bim.attack(images, labels: [1, 2], target: .targeted([3, 0]))
    let b = try pgd.attack(images, labels: [1, 2], target: .targeted([3, 0]))

    XCTAssertEqual(a.map(\.image), b.map(\.image))
    XCTAssertTrue(a.allSatisfy { $0.iterations == 7 && $0.linf <= 0.05 + 1e-6 })
  }

  func testTargetedBIMReachesAFarTargetOnALite0Photograph() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let image = try Lite0.photo("rocket.jpg", for: classifier)
    let attack = try BIM(classifier: classifier, epsilon: 4 / 255)  // α = 1/255, min(8, 5) steps
    let label = attack.predictedLabels(image.expandingShape(at: 0))[0]

    // Act
    let result = try attack.attack(image, label: label, target: 954)  // banana

    // Assert
    print(
      "targeted BIM rocket.jpg: \(result.original.label) → \(result.adversarial.label) "
        + "(\(result.adversarial.probability)) in \(result.iterations) steps, ρ \(result.rho)")
    XCTAssertEqual(attack.steps, 5)
    XCTAssertEqual(result.iterations, 5)
    XCTAssertTrue(result.isSuccessful)
    XCTAssertEqual(result.adversarial.index, 954)
    XCTAssertLessThanOrEqual(result.linf, 4 / 255 + 1e-6)
  }

  func testAStepSizeOutsideZeroToOneIsATypedError() {
    let model = AffineClassifier(classes: 3, side: 2, seed: 1)
    XCTAssertThrowsError(try BIM(classifier: model, stepSize: 0)) { error in
      guard case .invalidParameter(let name, _, _) = error as? AttackError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(name, "stepSize")
    }
  }
}
