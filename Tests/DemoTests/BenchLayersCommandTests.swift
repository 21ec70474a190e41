import Foundation
import TestSupport
import XCTest

final class BenchLayersCommandTests: XCTestCase {
  func testTimesEveryResNet50ConvolutionAndSumsThemByKind() throws {
    // Act
    let run = try runDemo(["bench-layers", "--runs", "1", "--warmup", "0"])
    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    let rows = run.lines.filter { $0.hasPrefix("1x1") || $0.hasPrefix("3x3") || $0.hasPrefix("7x7") }
    XCTAssertEqual(rows.count, 23, run.standardOutput)
    // Each row: kind, in→out, size, count, CPU ms, wall ms, GFLOP/s; the counts are
    // ResNet-50's 53 convolutions.
    var counts = 0
    var sum = 0.0
    for row in rows {
      let fields = row.split(separator: " ").map(String.init)
      let numbers = fields.suffix(5).compactMap(Double.init)
      XCTAssertEqual(numbers.count, 5, row)
      guard numbers.count == 5 else { continue }
      XCTAssertGreaterThan(numbers[2], 0, row)
      counts += Int(numbers[1])
      sum += numbers[1] * numbers[2]
    }
    XCTAssertEqual(counts, 53)
    let total = try XCTUnwrap(run.lines.last { $0.hasPrefix("total CPU ms") })
    let value = try XCTUnwrap(
      total.split(separator: ":").last?.split(separator: "=").first.flatMap {
        Double($0.trimmingCharacters(in: .whitespaces))
      })
    XCTAssertEqual(value, sum, accuracy: 0.05 * Double(rows.count) + 0.1, total)
  }

  func testRejectsZeroRuns() throws {
    let run = try runDemo(["bench-layers", "--runs", "0"])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("--runs"), run.standardError)
  }
}
