import Explain
import Foundation
import Tensor
import XCTest

/// Wall times of the segmenters on the 224 × 224 fixture photographs (median of 7 runs, 1 and 2
/// threads), printed for Docs/Superpixels.md. Skipped unless `SUPERPIXEL_BENCHMARK=1`:
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
          for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try segmenter.segment(image)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
          }
          line += String(format: " %d thread(s) %.1f ms", count, times.sorted()[3])
        }
        print(line)
      }
    }
  }
}
