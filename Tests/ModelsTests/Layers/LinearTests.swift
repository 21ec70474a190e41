import Models
import Tensor
import TestSupport
import XCTest

final class LinearTests: XCTestCase {
  func testForwardIsInputTimesWeightTransposedPlusBias() {
    let x = layerTestNormal([3, 5], seed: 1)
    let weight = layerTestNormal([7, 5], seed: 2)
    let bias = layerTestNormal([7], seed: 3)

    let y = Linear(weight: weight, bias: bias)(x)

    var expected: [Float] = []
    for n in 0..<3 {
      for o in 0..<7 {
        var sum = Double(bias[o])
        for i in 0..<5 { sum += Double(x[n, i]) * Double(weight[o, i]) }
        expected.append(Float(sum))
      }
    }
    assertAllClose(y, Tensor(shape: [3, 7], scalars: expected), absoluteTolerance: 1e-5)
  }

  func testWithoutBiasIsThePlainProduct() {
    let x = layerTestNormal([2, 3], seed: 4)
    let weight = layerTestNormal([4, 3], seed: 5)

    let layer = Linear(weight: weight)

    assertAllClose(
      layer(x), Linear(weight: weight, bias: Tensor(zeros: [4]))(x), absoluteTolerance: 0)
    XCTAssertEqual(layer.parameterShapes.map(\.name), ["weight"])
  }

  func testInputWeightAndBiasGradientsMatchFiniteDifferences() {
    let layer = Linear(
      weight: layerTestNormal([7, 5], seed: 6), bias: layerTestNormal([7], seed: 7))
    assertLayerGradientsMatchFiniteDifferences(layer, at: layerTestNormal([3, 5], seed: 8))

    let biasless = Linear(weight: layerTestNormal([2, 3], seed: 9))
    assertLayerGradientsMatchFiniteDifferences(biasless, at: layerTestNormal([1, 3], seed: 10))
  }

  func testDefaultInitialisationIsUniformWithinOneOverRootInputs() {
    var rng = SeededGenerator(seed: 11)
    let layer = Linear(inputFeatures: 16, outputFeatures: 40, using: &rng)

    XCTAssertEqual(layer.parameterShapes.map(\.shape), [[40, 16], [40]])
    XCTAssertEqual(layer.inputFeatures, 16)
    XCTAssertEqual(layer.outputFeatures, 40)
    let largest = layer.weight.scalars.map(abs).max() ?? 0
    XCTAssertLessThan(largest, 0.25)
    XCTAssertGreaterThan(largest, 0.24)
  }
}
