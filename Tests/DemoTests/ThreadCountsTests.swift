import Foundation
import TestSupport
import XCTest

/// The `--threads` list shared by `bench`, `bench-model`, `bench-attacks` and `bench-criticism`.
final class ThreadCountsTests: XCTestCase {
  func testEveryBenchCommandRefusesAListWithAnEntryThatIsNotAPositiveInteger() throws {
    let commands = [["bench"], ["bench-model", "resnet18"], ["bench-attacks"], ["bench-criticism"]]
    for command in commands {
      for list in ["1,a", "0", "2,", ""] {
        // Act
        let run = try runDemo(command + ["--threads", list])
        // Assert: a one-line usage error naming the option, before any work.
        XCTAssertNotEqual(run.status, 0, "\(command) --threads '\(list)'")
        XCTAssertTrue(
          run.standardError.contains("--threads must list positive integers"),
          "\(command) --threads '\(list)': \(run.standardError)")
      }
    }
  }

  func testAValidListRuns() throws {
    // Act: the smallest MMD-critic benchmark on one thread.
    let run = try runDemo([
      "bench-criticism", "--threads", " 1 ", "--runs", "1", "--points", "300", "--dimensions", "8",
    ])
    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
  }
}
