import Foundation
import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class IntegratedGradientsTests: XCTestCase {
  func testIntegratedGradientsOfALinearModelIsInputMinusBaselineTimesWeight() throws {
    let model = LinearTestClassifier()
    let image = testImage()
    let baseline = testImage(seed: 11)
    let expectedZero = model.weight[index: 1].reshaped(to: [3, 4, 5]) * image
    let expectedCustom = model.weight[index: 1].reshaped(to: [3, 4, 5]) * (image - baseline)
    for rule in IntegratedGradients.Rule.allCases {
      let zero = try IntegratedGradients(classifier: model, stepCount: 3, rule: rule)
      assertAllClose(try zero.attribute(image, target: 1), expectedZero, "\(rule)")
      let custom = try IntegratedGradients(
        classifier: model, baseline: .custom(baseline), stepCount: 7, rule: rule, batchSize: 2)
      let result = try custom.attributeWithCompleteness(image, target: 1)
      assertAllClose(result.attribution, expectedCustom, "\(rule)")
      XCTAssertLessThan(result.completenessError, 1e-4, "\(rule)")
    }
  }

  func testQuadratureWeightsSumToOneAndGaussLegendreIsExactForDegreeTwoNMinusOne() {
    for rule in IntegratedGradients.Rule.allCases {
      for n in [2, 5, 32] {
        let (alphas, weights) = rule.nodesAndWeights(count: n)
        XCTAssertEqual(alphas.count, n)
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-12, "\(rule) \(n)")
        XCTAssertTrue(alphas.allSatisfy { (0...1).contains($0) })
      }
    }
    // ∫₀¹ α⁹ dα = 1/10 exactly with 5 Gauss–Legendre nodes.
    let (alphas, weights) = IntegratedGradients.Rule.gaussLegendre.nodesAndWeights(count: 5)
    let integral = zip(alphas, weights).map { pow($0, 9) * $1 }.reduce(0, +)
    XCTAssertEqual(integral, 0.1, accuracy: 1e-12)
    // Known 2-point nodes: ½ ∓ 1/(2√3).
    let two = IntegratedGradients.Rule.gaussLegendre.nodesAndWeights(count: 2)
    XCTAssertEqual(two.alphas[0], 0.5 - 0.5 / 3.0.squareRoot(), accuracy: 1e-14)
    XCTAssertEqual(two.weights[1], 0.5, accuracy: 1e-14)
  }

  func testCompletenessErrorOnAReLUNetworkShrinksWithStepsFasterForGaussLegendre() throws {
    let model = ReLUTestClassifier()
    let image = testImage() * 3
    func error(_ rule: IntegratedGradients.Rule, _ steps: Int) throws -> Float {
      try IntegratedGradients(classifier: model, stepCount: steps, rule: rule, batchSize: 16)
        .attributeWithCompleteness(image, target: 0).completenessError
    }
    let gap = try IntegratedGradients(classifier: model, stepCount: 2)
      .attributeWithCompleteness(image, target: 0)
    let scale = Swift.abs(gap.targetAtInput - gap.targetAtBaseline)
    var report: [String] = []
    for rule in [IntegratedGradients.Rule.riemannLeft, .riemannTrapezoid, .gaussLegendre] {
      let coarse = try error(rule, 8)
      let fine = try error(rule, 256)
      report.append("\(rule): 8 → \(coarse), 256 → \(fine)")
      XCTAssertLessThan(fine, coarse, "\(rule)")
      XCTAssertLessThan(fine, 0.01 * scale, "\(rule)")
    }
    XCTAssertLessThan(try error(.gaussLegendre, 64), try error(.riemannLeft, 64))
    print("IG completeness on the ReLU net (|f(x) − f(0)| = \(scale)):", report)
  }

  /// Golden nodes and weights from numpy's `leggauss` (Tools/make_quadrature_fixtures.py).
  func testGaussLegendreNodesAndWeightsMatchNumpy() throws {
    let data = try Data(contentsOf: fixtureURL("Explain/gauss_legendre.json"))
    let golden = try JSONDecoder().decode([String: [String: [Double]]].self, from: data)
    XCTAssertEqual(golden.count, 5)
    for (key, table) in golden {
      let n = try XCTUnwrap(Int(key))
      let (alphas, weights) = IntegratedGradients.Rule.gaussLegendre.nodesAndWeights(count: n)
      let expectedAlphas = try XCTUnwrap(table["alphas"])
      let expectedWeights = try XCTUnwrap(table["weights"])
      XCTAssertEqual(alphas.count, expectedAlphas.count)
      for (a, b) in zip(alphas, expectedAlphas) { XCTAssertEqual(a, b, accuracy: 1e-13, "n=\(n)") }
      for (a, b) in zip(weights, expectedWeights) {
        XCTAssertEqual(a, b, accuracy: 1e-13, "n=\(n)")
      }
    }
  }

  func testInvalidParametersAndBaselineShapeThrow() throws {
    let model = LinearTestClassifier()
    XCTAssertThrowsError(try IntegratedGradients(classifier: model, stepCount: 0))
    XCTAssertThrowsError(
      try IntegratedGradients(classifier: model, stepCount: 1, rule: .riemannTrapezoid))
    XCTAssertThrowsError(try IntegratedGradients(classifier: model, batchSize: 0))
    let wrong = try IntegratedGradients(
      classifier: model, baseline: .custom(Tensor(zeros: [3, 2, 2])))
    XCTAssertThrowsError(try wrong.attribute(testImage(), target: 0)) {
      XCTAssertEqual(
        $0 as? AttributionError, .wrongImageShape(expected: [3, 4, 5], found: [3, 2, 2]))
    }
    let nan = try IntegratedGradients(
      classifier: model, baseline: .custom(Tensor(shape: [3, 4, 5], repeating: .nan)))
    XCTAssertThrowsError(try nan.attribute(testImage(), target: 0)) {
      XCTAssertEqual($0 as? AttributionError, .nonFiniteInput)
    }
  }
}
