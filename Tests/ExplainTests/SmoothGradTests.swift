import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class SmoothGradTests: XCTestCase {
  func testSmoothGradWithZeroNoiseEqualsSaliency() throws {
    let model = ReLUTestClassifier()
    let image = testImage()
    let smooth = try SmoothGrad(classifier: model, noiseLevel: 0, sampleCount: 5, batchSize: 2)
    let signed = try Saliency(classifier: model, variant: .signed).attribute(image, target: 1)
    assertAllClose(try smooth.attribute(image, target: 1), signed)
    let squared = try SmoothGrad(
      classifier: model, noiseLevel: 0, sampleCount: 3, variant: .squared)
    assertAllClose(try squared.attribute(image, target: 1), signed * signed)
  }

  func testSameSeedIsBitIdenticalADifferentSeedDiffersAndBatchSizeDoesNotMatter() throws {
    let model = ReLUTestClassifier()
    let image = testImage()
    let a = try SmoothGrad(classifier: model, sampleCount: 12, batchSize: 5, seed: 3)
      .attribute(image, target: 0)
    let b = try SmoothGrad(classifier: model, sampleCount: 12, batchSize: 5, seed: 3)
      .attribute(image, target: 0)
    let c = try SmoothGrad(classifier: model, sampleCount: 12, batchSize: 5, seed: 4)
      .attribute(image, target: 0)
    XCTAssertEqual(a.scalars, b.scalars)
    XCTAssertNotEqual(a.scalars, c.scalars)
    let oneByOne = try SmoothGrad(classifier: model, sampleCount: 12, batchSize: 1, seed: 3)
      .attribute(image, target: 0)
    assertAllClose(oneByOne, a)
  }

  func testSmoothGradIsTheMeanGradientOverItsNoisySamples() throws {
    // Reproduce the noise draw: σ = 0.15 · (max − min), samples in order from one generator.
    let model = ReLUTestClassifier()
    let image = testImage()
    let pixels = image.scalars
    let sigma = 0.15 * ((pixels.max() ?? 0) - (pixels.min() ?? 0))
    var generator = SeededGenerator(seed: 9)
    var expected = Tensor(zeros: [3, 4, 5])
    for _ in 0..<4 {
      let noise = pixels.map { $0 + sigma * generator.nextGaussian() }
      let noisy = Tensor(shape: [3, 4, 5], scalars: noise)
      expected += try Saliency(classifier: model, variant: .signed).attribute(noisy, target: 2)
    }
    let smooth = try SmoothGrad(classifier: model, sampleCount: 4, batchSize: 3, seed: 9)
    assertAllClose(try smooth.attribute(image, target: 2), expected / 4)
  }

  func testInvalidParametersThrow() {
    let model = LinearTestClassifier()
    XCTAssertThrowsError(try SmoothGrad(classifier: model, sampleCount: 0)) {
      XCTAssertEqual($0 as? AttributionError, .invalidParameter("sampleCount must be ≥ 1, not 0."))
    }
    XCTAssertThrowsError(try SmoothGrad(classifier: model, noiseLevel: -0.1))
    XCTAssertThrowsError(try SmoothGrad(classifier: model, noiseLevel: .nan))
    XCTAssertThrowsError(try SmoothGrad(classifier: model, batchSize: 0))
  }
}
