import Foundation
import Models
import Tensor

extension Classify {
  /// The median wall-clock and process CPU times of one timed body, in milliseconds.
  struct Timing {
    var wall: Double
    var cpu: Double
  }

  /// Times `classifier` on copies of `image` and prints a table (or JSON lines), for each thread
  /// count and batch size: the medians over `runs` rounds (after two warm-up rounds) of
  /// `logits`, and of `logitsWithPullback` followed by the pullback of a one-hot seed on each
  /// image's top class (one saliency map per image). The two bodies alternate within each round
  /// so that a change in machine load affects both alike. Process CPU time is reported next to
  /// wall time: on a shared machine, CPU time on one thread is the steadier figure.
  func runBenchmark(_ classifier: Classifier, image: Tensor, runs: Int) throws {
    let threadCounts = threads.map { [$0] } ?? [1, 2]
    let batches = Array(Set([1, batchSize])).sorted()
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    if !json {
      print(
        "EfficientNet-Lite0, medians of \(runs) runs in ms (wall / process CPU); OpenBLAS core "
          + "\(ComputeThreads.blasCoreName)")
      print("threads  batch  forward          per image  forward+gradient  ratio")
    }
    for count in threadCounts {
      ComputeThreads.set(count)
      for batch in batches {
        let images = Tensor.stack([Tensor](repeating: image, count: batch))
        let (forward, gradient) = measure(classifier, images: images, runs: runs)
        if json {
          let object: [String: Any] = [
            "threads": count, "batch": batch, "runs": runs,
            "blasCore": ComputeThreads.blasCoreName,
            "forwardMilliseconds": forward.wall, "forwardCPUMilliseconds": forward.cpu,
            "forwardAndGradientMilliseconds": gradient.wall,
            "forwardAndGradientCPUMilliseconds": gradient.cpu,
          ]
          let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
          print(String(decoding: data, as: UTF8.self))
          continue
        }
        if profile, let network = classifier.network as? EfficientNetLite {
          profileStages(network, input: Normalization.efficientNetLite(images), runs: runs)
        }
        print(
          String(
            format: "%7d  %5d  %7.2f / %6.2f  %9.2f  %7.2f / %7.2f  %5.2f", count, batch,
            forward.wall, forward.cpu, forward.wall / Double(batch), gradient.wall, gradient.cpu,
            gradient.wall / forward.wall))
      }
    }
  }

  private func measure(_ classifier: Classifier, images: Tensor, runs: Int) -> (
    forward: Timing, forwardAndGradient: Timing
  ) {
    let (batch, classes) = (images.shape[0], classifier.classNames.count)
    let top = classifier.topPredictions(logits: classifier.logits(images), k: 1)
    var seed = Tensor(zeros: [batch, classes])
    seed.withUnsafeMutableBufferPointer { buffer in
      for (row, predictions) in top.enumerated() {
        buffer[row * classes + (predictions.first?.index ?? 0)] = 1
      }
    }
    let timings = medians(
      runs: runs,
      [
        { _ = classifier.logits(images) },
        {
          let (_, pullback) = classifier.logitsWithPullback(images)
          _ = pullback(seed)
        },
      ])
    return (timings[0], timings[1])
  }

  /// The median wall-clock time of `body` in milliseconds over `runs` runs, after two warm-up
  /// runs.
  func median(runs: Int, _ body: () -> Void) -> Double {
    withoutActuallyEscaping(body) { medians(runs: runs, [$0])[0].wall }
  }

  /// The median wall-clock and process CPU times of each body over `runs` rounds, after two
  /// warm-up rounds; the bodies run in turn within each round.
  private func medians(runs: Int, _ bodies: [() -> Void]) -> [Timing] {
    for _ in 0..<2 { for body in bodies { body() } }
    var wall = [[Double]](repeating: [], count: bodies.count)
    var cpu = wall
    for _ in 0..<runs {
      for (index, body) in bodies.enumerated() {
        let (startWall, startCPU) = (DispatchTime.now().uptimeNanoseconds, processCPUTime())
        body()
        wall[index].append(Double(DispatchTime.now().uptimeNanoseconds - startWall) / 1e6)
        cpu[index].append((processCPUTime() - startCPU) * 1e3)
      }
    }
    func middle(_ values: [Double]) -> Double {
      let sorted = values.sorted()
      let half = sorted.count / 2
      return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
    }
    return zip(wall, cpu).map { Timing(wall: middle($0), cpu: middle($1)) }
  }

  /// The CPU time consumed by every thread of the process, in seconds.
  private func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}

extension Classify {
  /// Times each kind of stage of EfficientNet-Lite0's planar layer-by-layer path (the one
  /// `forward(_:context:)` runs; inference runs on channel blocks) on `input` (normalised images,
  /// current thread count) and prints one line per kind, slowest first: the sum over the network of the
  /// median times of its stages run one at a time, and the GFLOP/s of the convolutions. ReLU6 is
  /// the time of a stage with its in-place clamp minus the time of its convolution alone.
  func profileStages(_ network: EfficientNetLite, input: Tensor, runs: Int) {
    var totals: [String: (milliseconds: Double, multiplyAdds: Double)] = [:]
    func add(_ kind: String, _ milliseconds: Double, multiplyAdds: Double = 0) {
      totals[kind, default: (0, 0)].milliseconds += milliseconds
      totals[kind, default: (0, 0)].multiplyAdds += multiplyAdds
    }
    func convolution(_ kind: String, _ unit: FoldedConvolution, _ x: Tensor) -> Tensor {
      let output = unit(x)
      let weight = unit.folded.weight.shape
      let convolutionTime = median(runs: runs) { _ = unit.folded(x) }
      add(
        kind, convolutionTime,
        multiplyAdds: Double(output.count) * Double(weight[1] * weight[2] * weight[3]))
      if unit.activation == .relu6 {
        add("ReLU6 in place", median(runs: runs) { _ = unit(x) } - convolutionTime)
      }
      return output
    }
    var x = convolution("stem 3x3 stride 2", network.stem, input)
    for block in network.blocks {
      let blockInput = x
      if let expansion = block.expansion { x = convolution("pointwise expand", expansion, x) }
      let kernel = block.depthwise.convolution.weight.shape[2]
      let stride = block.depthwise.convolution.configuration.stride.0
      x = convolution(
        "depthwise \(kernel)x\(kernel) s\(stride) \(x.shape[2])x\(x.shape[3])", block.depthwise, x)
      x = convolution("pointwise project", block.projection, x)
      if block.hasIdentitySkip {
        let projected = x
        add("skip add", median(runs: runs) { _ = projected + blockInput })
        x = projected + blockInput
      }
    }
    let headOutput = convolution("head 1x1", network.head, x)
    add(
      "pool + fc",
      median(runs: runs) { _ = network.classifier(Tensor.globalAveragePool2D(headOutput)) })
    for (kind, value) in totals.sorted(by: { $0.value.milliseconds > $1.value.milliseconds }) {
      let rate = value.multiplyAdds > 0 ? 2 * value.multiplyAdds / value.milliseconds / 1e6 : 0
      let name = kind.padding(toLength: 26, withPad: " ", startingAt: 0)
      print("  " + name + String(format: " %8.2f ms  %6.1f GFLOP/s", value.milliseconds, rate))
    }
  }
}
