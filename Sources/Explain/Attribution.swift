import Models
import Tensor

/// Scores how much each input pixel drives one output of a classifier.
public protocol Attribution {
  /// The attribution of `image` `[3, H, W]` (values in [0, 1]) for class `target`: a tensor
  /// shaped like the image, `[3, H, W]`.
  ///
  /// - Throws: `AttributionError` for a wrong shape, a target out of range or non-finite input.
  func attribute(_ image: Tensor, target: Int) throws -> Tensor
}

/// Errors from explaining a prediction with caller-provided data or parameters.
public enum AttributionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The image is not `[3, H, W]`, or not the classifier's input size.
  case wrongImageShape(expected: [Int], found: [Int])
  /// The target class is not a logit index of the classifier.
  case targetOutOfRange(target: Int, classCount: Int)
  /// The image (or a baseline) holds NaN or infinite values.
  case nonFiniteInput
  /// A method parameter is out of its valid range (e.g. sampleCount 0, negative noise).
  case invalidParameter(String)

  public var description: String {
    switch self {
    case .wrongImageShape(let expected, let found):
      return "The image must have shape \(expected), not \(found)."
    case .targetOutOfRange(let target, let classCount):
      return "Target class \(target) is outside 0..<\(classCount)."
    case .nonFiniteInput:
      return "The input holds NaN or infinite values."
    case .invalidParameter(let message):
      return "Invalid parameter: \(message)"
    }
  }
}

/// How a `[3, H, W]` attribution collapses to one value per pixel.
public enum ChannelReduction: Sendable, Hashable, CaseIterable {
  /// `maxₖ |a[k, i, j]|` (Simonyan et al.'s saliency map).
  case maximumAbsolute
  /// `Σₖ a[k, i, j]` (keeps sign; Integrated Gradients' usual map).
  case sum
  /// `Σₖ |a[k, i, j]|`.
  case sumAbsolute
  /// `√(Σₖ a[k, i, j]²)`.
  case l2
}

extension Tensor {
  /// `[C, H, W]` → `[H, W]`: the per-pixel reduction of an attribution over its channels.
  ///
  /// - Complexity: O(C · H · W).
  public func channelReduced(_ reduction: ChannelReduction) -> Tensor {
    precondition(rank == 3, "channelReduced needs a [C, H, W] tensor, not \(shape).")
    let (channels, height, width) = (shape[0], shape[1], shape[2])
    let plane = height * width
    let values = contiguous().scalars
    var result = [Float](repeating: 0, count: plane)
    for channel in 0..<channels {
      let base = channel * plane
      for index in 0..<plane {
        let value = values[base + index]
        switch reduction {
        case .maximumAbsolute: result[index] = Swift.max(result[index], Swift.abs(value))
        case .sum: result[index] += value
        case .sumAbsolute: result[index] += Swift.abs(value)
        case .l2: result[index] += value * value
        }
      }
    }
    if reduction == .l2 { result = result.map { $0.squareRoot() } }
    return Tensor(shape: [height, width], scalars: result)
  }
}

/// Shared checks and helpers of the gradient-based attributions.
enum AttributionInput {
  /// Checks `image` is `[3, H, W]` at the classifier's input size, finite, and `target` is a class.
  static func validate(
    _ image: Tensor, target: Int, classifier: any ImageClassifier
  ) throws {
    let expected = [3, classifier.inputSize.height, classifier.inputSize.width]
    guard image.shape == expected else {
      throw AttributionError.wrongImageShape(expected: expected, found: image.shape)
    }
    let classCount = classifier.classNames.count
    guard (0..<classCount).contains(target) else {
      throw AttributionError.targetOutOfRange(target: target, classCount: classCount)
    }
    guard image.contiguous().scalars.allSatisfy({ $0.isFinite }) else {
      throw AttributionError.nonFiniteInput
    }
  }

  /// A one-hot seed `[n, K]` selecting `target` in each row.
  static func oneHot(rows: Int, classCount: Int, target: Int) -> Tensor {
    var seed = [Float](repeating: 0, count: rows * classCount)
    for row in 0..<rows { seed[row * classCount + target] = 1 }
    return Tensor(shape: [rows, classCount], scalars: seed)
  }

  /// The gradient of the `target` logit with respect to each image of `images` `[n, 3, H, W]`,
  /// flattened row-major (`n · 3 · H · W` values), and the `target` logit of each image.
  ///
  /// - Complexity: one forward and one backward pass of the batch.
  static func targetGradients(
    of classifier: any ImageClassifier, images: Tensor, target: Int
  ) -> (logits: [Float], gradients: [Float]) {
    let rows = images.shape[0]
    let (logits, pullback) = classifier.logitsWithPullback(images)
    let classCount = logits.shape[1]
    let gradient = pullback(oneHot(rows: rows, classCount: classCount, target: target))
    let values = logits.contiguous().scalars
    let targetLogits = (0..<rows).map { values[$0 * classCount + target] }
    return (targetLogits, gradient.contiguous().scalars)
  }
}
