import XCTest

@testable import Tensor

final class Convolution2DConfigurationTests: XCTestCase {
  func testOutputSizeFollowsTheDilatedKernelFormula() {
    // H: ⌊(7 + 1 + 2 − 2·2 − 1) / 2⌋ + 1 = 3; W: ⌊(5 + 0 + 1 − 2·1 − 1) / 1⌋ + 1 = 4.
    let configuration = Convolution2DConfiguration(
      stride: (2, 1), dilation: (2, 2), padding: .explicit(top: 1, bottom: 2, left: 0, right: 1))
    XCTAssertEqual(
      configuration.outputShape(inputShape: [2, 3, 7, 5], weightShape: [4, 3, 3, 2]),
      [2, 4, 3, 4])
  }

  func testScalarInitializerSetsBothAxes() {
    let configuration = Convolution2DConfiguration(stride: 2, dilation: 3, groups: 4)
    XCTAssertEqual(
      configuration, Convolution2DConfiguration(stride: (2, 2), dilation: (3, 3), groups: 4))
    XCTAssertNotEqual(
      configuration, Convolution2DConfiguration(stride: (2, 1), dilation: (3, 3), groups: 4))
  }

  func testGeometryRecognisesPointwiseAndDepthwiseShapes() {
    let pointwise = Convolution2DGeometry(
      inputShape: [1, 8, 5, 5], weightShape: [4, 8, 1, 1],
      configuration: Convolution2DConfiguration())
    XCTAssertTrue(pointwise.isPointwise)
    XCTAssertFalse(pointwise.isDepthwise)
    let strided = Convolution2DGeometry(
      inputShape: [1, 8, 5, 5], weightShape: [4, 8, 1, 1],
      configuration: Convolution2DConfiguration(stride: 2))
    XCTAssertFalse(strided.isPointwise)
    let depthwise = Convolution2DGeometry(
      inputShape: [1, 8, 5, 5], weightShape: [16, 1, 3, 3],
      configuration: Convolution2DConfiguration(groups: 8))
    XCTAssertTrue(depthwise.isDepthwise)
    XCTAssertEqual(depthwise.multiplyAdds, 16 * 9 * 9)
  }
}
