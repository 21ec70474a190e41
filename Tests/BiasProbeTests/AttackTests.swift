import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class AttackTests: XCTestCase {
  private let model = AffineClassifier(classes: 3, side: 2, seed: 1)

  private func assertError(
    _ expected: AttackError, _ body: () throws -> Void, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
      XCTAssertEqual(error as? AttackError, expected, file: file, line: line)
    }
  }

  func testAWrongShapeNamesTheExpectedShape() throws {
    let attack = try FGSM(classifier: model)
    assertError(.wrongImageShape(expected: [1, 3, 2, 2], found: [1, 3, 3, 3])) {
      _ = try attack.attack(Tensor(zeros: [1, 3, 3, 3]), labels: [0])
    }
    assertError(.wrongImageShape(expected: [3, 2, 2], found: [2, 2])) {
      _ = try attack.attack(Tensor(zeros: [2, 2]), label: 0)
    }
  }

  func testNaNAndPixelsOutsideZeroToOneAreRejected() throws {
    let attack = try PGD(classifier: model, epsilon: 0.1)
    var image = Tensor(shape: [1, 3, 2, 2], repeating: 0.5)
    image[0, 1, 1, 1] = .nan
    assertError(.nonFiniteInput(count: 1)) { _ = try attack.attack(image, labels: [0]) }
    image[0, 1, 1, 1] = 1.5
    assertError(.pixelsOutOfRange(minimum: 0.5, maximum: 1.5)) {
      _ = try attack.attack(image, labels: [0])
    }
  }

  func testResizingRoundOffJustAboveOneIsClampedNotRejected() throws {
    // Bilinear resizing can produce 1.0000001 for a white pixel (horse.png does).
    var image = Tensor(shape: [1, 3, 2, 2], repeating: 0.5)
    image[0, 0, 0, 0] = 1.0000001
    image[0, 2, 1, 1] = -1e-7

    let result = try FGSM(classifier: model, epsilon: 0.1).attack(image, labels: [0])[0]

    XCTAssertTrue(result.image.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  func testLabelsAndTargetsMustBeOnePerImageAndClasses() throws {
    let attack = try BIM(classifier: model)
    let images = Tensor(shape: [2, 3, 2, 2], repeating: 0.5)
    assertError(.countMismatch(what: "labels", images: 2, found: 1)) {
      _ = try attack.attack(images, labels: [0])
    }
    assertError(.classOutOfRange(what: "label", value: 3, classCount: 3)) {
      _ = try attack.attack(images, labels: [0, 3])
    }
    assertError(.countMismatch(what: "targets", images: 2, found: 3)) {
      _ = try attack.attack(images, labels: [0, 1], target: .targeted([1, 2, 0]))
    }
    assertError(.classOutOfRange(what: "target", value: -1, classCount: 3)) {
      _ = try attack.attack(images, labels: [0, 1], target: .targeted([1, -1]))
    }
  }

  func testL2EpsilonIsBoundedByTheDiameterOfThePixelCube() throws {
    // 3·2·2 = 12 values: the largest L2 distance in [0, 1]¹² is √12.
    XCTAssertNoThrow(try PGD(classifier: model, norm: .l2, epsilon: 3.4))
    assertError(.epsilonOutOfRange(epsilon: 3.5, norm: .l2, maximum: Float(12).squareRoot())) {
      _ = try PGD(classifier: model, norm: .l2, epsilon: 3.5)
    }
  }

  func testErrorsDescribeThemselvesInASentence() {
    XCTAssertEqual(
      AttackError.classOutOfRange(what: "target", value: 1000, classCount: 1000).description,
      "The target 1000 is not a class index in 0..<1000.")
    XCTAssertEqual(
      AttackError.epsilonOutOfRange(epsilon: 2, norm: .linf, maximum: 1).description,
      "epsilon must be in (0, 1.0] for the linf norm, not 2.0.")
  }

  func testProgressIsReportedUpToTheTotal() throws {
    let attack = try PGD(classifier: model, epsilon: 0.1, steps: 3, batchSize: 1)
    nonisolated(unsafe) var reports: [WorkProgress] = []
    _ = try attack.attack(
      Tensor(shape: [2, 3, 2, 2], repeating: 0.5), labels: [0, 1], target: .untargeted,
      progress: { reports.append($0) })
    XCTAssertEqual(reports.last?.completed, 6)
    XCTAssertEqual(reports.last?.total, 6)
    XCTAssertTrue(reports.last?.isFinished ?? false)
  }
}
