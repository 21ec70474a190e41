import TestSupport
import XCTest

@testable import Tensor

/// The Winograd F(2×2, 3×3) kernel against the textbook convolution (in Double), on odd sizes,
/// every padding, batches, several blocks of tiles, with and without bias, on 1 and 2 threads.
final class Convolution2DWinogradTests: XCTestCase {
  /// Asserts that the Winograd kernel agrees with the textbook sum within `1e-5 · Σ|w|·|x|` of
  /// each output's window (plus 1e-6 for the bias), and returns its output.
  @discardableResult
  func assertWinogradMatchesReference(
    inputShape: [Int], weightShape: [Int], padding: (Int, Int, Int, Int), bias: Bool,
    seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) -> Tensor {
    // Arrange
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal(inputShape, using: &rng)
    let w = Tensor.normal(weightShape, using: &rng)
    let b = bias ? Tensor.normal([weightShape[0]], using: &rng) : nil
    let setup = ReferenceConvolution.Setup(padding: padding)
    let geometry = Convolution2DGeometry(
      inputShape: inputShape, weightShape: weightShape, configuration: setup.configuration)
    XCTAssertTrue(Winograd.isEligible(geometry), file: file, line: line)
    // Act
    let y = Tensor.convolution2D(x, weight: w, bias: b, geometry: geometry, algorithm: .winograd)
    // Assert
    let expected = ReferenceConvolution.forward(x, w, b, setup).scalars
    let (xs, ws) = (x.scalars, w.scalars)
    var magnitude = [Double](repeating: 0, count: expected.count)
    ReferenceConvolution.forEachProduct(input: inputShape, weight: weightShape, setup) {
      xi, wi, yi in magnitude[yi] += Double(abs(xs[xi]) * abs(ws[wi]))
    }
    XCTAssertEqual(y.shape, geometry.outputShape, file: file, line: line)
    var worst = 0.0
    for (index, value) in y.scalars.enumerated() {
      let error = abs(Double(value) - Double(expected[index]))
      worst = max(worst, error / (magnitude[index] + 1e-3))
      if error > 1e-5 * magnitude[index] + 1e-6 {
        XCTFail(
          "output \(index): \(value) vs \(expected[index]) (window magnitude "
            + "\(magnitude[index]))", file: file, line: line)
        break
      }
    }
    XCTAssertLessThan(worst, 1e-5, file: file, line: line)
    return y
  }

  func testOddSizesWithSymmetricPaddingMatchDirectLoops() {
    for threads in [1, 2] {
      withComputeThreads(threads) {
        assertWinogradMatchesReference(
          inputShape: [1, 5, 7, 9], weightShape: [3, 5, 3, 3], padding: (1, 1, 1, 1),
          bias: true, seed: 1)
        assertWinogradMatchesReference(
          inputShape: [3, 17, 11, 5], weightShape: [19, 17, 3, 3], padding: (1, 1, 1, 1),
          bias: false, seed: 2)
      }
    }
  }

  func testNoPaddingAndAsymmetricPaddingMatchDirectLoops() {
    for threads in [1, 2] {
      withComputeThreads(threads) {
        assertWinogradMatchesReference(
          inputShape: [2, 4, 9, 8], weightShape: [6, 4, 3, 3], padding: (0, 0, 0, 0), bias: true,
          seed: 3)
        assertWinogradMatchesReference(
          inputShape: [2, 4, 6, 7], weightShape: [5, 4, 3, 3], padding: (0, 2, 1, 0), bias: true,
          seed: 4)
        // A 3×3 input without padding: a single output, half of the only tile clipped.
        assertWinogradMatchesReference(
          inputShape: [1, 2, 3, 3], weightShape: [2, 2, 3, 3], padding: (0, 0, 0, 0),
          bias: false, seed: 5)
      }
    }
  }

  func testSeveralBlocksOfTilesMatchDirectLoopsAndDoNotDependOnTheThreadCount() {
    // 2 · 20 · 20 = 800 tiles of 16 + 16 channels: 3 blocks (384 tiles fit 768 KiB), which two
    // workers share phase by phase; 4 images make 5 blocks, which they take whole.
    for batch in [2, 4] {
      let outputs = (1...2).map { threads in
        withComputeThreads(threads) {
          assertWinogradMatchesReference(
            inputShape: [batch, 16, 40, 40], weightShape: [16, 16, 3, 3],
            padding: (1, 1, 1, 1), bias: true, seed: 6)
        }
      }
      XCTAssertEqual(outputs[0].scalars, outputs[1].scalars)
    }
  }

  func testResNetShapesChooseWinogradWhereTheMapIsLarge() {
    func algorithm(_ input: [Int], _ weight: [Int]) -> Convolution2DAlgorithm {
      Convolution2DAlgorithm(
        Convolution2DGeometry(
          inputShape: input, weightShape: weight,
          configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1))))
    }
    XCTAssertEqual(algorithm([1, 64, 56, 56], [64, 64, 3, 3]), .winograd)
    XCTAssertEqual(algorithm([1, 128, 28, 28], [128, 128, 3, 3]), .winograd)
    XCTAssertEqual(algorithm([1, 256, 14, 14], [256, 256, 3, 3]), .winograd)
    XCTAssertEqual(algorithm([32, 512, 7, 7], [512, 512, 3, 3]), .winograd)
    // Too few tiles (a quarter of them clipped on 7×7), too few channels, a stride: im2col +
    // GEMM.
    XCTAssertEqual(algorithm([1, 512, 7, 7], [512, 512, 3, 3]), .patchMatrix)
    XCTAssertEqual(algorithm([4, 512, 7, 7], [512, 512, 3, 3]), .patchMatrix)
    XCTAssertEqual(algorithm([1, 3, 56, 56], [64, 3, 3, 3]), .patchMatrix)
    let strided = Convolution2DGeometry(
      inputShape: [1, 64, 56, 56], weightShape: [64, 64, 3, 3],
      configuration: Convolution2DConfiguration(stride: 2, padding: .symmetric(1)))
    XCTAssertFalse(Winograd.isEligible(strided))
  }

  func testSlabStridesAreWholeCacheLinesButNeverMultiplesOfOneKibibyte() {
    for size in [1, 100, 255, 256, 4096, 6144, 16384, 64 * 96, 128 * 196] {
      let slab = Winograd.slab(size)
      XCTAssertGreaterThanOrEqual(slab, size)
      XCTAssertEqual(slab % 16, 0, "\(size)")
      XCTAssertNotEqual(slab % 256, 0, "\(size)")
      XCTAssertLessThanOrEqual(slab, size + 31)
    }
  }

  func testGradientsOfShapesThatRunWinogradForwardAreTheDenseConvolutionsGradients() {
    // 14×14 with 16 channels: 49 whole tiles, so the forward pass runs Winograd; the input and
    // weight gradients must still be the dense convolution's (not the depthwise kernels').
    let setup = ReferenceConvolution.Setup(padding: (1, 1, 1, 1))
    let (inputShape, weightShape) = ([1, 16, 14, 14], [16, 16, 3, 3])
    let configuration = setup.configuration
    XCTAssertEqual(
      Convolution2DAlgorithm(
        Convolution2DGeometry(
          inputShape: inputShape, weightShape: weightShape, configuration: configuration)),
      .winograd)
    var rng = SeededGenerator(seed: 40)
    let x = Tensor.normal(inputShape, using: &rng)
    let w = Tensor.normal(weightShape, using: &rng)
    let dy = Tensor.normal([1, 16, 14, 14], using: &rng)
    for threads in [1, 2] {
      withComputeThreads(threads) {
        let dx = Tensor.convolution2DInputGradient(
          dy, weight: w, inputShape: inputShape, configuration: configuration)
        let dw = Tensor.convolution2DWeightGradient(
          dy, input: x, weightShape: weightShape, configuration: configuration)
        assertAllClose(
          dx, ReferenceConvolution.inputGradient(dy, w, inputShape: inputShape, setup),
          absoluteTolerance: 1e-3, relativeTolerance: 1e-4)
        assertAllClose(
          dw, ReferenceConvolution.weightGradient(dy, x, weightShape: weightShape, setup),
          absoluteTolerance: 1e-3, relativeTolerance: 1e-4)
      }
    }
  }
}
