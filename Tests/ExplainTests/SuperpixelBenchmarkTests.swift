import Explain
import Foundation
import Tensor
import XCTest

/// Times of the segmenters on the 224 × 224 fixture photographs, printed for
/// Docs/Superpixels.md: the median of 7 runs of the wall time on 1 and 2 threads and of the
/// process CPU time on 1 thread (steadier than wall time on a shared machine). Skipped unless `SUPERPIXEL_BENCHMARK=1`:
///
///     SUPERPIXEL_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing \
///         --filter SuperpixelBenchmarkTests
///
/// The scikit-image side: `Tools/make_superpixel_fixtures.py --time`.
final class SuperpixelBenchmarkTests: XCTestCase {
  func testPrintMedianTimes() throws {
    try XCTSkipUnless(
      ProcessInfo.processInfo.environment["SUPERPIXEL_BENCHMARK"] == "1",
      "Set SUPERPIXEL_BENCHMARK=1 to time the segmenters.")
    let segmenters: [(String, any Segmenter)] = [
      ("quickshift", Quickshift()),
      ("slic100", SLIC(segmentCount: 100, compactness: 10)),
      ("slic200", SLIC(segmentCount: 200, compactness: 20, sigma: 1)),
    ]
    let threads = ComputeThreads.count
    defer { ComputeThreads.set(threads) }
    for name in SuperpixelFixtures.names {
      let image = try SuperpixelFixtures.input(name)
      for (label, segmenter) in segmenters {
        var line = "\(name) \(label):"
        for count in [1, 2] {
          ComputeThreads.set(count)
          _ = try segmenter.segment(image)
          var times = [Double]()
          var cpuTimes = [Double]()
          for _ in 0..<7 {
            let cpuStart = processCPUMilliseconds()
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try segmenter.segment(image)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            cpuTimes.append(processCPUMilliseconds() - cpuStart)
          }
          line += String(format: " %d thread(s) %.1f ms", count, times.sorted()[3])
          if count == 1 { line += String(format: " (CPU %.1f ms)", cpuTimes.sorted()[3]) }
        }
        print(line)
      }
    }
  }
}

/// The CPU time used by the process so far, in milliseconds.
private func processCPUMilliseconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
  return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}
