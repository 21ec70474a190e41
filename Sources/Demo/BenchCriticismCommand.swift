import ArgumentParser
import BiasProbe
import Foundation
import Tensor

/// `demo bench-criticism`: times MMD-critic (kernel row sums, greedy prototypes, criticisms) on
/// seeded normal points, on each thread count. The numpy port of the reference `mmd.py`
/// (`Tools/make_mmd_critic_fixtures.py --bench`, same sizes and default `γ = 1/(2d)`) is the
/// side-by-side figure; see `Docs/Criticism.md`.
struct BenchCriticism: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-criticism",
    abstract: "Time MMD-critic prototypes and criticisms on random points.")

  @Option(help: "Number of points.")
  var points = 10_000

  @Option(help: "Feature dimensions.")
  var dimensions = 1280

  @Option(help: "Number of prototypes.")
  var prototypes = 32

  @Option(help: "Number of criticisms (log-determinant regulariser).")
  var criticisms = 10

  @Option(help: "RBF gamma (default 1/(2·dimensions)).")
  var gamma: Double?

  @Option(help: "Rows per kernel block.")
  var blockRows = 256

  @Option(help: "Comma-separated thread counts.")
  var threads = "1,2"

  @Option(help: "Timed runs per thread count (the median is reported).")
  var runs = 3

  @Flag(help: "Print one JSON object per thread count instead of a table.")
  var json = false

  /// CPU time of the whole process (all threads), in seconds: under contention from other
  /// processes it is steadier than wall time.
  static func processorSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// The `--threads` list (checked in `validate()`).
  private var threadCounts: [Int] { (try? ThreadCounts.parse(threads)) ?? [] }

  func validate() throws {
    guard points >= 2, dimensions >= 1, prototypes >= 1, criticisms >= 0, runs >= 1, blockRows >= 1
    else {
      throw ValidationError(
        "--points must be at least 2, --dimensions, --prototypes, --runs and --block-rows at least 1.")
    }
    _ = try ThreadCounts.parse(threads)
  }

  func run() throws {
    var rng = SeededGenerator(seed: 0)
    let features = Tensor.normal([points, dimensions], using: &rng)
    let options = RBFKernel.Options(
      bandwidth: .gamma(gamma ?? 1 / (2 * Double(dimensions))), blockRows: blockRows)
    if !json {
      print("MMD-critic, \(points) points × \(dimensions), \(prototypes) prototypes, "
        + "\(criticisms) log-det criticisms (median of \(runs) runs, seconds)")
      print("threads  kernel  prototypes  criticisms   total   total CPU")
    }
    for threadCount in threadCounts {
      ComputeThreads.set(threadCount)
      var timings: [[Double]] = []
      var last: (Selection, Selection)? = nil
      for _ in 0..<runs {
        let cpuStart = BenchCriticism.processorSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let kernel = try RBFKernel(features: features, options: options)
        let kernelDone = DispatchTime.now().uptimeNanoseconds
        let selector = MMDPrototypes(count: prototypes, kernel: options)
        let chosen = selector.select(in: kernel)
        let prototypesDone = DispatchTime.now().uptimeNanoseconds
        let critics = MMDCriticisms(
          count: criticisms, regularizer: .logDeterminant, prototypes: selector
        ).select(in: kernel, prototypes: chosen.indices)
        let end = DispatchTime.now().uptimeNanoseconds
        let cpu = BenchCriticism.processorSeconds() - cpuStart
        last = (chosen, critics)
        timings.append(
          [kernelDone - start, prototypesDone - kernelDone, end - prototypesDone, end - start]
            .map { Double($0) / 1e9 } + [cpu])
      }
      let median = (0..<5).map { column -> Double in
        let sorted = timings.map { $0[column] }.sorted()
        return sorted[sorted.count / 2]
      }
      if json {
        let fields = [
          "\"threads\": \(threadCount)", "\"points\": \(points)", "\"dimensions\": \(dimensions)",
          "\"kernelSeconds\": \(median[0])", "\"prototypeSeconds\": \(median[1])",
          "\"criticismSeconds\": \(median[2])", "\"seconds\": \(median[3])",
          "\"cpuSeconds\": \(median[4])",
          "\"prototypes\": \(last!.0.indices)", "\"criticisms\": \(last!.1.indices)",
        ]
        print("{" + fields.joined(separator: ", ") + "}")
      } else {
        print(
          String(
            format: "%7d  %6.3f  %10.3f  %10.3f  %6.3f  %10.3f", threadCount, median[0], median[1],
            median[2], median[3], median[4]))
      }
    }
  }
}
