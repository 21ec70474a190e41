import Foundation
import Tensor

extension Classifier {
  /// A torchvision classifier: the architecture, torchvision's ImageNet normalisation
  /// (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225) and preprocessing (shorter side 256 with
  /// antialiasing, centre crop 224), and class names.
  ///
  /// ```swift
  /// let classifier = try Classifier.torchvision(
  ///   .resnet50, weights: URL(fileURLWithPath: "resnet50-11ad3fa6.pth"),
  ///   labels: URL(fileURLWithPath: "imagenet_classes.txt"))
  /// ```
  ///
  /// - Parameters:
  ///   - architecture: the network to build.
  ///   - weights: a torchvision state dict (PyTorch `.pth` zip or legacy, safetensors, `.npz`)
  ///     whose keys are exactly the network's, `num_batches_tracked` entries aside; nil keeps the
  ///     random initialisation drawn from `seed`.
  ///   - labels: a text file of `classCount` class names, one per line; nil names the classes
  ///     `"class 0"`, `"class 1"`, ….
  ///   - classCount: the number of outputs (1000 for ImageNet checkpoints).
  ///   - seed: the seed of the random initialisation (used when `weights` is nil).
  /// - Throws: `WeightFileError` for an unreadable weight file, a missing key
  ///   (`.missingKey`), a shape that differs from the network's (`.shapeMismatch`, with both
  ///   shapes) or keys the network does not use (`.unusedKeys`); `ClassLabelsError` for an
  ///   unreadable label file or one without `classCount` names.
  /// - Complexity: O(parameter count).
  public static func torchvision(
    _ architecture: TorchvisionArchitecture, weights: URL?, labels: URL? = nil,
    classCount: Int = 1000, seed: UInt64 = 0
  ) throws -> Classifier {
    precondition(classCount >= 1, "A classifier needs at least one class, not \(classCount).")
    let classNames =
      try labels.map { try ClassLabels.load(contentsOf: $0, expectedCount: classCount) }
      ?? (0..<classCount).map { "class \($0)" }
    var rng = SeededGenerator(seed: seed)
    var network = architecture.makeNetwork(classCount: classCount, using: &rng)
    if let weights { try network.load(contentsOf: weights) }
    return Classifier(
      network: network, normalization: .imageNet, preprocessing: .imageNet,
      classNames: classNames)
  }
}
