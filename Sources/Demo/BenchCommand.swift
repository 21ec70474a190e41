import ArgumentParser
import COpenBLAS
import Foundation
import Tensor

/// `demo bench`: times the convolution kernels on ResNet and EfficientNet-Lite0 shapes next to a
/// plain `cblas_sgemm` of the same GEMM shape (`M = O/groups`, `N = Ho·Wo`, `K = C/groups·KH·KW`,
/// repeated once per group and image), on 1 and 2 threads.
///
/// Each figure is the median of `--runs` timed runs after `--warmup` untimed ones (see
/// `medians` for how the runs are ordered). GFLOP/s count
/// `2 · N · O · Ho · Wo · C/groups · KH · KW` for the forward pass and for each of the input and
/// weight gradients.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Benchmark convolution forward and backward against plain SGEMM.")

  @Option(help: "Timed runs per measurement (the median is reported).")
  var runs = 15

  @Option(help: "Untimed runs before timing.")
  var warmup = 3

  @Option(help: "Comma-separated thread counts.")
  var threads = "1,2"

  @Flag(help: "Print one JSON object per measurement instead of a table.")
  var json = false

  func validate() throws {
    guard runs >= 1, warmup >= 0 else {
      throw ValidationError("--runs must be at least 1 and --warmup at least 0.")
    }
    _ = try ThreadCounts.parse(threads)
  }

  /// The `--threads` list (checked in `validate()`).
  private var threadCounts: [Int] { (try? ThreadCounts.parse(threads)) ?? [] }

  /// One benchmarked convolution.
  struct Shape {
    let name: String
    let input: [Int]
    let weight: [Int]
    let configuration: Convolution2DConfiguration
  }

  static let shapes = [
    Shape(
      name: "ResNet 3x3 64->64 56x56", input: [1, 64, 56, 56], weight: [64, 64, 3, 3],
      configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1))),
    Shape(
      name: "ResNet 3x3 512->512 7x7", input: [1, 512, 7, 7], weight: [512, 512, 3, 3],
      configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1))),
    Shape(
      name: "ResNet 1x1 256->64 56x56", input: [1, 256, 56, 56], weight: [64, 256, 1, 1],
      configuration: Convolution2DConfiguration()),
    Shape(
      name: "depthwise 3x3 96x112x112", input: [1, 96, 112, 112], weight: [96, 1, 3, 3],
      configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1), groups: 96)),
    Shape(
      name: "depthwise 3x3 s2 96x112x112", input: [1, 96, 112, 112], weight: [96, 1, 3, 3],
      configuration: Convolution2DConfiguration(stride: 2, padding: .same, groups: 96)),
    Shape(
      name: "Lite0 stem 3x3 s2 3->32 224", input: [1, 3, 224, 224], weight: [32, 3, 3, 3],
      configuration: Convolution2DConfiguration(stride: 2, padding: .same)),
  ]

  /// The timings of one shape on one thread count, in milliseconds.
  struct Measurement {
    let shape: Shape
    let threads: Int
    /// `(M, N, K)` of the equivalent GEMM.
    let gemmShape: [Int]
    let flops: Double
    let gemm: Double
    let forward: Double
    let inputGradient: Double
    let weightGradient: Double

    func rate(_ milliseconds: Double) -> Double { flops / milliseconds / 1e6 }
  }

  func run() throws {
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    if json {
      let header: [String: Any] = ["blasCore": ComputeThreads.blasCoreName, "runs": runs]
      try printJSON(header)
    } else {
      print(
        "OpenBLAS core: \(ComputeThreads.blasCoreName); median of \(runs) runs after "
          + "\(warmup) warm-up; GFLOP/s (ms)")
      print(
        column("shape", 30) + column("thr", 4) + column("sgemm", 16) + column("forward", 16)
          + column("fwd/gemm", 9) + column("input grad", 16) + "weight grad")
    }
    for shape in Self.shapes {
      for count in threadCounts {
        ComputeThreads.set(count)
        let measurement = measure(shape, threads: count)
        if json {
          try printJSON(object(measurement))
        } else {
          print(row(measurement))
        }
      }
    }
  }

  private func measure(_ shape: Shape, threads: Int) -> Measurement {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.uniform(shape.input, low: -1, high: 1, using: &rng)
    let w = Tensor.uniform(shape.weight, low: -1, high: 1, using: &rng)
    let bias = Tensor.uniform([shape.weight[0]], low: -1, high: 1, using: &rng)
    let outputShape = shape.configuration.outputShape(
      inputShape: shape.input, weightShape: shape.weight)
    let dy = Tensor.uniform(outputShape, low: -1, high: 1, using: &rng)
    let groups = shape.configuration.groups
    let m = shape.weight[0] / groups
    let n = outputShape[2] * outputShape[3]
    let k = shape.weight[1] * shape.weight[2] * shape.weight[3]
    let flops = 2.0 * Double(shape.input[0] * groups * m * n * k)

    var rngGEMM = SeededGenerator(seed: 2)
    let a = Tensor.uniform([m, k], low: -0.5, high: 0.5, using: &rngGEMM)
    let bMatrix = Tensor.uniform([k, n], low: -0.5, high: 0.5, using: &rngGEMM)
    var c = Tensor(zeros: [m, n])
    let repeats = groups * shape.input[0]
    let times = a.withUnsafeBufferPointer { a in
      bMatrix.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          medians(
            settling: threads > 1,
            [
              {
                for _ in 0..<repeats {
                  cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a.baseAddress, blasint(k), b.baseAddress, blasint(n), 0, c.baseAddress,
                    blasint(n))
                }
              },
              {
                _ = Tensor.convolution2D(
                  x, weight: w, bias: bias, configuration: shape.configuration)
              },
              {
                _ = Tensor.convolution2DInputGradient(
                  dy, weight: w, inputShape: shape.input, configuration: shape.configuration)
              },
              {
                _ = Tensor.convolution2DWeightGradient(
                  dy, input: x, weightShape: shape.weight, configuration: shape.configuration)
              },
            ])
        }
      }
    }
    return Measurement(
      shape: shape, threads: threads, gemmShape: [m, n, k], flops: flops, gemm: times[0],
      forward: times[1], inputGradient: times[2], weightGradient: times[3])
  }

  /// The median wall time of each body in milliseconds.
  ///
  /// The bodies run in blocks of consecutive calls (as in a network, where one kind of call
  /// follows another without pause), each block after an untimed warm-up call, and the blocks
  /// take turns three times so that a change in machine load affects all bodies alike. With
  /// `settling` (more than one thread), an untimed 0.2 s pause follows every block: after a
  /// multi-threaded call OpenBLAS's worker threads keep spinning for about 0.1 s, and the
  /// library's own workers for 2 ms, and either would take a core from the next block.
  private func medians(settling: Bool, _ bodies: [() -> Void]) -> [Double] {
    let cycles = 3
    for _ in 0..<warmup { for body in bodies { body() } }
    var times = [[Double]](repeating: [], count: bodies.count)
    for cycle in 0..<cycles {
      let count = runs * (cycle + 1) / cycles - runs * cycle / cycles
      for (index, body) in bodies.enumerated() {
        if settling { usleep(200_000) }
        body()
        for _ in 0..<count {
          let start = DispatchTime.now().uptimeNanoseconds
          body()
          times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
      }
    }
    return times.map { values in
      let sorted = values.sorted()
      let middle = sorted.count / 2
      return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
  }

  private func row(_ m: Measurement) -> String {
    func cell(_ milliseconds: Double) -> String {
      column(String(format: "%6.1f (%.3f)", m.rate(milliseconds), milliseconds), 16)
    }
    return column(m.shape.name, 30) + column("\(m.threads)", 4) + cell(m.gemm) + cell(m.forward)
      + column(String(format: "%.0f%%", 100 * m.gemm / m.forward), 9) + cell(m.inputGradient)
      + cell(m.weightGradient).trimmingCharacters(in: .whitespaces)
  }

  private func object(_ m: Measurement) -> [String: Any] {
    [
      "shape": m.shape.name, "input": m.shape.input, "weight": m.shape.weight,
      "groups": m.shape.configuration.groups, "threads": m.threads, "gemmMNK": m.gemmShape,
      "gemmMilliseconds": m.gemm, "forwardMilliseconds": m.forward,
      "inputGradientMilliseconds": m.inputGradient,
      "weightGradientMilliseconds": m.weightGradient,
      "gemmGFLOPS": m.rate(m.gemm), "forwardGFLOPS": m.rate(m.forward),
      "inputGradientGFLOPS": m.rate(m.inputGradient),
      "weightGradientGFLOPS": m.rate(m.weightGradient),
      "forwardOverGEMM": m.gemm / m.forward,
    ]
  }

  private func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
  }

  private func column(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }
}
