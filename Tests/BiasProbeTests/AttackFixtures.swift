import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// An affine classifier `f(x) = W·vec(x) + b` on `[N, 3, side, side]` images: the model whose
/// decision boundaries are hyperplanes, so DeepFool and FGSM have closed forms.
struct AffineClassifier: ImageClassifier {
  /// `[K, 3·side·side]`, row-major.
  var weights: [Float]
  /// `[K]`.
  var bias: [Float]
  var side: Int

  var inputSize: (height: Int, width: Int) { (side, side) }
  var classNames: [String] { (0..<bias.count).map { "class \($0)" } }
  var dimension: Int { 3 * side * side }

  /// Seeded Gaussian weights and biases.
  init(classes: Int, side: Int, seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    self.side = side
    weights = (0..<classes * 3 * side * side).map { _ in generator.nextGaussian() }
    bias = (0..<classes).map { _ in generator.nextGaussian() }
  }

  func logits(_ images: Tensor) -> Tensor {
    let x = images.contiguous().scalars
    let (n, k, d) = (images.shape[0], bias.count, dimension)
    var out = [Float](repeating: 0, count: n * k)
    for row in 0..<n {
      for c in 0..<k {
        var sum = Double(bias[c])
        for j in 0..<d { sum += Double(weights[c * d + j]) * Double(x[row * d + j]) }
        out[row * k + c] = Float(sum)
      }
    }
    return Tensor(shape: [n, k], scalars: out)
  }

  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let (weights, k, d, shape) = (self.weights, bias.count, dimension, images.shape)
    return (
      logits(images),
      { seed in
        let s = seed.contiguous().scalars
        let n = shape[0]
        var gradient = [Float](repeating: 0, count: n * d)
        for row in 0..<n {
          for c in 0..<k where s[row * k + c] != 0 {
            for j in 0..<d { gradient[row * d + j] += s[row * k + c] * weights[c * d + j] }
          }
        }
        return Tensor(shape: shape, scalars: gradient)
      }
    )
  }

  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }

  func features(_ images: Tensor) -> Tensor { images.reshaped(to: [images.shape[0], -1]) }

  /// Row `c` of `W` as Doubles.
  func row(_ c: Int) -> [Double] { (0..<dimension).map { Double(weights[c * dimension + $0]) } }
}

/// A seeded image `[n, 3, side, side]` with values in [low, high].
func randomImages(count: Int, side: Int, low: Float, high: Float, seed: UInt64) -> Tensor {
  var generator = SeededGenerator(seed: seed)
  let values = (0..<count * 3 * side * side).map { _ in low + (high - low) * generator.nextUnitFloat() }
  return Tensor(shape: [count, 3, side, side], scalars: values)
}

/// EfficientNet-Lite0 with its ImageNet weights, and the bundled photographs as it sees them.
enum Lite0 {
  static func classifier(file: StaticString = #filePath, line: UInt = #line) throws -> Classifier {
    try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth", file: file, line: line),
      labels: assetURL("labels/imagenet_classes.txt", file: file, line: line))
  }

  /// `Assets/images/<name>` decoded and preprocessed (shorter side 256, centre crop 224).
  static func photo(
    _ name: String, for classifier: Classifier, file: StaticString = #filePath, line: UInt = #line
  ) throws -> Tensor {
    try classifier.preprocessing(
      ImageFile.decode(contentsOf: assetURL("images/\(name)", file: file, line: line)))
  }

  /// The ten bundled photographs, in name order.
  static let photographs = [
    "astronaut.png", "camera.png", "chelsea.png", "china.jpg", "coffee.png", "flower.jpg",
    "grace_hopper.jpg", "horse.png", "motorcycle_left.png", "rocket.jpg",
  ]
}

/// `f(x) = W2 · relu(W1 · vec(x) + b1) + b2` on `[N, 3, 4, 4]` images: a small nonlinear model
/// whose DeepFool iterates come from `Tools/make_deepfool_fixtures.py`.
struct ReLUNetwork: ImageClassifier {
  var w1: [[Float]]
  var b1: [Float]
  var w2: [[Float]]
  var b2: [Float]

  var inputSize: (height: Int, width: Int) { (4, 4) }
  var classNames: [String] { (0..<b2.count).map { "class \($0)" } }

  private func hidden(_ x: ArraySlice<Float>) -> [Float] {
    w1.indices.map { h in
      var sum = Double(b1[h])
      for (j, value) in x.enumerated() { sum += Double(w1[h][j]) * Double(value) }
      return Float(sum)
    }
  }

  func logits(_ images: Tensor) -> Tensor { logitsWithPullback(images).logits }

  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let x = images.contiguous().scalars
    let (n, d, k) = (images.shape[0], 48, b2.count)
    var out = [Float](repeating: 0, count: n * k)
    var masks: [[Bool]] = []
    for row in 0..<n {
      let pre = hidden(x[row * d..<(row + 1) * d])
      masks.append(pre.map { $0 > 0 })
      for c in 0..<k {
        var sum = Double(b2[c])
        for h in pre.indices where pre[h] > 0 { sum += Double(w2[c][h]) * Double(pre[h]) }
        out[row * k + c] = Float(sum)
      }
    }
    let (w1, w2, shape) = (self.w1, self.w2, images.shape)
    let frozenMasks = masks
    return (
      Tensor(shape: [n, k], scalars: out),
      { seed in
        let s = seed.contiguous().scalars
        var gradient = [Float](repeating: 0, count: n * d)
        for row in 0..<n {
          for h in w1.indices where frozenMasks[row][h] {
            var g = 0.0
            for c in 0..<k { g += Double(s[row * k + c]) * Double(w2[c][h]) }
            for j in 0..<d { gradient[row * d + j] += Float(g * Double(w1[h][j])) }
          }
        }
        return Tensor(shape: shape, scalars: gradient)
      }
    )
  }

  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }

  func features(_ images: Tensor) -> Tensor { images.reshaped(to: [images.shape[0], -1]) }
}
