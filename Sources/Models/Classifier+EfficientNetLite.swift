import Foundation
import Tensor

extension Classifier {
  /// EfficientNet-Lite0 with the weights at `weights` and the class names at `labels` (one per
  /// line, in logit order), preprocessed as torchvision's ImageNet evaluation transform (shorter
  /// side 256, antialiased bilinear; centre crop 224) and normalised as `(255·x − 127) / 128`.
  ///
  /// ```swift
  /// let classifier = try Classifier.efficientNetLite0(
  ///   weights: URL(fileURLWithPath: "Assets/models/efficientnet-lite0.pth"),
  ///   labels: URL(fileURLWithPath: "Assets/labels/imagenet_classes.txt"))
  /// let photo = try ImageFile.decode(contentsOf: url)              // [3, H, W]
  /// let input = try classifier.preprocessing(photo)                 // [3, 224, 224]
  /// let logits = classifier.logits(input.expandingShape(at: 0))     // [1, 1000]
  /// ```
  ///
  /// - Throws: `WeightFileError` for an unreadable checkpoint, a missing, misshapen or unused
  ///   key; `ClassLabelsError` when the label file cannot be read or does not have one name per
  ///   class.
  /// - Complexity: O(parameter count) to read, convert and fold the weights.
  public static func efficientNetLite0(weights: URL, labels: URL) throws -> Classifier {
    let network = try EfficientNetLite.lite0(contentsOf: weights)
    let classNames = try ClassLabels.load(contentsOf: labels, expectedCount: network.classCount)
    return Classifier(
      network: network, normalization: .efficientNetLite, preprocessing: .imageNet,
      classNames: classNames)
  }
}
