import Models
import Tensor
import TestSupport
import XCTest

/// Golden trajectories shared by the SGD and Adam tests (`Tests/Fixtures/Training/optimizers.json`,
/// from `Tools/make_training_fixtures.py`).
struct OptimizerFixture: Decodable {
  struct Pair: Decodable {
    let weight: TrainingFixtureTensor
    let bias: TrainingFixtureTensor
  }
  struct Options: Decodable {
    let lr: Double
    let momentum: Double?
    let dampening: Double?
    let weight_decay: Double?
    let nesterov: Bool?
    let betas: [Double]?
    let eps: Double?
    let decoupled: Bool?
  }
  struct Case: Decodable {
    let name: String
    let options: Options
    let steps: [Pair]
  }
  let weight: TrainingFixtureTensor
  let bias: TrainingFixtureTensor
  let gradients: [Pair]
  let cases: [Case]

  /// Runs `optimizer` over the fixture's gradients on a `Linear` layer holding its parameters
  /// and checks the parameters after every step.
  func check(
    _ optimizer: inout some Optimizer, against fixture: Case,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var layer = Linear(weight: weight.tensor, bias: bias.tensor)
    for (step, (gradient, expected)) in zip(gradients, fixture.steps).enumerated() {
      optimizer.update(
        &layer,
        along: ParameterGradients(["weight": gradient.weight.tensor, "bias": gradient.bias.tensor]))
      for (actual, wanted, name) in [
        (layer.weight, expected.weight.tensor, "weight"),
        (layer.bias ?? Tensor(0), expected.bias.tensor, "bias"),
      ] {
        assertAllClose(
          actual, wanted, absoluteTolerance: 1e-7, relativeTolerance: 1e-6,
          "\(fixture.name), step \(step + 1), \(name)", file: file, line: line)
      }
    }
    XCTAssertEqual(optimizer.stepCount, fixture.steps.count, file: file, line: line)
  }
}

final class SGDTests: XCTestCase {
  func testThreeStepsMatchPyTorchFormulasForPlainMomentumDampenedAndNesterovSGD() throws {
    let fixture = try trainingFixture("optimizers.json", as: OptimizerFixture.self)
    let cases = fixture.cases.filter { $0.name.hasPrefix("sgd") }
    XCTAssertEqual(cases.count, 3)
    for golden in cases {
      let options = golden.options
      var optimizer = SGD(
        learningRate: options.lr, momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0, weightDecay: options.weight_decay ?? 0,
        nesterov: options.nesterov ?? false)

      fixture.check(&optimizer, against: golden)
    }
  }

  func testFirstMomentumStepIsAPlainGradientStepAndTheSecondAddsMomentum() {
    // Hand-computed: p = 1, g = 2 twice, lr = 0.1, μ = 0.5.
    // Step 1: b = 2, p = 1 − 0.2 = 0.8. Step 2: b = 0.5·2 + 2 = 3, p = 0.8 − 0.3 = 0.5.
    var layer = Linear(weight: Tensor(shape: [1, 1], scalars: [1]))
    var optimizer = SGD(learningRate: 0.1, momentum: 0.5)
    let gradients = ParameterGradients(["weight": Tensor(shape: [1, 1], scalars: [2])])

    optimizer.update(&layer, along: gradients)
    XCTAssertEqual(layer.weight.scalars[0], 0.8, accuracy: 1e-7)
    XCTAssertEqual(optimizer.momentumBuffer("weight")?.scalars, [2])
    optimizer.update(&layer, along: gradients)
    XCTAssertEqual(layer.weight.scalars[0], 0.5, accuracy: 1e-7)
    XCTAssertEqual(optimizer.momentumBuffer("weight")?.scalars, [3])
  }

  func testBuffersAndParametersWithoutGradientAreLeftAlone() {
    var rng = SeededGenerator(seed: 1)
    var network = Sequential([
      Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 1, using: &rng),
      BatchNorm2D(channelCount: 2),
    ])
    let before = network.stateDictionary()
    var optimizer = SGD(learningRate: 1, weightDecay: 0.5)

    optimizer.update(
      &network, along: ParameterGradients(["0.weight": Tensor(zeros: [2, 1, 1, 1])]))

    let after = network.stateDictionary()
    XCTAssertNotEqual(after["0.weight"], before["0.weight"])  // decayed by λ·p
    for name in ["0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"] {
      XCTAssertEqual(after[name], before[name], name)
    }
  }
}
