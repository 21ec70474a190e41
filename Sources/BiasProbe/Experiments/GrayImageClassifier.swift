import Models
import Tensor

/// A classifier of gray images seen through the library's colour seam: it takes `[N, 3, H, W]`
/// images in [0, 1], averages the three channels into one gray channel and runs a one-channel
/// `Classifier` (such as the `SmallCNN` trained on Fashion-MNIST) on the result.
///
/// A gray picture stored as three equal channels gives the gray network's logits (up to the
/// rounding of the channel average); the pullback spreads `∂L/∂gray` evenly over the channels (`∂L/∂x_k = ⅓ ∂L/∂gray`), which is the
/// true gradient of the channel average. Saliency, DeepFool and the feature-space selectors then
/// work on Fashion-MNIST models unchanged.
///
/// ```swift
/// let classifier = GrayImageClassifier(network: trainedCNN, classNames: FashionMNIST.classNames)
/// let logits = classifier.logits(GrayImageClassifier.colored(test.images))  // [N, 10]
/// ```
///
/// - Complexity: the wrapped network's cost plus O(N · 3 · H · W) for the channel average.
public struct GrayImageClassifier: ImageClassifier {
  /// The one-channel classifier (identity normalisation, no resize, crop to the input size).
  public let gray: Classifier

  /// Wraps `network`, which takes `[N, 1, H, W]` images in [0, 1], of spatial size `inputSize`.
  public init(
    network: any ClassificationNetwork, inputSize: (height: Int, width: Int) = (28, 28),
    classNames: [String]
  ) {
    self.gray = Classifier(
      network: network, normalization: Normalization(scale: [1], shift: [0]),
      preprocessing: Preprocessing(resizeShorterSide: nil, cropSize: inputSize),
      classNames: classNames)
  }

  public var inputSize: (height: Int, width: Int) { gray.inputSize }
  public var classNames: [String] { gray.classNames }

  public func logits(_ images: Tensor) -> Tensor {
    gray.logits(Self.grayed(images))
  }

  public func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let (logits, pullback) = gray.logitsWithPullback(Self.grayed(images))
    return (logits, { Self.spread(pullback($0)) })
  }

  public func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    let (logits, activation, pullback) = try gray.logitsWithPullback(
      Self.grayed(images), capturing: layer)
    return (
      logits, activation,
      { seed in
        let (images, activation) = pullback(seed)
        return (Self.spread(images), activation)
      }
    )
  }

  public func features(_ images: Tensor) -> Tensor {
    gray.features(Self.grayed(images))
  }

  /// `[N, 1, H, W]` → `[N, 3, H, W]`: the gray channel repeated three times.
  ///
  /// - Precondition: `images` is `[N, 1, H, W]`.
  public static func colored(_ images: Tensor) -> Tensor {
    precondition(
      images.rank == 4 && images.shape[1] == 1,
      "Gray images are [N, 1, H, W], not \(images.shape).")
    return images.broadcast(to: [images.shape[0], 3, images.shape[2], images.shape[3]])
      .contiguous()
  }

  /// `[N, 3, H, W]` → `[N, 1, H, W]`: the mean of the channels.
  static func grayed(_ images: Tensor) -> Tensor {
    precondition(
      images.rank == 4 && images.shape[1] == 3,
      "Images must be [N, 3, H, W], not \(images.shape).")
    return images.mean(alongAxes: [1], keepingDimensions: true)
  }

  /// `∂L/∂gray` `[N, 1, H, W]` → `∂L/∂images` `[N, 3, H, W]`, a third in each channel.
  static func spread(_ gradient: Tensor) -> Tensor {
    (gradient * (1 / 3)).broadcast(
      to: [gradient.shape[0], 3, gradient.shape[2], gradient.shape[3]]
    ).contiguous()
  }
}
