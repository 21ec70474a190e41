import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class GradientTimesInputTests: XCTestCase {
  func testGradientTimesInputOfALinearModelIsWeightTimesInput() throws {
    let model = LinearTestClassifier()
    let image = testImage()
    let attribution = try GradientTimesInput(classifier: model).attribute(image, target: 0)
    assertAllClose(attribution, model.weight[index: 0].reshaped(to: [3, 4, 5]) * image)
    // Its sum is the logit without the bias.
    let logit = model.logits(image.expandingShape(at: 0)).scalars[0]
    XCTAssertEqual(attribution.sum(), logit - model.bias.scalars[0], accuracy: 1e-4)
  }

  func testGradientTimesInputRejectsATargetOutOfRange() {
    XCTAssertThrowsError(
      try GradientTimesInput(classifier: LinearTestClassifier()).attribute(testImage(), target: 9)
    ) {
      XCTAssertEqual($0 as? AttributionError, .targetOutOfRange(target: 9, classCount: 3))
    }
  }
}
