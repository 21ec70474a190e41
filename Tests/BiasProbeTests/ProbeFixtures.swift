import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// Lite0 loaded once for the feature, neighbour and report tests; the bundled photographs;
/// temporary folders; mirrored images.
enum ProbeFixtures {
  nonisolated(unsafe) private static var cached: Classifier?

  static func classifier() throws -> Classifier {
    if let cached { return cached }
    let loaded = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    cached = loaded
    return loaded
  }

  /// The bundled photographs (Assets/images), sorted by name.
  static func photographs() throws -> [URL] {
    let folder = try assetURL("images")
    return try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { ["png", "jpg"].contains(($0 as NSString).pathExtension) }.sorted()
      .map { folder.appendingPathComponent($0) }
  }

  /// A fresh temporary folder, removed by the caller.
  static func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("biasprobe-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

/// Forwards to a classifier and counts the images whose features were computed.
final class FeatureCountingClassifier: ImageClassifier, @unchecked Sendable {
  let inner: any ImageClassifier
  private let lock = NSLock()
  private var counted = 0

  init(_ inner: any ImageClassifier) { self.inner = inner }

  var featureImages: Int { lock.withLock { counted } }
  var inputSize: (height: Int, width: Int) { inner.inputSize }
  var classNames: [String] { inner.classNames }
  func logits(_ images: Tensor) -> Tensor { inner.logits(images) }
  func logitsWithPullback(_ images: Tensor) -> (logits: Tensor, pullback: @Sendable (Tensor) -> Tensor) {
    inner.logitsWithPullback(images)
  }
  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor, pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    try inner.logitsWithPullback(images, capturing: layer)
  }
  func features(_ images: Tensor) -> Tensor {
    lock.withLock { counted += images.shape[0] }
    return inner.features(images)
  }
}

extension ProbeFixtures {
  /// `[C, H, W]` mirrored left to right.
  static func mirrored(_ image: Tensor) -> Tensor {
    let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
    let source = image.contiguous().scalars
    var out = [Float](repeating: 0, count: source.count)
    for k in 0..<c { for y in 0..<h { for x in 0..<w {
      out[(k * h + y) * w + x] = source[(k * h + y) * w + (w - 1 - x)]
    } } }
    return Tensor(shape: image.shape, scalars: out)
  }
}
