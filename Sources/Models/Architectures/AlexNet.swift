import Tensor

/// AlexNet as torchvision builds it (the single-column variant of "One weird trick").
///
/// Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural
/// Networks", NeurIPS 2012; torchvision follows Krizhevsky, "One weird trick for parallelizing
/// convolutional neural networks", 2014 (https://arxiv.org/abs/1404.5997): 64, 192, 384, 256,
/// 256 channels and no local response normalisation.
///
/// ```
/// features: 0 conv 11×11/4 pad 2 3→64, 1 relu, 2 maxpool 3×3/2, 3 conv 5×5 pad 2 →192, 4 relu,
///           5 maxpool, 6 conv 3×3 →384, 7 relu, 8 conv 3×3 →256, 9 relu, 10 conv 3×3 →256,
///           11 relu, 12 maxpool
/// avgpool (adaptive, 6×6) → flatten
/// classifier: 0 dropout, 1 linear 9216→4096, 2 relu, 3 dropout, 4 linear 4096→4096, 5 relu,
///             6 linear 4096→classes
/// ```
///
/// State-dict keys: `features.0.weight` … `features.10.bias`, `classifier.1.weight`,
/// `classifier.4.*`, `classifier.6.*`. 61,100,840 parameters with 1000 classes.
///
/// - Input: `[N, 3, H, W]` with `H, W ≥ 63`. Output: logits `[N, classCount]`.
/// - Features: `classifier.5`, the 4096 ReLU outputs feeding the last linear layer.
/// - Complexity: 0.71 GMAC per 224×224 image.
public struct AlexNet: ClassificationNetwork, PooledFeatureClassifier {
  /// The convolutional trunk, numbered as torchvision numbers it.
  public var features: Sequential
  /// Adaptive average pooling to 6×6 (the identity on 224×224 inputs).
  public var avgpool: AdaptiveAveragePool2D
  /// Dropout, linear, ReLU, dropout, linear, ReLU, linear (`"0"` … `"6"`).
  public var classifier: Sequential

  /// An AlexNet with PyTorch's default initialisation (torchvision adds none): every weight and
  /// bias `U(−1/√fanIn, 1/√fanIn)`.
  ///
  /// - Precondition: `classCount ≥ 1`, `0 ≤ dropout ≤ 1`.
  public init(
    classCount: Int = 1000, dropout: Float = 0.5, using rng: inout some RandomNumberGenerator
  ) {
    precondition(classCount >= 1, "An AlexNet needs at least one class, not \(classCount).")
    func conv(_ c: Int, _ o: Int, _ k: Int, stride: Int = 1, padding: Int) -> Conv2D {
      Conv2D(
        inputChannels: c, outputChannels: o, kernelSize: k, stride: stride,
        padding: .symmetric(padding), using: &rng)
    }
    let pool = MaxPool2D(kernelSize: 3, stride: 2)
    features = Sequential([
      conv(3, 64, 11, stride: 4, padding: 2), ReLU(), pool,
      conv(64, 192, 5, padding: 2), ReLU(), pool,
      conv(192, 384, 3, padding: 1), ReLU(),
      conv(384, 256, 3, padding: 1), ReLU(),
      conv(256, 256, 3, padding: 1), ReLU(), pool,
    ])
    avgpool = AdaptiveAveragePool2D(outputSize: 6)
    classifier = Sequential([
      Dropout(probability: dropout),
      Linear(inputFeatures: 256 * 6 * 6, outputFeatures: 4096, using: &rng), ReLU(),
      Dropout(probability: dropout),
      Linear(inputFeatures: 4096, outputFeatures: 4096, using: &rng), ReLU(),
      Linear(inputFeatures: 4096, outputFeatures: classCount, using: &rng),
    ])
  }

  /// AlexNet with `classCount` classes (torchvision's `alexnet`).
  public static func alexNet(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> AlexNet {
    AlexNet(classCount: classCount, using: &rng)
  }

  public var featureLayer: String { "classifier.5" }
}
