import ArgumentParser
import Foundation
import Tensor

/// `demo bench-layers`: times each distinct convolution of ResNet-50 (shape, stride, padding)
/// on its own, and the network's total convolution time predicted from them.
///
/// Each figure is the median of `--runs` runs after `--warmup` untimed ones, in process CPU
/// milliseconds (robust on a loaded machine with one thread) and wall milliseconds, with the
/// rate in GFLOP/s of wall time and CPU time. `count` is how often the shape occurs in
/// ResNet-50; the last line sums `count × time` per layer kind.
struct BenchLayers: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-layers",
    abstract: "Time every distinct convolution of ResNet-50 on its own.")

  @Option(help: "Images per call.")
  var batch = 1

  @Option(help: "Thread count.")
  var threads = 1

  @Option(help: "Timed runs per shape (the median is reported).")
  var runs = 11

  @Option(help: "Untimed runs before timing.")
  var warmup = 2

  func validate() throws {
    guard batch >= 1, threads >= 1, runs >= 1, warmup >= 0 else {
      throw ValidationError("--batch, --threads and --runs must be positive, --warmup ≥ 0.")
    }
  }

  /// One convolution of ResNet-50: channels in and out, kernel, stride, input size and how
  /// many times it occurs.
  struct Layer {
    let kind: String
    let input: Int
    let output: Int
    let kernel: Int
    let stride: Int
    let size: Int
    let count: Int
  }

  static let layers: [Layer] = [
    Layer(kind: "7x7 stem", input: 3, output: 64, kernel: 7, stride: 2, size: 224, count: 1),
    Layer(kind: "1x1", input: 64, output: 64, kernel: 1, stride: 1, size: 56, count: 1),
    Layer(kind: "1x1", input: 256, output: 64, kernel: 1, stride: 1, size: 56, count: 2),
    Layer(kind: "3x3", input: 64, output: 64, kernel: 3, stride: 1, size: 56, count: 3),
    Layer(kind: "1x1", input: 64, output: 256, kernel: 1, stride: 1, size: 56, count: 4),
    Layer(kind: "1x1", input: 256, output: 128, kernel: 1, stride: 1, size: 56, count: 1),
    Layer(kind: "3x3 s2", input: 128, output: 128, kernel: 3, stride: 2, size: 56, count: 1),
    Layer(kind: "1x1 s2", input: 256, output: 512, kernel: 1, stride: 2, size: 56, count: 1),
    Layer(kind: "1x1", input: 128, output: 512, kernel: 1, stride: 1, size: 28, count: 4),
    Layer(kind: "1x1", input: 512, output: 128, kernel: 1, stride: 1, size: 28, count: 3),
    Layer(kind: "3x3", input: 128, output: 128, kernel: 3, stride: 1, size: 28, count: 3),
    Layer(kind: "1x1", input: 512, output: 256, kernel: 1, stride: 1, size: 28, count: 1),
    Layer(kind: "3x3 s2", input: 256, output: 256, kernel: 3, stride: 2, size: 28, count: 1),
    Layer(kind: "1x1 s2", input: 512, output: 1024, kernel: 1, stride: 2, size: 28, count: 1),
    Layer(kind: "1x1", input: 256, output: 1024, kernel: 1, stride: 1, size: 14, count: 6),
    Layer(kind: "1x1", input: 1024, output: 256, kernel: 1, stride: 1, size: 14, count: 5),
    Layer(kind: "3x3", input: 256, output: 256, kernel: 3, stride: 1, size: 14, count: 5),
    Layer(kind: "1x1", input: 1024, output: 512, kernel: 1, stride: 1, size: 14, count: 1),
    Layer(kind: "3x3 s2", input: 512, output: 512, kernel: 3, stride: 2, size: 14, count: 1),
    Layer(kind: "1x1 s2", input: 1024, output: 2048, kernel: 1, stride: 2, size: 14, count: 1),
    Layer(kind: "1x1", input: 512, output: 2048, kernel: 1, stride: 1, size: 7, count: 3),
    Layer(kind: "1x1", input: 2048, output: 512, kernel: 1, stride: 1, size: 7, count: 2),
    Layer(kind: "3x3", input: 512, output: 512, kernel: 3, stride: 1, size: 7, count: 2),
  ]

  func run() throws {
    let previous = ComputeThreads.count
    ComputeThreads.set(threads)
    defer { ComputeThreads.set(previous) }
    print(
      "ResNet-50 convolutions, batch \(batch), \(threads) thread(s), medians of \(runs) runs; "
        + "OpenBLAS core \(ComputeThreads.blasCoreName)")
    print("kind      in→out   size  count   CPU ms   wall ms  GFLOP/s (CPU)")
    var totals: [String: Double] = [:]
    var order: [String] = []
    for layer in Self.layers {
      var rng = SeededGenerator(seed: 1)
      let x = Tensor.normal([batch, layer.input, layer.size, layer.size], using: &rng)
      let w = Tensor.normal(
        [layer.output, layer.input, layer.kernel, layer.kernel], standardDeviation: 0.05,
        using: &rng)
      let configuration = Convolution2DConfiguration(
        stride: layer.stride, padding: .symmetric(layer.kernel / 2))
      let shape = configuration.outputShape(inputShape: x.shape, weightShape: w.shape)
      let flops =
        2.0 * Double(shape.reduce(1, *) * layer.input * layer.kernel * layer.kernel)
      for _ in 0..<warmup { _ = Tensor.convolution2D(x, weight: w, configuration: configuration) }
      var cpu: [Double] = []
      var wall: [Double] = []
      for _ in 0..<runs {
        let (startWall, startCPU) = (DispatchTime.now().uptimeNanoseconds, processCPUTime())
        _ = Tensor.convolution2D(x, weight: w, configuration: configuration)
        wall.append(Double(DispatchTime.now().uptimeNanoseconds - startWall) / 1e6)
        cpu.append((processCPUTime() - startCPU) * 1e3)
      }
      let (cpuMedian, wallMedian) = (median(cpu), median(wall))
      if totals[layer.kind] == nil { order.append(layer.kind) }
      totals[layer.kind, default: 0] += Double(layer.count) * cpuMedian
      print(
        String(
          format: "%-8@ %4d→%-4d %4d %5d %8.2f %9.2f %8.1f", layer.kind as NSString, layer.input,
          layer.output, layer.size, layer.count, cpuMedian, wallMedian,
          flops / cpuMedian / 1e6))
    }
    let parts = order.map { String(format: "%@ %.1f", $0 as NSString, totals[$0] ?? 0) }
    print(
      String(format: "total CPU ms (count × median): %.1f = ", totals.values.reduce(0, +))
        + parts.joined(separator: " + "))
  }

  private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let half = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
  }

  /// The CPU time of every thread of the process, in seconds.
  private func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}
