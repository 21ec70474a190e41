import ArgumentParser
import Foundation
import Models
import Tensor

/// `demo bench-model ARCHITECTURE`: times a torchvision architecture's forward pass (and, with
/// `--gradient`, forward + input gradient) on a seeded normal input, on each thread count.
///
/// The weights are torchvision's random initialisation unless `--weights` names a state dict
/// (the same file onnxruntime runs, for `Benchmarks/onnxruntime_torchvision.py`). Each figure is
/// the median over `--runs` rounds after `--warmup` untimed ones, wall-clock and process CPU
/// time. Freed memory is kept for reuse (see `Classify.keepFreedMemory`).
struct BenchModel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-model",
    abstract: "Time a torchvision architecture (resnet50, vgg16_bn, ...) on random input.")

  @Argument(
    help: ArgumentHelp(
      "The torchvision builder name: "
        + TorchvisionArchitecture.allCases.map(\.torchvisionName).joined(separator: ", ") + ".",
      valueName: "architecture"))
  var architecture: String

  @Option(help: "A state dict (.pth, .safetensors, .npz) with torchvision's keys.")
  var weights: String?

  @Option(help: "Images per forward pass.")
  var batch = 1

  @Option(help: "Input height and width.")
  var size = 224

  @Option(help: "Comma-separated thread counts.")
  var threads = "1,2"

  @Option(help: "Timed runs per measurement (the median is reported).")
  var runs = 21

  @Option(help: "Untimed runs before timing.")
  var warmup = 3

  @Flag(help: "Also time the forward pass with the input gradient (one pullback).")
  var gradient = false

  @Flag(help: "Print one JSON object per thread count instead of a table.")
  var json = false

  func validate() throws {
    guard let architecture = TorchvisionArchitecture(torchvisionName: architecture) else {
      throw ValidationError(
        "Unknown architecture '\(self.architecture)'; use one of "
          + TorchvisionArchitecture.allCases.map(\.torchvisionName).joined(separator: ", ") + ".")
    }
    guard batch >= 1, runs >= 1, warmup >= 0 else {
      throw ValidationError("--batch and --runs must be at least 1 and --warmup at least 0.")
    }
    guard size >= architecture.minimumInputSize else {
      throw ValidationError(
        "--size must be at least \(architecture.minimumInputSize) for \(self.architecture).")
    }
    _ = try ThreadCounts.parse(threads)
  }

  /// The `--threads` list (checked in `validate()`).
  private var threadCounts: [Int] { (try? ThreadCounts.parse(threads)) ?? [] }

  func run() throws {
    Classify.keepFreedMemory()
    guard let architecture = TorchvisionArchitecture(torchvisionName: architecture) else {
      throw ValidationError("Unknown architecture '\(self.architecture)'.")
    }
    var rng = SeededGenerator(seed: 0)
    var network = architecture.makeNetwork(using: &rng)
    if let weights { try network.load(contentsOf: URL(fileURLWithPath: weights)) }
    let input = Tensor.normal([batch, 3, size, size], using: &rng)
    let seed = Tensor.normal(network(input).shape, using: &rng)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    if !json {
      print(
        "\(architecture.torchvisionName) batch \(batch) \(size)×\(size), medians of \(runs) "
          + "runs in ms (wall / process CPU); OpenBLAS core \(ComputeThreads.blasCoreName)")
      print("threads  forward" + (gradient ? "            forward+gradient" : ""))
    }
    for count in threadCounts {
      ComputeThreads.set(count)
      var bodies: [() -> Void] = [{ _ = network(input) }]
      if gradient {
        bodies.append {
          let (_, pullback) = network.forward(input, context: ForwardContext())
          _ = pullback(seed)
        }
      }
      let timings = medians(bodies)
      if json {
        var object: [String: Any] = [
          "architecture": architecture.torchvisionName, "threads": count, "batch": batch,
          "size": size, "runs": runs, "blasCore": ComputeThreads.blasCoreName,
          "forwardMilliseconds": timings[0].wall, "forwardCPUMilliseconds": timings[0].cpu,
        ]
        if gradient {
          object["forwardAndGradientMilliseconds"] = timings[1].wall
          object["forwardAndGradientCPUMilliseconds"] = timings[1].cpu
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
      } else {
        var line = String(format: "%7d  %7.2f / %7.2f", count, timings[0].wall, timings[0].cpu)
        if gradient {
          line += String(format: "  %7.2f / %7.2f", timings[1].wall, timings[1].cpu)
        }
        print(line)
      }
    }
  }

  /// The median wall-clock and process CPU milliseconds of each body over `runs` rounds, after
  /// `warmup` rounds; the bodies alternate within a round, so load changes affect them alike.
  private func medians(_ bodies: [() -> Void]) -> [(wall: Double, cpu: Double)] {
    for _ in 0..<warmup { for body in bodies { body() } }
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
    return zip(wall, cpu).map { (middle($0), middle($1)) }
  }

  /// The CPU time of every thread of the process, in seconds.
  private func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}
