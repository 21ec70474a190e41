import Explain
import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// conv "0" (1×1, 3 → 4 channels) → global average pool "1" → linear "2" (4 → 3 classes).
private struct PooledConvNetwork: ClassificationNetwork {
  var body: Sequential
  var featureLayer: String { "1" }
  var lastConvolutionalLayer: String { "0" }
  var layerPaths: [String] { ["0", "1", "2"] }

  func callAsFunction(_ input: Tensor) -> Tensor { body(input) }

  func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
    body.forward(input, context: context)
  }
}

/// A classifier that is not a `Classifier`: logits = sum of pixels, one class.
private struct PixelSumClassifier: ImageClassifier {
  var inputSize: (height: Int, width: Int) { (2, 2) }
  var classNames: [String] { ["sum"] }
  func logits(_ images: Tensor) -> Tensor {
    images.reshaped(to: [images.shape[0], -1]).sum(alongAxes: 1, keepingDimensions: true)
  }
  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let shape = images.shape
    return (
      logits(images),
      { seed in Tensor(shape: shape, repeating: 1) * seed.reshaped(to: [shape[0], 1, 1, 1]) }
    )
  }
  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }
  func features(_ images: Tensor) -> Tensor { logits(images) }
}

final class GradCAMTests: XCTestCase {
  let convWeight: [Float] = [  // [4, 3]
    0.5, -1.0, 0.25,
    -0.75, 0.5, 1.0,
    1.5, 0.25, -0.5,
    -0.25, -0.5, 0.75,
  ]
  let convBias: [Float] = [0.1, -0.2, 0.05, 0.3]
  let linearWeight: [Float] = [  // [3, 4]
    1.0, -2.0, 0.5, 0.75,
    -0.5, 1.5, -1.0, 2.0,
    0.25, 0.5, 1.25, -1.5,
  ]

  private func makeClassifier(height: Int, width: Int, stride: Int) -> Classifier {
    let conv = Conv2D(
      weight: Tensor(shape: [4, 3, 1, 1], scalars: convWeight),
      bias: Tensor(shape: [4], scalars: convBias),
      configuration: Convolution2DConfiguration(stride: stride))
    let linear = Linear(weight: Tensor(shape: [3, 4], scalars: linearWeight))
    let network = PooledConvNetwork(body: Sequential([conv, GlobalAveragePool2D(), linear]))
    return Classifier(
      network: network, normalization: .identity,
      preprocessing: Preprocessing(resizeShorterSide: nil, cropSize: (height, width)),
      classNames: ["a", "b", "c"])
  }

  private func image(height: Int, width: Int) -> Tensor {
    var generator = SeededGenerator(seed: 7)
    return Tensor.uniform([3, height, width], using: &generator)
  }

  /// With conv → global average pool → linear, ∂y_c/∂A_k = w_ck / (hw) everywhere, so
  /// Grad-CAM = ReLU(Σ_k w_ck A_k) / (hw), with A_k = Σ_c W_kc x_c + b_k computed by hand.
  func testGradCAMOfPooledLinearHeadEqualsHandFormula() throws {
    let (height, width) = (4, 5)
    let x = image(height: height, width: width)
    let cam = try GradCAM(classifier: makeClassifier(height: height, width: width, stride: 1))
    XCTAssertEqual(cam.layer, "0")
    let pixels = x.scalars
    let plane = height * width
    var clippedCount = 0
    for target in 0..<3 {
      var expected = [Float](repeating: 0, count: plane)
      for p in 0..<plane {
        var value: Float = 0
        for k in 0..<4 {
          var a = convBias[k]
          for c in 0..<3 { a += convWeight[k * 3 + c] * pixels[c * plane + p] }
          value += linearWeight[target * 4 + k] * a
        }
        if value < 0 { clippedCount += 1 }
        expected[p] = max(value, 0) / Float(plane)
      }
      let coarse = try cam.layerMap(x, target: target)
      XCTAssertEqual(coarse.shape, [height, width])
      assertAllClose(
        coarse, Tensor(shape: [height, width], scalars: expected), absoluteTolerance: 1e-5)
      // Same resolution: the upsampling is the identity, and attribute repeats the map.
      let attribution = try cam.attribute(x, target: target)
      XCTAssertEqual(attribution.shape, [3, height, width])
      for channel in 0..<3 {
        assertAllClose(
          attribution.selecting(axis: 0, index: channel), coarse, absoluteTolerance: 1e-6)
      }
    }
    XCTAssertGreaterThan(clippedCount, 0, "the weights must make the ReLU clip some pixels")
  }

  func testMapIsUpsampledBilinearlyToTheImageSize() throws {
    let (height, width) = (4, 6)
    let x = image(height: height, width: width)
    let cam = try GradCAM(classifier: makeClassifier(height: height, width: width, stride: 2))
    let coarse = try cam.layerMap(x, target: 1)
    XCTAssertEqual(coarse.shape, [2, 3])
    let map = try cam.map(x, target: 1)
    XCTAssertEqual(map.shape, [height, width])
    // Half-pixel centres with clamped edges: the corners copy the coarse corners, and an inner
    // output pixel (row 1, column 1) samples at (0.25, 0.25): weights 0.75/0.25 on both axes.
    XCTAssertEqual(map[0, 0], coarse[0, 0], accuracy: 1e-6)
    XCTAssertEqual(map[height - 1, width - 1], coarse[1, 2], accuracy: 1e-6)
    let inner =
      0.5625 * coarse[0, 0] + 0.1875 * coarse[0, 1] + 0.1875 * coarse[1, 0] + 0.0625 * coarse[1, 1]
    XCTAssertEqual(map[1, 1], inner, accuracy: 1e-6)
  }

  func testInvalidInputsThrowTypedErrors() throws {
    XCTAssertThrowsError(try GradCAM(classifier: PixelSumClassifier())) { error in
      guard case AttributionError.invalidParameter = error else {
        return XCTFail("Expected invalidParameter, got \(error)")
      }
    }
    let classifier = makeClassifier(height: 4, width: 5, stride: 1)
    let cam = try GradCAM(classifier: classifier)
    XCTAssertThrowsError(try cam.map(Tensor(zeros: [3, 5, 4]), target: 0)) { error in
      XCTAssertEqual(
        error as? AttributionError, .wrongImageShape(expected: [3, 4, 5], found: [3, 5, 4]))
    }
    XCTAssertThrowsError(try cam.map(Tensor(zeros: [3, 4, 5]), target: 3)) { error in
      XCTAssertEqual(error as? AttributionError, .targetOutOfRange(target: 3, classCount: 3))
    }
    let missing = try GradCAM(classifier: classifier, layer: "nope")
    XCTAssertThrowsError(try missing.map(Tensor(zeros: [3, 4, 5]), target: 0)) { error in
      guard case ClassifierError.unknownLayer("nope", _) = error else {
        return XCTFail("Expected unknownLayer, got \(error)")
      }
    }
  }

  /// Observed: the espresso map peaks at (row 79, column 111) of the 224×224 crop, value 0.72, on
  /// the coffee surface inside the cup (the cup's opening spans about rows 40–130 and columns
  /// 40–180; the saucer, spoon and table stay dark in the rendered panel).
  func testLite0EspressoMapPeaksOnTheCup() throws {
    let classifier = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    let image = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let espresso = 967
    XCTAssertEqual(classifier.classNames[espresso], "espresso")
    let map = try GradCAM(classifier: classifier).map(image, target: espresso)
    XCTAssertEqual(map.shape, [224, 224])
    let values = map.scalars
    XCTAssertTrue(values.allSatisfy { $0.isFinite && $0 >= 0 })
    let peakIndex = try XCTUnwrap(values.indices.max { values[$0] < values[$1] })
    XCTAssertGreaterThan(values[peakIndex], 0)
    let (row, column) = (peakIndex / 224, peakIndex % 224)
    print("Lite0 espresso Grad-CAM peak \(values[peakIndex]) at row \(row), column \(column)")
    XCTAssertTrue(
      (40..<130).contains(row) && (40..<180).contains(column), "peak at (\(row), \(column))")
    // The map is concentrated: the cup's opening holds more of it than the rest of the image.
    var inside: Float = 0
    for i in 40..<130 { for j in 40..<180 { inside += values[i * 224 + j] } }
    XCTAssertGreaterThan(inside, values.reduce(0, +) - inside)
  }
}
