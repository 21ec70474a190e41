import Models
import Tensor

/// The model-parameter randomisation test of Adebayo et al. (*Sanity Checks for Saliency Maps*,
/// NeurIPS 2018): an explanation that depends on what the network learned must change when the
/// learned weights are replaced by random ones. Layers are randomised in cascade from the logits
/// down to the input, and after each step the explanation of the randomised network is compared
/// with the original by Spearman's rank correlation (with and without absolute values). A method
/// whose maps stay highly correlated is explaining the image, not the model.
///
/// ```swift
/// let test = ParameterRandomization(classifier: classifier, seed: 7)
/// let steps = try test.cascade(image, target: 967, every: 8) { network in
///   try Saliency(classifier: network).map(image, target: 967)
/// }
/// // steps.last!.spearmanOfAbsolute is near 0 for a faithful method.
/// ```
///
/// A module's trainable parameters (weights, biases, batch-norm scales and shifts) are each
/// replaced by Gaussian values with the mean and standard deviation of the original tensor,
/// which keeps activations in range (as re-initialising would) without depending on a
/// particular initialiser. Buffers (running statistics) are kept. The values depend only on
/// `seed` and the parameter's name, so a module randomised at one step keeps the same values at
/// the next.
public struct ParameterRandomization: Sendable {
  /// The trained classifier.
  public let classifier: Classifier
  /// The seed of every random value.
  public let seed: UInt64
  /// The modules that own trainable parameters, in the network's state-dict order (input to
  /// output): the parameter names without their last component (`"_blocks.3._expand_conv"`).
  public let modules: [String]

  public init(classifier: Classifier, seed: UInt64) {
    self.classifier = classifier
    self.seed = seed
    var modules = [String]()
    classifier.network.visitParameters { name, kind, _ in
      guard kind == .trainable else { return }
      let module = Self.module(of: name)
      if modules.last != module, !modules.contains(module) { modules.append(module) }
    }
    self.modules = modules
  }

  /// The module path of a parameter name: everything before the last dot.
  static func module(of name: String) -> String {
    guard let dot = name.lastIndex(of: ".") else { return "" }
    return String(name[..<dot])
  }

  /// A copy of the classifier whose trainable parameters in `modules` are randomised.
  public func randomizing(_ modules: Set<String>) -> Classifier {
    var copy = classifier
    let seed = self.seed
    copy.network.updateParameters { name, kind, tensor in
      guard kind == .trainable, modules.contains(Self.module(of: name)) else { return }
      let values = tensor.contiguous().scalars
      let count = Double(values.count)
      let mean = values.reduce(0.0) { $0 + Double($1) } / count
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
      var generator = SeededGenerator(seed: seed ^ Self.hash(name))
      tensor = Tensor.normal(
        tensor.shape, mean: Float(mean),
        standardDeviation: Float(variance.squareRoot()), using: &generator)
    }
    return copy
  }

  /// FNV-1a of `name`, so each parameter draws from its own stream.
  static func hash(_ name: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01B3
    }
    return hash
  }

  /// Randomises the modules from the output down, `every` modules at a time (the last step
  /// always randomises all of them), and compares `explain` on each randomised network with
  /// `explain` on the original.
  ///
  /// - Parameters:
  ///   - explain: the explanation under test, as a `[H, W]` (or any fixed-shape) map.
  ///   - every: modules randomised per step, ≥ 1 (1 reproduces the paper's per-layer cascade).
  /// - Throws: what `explain` throws; `AttributionError.invalidParameter` for `every < 1` or maps
  ///   of different shapes.
  /// - Complexity: `⌈modules / every⌉ + 1` explanations.
  public func cascade(
    _ image: Tensor, target: Int, every: Int = 1,
    progress: ProgressHandler = WorkProgress.ignore,
    explain: (any ImageClassifier) throws -> Tensor
  ) throws -> [RandomizationStep] {
    guard every >= 1 else {
      throw AttributionError.invalidParameter("every must be at least 1, not \(every).")
    }
    let reference = try explain(classifier).contiguous()
    var steps = [RandomizationStep]()
    var randomized = Set<String>()
    var index = modules.count
    let total = (modules.count + every - 1) / every
    while index > 0 {
      let next = max(0, index - every)
      for module in modules[next..<index] { randomized.insert(module) }
      let map = try explain(randomizing(randomized)).contiguous()
      guard map.shape == reference.shape else {
        throw AttributionError.invalidParameter(
          "explanations must keep one shape: \(reference.shape) then \(map.shape).")
      }
      steps.append(
        RandomizationStep(
          deepestModule: modules[next], randomizedModules: modules.count - next,
          comparison: MapComparison(reference.scalars, map.scalars)))
      index = next
      progress(WorkProgress(stage: "randomisation", completed: steps.count, total: total))
    }
    return steps
  }
}

/// One step of the cascade: every module from `deepestModule` to the output is random.
public struct RandomizationStep: Sendable, Hashable, Codable {
  /// The module closest to the input among those randomised.
  public let deepestModule: String
  /// How many modules are random.
  public let randomizedModules: Int
  /// How the randomised network's explanation compares with the original.
  public let comparison: MapComparison
}

/// The similarity measures of Adebayo et al. between two maps of the same shape.
public struct MapComparison: Sendable, Hashable, Codable {
  /// Spearman's ρ of the values (sign kept).
  public let spearman: Double
  /// Spearman's ρ of the absolute values (the paper's main measure: maps whose sign flips are
  /// still considered the same explanation).
  public let spearmanOfAbsolute: Double

  /// Compares `reference` and `other`, same length ≥ 2, finite.
  public init(_ reference: [Float], _ other: [Float]) {
    spearman = RankCorrelation.spearman(reference, other)
    spearmanOfAbsolute = RankCorrelation.spearman(reference.map(abs), other.map(abs))
  }
}
