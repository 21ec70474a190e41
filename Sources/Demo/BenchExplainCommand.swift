import ArgumentParser
import Explain
import Foundation
import Models
import Tensor

/// `demo bench-explain`: the cost of the gradient explanations in forward passes — one Lite0
/// forward pass, one saliency map (a forward pass and an input gradient) and Integrated
/// Gradients (`--steps` Gauss–Legendre points, batches of 10), on one photograph, on each thread
/// count: the units the explanation speed targets are stated in.
struct BenchExplain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-explain",
    abstract: "Time a forward pass, a saliency map and Integrated Gradients on Lite0.")

  @Option(help: "The photograph (or .npy image) explained.")
  var image = "Tests/Fixtures/Lite0/coffee.png"

  @Option(help: "Comma-separated thread counts.")
  var threads = "1,2"

  @Option(help: "Timed runs of each measurement (the median is reported).")
  var runs = 9

  @Option(help: "Integrated Gradients' steps.")
  var steps = 50

  @Option(help: "The model checkpoint.")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Flag(help: "Print one JSON object per thread count instead of a table.")
  var json = false

  func validate() throws {
    guard runs >= 1, steps >= 1 else {
      throw ValidationError("--runs and --steps must be at least 1.")
    }
    _ = try ThreadCounts.parse(threads)
  }

  func run() throws {
    Classify.keepFreedMemory()
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: model), labels: URL(fileURLWithPath: labels))
    let photo = try Classify.input(image, for: classifier)
    let batch = photo.expandingShape(at: 0)
    let target = classifier.topPredictions(logits: classifier.logits(batch), k: 1)[0][0].index
    let saliency = Saliency(classifier: classifier)
    let integrated = try IntegratedGradients(classifier: classifier, stepCount: steps)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    if !json {
      print("EfficientNet-Lite0, \(image), medians of \(runs) runs (wall ms; × a forward pass)")
      print("threads  forward   saliency          integrated gradients (\(steps) steps)")
    }
    for count in try ThreadCounts.parse(threads) {
      ComputeThreads.set(count)
      let forward = try BenchAttacks.medianMilliseconds(runs: runs) {
        _ = classifier.logits(batch)
      }
      let map = try BenchAttacks.medianMilliseconds(runs: runs) {
        _ = try saliency.attribute(photo, target: target)
      }
      let ig = try BenchAttacks.medianMilliseconds(runs: max(1, runs / 3)) {
        _ = try integrated.attribute(photo, target: target)
      }
      if json {
        let object: [String: Any] = [
          "threads": count, "forwardMilliseconds": forward.wall,
          "saliencyMilliseconds": map.wall, "integratedGradientsMilliseconds": ig.wall,
          "steps": steps, "saliencyForwardPasses": map.wall / forward.wall,
          "integratedGradientsForwardPasses": ig.wall / forward.wall,
          "forwardCPUMilliseconds": forward.cpu, "saliencyCPUMilliseconds": map.cpu,
          "integratedGradientsCPUMilliseconds": ig.cpu,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
      } else {
        print(
          String(
            format: "%7d  %6.2f   %7.2f (%4.2f×)   %8.1f (%5.1f×, %4.1f saliency maps)", count,
            forward.wall, map.wall, map.wall / forward.wall, ig.wall, ig.wall / forward.wall,
            ig.wall / map.wall))
      }
    }
  }
}
