import Models
import Tensor
import TestSupport
import XCTest

final class BatchNorm2DTests: XCTestCase {
  private func layer(channels: Int, epsilon: Float = 1e-3) -> BatchNorm2D {
    var rng = SeededGenerator(seed: 1)
    return BatchNorm2D(
      weight: Tensor.normal([channels], using: &rng),
      bias: Tensor.normal([channels], using: &rng),
      runningMean: Tensor.normal([channels], using: &rng),
      runningVariance: Tensor.uniform([channels], low: 0.1, high: 2, using: &rng),
      epsilon: epsilon)
  }

  func testForwardIsTheNormalisationFormulaPerChannel() {
    let bn = layer(channels: 3)
    let x = layerTestNormal([2, 3, 3, 5], seed: 2)

    let y = bn(x)

    var expected: [Float] = []
    for n in 0..<2 {
      for c in 0..<3 {
        for i in 0..<3 {
          for j in 0..<5 {
            let normalised =
              (Double(x[n, c, i, j]) - Double(bn.runningMean[c]))
              / (Double(bn.runningVariance[c]) + 1e-3).squareRoot()
            expected.append(Float(normalised * Double(bn.weight[c]) + Double(bn.bias[c])))
          }
        }
      }
    }
    assertAllClose(y, Tensor(shape: [2, 3, 3, 5], scalars: expected), absoluteTolerance: 1e-5)
  }

  func testInputScaleAndShiftGradientsMatchFiniteDifferences() {
    assertLayerGradientsMatchFiniteDifferences(
      layer(channels: 3), at: layerTestNormal([2, 3, 3, 5], seed: 3))
  }

  func testRankTwoAndThreeInputsNormaliseAxisOne() {
    let bn = layer(channels: 4)
    let x = layerTestNormal([3, 4], seed: 4)

    let y = bn(x)

    let image = bn(x.reshaped(to: [3, 4, 1, 1]))
    assertAllClose(y, image.reshaped(to: [3, 4]), absoluteTolerance: 0)
    assertLayerGradientsMatchFiniteDifferences(bn, at: x)
    assertLayerGradientsMatchFiniteDifferences(bn, at: layerTestNormal([2, 4, 3], seed: 5))
  }

  func testRunningStatisticsAreBuffersWithoutGradients() {
    let bn = layer(channels: 2)
    var kinds: [String: ParameterKind] = [:]
    bn.visitParameters { name, kind, _ in kinds[name] = kind }

    let (_, pullback) = bn.forward(
      layerTestNormal([1, 2, 2, 2], seed: 6), context: ForwardContext(mode: .training))
    let gradients = pullback(Tensor(shape: [1, 2, 2, 2], repeating: 1)).parameters

    XCTAssertEqual(
      bn.parameterShapes.map(\.name), ["weight", "bias", "running_mean", "running_var"])
    XCTAssertEqual(kinds["running_mean"], .buffer)
    XCTAssertEqual(kinds["running_var"], .buffer)
    XCTAssertEqual(kinds["weight"], .trainable)
    XCTAssertEqual(gradients.names, ["weight", "bias"])
    XCTAssertEqual(bn.trainableParameterCount, 4)
  }

  func testTrainingModeStillUsesRunningStatistics() {
    let bn = layer(channels: 3)
    let x = layerTestNormal([4, 3, 2, 2], seed: 7)

    let training = bn.forward(x, context: ForwardContext(mode: .training)).output

    XCTAssertEqual(training, bn(x))
  }

  func testDefaultInitialisationIsTheIdentityUpToEpsilon() {
    let bn = BatchNorm2D(channelCount: 3, epsilon: 0)
    let x = layerTestNormal([1, 3, 2, 3], seed: 8)

    XCTAssertEqual(bn(x), x)
    XCTAssertEqual(bn.channelCount, 3)
  }
}
