import Tensor
import XCTest

final class ConvolutionPaddingTests: XCTestCase {
  func testSamePaddingPutsTheSmallerHalfFirst() {
    // EfficientNet-Lite0 stem: 224 pixels, 3×3, stride 2 → 0 before, 1 after.
    XCTAssertTrue(
      ConvolutionPadding.samePadding(inputSize: 224, kernelSize: 3, stride: 2) == (0, 1))
    // 5×5 stride 2 on 112: total 3.
    XCTAssertTrue(
      ConvolutionPadding.samePadding(inputSize: 112, kernelSize: 5, stride: 2) == (1, 2))
    // Stride 1 keeps the size: total k − 1.
    XCTAssertTrue(ConvolutionPadding.samePadding(inputSize: 7, kernelSize: 3) == (1, 1))
    XCTAssertTrue(ConvolutionPadding.samePadding(inputSize: 7, kernelSize: 4) == (1, 2))
  }

  func testSamePaddingCountsTheDilatedKernel() {
    // Effective kernel (3 − 1)·2 + 1 = 5: total 4 at stride 1.
    XCTAssertTrue(
      ConvolutionPadding.samePadding(inputSize: 9, kernelSize: 3, stride: 1, dilation: 2)
        == (2, 2))
  }

  func testSamePaddingIsZeroWhenTheStrideSkipsPastTheKernel() {
    // 8 pixels, 1×1, stride 2: windows at 0, 2, 4, 6 need no padding.
    XCTAssertTrue(ConvolutionPadding.samePadding(inputSize: 8, kernelSize: 1, stride: 2) == (0, 0))
    // 7 pixels, 2×2, stride 3: windows at 0, 3, 6 need one column after.
    XCTAssertTrue(ConvolutionPadding.samePadding(inputSize: 7, kernelSize: 2, stride: 3) == (0, 1))
  }

  func testEdgesResolveSameFromTheInputAndKeepExplicitAmounts() {
    let same = ConvolutionPadding.same.edges(
      height: 11, width: 10, kernel: (3, 3), stride: (2, 2))
    XCTAssertTrue(same == (1, 1, 0, 1))
    let explicit = ConvolutionPadding.explicit(top: 1, bottom: 2, left: 3, right: 4).edges(
      height: 5, width: 5, kernel: (3, 3), stride: (1, 1))
    XCTAssertTrue(explicit == (1, 2, 3, 4))
    XCTAssertEqual(
      ConvolutionPadding.symmetric(height: 1, width: 2),
      .explicit(top: 1, bottom: 1, left: 2, right: 2))
    XCTAssertEqual(ConvolutionPadding.valid, .symmetric(0))
  }
}
