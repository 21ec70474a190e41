import Models
import Tensor
import TestSupport
import XCTest

final class ForwardContextChildrenTests: XCTestCase {
  /// A layer that records the path it ran under.
  private struct PathProbe: Layer {
    let paths: PathLog
    func callAsFunction(_ input: Tensor) -> Tensor { input * 2 }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
      paths.append(context.currentPath)
      return (input * 2, { ($0 * 2, ParameterGradients()) })
    }
  }

  private final class PathLog: @unchecked Sendable {
    var values: [String] = []
    func append(_ value: String) { values.append(value) }
  }

  func testChildRunsUnderItsNameAndThePathIsRestored() {
    let log = PathLog()
    let context = ForwardContext()

    context.descend(into: "block") {
      _ = context.forward(PathProbe(paths: log), named: "conv", Tensor(shape: [1], scalars: [1]))
    }

    XCTAssertEqual(log.values, ["block.conv"])
    XCTAssertEqual(context.currentPath, "")
  }

  func testUncapturedChildRecordsNothing() {
    let context = ForwardContext(capturing: ["other"])
    let x = Tensor(shape: [2], scalars: [1, 2])

    let (y, pullback) = context.forward(PathProbe(paths: PathLog()), named: "conv", x)
    let gradient = pullback(Tensor(shape: [2], scalars: [1, 1])).input

    XCTAssertEqual(y, Tensor(shape: [2], scalars: [2, 4]))
    XCTAssertEqual(gradient, Tensor(shape: [2], scalars: [2, 2]))
    XCTAssertTrue(context.activations.isEmpty)
    XCTAssertTrue(context.activationGradients.isEmpty)
  }

  func testCapturedChildRecordsOutputAndIncomingGradientBeforeItsPullback() {
    let context = ForwardContext(capturing: ["conv"])
    let x = Tensor(shape: [2], scalars: [1, 2])

    let (y, pullback) = context.forward(PathProbe(paths: PathLog()), named: "conv", x)
    XCTAssertEqual(context.activations["conv"], y)
    XCTAssertNil(context.activationGradients["conv"], "nothing before the backward pass")

    let gradient = pullback(Tensor(shape: [2], scalars: [3, 5])).input

    XCTAssertEqual(context.activationGradients["conv"], Tensor(shape: [2], scalars: [3, 5]))
    XCTAssertEqual(gradient, Tensor(shape: [2], scalars: [6, 10]))
  }
}
