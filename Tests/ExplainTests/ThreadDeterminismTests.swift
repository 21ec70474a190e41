import Explain
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// The seeded explanations give bit-identical maps on one and on two threads (`ComputeThreads`):
/// the threaded convolutions, BLAS calls and batched passes split work without changing any
/// reduction order, and the noise comes from the seed alone.
final class ThreadDeterminismTests: XCTestCase {
  private var savedThreadCount = 1

  override func setUp() {
    savedThreadCount = ComputeThreads.count
  }

  override func tearDown() {
    ComputeThreads.set(savedThreadCount)
  }

  /// `attribution` computed with 1, then 2 threads.
  private func onOneAndTwoThreads(_ attribution: () throws -> Tensor) rethrows -> (Tensor, Tensor) {
    ComputeThreads.set(1)
    let one = try attribution()
    ComputeThreads.set(2)
    let two = try attribution()
    return (one, two)
  }

  /// Asserts bit-identical scalars (not merely close), and that the map is not trivial.
  private func assertBitIdentical(
    _ pair: (Tensor, Tensor), _ name: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    let (one, two) = pair
    XCTAssertEqual(one.shape, two.shape, name, file: file, line: line)
    let a = one.scalars.map(\.bitPattern)
    let b = two.scalars.map(\.bitPattern)
    let differing = zip(a, b).filter { $0 != $1 }.count
    XCTAssertEqual(differing, 0, "\(name): \(differing) of \(a.count) values differ", file: file, line: line)
    XCTAssertTrue(one.scalars.contains { $0 != 0 }, "\(name) is all zero", file: file, line: line)
  }

  func testLite0ExplanationsAreBitIdenticalOnOneAndTwoThreads() throws {
    let classifier = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let espresso = 967

    let smoothGrad = try SmoothGrad(
      classifier: classifier, noiseLevel: 0.15, sampleCount: 4, batchSize: 2, seed: 11)
    assertBitIdentical(
      try onOneAndTwoThreads { try smoothGrad.attribute(crop, target: espresso) }, "SmoothGrad")

    let integrated = try IntegratedGradients(
      classifier: classifier, stepCount: 4, rule: .gaussLegendre, batchSize: 2)
    assertBitIdentical(
      try onOneAndTwoThreads { try integrated.attribute(crop, target: espresso) },
      "IntegratedGradients")

    let occlusion = try Occlusion(
      classifier: classifier, patch: (56, 56), stride: (56, 56), baseline: 0.5, batchSize: 9)
    assertBitIdentical(
      try onOneAndTwoThreads { try occlusion.attribute(crop, target: espresso) }, "Occlusion")
  }
}
