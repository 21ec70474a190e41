import BiasProbe
import Foundation
import Models
import Tensor
import XCTest

final class AttackSummaryTests: XCTestCase {
  private func result(label: Int, success: Bool, rho: Float, iterations: Int = 2)
    -> AdversarialResult
  {
    let prediction = Prediction(index: label, label: "c\(label)", probability: 0.9)
    return AdversarialResult(
      image: Tensor(zeros: [3, 1, 1]), label: label, target: nil, original: prediction,
      adversarial: prediction, isSuccessful: success, l2: rho, linf: rho, rho: rho,
      iterations: iterations)
  }

  func testRatesAndRhoCountOnlySuccessesPerClassAndOverall() {
    let summary = AttackSummary([
      result(label: 5, success: true, rho: 0.001),
      result(label: 5, success: true, rho: 0.003),
      result(label: 2, success: false, rho: 0.5, iterations: 50),
      result(label: 2, success: true, rho: 0.008),
    ])

    XCTAssertEqual(summary.successRate.successes, 3)
    XCTAssertEqual(summary.successRate.trials, 4)
    XCTAssertEqual(summary.meanRho, 0.004, accuracy: 1e-9)
    XCTAssertEqual(summary.medianRho, 0.003, accuracy: 1e-9)
    XCTAssertEqual(summary.meanIterations, 14)
    XCTAssertEqual(summary.perClass.map(\.label), [2, 5])
    XCTAssertEqual(summary.perClass.map(\.successes), [1, 2])
    XCTAssertEqual(summary.perClass[0].meanRho, 0.008, accuracy: 1e-9)
    XCTAssertEqual(summary.perClass[1].meanRho, 0.002, accuracy: 1e-9)
  }

  func testNoSuccessGivesNaNRho() {
    let summary = AttackSummary([result(label: 1, success: false, rho: 0.2)])
    XCTAssertTrue(summary.meanRho.isNaN)
    XCTAssertTrue(summary.medianRho.isNaN)
    XCTAssertEqual(summary.successRate.estimate, 0)
  }
}
