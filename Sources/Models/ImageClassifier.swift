import Tensor

/// A differentiable image classifier in pixel space: the one seam through which explanations and
/// attacks see a network.
///
/// Images are `[N, 3, H, W]` with values in [0, 1]; the classifier applies its own normalisation,
/// so gradients come back with respect to those pixels. A user's own network conforms by wrapping
/// its layers; the library's architectures conform through `Classifier`.
public protocol ImageClassifier: Sendable {
  /// The spatial size the network expects, `(height, width)`.
  var inputSize: (height: Int, width: Int) { get }
  /// One name per output class, in logit order.
  var classNames: [String] { get }

  /// Logits `[N, K]` for images `[N, 3, H, W]` in [0, 1].
  func logits(_ images: Tensor) -> Tensor

  /// Logits and a pullback mapping `∂L/∂logits` `[N, K]` to `∂L/∂images` `[N, 3, H, W]`.
  func logitsWithPullback(_ images: Tensor) -> (logits: Tensor, pullback: @Sendable (Tensor) -> Tensor)

  /// Logits, the output of the layer at `layer` (a dotted path such as `"layer4"`), and a
  /// pullback giving both the image gradient and the gradient with respect to that activation.
  ///
  /// - Throws: `ClassifierError.unknownLayer` when no layer has that path.
  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  )

  /// Penultimate-layer features `[N, D]` (prototypes and criticisms live in this space).
  func features(_ images: Tensor) -> Tensor
}

/// Errors from running a classifier on caller-provided data.
public enum ClassifierError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No layer has this dotted path; `available` lists some that do.
  case unknownLayer(String, available: [String])
  /// The images do not have the shape the classifier needs.
  case wrongImageShape(expected: String, found: [Int])
  /// The input holds NaN or infinite values.
  case nonFiniteInput(count: Int)

  public var description: String {
    switch self {
    case .unknownLayer(let name, let available):
      return "No layer is named '\(name)'; layers include \(available.prefix(12).joined(separator: ", "))."
    case .wrongImageShape(let expected, let found):
      return "Images must have shape \(expected), not \(found)."
    case .nonFiniteInput(let count):
      return "The input holds \(count) NaN or infinite values."
    }
  }
}

/// One class with its probability.
public struct Prediction: Sendable, Hashable, Codable {
  /// The class index (logit position).
  public var index: Int
  /// The class name.
  public var label: String
  /// The softmax probability.
  public var probability: Float

  public init(index: Int, label: String, probability: Float) {
    self.index = index
    self.label = label
    self.probability = probability
  }
}

extension ImageClassifier {
  /// The `k` most probable classes for each image of a batch of logits `[N, K]`, most probable
  /// first (ties broken by the lower index).
  ///
  /// - Complexity: O(N · K log K).
  public func topPredictions(logits: Tensor, k: Int) -> [[Prediction]] {
    precondition(logits.rank == 2, "Logits must be [N, K], not \(logits.shape).")
    let probabilities = logits.softmax(alongAxis: 1)
    let classes = logits.shape[1]
    let k = min(k, classes)
    return (0..<logits.shape[0]).map { row in
      let p = probabilities[index: row].scalars
      let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
      return order.prefix(k).map { index in
        Prediction(
          index: index, label: index < classNames.count ? classNames[index] : "class \(index)",
          probability: p[index])
      }
    }
  }

  /// The gradient of `Σₙ ⟨seed[n], logits[n]⟩` with respect to the images: one pullback.
  public func inputGradient(_ images: Tensor, logitWeights seed: Tensor) -> Tensor {
    let (_, pullback) = logitsWithPullback(images)
    return pullback(seed)
  }
}
