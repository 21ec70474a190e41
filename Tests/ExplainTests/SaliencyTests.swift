import Imaging
import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class SaliencyTests: XCTestCase {
  func testSignedSaliencyOfALinearModelIsItsWeightRow() throws {
    let model = LinearTestClassifier()
    for target in 0..<3 {
      let attribution = try Saliency(classifier: model, variant: .signed)
        .attribute(testImage(), target: target)
      assertAllClose(attribution, model.weight[index: target].reshaped(to: [3, 4, 5]))
    }
  }

  func testAbsoluteSaliencyIsAbsoluteWeightAndItsMapIsTheMaximumOverChannels() throws {
    let model = LinearTestClassifier()
    let saliency = Saliency(classifier: model)
    let row = model.weight[index: 1].scalars
    let attribution = try saliency.attribute(testImage(), target: 1)
    assertAllClose(attribution, Tensor(shape: [3, 4, 5], scalars: row.map { Swift.abs($0) }))
    let expectedMap = (0..<20).map { pixel in
      (0..<3).map { Swift.abs(row[$0 * 20 + pixel]) }.max() ?? 0
    }
    assertAllClose(
      try saliency.map(testImage(), target: 1), Tensor(shape: [4, 5], scalars: expectedMap))
  }

  func testSaliencyOfAReLUNetworkMatchesFiniteDifferences() throws {
    let model = ReLUTestClassifier()
    let image = testImage()
    let attribution = try Saliency(classifier: model, variant: .signed)
      .attribute(image, target: 2)
    assertGradientMatchesFiniteDifferences(
      attribution, of: { Double(model.logits($0.expandingShape(at: 0)).scalars[2]) },
      at: image, step: 1e-3)
  }

  func testLite0EspressoSaliencyIsFiniteNonZeroAndIGCompletenessErrorBelowFivePercent() throws {
    let classifier = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let espresso = 967
    let attribution = try Saliency(classifier: classifier).attribute(crop, target: espresso)
    XCTAssertEqual(attribution.shape, [3, 224, 224])
    let values = attribution.scalars
    XCTAssertTrue(values.allSatisfy { $0.isFinite })
    XCTAssertGreaterThan(values.max() ?? 0, 0)
    XCTAssertGreaterThan(values.filter { $0 > 0 }.count, values.count / 2)

    let integrated = try IntegratedGradients(
      classifier: classifier, stepCount: 32, rule: .gaussLegendre, batchSize: 8)
    let result = try integrated.attributeWithCompleteness(crop, target: espresso)
    let gap = Swift.abs(result.targetAtInput - result.targetAtBaseline)
    XCTAssertGreaterThan(gap, 1)
    XCTAssertLessThan(result.completenessError, 0.05 * gap)
    print(
      "Lite0 espresso IG (32 Gauss–Legendre steps): f(x) = \(result.targetAtInput),",
      "f(0) = \(result.targetAtBaseline), completeness error = \(result.completenessError)")
  }
}
