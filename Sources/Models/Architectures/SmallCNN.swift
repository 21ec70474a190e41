import Tensor

/// A small convolutional network for small gray images such as Fashion-MNIST's 28×28: two
/// convolution–ReLU–max-pool stages and a two-layer classifier, in the spirit of PyTorch's MNIST
/// example (LeCun et al., 1998, "Gradient-based learning applied to document recognition").
///
/// ```
/// [N, C, H, W]
/// conv1  3×3, C → 32, padding 1     relu1   pool1  2×2     [N, 32, H/2, W/2]
/// conv2  3×3, 32 → 64, padding 1    relu2   pool2  2×2     [N, 64, H/4, W/4]
/// flatten  dropout (p = 0.25)                              [N, 64 · ⌊H/4⌋ · ⌊W/4⌋]
/// fc1  → 128   relu3                                       [N, 128]   (the feature layer)
/// fc2  → K                                                 [N, K]     logits
/// ```
///
/// State-dict names are those of the PyTorch module with attributes `conv1`, `conv2`, `fc1`,
/// `fc2` (`"conv1.weight"`, `"fc2.bias"`, ...), so weights move between the two through
/// safetensors. Every stage is a capturable layer path (`"relu2"` for Grad-CAM, `"relu3"` for
/// features). With 28×28 gray input and 10 classes it has 421,642 parameters and costs about
/// 4.2 M multiply–adds per image forward (86 % of them in `conv2`).
///
/// - Input: `[N, C, H, W]` with `H, W ≥ 4`. Output: `[N, K]`.
/// - Complexity: O(N · (C·32·9·H·W + 32·64·9·H·W/4 + 64·H·W/16·128 + 128·K)) forward; the
///   pullback about twice that.
public struct SmallCNN: ClassificationNetwork {
  /// 3×3 convolution `C → c₁`, padding 1.
  public var conv1: Conv2D
  /// 3×3 convolution `c₁ → c₂`, padding 1.
  public var conv2: Conv2D
  /// Dropout before the first fully connected layer (active in `.training` only).
  public var dropout: Dropout
  /// `c₂ · ⌊H/4⌋ · ⌊W/4⌋ → hidden`.
  public var fc1: Linear
  /// `hidden → K`.
  public var fc2: Linear
  /// The expected input `[C, H, W]`.
  public let inputShape: [Int]

  private static let pool = MaxPool2D(kernelSize: 2)

  /// A network with PyTorch's default initialisation, drawn from `rng`.
  ///
  /// - Parameters:
  ///   - inputChannels: `C` (1 for gray).
  ///   - imageSize: `(H, W)`, each at least 4.
  ///   - classCount: `K`.
  ///   - channels: the output channels of `conv1` and `conv2`.
  ///   - hiddenUnits: the width of `fc1`.
  ///   - dropoutProbability: the dropout before `fc1`.
  public init(
    inputChannels: Int = 1, imageSize: (height: Int, width: Int) = (28, 28),
    classCount: Int = 10, channels: (Int, Int) = (32, 64), hiddenUnits: Int = 128,
    dropoutProbability: Float = 0.25, using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      imageSize.height >= 4 && imageSize.width >= 4,
      "SmallCNN pools twice by 2, so images must be at least 4×4, not \(imageSize).")
    precondition(
      inputChannels >= 1 && classCount >= 1 && channels.0 >= 1 && channels.1 >= 1
        && hiddenUnits >= 1,
      "SmallCNN needs positive channel, class and unit counts.")
    let features = channels.1 * (imageSize.height / 4) * (imageSize.width / 4)
    self.conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: channels.0, kernelSize: 3,
      padding: .symmetric(1), using: &rng)
    self.conv2 = Conv2D(
      inputChannels: channels.0, outputChannels: channels.1, kernelSize: 3,
      padding: .symmetric(1), using: &rng)
    self.dropout = Dropout(probability: dropoutProbability)
    self.fc1 = Linear(inputFeatures: features, outputFeatures: hiddenUnits, using: &rng)
    self.fc2 = Linear(inputFeatures: hiddenUnits, outputFeatures: classCount, using: &rng)
    self.inputShape = [inputChannels, imageSize.height, imageSize.width]
  }

  /// The number of classes `K`.
  public var classCount: Int { fc2.outputFeatures }

  public var featureLayer: String { "relu3" }
  public var lastConvolutionalLayer: String { "relu2" }
  public var layerPaths: [String] {
    [
      "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "dropout", "fc1", "relu3",
      "fc2",
    ]
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    checkInput(input)
    var x = Self.pool(relu(conv1(input)))
    x = Self.pool(relu(conv2(x)))
    return fc2(relu(fc1(Flatten()(x))))
  }

  /// The logits and a pullback giving `∂L/∂input` and the gradients of all eight parameters;
  /// every stage runs under its name in `context`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    checkInput(input)
    var x = input
    var pullbacks: [(name: String, pullback: Pullback)] = []
    pullbacks.reserveCapacity(layerPaths.count)
    func run(_ layer: some Layer, _ name: String) {
      let (output, pullback) = context.forward(layer, named: name, x)
      pullbacks.append((name, pullback))
      x = output
    }
    run(conv1, "conv1")
    run(ReLU(), "relu1")
    run(Self.pool, "pool1")
    run(conv2, "conv2")
    run(ReLU(), "relu2")
    run(Self.pool, "pool2")
    run(Flatten(), "flatten")
    run(dropout, "dropout")
    run(fc1, "fc1")
    run(ReLU(), "relu3")
    run(fc2, "fc2")
    return (
      x,
      { [pullbacks] outputGradient in
        var gradient = outputGradient
        var parameters = ParameterGradients()
        var children: [ParameterGradients] = []
        for (name, pullback) in pullbacks.reversed() {
          let (inputGradient, childParameters) = pullback(gradient)
          if !childParameters.isEmpty { children.append(childParameters.prefixed(name)) }
          gradient = inputGradient
        }
        for child in children.reversed() { parameters.accumulate(child) }
        return (gradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try conv1.visitParameters { try body("conv1.\($0)", $1, $2) }
    try conv2.visitParameters { try body("conv2.\($0)", $1, $2) }
    try fc1.visitParameters { try body("fc1.\($0)", $1, $2) }
    try fc2.visitParameters { try body("fc2.\($0)", $1, $2) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try conv1.updateParameters { try body("conv1.\($0)", $1, &$2) }
    try conv2.updateParameters { try body("conv2.\($0)", $1, &$2) }
    try fc1.updateParameters { try body("fc1.\($0)", $1, &$2) }
    try fc2.updateParameters { try body("fc2.\($0)", $1, &$2) }
  }

  private func checkInput(_ input: Tensor) {
    precondition(
      input.rank == 4 && Array(input.shape.dropFirst()) == inputShape,
      "SmallCNN expects images [N, \(inputShape.map(String.init).joined(separator: ", "))], "
        + "not \(input.shape).")
  }
}
