import Models
import Tensor
import TestSupport
import XCTest

final class AdamTests: XCTestCase {
  func testThreeStepsMatchPyTorchAdamAndAdamWFormulas() throws {
    let fixture = try trainingFixture("optimizers.json", as: OptimizerFixture.self)
    let cases = fixture.cases.filter { $0.name.hasPrefix("adam") }
    XCTAssertEqual(cases.count, 3)
    for golden in cases {
      let options = golden.options
      let betas = options.betas ?? [0.9, 0.999]
      var optimizer = Adam(
        learningRate: options.lr, beta1: betas[0], beta2: betas[1], epsilon: options.eps ?? 1e-8,
        weightDecay: options.weight_decay ?? 0, decoupledWeightDecay: options.decoupled ?? false)

      fixture.check(&optimizer, against: golden)
    }
  }

  func testBiasCorrectedFirstStepMovesEveryParameterByTheLearningRate() {
    // Step 1: m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g), whatever |g|.
    var layer = Linear(weight: Tensor(shape: [1, 3], scalars: [0, 0, 0]))
    var optimizer = Adam(learningRate: 0.01)
    let gradient = Tensor(shape: [1, 3], scalars: [1e-3, -50, 7])

    optimizer.update(&layer, along: ParameterGradients(["weight": gradient]))

    assertAllClose(
      layer.weight, Tensor(shape: [1, 3], scalars: [-0.01, 0.01, -0.01]), absoluteTolerance: 1e-7,
      relativeTolerance: 1e-4)
    let moments = optimizer.moments("weight")
    assertAllClose(moments?.first ?? Tensor(0), gradient.reshaped(to: [3]) * 0.1)
  }

  func testDecoupledDecayShrinksParametersWithoutAGradientSignal() {
    // AdamW with g = 0: m = v = 0, so only p ← p·(1 − lr·λ) acts.
    var layer = Linear(weight: Tensor(shape: [1, 2], scalars: [2, -4]))
    var optimizer = Adam.adamW(learningRate: 0.1, weightDecay: 0.5)

    optimizer.update(&layer, along: ParameterGradients(["weight": Tensor(zeros: [1, 2])]))

    assertAllClose(
      layer.weight, Tensor(shape: [1, 2], scalars: [1.9, -3.8]), absoluteTolerance: 1e-6)
  }
}
