import Explain
import Models
import Tensor
import TestSupport
import XCTest

/// logits = W · vec(x) + b on images `[3, 4, 5]`, two classes.
private struct OcclusionLinearModel: ImageClassifier {
  let weight: Tensor  // [2, 60]
  let bias: Tensor  // [2]
  var inputSize: (height: Int, width: Int) { (4, 5) }
  var classNames: [String] { ["first", "second"] }

  init(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    weight = Tensor.uniform([2, 60], low: -1, high: 1, using: &generator)
    bias = Tensor(shape: [2], scalars: [0.3, -0.7])
  }

  func logits(_ images: Tensor) -> Tensor {
    let n = images.shape[0]
    let x = images.contiguous().scalars
    let w = weight.scalars
    var result = [Float](repeating: 0, count: n * 2)
    for image in 0..<n {
      for k in 0..<2 {
        var sum = bias.scalars[k]
        for p in 0..<60 { sum += w[k * 60 + p] * x[image * 60 + p] }
        result[image * 2 + k] = sum
      }
    }
    return Tensor(shape: [n, 2], scalars: result)
  }
  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let (n, weight) = (images.shape[0], weight)
    return (logits(images), { seed in matmul(seed, weight).reshaped(to: [n, 3, 4, 5]) })
  }
  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }
  func features(_ images: Tensor) -> Tensor { logits(images) }
}

final class OcclusionTests: XCTestCase {
  private let model = OcclusionLinearModel(seed: 3)

  private func image() -> Tensor {
    var generator = SeededGenerator(seed: 11)
    return Tensor.uniform([3, 4, 5], using: &generator)
  }

  /// For a linear model a window's drop is d_w = Σ_{p ∈ w, all channels} W_c[p] (x[p] − b); the
  /// attribution of a pixel is the mean of d_w over the windows covering it.
  func testLinearModelEqualsClosedForm() throws {
    let x = image()
    let pixels = x.scalars
    let w = model.weight.scalars
    let baseline: Float = 0.25
    let cases = [((2, 3), (1, 1)), ((2, 2), (2, 1)), ((3, 2), (1, 2)), ((1, 1), (1, 1))]
    for (patch, stride) in cases {
      let occlusion = try Occlusion(
        classifier: model, patch: (patch.0, patch.1), stride: (stride.0, stride.1),
        baseline: baseline, batchSize: 4)
      let attribution = try occlusion.attribute(x, target: 1)
      var sums = [Double](repeating: 0, count: 20)
      var counts = [Double](repeating: 0, count: 20)
      var row = 0
      while row + patch.0 <= 4 {
        var column = 0
        while column + patch.1 <= 5 {
          var drop = 0.0
          for c in 0..<3 {
            for i in row..<(row + patch.0) {
              for j in column..<(column + patch.1) {
                let p = c * 20 + i * 5 + j
                drop += Double(w[60 + p]) * Double(pixels[p] - baseline)
              }
            }
          }
          for i in row..<(row + patch.0) {
            for j in column..<(column + patch.1) {
              sums[i * 5 + j] += drop
              counts[i * 5 + j] += 1
            }
          }
          column += stride.1
        }
        row += stride.0
      }
      let plane = zip(sums, counts).map { Float($1 > 0 ? $0 / $1 : 0) }
      let expected = Tensor(shape: [3, 4, 5], scalars: plane + plane + plane)
      assertAllClose(
        attribution, expected, absoluteTolerance: 1e-5, "patch \(patch) stride \(stride)")
    }
  }

  func testSinglePixelWindowsGiveWeightTimesDifferenceSummedOverChannels() throws {
    let x = image()
    let occlusion = try Occlusion(classifier: model, patch: (1, 1), stride: (1, 1))
    let attribution = try occlusion.attribute(x, target: 0)
    let w = model.weight.scalars
    for i in 0..<4 {
      for j in 0..<5 {
        var expected: Float = 0
        for c in 0..<3 { expected += w[c * 20 + i * 5 + j] * x[c, i, j] }
        for c in 0..<3 { XCTAssertEqual(attribution[c, i, j], expected, accuracy: 1e-5) }
      }
    }
  }

  func testPixelsNoWindowCoversGetZero() throws {
    // Width 5, windows 2 wide every 2 columns: columns 0–3 are covered, column 4 is not.
    let occlusion = try Occlusion(classifier: model, patch: (4, 2), stride: (1, 2))
    let attribution = try occlusion.attribute(image(), target: 0)
    for c in 0..<3 {
      for i in 0..<4 {
        XCTAssertEqual(attribution[c, i, 4], 0)
        XCTAssertNotEqual(attribution[c, i, 0], 0)
      }
    }
  }

  func testBatchSizeDoesNotChangeTheResult() throws {
    let x = image()
    let results = try [1, 3, 100].map { batchSize in
      try Occlusion(classifier: model, patch: (2, 2), stride: (1, 1), batchSize: batchSize)
        .attribute(x, target: 1)
    }
    XCTAssertEqual(results[0].scalars, results[1].scalars)
    XCTAssertEqual(results[0].scalars, results[2].scalars)
  }

  func testInvalidParametersThrow() throws {
    func assertInvalid(_ body: () throws -> Void, line: UInt = #line) {
      XCTAssertThrowsError(try body(), line: line) { error in
        guard case AttributionError.invalidParameter = error else {
          return XCTFail("Expected invalidParameter, got \(error)", line: line)
        }
      }
    }
    assertInvalid { _ = try Occlusion(classifier: self.model, patch: (0, 2), stride: (1, 1)) }
    assertInvalid { _ = try Occlusion(classifier: self.model, patch: (2, 2), stride: (1, 0)) }
    assertInvalid {
      _ = try Occlusion(classifier: self.model, patch: (2, 2), stride: (1, 1), batchSize: 0)
    }
    assertInvalid {
      _ = try Occlusion(classifier: self.model, patch: (2, 2), stride: (1, 1), baseline: .nan)
    }
    assertInvalid {
      _ = try Occlusion(classifier: self.model, patch: (5, 2), stride: (1, 1))
        .attribute(self.image(), target: 0)
    }
    let occlusion = try Occlusion(classifier: model, patch: (2, 2), stride: (1, 1))
    XCTAssertThrowsError(try occlusion.attribute(Tensor(zeros: [3, 4, 4]), target: 0)) { error in
      XCTAssertEqual(
        error as? AttributionError, .wrongImageShape(expected: [3, 4, 5], found: [3, 4, 4]))
    }
  }
}
