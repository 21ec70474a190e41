import ArgumentParser
import Explain
import Foundation
import Models
import Tensor

/// `demo explain INPUT --method …`: one attribution of EfficientNet-Lite0's answer, drawn as a
/// panel (image | heat map | overlay) and summarised as JSON.
struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain EfficientNet-Lite0's prediction for a photograph or .npy image.",
    discussion: """
      Writes a PNG panel (image | heat map | overlay). With --json prints one object:
      {"file", "method", "target", "label", "output", "map": {"height", "width", "sum", "max",
      "top": [flat indices of the 100 largest values]}}; LIME adds "lime": {"weights": [one
      coefficient per superpixel], "intercept", "r2", "localPrediction", "segments"} and draws
      outlines | top-5 superpixels kept | signed coefficients. LIME segments the preprocessed
      image with quickshift (lime_image's defaults), or takes --segments FILE.npy, an integer
      superpixel map [224, 224] (as Captum's feature_mask).
      """)

  enum Method: String, ExpressibleByArgument, CaseIterable {
    case saliency, gradxinput, smoothgrad, ig, gradcam, occlusion, lime
  }

  @Argument(help: "A PNG or JPEG photograph, or a .npy float image [3,224,224] in [0, 1].")
  var input: String

  @Option(help: "The attribution method: \(Method.allCases.map(\.rawValue).joined(separator: "|")).")
  var method: Method = .saliency

  @Option(help: "The class to explain (default: the top prediction).")
  var target: Int?

  @Option(help: "Seed for sampling methods (SmoothGrad, LIME).")
  var seed: UInt64 = 0

  @Option(
    help: """
      LIME: an integer superpixel map [224, 224] (.npy) of the preprocessed image \
      (default: quickshift, kernel 4, max distance 200, ratio 0.2).
      """)
  var segments: String?

  @Option(help: "LIME: perturbation samples.")
  var samples = 1000

  @Option(help: "LIME, occlusion: images per forward pass (bounds memory).")
  var batchSize = 32

  @Option(help: "Threads for the library and OpenBLAS (default: all cores).")
  var threads: Int?

  @Flag(help: "Show no progress on stderr.")
  var quiet = false

  @Option(help: "The PNG panel to write (default: explain-METHOD.png).")
  var output: String?

  @Option(help: "The model checkpoint.")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Flag(help: "Print a JSON summary instead of a sentence.")
  var json = false

  func validate() throws {
    if let target, !(0..<1000).contains(target) {
      throw ValidationError("--target must be a class index in 0..<1000, not \(target).")
    }
    if let threads, threads < 1 {
      throw ValidationError("--threads must be at least 1, not \(threads).")
    }
    guard samples > 0 else { throw ValidationError("--samples must be positive, not \(samples).") }
    guard batchSize > 0 else {
      throw ValidationError("--batch-size must be positive, not \(batchSize).")
    }
  }

  func run() throws {
    Classify.keepFreedMemory()
    if let threads { ComputeThreads.set(threads) }
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: model), labels: URL(fileURLWithPath: labels))
    let image = try Classify.input(input, for: classifier)
    let logits = classifier.logits(image.expandingShape(at: 0))
    let predicted = classifier.topPredictions(logits: logits, k: 1)[0][0]
    let target = self.target ?? predicted.index
    let outputPath = output ?? "explain-\(method.rawValue).png"
    let start = DispatchTime.now().uptimeNanoseconds
    let map: Tensor
    var limeSummary: [String: Any]?
    if method == .lime {
      let explanation = try limeExplanation(classifier, image: image, target: target)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      map = explanation.coefficientMap(for: target)
      try LIMEPicture.writePanel(
        image: image, explanation: explanation, label: target, to: URL(fileURLWithPath: outputPath))
      let model = explanation.labels[0]
      limeSummary = [
        "weights": model.coefficients, "intercept": model.intercept, "r2": model.score,
        "localPrediction": model.localPrediction, "segments": explanation.segmentation.count,
        "samples": explanation.sampleCount, "seconds": seconds,
      ]
    } else {
      map = try attributionMap(classifier, image: image, target: target)
      try HeatMap.writePanel(image: image, map: map, to: URL(fileURLWithPath: outputPath))
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let label = classifier.classNames[target]
    if json {
      try printJSON(map: map, target: target, label: label, output: outputPath, lime: limeSummary)
    } else {
      print(
        String(
          format: "%@: %@ of '%@' (%d) in %.2f s → %@", input, method.rawValue, label, target,
          seconds, outputPath))
    }
  }

  /// The `[H, W]` map the panel draws.
  private func attributionMap(_ classifier: Classifier, image: Tensor, target: Int) throws -> Tensor
  {
    switch method {
    case .saliency:
      return try Saliency(classifier: classifier).map(image, target: target)
    case .gradxinput:
      return try GradientTimesInput(classifier: classifier).attribute(image, target: target)
        .channelReduced(.sumAbsolute)
    case .smoothgrad:
      return try SmoothGrad(classifier: classifier, seed: seed).attribute(image, target: target)
        .channelReduced(.maximumAbsolute)
    case .ig:
      return try IntegratedGradients(classifier: classifier).attribute(image, target: target)
        .channelReduced(.sumAbsolute)
    case .gradcam:
      return try GradCAM(classifier: classifier).map(image, target: target)
    case .occlusion:
      // Every channel of a window is occluded together, so the three channels carry one value.
      return try Occlusion(
        classifier: classifier, patch: (16, 16), stride: (8, 8), batchSize: batchSize)
        .attribute(image, target: target).selecting(axis: 0, index: 0)
    case .lime:
      return try limeExplanation(classifier, image: image, target: target)
        .coefficientMap(for: target)
    }
  }

  /// LIME with lime_image's defaults on the superpixels of `--segments` (or quickshift's),
  /// explaining `target`.
  private func limeExplanation(_ classifier: Classifier, image: Tensor, target: Int) throws
    -> LIMEExplanation
  {
    let segmentation: LIME.Segmentation =
      try segments.map { .map(try Self.superpixels($0, size: classifier.inputSize)) }
      ?? .segmenter(Quickshift())
    let lime = try LIME(
      classifier: classifier, segmentation: segmentation, sampleCount: samples,
      batchSize: batchSize, seed: seed)
    let progress = ProgressLine(quiet: quiet)
    return try lime.explain(image, labels: .given([target]), progress: progress.handler)
  }

  /// The superpixel map in `path` (an integer `.npy` `[H, W]`), checked against the input size.
  static func superpixels(_ path: String, size: (height: Int, width: Int)) throws
    -> SuperpixelMap
  {
    let array = try NumPyArray.read(contentsOf: URL(fileURLWithPath: path))
    let tensor = array.tensor()
    guard tensor.shape == [size.height, size.width] else {
      throw ValidationError(
        "--segments \(path) holds an array of shape \(tensor.shape), but the preprocessed image "
          + "is \(size.height)×\(size.width): the map must be [\(size.height), \(size.width)].")
    }
    do {
      return try SuperpixelMap(tensor)
    } catch let error as SegmentationError {
      throw ValidationError("--segments \(path): \(error)")
    }
  }

  private func printJSON(
    map: Tensor, target: Int, label: String, output: String, lime: [String: Any]?
  ) throws {
    let values = map.scalars
    let top = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
      .prefix(100)
    var object: [String: Any] = [
      "file": input, "method": method.rawValue, "target": target, "label": label,
      "output": output,
      "map": [
        "height": map.shape[0], "width": map.shape[1], "sum": Double(map.sum()),
        "max": Double(map.maximum()), "top": Array(top),
      ] as [String: Any],
    ]
    if let lime { object["lime"] = lime }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
  }
}
