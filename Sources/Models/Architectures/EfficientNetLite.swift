import Foundation
import Tensor

/// EfficientNet-Lite: EfficientNet without squeeze-and-excitation, with ReLU6 instead of swish
/// and a fixed stem and head, as released by TensorFlow for mobile and CPU inference.
///
/// Lite0 (224×224 inputs, 4.65 M parameters, 0.385 G multiply–adds):
///
/// | stage | layer | output |
/// |---|---|---|
/// | `stem` | 3×3 conv stride 2 → 32, batch norm, ReLU6 | `[N, 32, 112, 112]` |
/// | `_blocks.0` | MBConv 3×3, expansion 1, → 16 | `[N, 16, 112, 112]` |
/// | `_blocks.1–2` | MBConv 3×3, expansion 6, → 24, first stride 2 | `[N, 24, 56, 56]` |
/// | `_blocks.3–4` | MBConv 5×5, expansion 6, → 40, first stride 2 | `[N, 40, 28, 28]` |
/// | `_blocks.5–7` | MBConv 3×3, expansion 6, → 80, first stride 2 | `[N, 80, 14, 14]` |
/// | `_blocks.8–10` | MBConv 5×5, expansion 6, → 112 | `[N, 112, 14, 14]` |
/// | `_blocks.11–14` | MBConv 5×5, expansion 6, → 192, first stride 2 | `[N, 192, 7, 7]` |
/// | `_blocks.15` | MBConv 3×3, expansion 6, → 320 | `[N, 320, 7, 7]` |
/// | `head` | 1×1 conv → 1280, batch norm, ReLU6 | `[N, 1280, 7, 7]` |
/// | `_avg_pooling` | global average pool | `[N, 1280]` |
/// | `_dropout` | dropout 0.2 (training only) | `[N, 1280]` |
/// | `_fc` | fully connected → classes | `[N, K]` |
///
/// Convolutions use TensorFlow "SAME" padding (the smaller half of the padding at the top and
/// left) and have no bias; batch norm has epsilon 1e-3 and is folded into the convolutions
/// (`FoldedConvolution`). See `MBConvBlock` for the blocks.
///
/// Parameters carry the names of EfficientNet-PyTorch's state dict (`_conv_stem.weight`,
/// `_bn0.*`, `_blocks.N._expand_conv.weight`, …, `_conv_head.weight`, `_bn1.*`, `_fc.weight`,
/// `_fc.bias`), so `load(contentsOf:)` reads that checkpoint with every key and shape checked.
/// The network takes images normalised as `(255·x − 127) / 128` (`Normalization.efficientNetLite`).
///
/// Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
/// ICML 2019; Liu, "Higher accuracy on vision models with EfficientNet-Lite", TensorFlow blog,
/// 2020.
///
/// ```swift
/// let network = try EfficientNetLite.lite0(contentsOf: checkpointURL)
/// let logits = network(Normalization.efficientNetLite(images))   // [N, 1000]
/// ```
///
/// - Input: `[N, 3, H, W]` (224×224 for the published weights; any size ≥ 1 runs).
/// - Complexity: O(N · H · W) with about 7,700 multiply–adds per input pixel for Lite0.
public struct EfficientNetLite: ClassificationNetwork {
  /// A run of MBConv blocks with the same kernel, expansion and output width; the stride and
  /// the change of width apply to its first block.
  public struct Stage: Sendable, Hashable {
    public var repeats: Int
    public var kernelSize: Int
    public var stride: Int
    public var expansionRatio: Int
    public var inputChannels: Int
    public var outputChannels: Int

    public init(
      repeats: Int, kernelSize: Int, stride: Int, expansionRatio: Int, inputChannels: Int,
      outputChannels: Int
    ) {
      self.repeats = repeats
      self.kernelSize = kernelSize
      self.stride = stride
      self.expansionRatio = expansionRatio
      self.inputChannels = inputChannels
      self.outputChannels = outputChannels
    }
  }

  /// The seven stages of EfficientNet-Lite0 (16 blocks).
  public static let lite0Stages: [Stage] = [
    Stage(
      repeats: 1, kernelSize: 3, stride: 1, expansionRatio: 1, inputChannels: 32,
      outputChannels: 16),
    Stage(
      repeats: 2, kernelSize: 3, stride: 2, expansionRatio: 6, inputChannels: 16,
      outputChannels: 24),
    Stage(
      repeats: 2, kernelSize: 5, stride: 2, expansionRatio: 6, inputChannels: 24,
      outputChannels: 40),
    Stage(
      repeats: 3, kernelSize: 3, stride: 2, expansionRatio: 6, inputChannels: 40,
      outputChannels: 80),
    Stage(
      repeats: 3, kernelSize: 5, stride: 1, expansionRatio: 6, inputChannels: 80,
      outputChannels: 112),
    Stage(
      repeats: 4, kernelSize: 5, stride: 2, expansionRatio: 6, inputChannels: 112,
      outputChannels: 192),
    Stage(
      repeats: 1, kernelSize: 3, stride: 1, expansionRatio: 6, inputChannels: 192,
      outputChannels: 320),
  ]

  /// Batch-norm epsilon of the TensorFlow original.
  public static let batchNormEpsilon: Float = 1e-3

  /// 3×3 stride-2 convolution, batch norm, ReLU6 (`_conv_stem`, `_bn0`).
  public var stem: FoldedConvolution
  /// The MBConv blocks, `_blocks.0` ….
  public var blocks: [MBConvBlock]
  /// 1×1 convolution, batch norm, ReLU6 (`_conv_head`, `_bn1`).
  public var head: FoldedConvolution
  /// The fully connected layer (`_fc`).
  public var classifier: Linear
  /// Dropout before the classifier, in training mode only.
  public var dropout: Dropout

  /// A network from its parts.
  ///
  /// - Precondition: the channel counts chain from the stem through the blocks and the head to
  ///   the classifier.
  public init(
    stem: FoldedConvolution, blocks: [MBConvBlock], head: FoldedConvolution,
    classifier: Linear, dropout: Dropout = Dropout(probability: 0.2)
  ) {
    var channels = stem.convolution.weight.shape[0]
    for (index, block) in blocks.enumerated() {
      precondition(
        block.inputChannels == channels,
        "Block \(index) reads \(block.inputChannels) channels but receives \(channels).")
      channels = block.outputChannels
    }
    precondition(
      head.convolution.weight.shape[1] == channels,
      "The head reads \(head.convolution.weight.shape[1]) channels but receives \(channels).")
    precondition(
      classifier.inputFeatures == head.convolution.weight.shape[0],
      "The classifier reads \(classifier.inputFeatures) features but the head makes "
        + "\(head.convolution.weight.shape[0]).")
    self.stem = stem
    self.blocks = blocks
    self.head = head
    self.classifier = classifier
    self.dropout = dropout
  }

  /// A network with the given stages, initialised like PyTorch's defaults (convolutions and the
  /// classifier uniform in `±1/√fanIn`, batch norms the identity), stem 32 and head 1280 wide.
  ///
  /// - Precondition: the stages chain (each stage's input width is the previous output width,
  ///   the first reads the stem's 32 channels) and every size is positive.
  public init(
    stages: [Stage], classCount: Int = 1000, headChannels: Int = 1280,
    dropoutProbability: Float = 0.2, using rng: inout some RandomNumberGenerator
  ) {
    precondition(classCount >= 1, "A classifier needs at least one class, not \(classCount).")
    let epsilon = Self.batchNormEpsilon
    let stemChannels = stages.first?.inputChannels ?? 32
    let stem = FoldedConvolution(
      Conv2D(
        inputChannels: 3, outputChannels: stemChannels, kernelSize: 3, stride: 2,
        padding: .same, bias: false, using: &rng),
      named: "_conv_stem", BatchNorm2D(channelCount: stemChannels, epsilon: epsilon),
      named: "_bn0", activation: .relu6)
    var blocks: [MBConvBlock] = []
    var channels = stemChannels
    for stage in stages {
      precondition(
        stage.inputChannels == channels && stage.repeats >= 1,
        "Stage \(stage) must read the \(channels) channels of the previous stage and repeat at "
          + "least once.")
      for index in 0..<stage.repeats {
        blocks.append(
          MBConvBlock(
            inputChannels: index == 0 ? stage.inputChannels : stage.outputChannels,
            outputChannels: stage.outputChannels, kernelSize: stage.kernelSize,
            stride: index == 0 ? stage.stride : 1, expansionRatio: stage.expansionRatio,
            batchNormEpsilon: epsilon, using: &rng))
      }
      channels = stage.outputChannels
    }
    let head = FoldedConvolution(
      Conv2D(
        inputChannels: channels, outputChannels: headChannels, kernelSize: 1, bias: false,
        using: &rng),
      named: "_conv_head", BatchNorm2D(channelCount: headChannels, epsilon: epsilon),
      named: "_bn1", activation: .relu6)
    let classifier = Linear(inputFeatures: headChannels, outputFeatures: classCount, using: &rng)
    self.init(
      stem: stem, blocks: blocks, head: head, classifier: classifier,
      dropout: Dropout(probability: dropoutProbability))
  }

  /// EfficientNet-Lite0 with freshly initialised weights (see `init(stages:…)`).
  public static func lite0(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> EfficientNetLite {
    EfficientNetLite(stages: lite0Stages, classCount: classCount, using: &rng)
  }

  /// EfficientNet-Lite0 with the weights of the checkpoint at `url` (a PyTorch `.pth` in either
  /// format, safetensors or `.npz` with EfficientNet-PyTorch's keys). The class count is that of
  /// the checkpoint's `_fc.weight`.
  ///
  /// - Throws: `WeightFileError` for an unreadable file, a missing key, a wrong shape, or a key
  ///   the network does not use (`num_batches_tracked` is ignored).
  /// - Complexity: O(parameter count).
  public static func lite0(contentsOf url: URL) throws -> EfficientNetLite {
    let file = try WeightFile(contentsOf: url)
    let classifierShape = try file.array("_fc.weight").shape
    guard classifierShape.count == 2, classifierShape[0] >= 1 else {
      throw WeightFileError.shapeMismatch(
        file: file.name, key: "_fc.weight", expected: [1000, 1280], found: classifierShape)
    }
    var rng = SeededGenerator(seed: 0)
    var network = lite0(classCount: classifierShape[0], using: &rng)
    try network.load(from: file)
    return network
  }

  /// The number of classes `K`.
  public var classCount: Int { classifier.outputFeatures }

  // MARK: ClassificationNetwork

  /// The pooled 1280-wide features, `"_avg_pooling"`.
  public var featureLayer: String { "_avg_pooling" }

  /// The head after its ReLU6, `[N, 1280, 7, 7]` for 224×224 inputs: `"head"`.
  public var lastConvolutionalLayer: String { "head" }

  /// `stem`, then for each block `_blocks.i` and its stages `_blocks.i.expand` (when the block
  /// expands), `_blocks.i.depthwise`, `_blocks.i.project`, then `head`, `_avg_pooling`,
  /// `_dropout`, `_fc`.
  public var layerPaths: [String] {
    var paths = ["stem"]
    for (index, block) in blocks.enumerated() {
      let name = Self.blockName(index)
      paths.append(name)
      paths += block.childPaths.map { "\(name).\($0)" }
    }
    return paths + ["head", "_avg_pooling", "_dropout", "_fc"]
  }

  private static func blockName(_ index: Int) -> String { "_blocks.\(index)" }

  // MARK: Layer

  /// Logits `[N, K]` for normalised images `[N, 3, H, W]`.
  ///
  /// The network runs on 16-channel blocks (`BlockedInference`): a batch image by image, each
  /// image through the whole network on one core, the images spread over `ComputeThreads.count`
  /// cores (one image's feature maps, at most 4.8 MB, stay close to the core's cache from one
  /// stage to the next); a single image stage by stage, each stage's output channels spread over
  /// the cores. The classifier runs once for the batch. Each image's features are computed by the
  /// same serial arithmetic whatever the batch size and thread count, so the logits are
  /// bit-identical across thread counts. The result equals `forward(_:context:)`'s (the
  /// layer-by-layer path, which differentiates) up to float rounding.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    checkInput(input)
    if let plan = BlockedInference(self, height: input.shape[2], width: input.shape[3]) {
      return classifier(plan.pooledFeatures(input))
    }
    let batch = input.shape[0]
    if batch <= 1 { return classifier(pooledFeatures(input)) }
    var rows = [Tensor?](repeating: nil, count: batch)
    rows.withUnsafeMutableBufferPointer { buffer in
      let results = UncheckedRows(buffer)
      ComputeThreads.parallelFor(batch) { index in
        // Inside the loop `ComputeThreads.count` reads 1: this image's stages run serially.
        results.buffer[index] = pooledFeatures(input.sliced(axis: 0, index..<(index + 1)))
      }
    }
    // The classifier once for the batch: one pass over its weights, not one per image.
    return classifier(Tensor.concatenate(rows.map { $0! }, axis: 0))
  }

  /// The pooled features `[N, 1280]` (the output of `_avg_pooling`) by the blocked inference
  /// path; nil only for a network whose 1×1 stages have no blocked form.
  public func inferenceFeatures(_ input: Tensor) -> Tensor? {
    checkInput(input)
    return BlockedInference(self, height: input.shape[2], width: input.shape[3])?
      .pooledFeatures(input)
  }

  /// The logits and a pullback to the normalised images alone, both on 16-channel blocks
  /// (`BlockedInference.logitsWithInputPullback`): what a saliency map, Integrated Gradients or
  /// an attack needs, at about a third of the cost of `forward(_:context:)` and its pullback.
  public func inferenceLogitsWithInputPullback(_ input: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  )? {
    checkInput(input)
    guard let plan = BlockedInference(self, height: input.shape[2], width: input.shape[3]),
      plan.differentiable
    else { return nil }
    return plan.logitsWithInputPullback(input, classifier: classifier)
  }

  /// The pooled features `[N, 1280]`, stage by stage on planar maps (networks whose 1×1 stages
  /// have no blocked form).
  private func pooledFeatures(_ input: Tensor) -> Tensor {
    var x = stem(input)
    for block in blocks { x = block(x) }
    return Tensor.globalAveragePool2D(head(x))
  }

  /// Logits and a pullback to the normalised images and every trainable parameter; each stage
  /// runs under its path in `layerPaths`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    checkInput(input)
    var pullbacks: [(prefix: String?, pullback: Pullback)] = []
    pullbacks.reserveCapacity(blocks.count + 5)
    var (x, pullback) = context.forward(stem, named: "stem", input)
    pullbacks.append((nil, pullback))
    for (index, block) in blocks.enumerated() {
      let name = Self.blockName(index)
      (x, pullback) = context.forward(block, named: name, x)
      pullbacks.append((name, pullback))
    }
    (x, pullback) = context.forward(head, named: "head", x)
    pullbacks.append((nil, pullback))
    (x, pullback) = context.forward(GlobalAveragePool2D(), named: "_avg_pooling", x)
    pullbacks.append((nil, pullback))
    (x, pullback) = context.forward(dropout, named: "_dropout", x)
    pullbacks.append((nil, pullback))
    (x, pullback) = context.forward(classifier, named: "_fc", x)
    pullbacks.append(("_fc", pullback))
    return (
      x,
      { [pullbacks] outputGradient in
        var gradient = outputGradient
        var stageGradients: [ParameterGradients] = []
        stageGradients.reserveCapacity(pullbacks.count)
        for (prefix, pullback) in pullbacks.reversed() {
          let (inputGradient, parameters) = pullback(gradient)
          stageGradients.append(prefix.map { parameters.prefixed($0) } ?? parameters)
          gradient = inputGradient
        }
        var parameters = ParameterGradients()
        for stage in stageGradients.reversed() { parameters.accumulate(stage) }
        return (gradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try stem.visitParameters(body)
    for (index, block) in blocks.enumerated() {
      let name = Self.blockName(index)
      try block.visitParameters { try body("\(name).\($0)", $1, $2) }
    }
    try head.visitParameters(body)
    try classifier.visitParameters { try body("_fc.\($0)", $1, $2) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try stem.updateParameters(body)
    for index in blocks.indices {
      let name = Self.blockName(index)
      try blocks[index].updateParameters { try body("\(name).\($0)", $1, &$2) }
    }
    try head.updateParameters(body)
    try classifier.updateParameters { try body("_fc.\($0)", $1, &$2) }
  }

  private func checkInput(_ input: Tensor) {
    let channels = stem.convolution.weight.shape[1]
    precondition(
      input.rank == 4 && input.shape[1] == channels && input.shape[2] > 0 && input.shape[3] > 0,
      "EfficientNet-Lite needs images [N, \(channels), H, W], not \(input.shape).")
  }
}

/// The rows of a batch's results, written at disjoint indices by the iterations of one
/// `parallelFor`.
private struct UncheckedRows: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Tensor?>
  init(_ buffer: UnsafeMutableBufferPointer<Tensor?>) { self.buffer = buffer }
}
