import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class SmallCNNTests: XCTestCase {
  private struct Golden: Decodable {
    let images: TrainingFixtureTensor
    let labels: [Int]
    let logits: TrainingFixtureTensor
    let loss: Double
    let imageGradient: TrainingFixtureTensor
    let parameterGradients: [String: TrainingFixtureTensor]
  }

  /// The tiny configuration of `Tools/make_training_fixtures.py`: 1 → 3 → 4 channels, 8×8
  /// images, 6 hidden units, 5 classes.
  private func tinyNetwork(seed: UInt64 = 0, dropout: Float = 0.25) -> SmallCNN {
    var rng = SeededGenerator(seed: seed)
    return SmallCNN(
      imageSize: (8, 8), classCount: 5, channels: (3, 4), hiddenUnits: 6,
      dropoutProbability: dropout, using: &rng)
  }

  /// The cross-entropy of `network` on `images`, with a fixed dropout draw in training mode.
  private func loss(
    _ network: SmallCNN, _ images: Tensor, _ labels: [Int], mode: ExecutionMode = .training
  ) -> Double {
    let logits = network.forward(images, context: ForwardContext(mode: mode, seed: 42)).output
    return Double(CrossEntropy().loss(logits: logits, labels: labels))
  }

  /// The loss gradient of every parameter and of the images, from one pullback.
  private func gradients(
    _ network: SmallCNN, _ images: Tensor, _ labels: [Int], mode: ExecutionMode = .training
  ) -> (images: Tensor, parameters: ParameterGradients) {
    let (logits, pullback) = network.forward(images, context: ForwardContext(mode: mode, seed: 42))
    let gradient = CrossEntropy().lossAndGradient(logits: logits, labels: labels).gradient
    let (imageGradient, parameterGradients) = pullback(gradient)
    return (imageGradient, parameterGradients)
  }

  /// `network` with parameter `name` replaced by `value`.
  private func replacing(_ network: SmallCNN, _ name: String, with value: Tensor) -> SmallCNN {
    var copy = network
    copy.updateParameters { key, _, tensor in if key == name { tensor = value } }
    return copy
  }

  func testLogitsLossAndGradientsMatchJAXForWeightsWrittenByPythonSafetensors() throws {
    let golden = try trainingFixture("small_cnn.json", as: Golden.self)
    var network = tinyNetwork()
    try network.load(contentsOf: fixtureURL("Training/small_cnn.safetensors"))
    let images = golden.images.tensor

    let logits = network(images)
    let (imageGradient, parameterGradients) = gradients(
      network, images, golden.labels, mode: .inference)

    assertAllClose(logits, golden.logits.tensor, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    XCTAssertEqual(
      loss(network, images, golden.labels, mode: .inference), golden.loss, accuracy: 1e-5)
    assertAllClose(
      imageGradient, golden.imageGradient.tensor, absoluteTolerance: 1e-6, relativeTolerance: 1e-4)
    XCTAssertEqual(Set(parameterGradients.names), Set(golden.parameterGradients.keys))
    for (name, expected) in golden.parameterGradients {
      assertAllClose(
        parameterGradients[name] ?? Tensor(0), expected.tensor, absoluteTolerance: 1e-6,
        relativeTolerance: 1e-4, name)
    }
  }

  /// Checks `analytic` against central differences of `f` at the coordinates `indices` of `x`
  /// (all by default), skipping coordinates where `f` has a kink within `±step`: there the
  /// one-sided differences `(f(x + h) − f(x)) / h` and `(f(x) − f(x − h)) / h` disagree (a ReLU
  /// or a max-pool window switches), and there is no derivative to compare. Returns how many
  /// coordinates were compared.
  @discardableResult
  private func assertGradientMatchesAwayFromKinks(
    _ analytic: Tensor, of f: (Tensor) -> Double, at x: Tensor, indices: [Int]? = nil,
    step: Float = 1e-3, absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2,
    _ name: String, file: StaticString = #filePath, line: UInt = #line
  ) -> Int {
    let base = x.scalars
    let gradient = analytic.scalars
    let center = f(x)
    var compared = 0
    for index in indices ?? Array(base.indices) {
      func shifted(_ delta: Float) -> Double {
        var values = base
        values[index] += delta
        return f(Tensor(shape: x.shape, scalars: values))
      }
      let (plus, minus) = (shifted(step), shifted(-step))
      let (right, left) = ((plus - center) / Double(step), (center - minus) / Double(step))
      let central = (plus - minus) / (2 * Double(step))
      let tolerance = absoluteTolerance + relativeTolerance * abs(central)
      guard abs(right - left) <= tolerance else { continue }  // a kink inside ±step
      compared += 1
      XCTAssertEqual(
        Double(gradient[index]), central, accuracy: tolerance, "\(name)[\(index)]", file: file,
        line: line)
    }
    return compared
  }

  func testEveryParameterAndImageGradientMatchesFiniteDifferencesWithDropoutActive() {
    let network = tinyNetwork(seed: 5, dropout: 0.5)
    var rng = SeededGenerator(seed: 6)
    let images = Tensor.uniform([3, 1, 8, 8], using: &rng)
    let labels = [4, 0, 2]

    let analytic = gradients(network, images, labels)

    XCTAssertEqual(
      analytic.parameters.names,
      [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
        "fc2.weight", "fc2.bias",
      ])
    var (compared, total) = (0, 0)
    for (name, value) in network.namedTensors() {
      compared += assertGradientMatchesAwayFromKinks(
        analytic.parameters[name] ?? Tensor(0),
        of: { self.loss(self.replacing(network, name, with: $0), images, labels) }, at: value, name)
      total += value.count
    }
    compared += assertGradientMatchesAwayFromKinks(
      analytic.images, of: { self.loss(network, $0, labels) }, at: images, "images")
    total += images.count
    XCTAssertGreaterThan(Double(compared), 0.95 * Double(total), "too many kinks to judge")
  }

  func testFullSizeGradientMatchesDirectionalAndCoordinateFiniteDifferences() {
    var rng = SeededGenerator(seed: 8)
    let network = SmallCNN(using: &rng)
    let images = Tensor.uniform([2, 1, 28, 28], using: &rng)
    let labels = [3, 7]

    let analytic = gradients(network, images, labels).parameters

    for (name, value) in network.namedTensors() {
      let gradient = analytic[name] ?? Tensor(zeros: value.shape)
      let lossOf = { (parameter: Tensor) in
        self.loss(self.replacing(network, name, with: parameter), images, labels)
      }
      // Along d = ĝ + r̂ (unit gradient plus a unit random direction), ⟨g, d⟩ must equal the
      // central difference (L(θ + h·d) − L(θ − h·d)) / 2h. The step is small because the path
      // crosses many ReLU and max-pool switches, each bending the loss.
      let norm = Float(dot(gradient, gradient).squareRoot())
      let random = Tensor.normal(value.shape, using: &rng)
      let direction =
        gradient / max(norm, 1e-12) + random / Float(dot(random, random).squareRoot())
      let h: Float = 3e-4
      let numeric = (lossOf(value + h * direction) - lossOf(value - h * direction)) / Double(2 * h)
      XCTAssertEqual(dot(gradient, direction), numeric, accuracy: 1e-3 + 1e-2 * abs(numeric), name)

      // And coordinate by coordinate at the four largest gradient entries.
      let scalars = gradient.scalars
      let largest = scalars.indices.sorted { abs(scalars[$0]) > abs(scalars[$1]) }.prefix(4)
      let compared = assertGradientMatchesAwayFromKinks(
        gradient, of: lossOf, at: value, indices: Array(largest), name)
      XCTAssertGreaterThanOrEqual(compared, 3, name)
    }
  }

  func testDefaultNetworkHasPyTorchStateDictNamesAndShapes() {
    var rng = SeededGenerator(seed: 0)
    let network = SmallCNN(using: &rng)

    let shapes = network.parameterShapes

    XCTAssertEqual(
      shapes.map(\.name),
      [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
        "fc2.weight", "fc2.bias",
      ])
    XCTAssertEqual(
      shapes.map(\.shape),
      [
        [32, 1, 3, 3], [32], [64, 32, 3, 3], [64], [128, 3136], [128], [10, 128], [10],
      ])
    XCTAssertEqual(network.trainableParameterCount, 421_642)
    XCTAssertEqual(network(Tensor(zeros: [3, 1, 28, 28])).shape, [3, 10])
  }

  func testSavedAndReloadedNetworkGivesBitIdenticalLogits() throws {
    var rng = SeededGenerator(seed: 1)
    let network = SmallCNN(using: &rng)
    let images = Tensor.uniform([4, 1, 28, 28], using: &rng)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("small-cnn-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    try network.save(to: url, metadata: ["architecture": "SmallCNN"])
    var reloaded = SmallCNN(using: &rng)  // different weights before loading
    XCTAssertNotEqual(reloaded(images), network(images))
    try reloaded.load(contentsOf: url)

    XCTAssertEqual(reloaded(images), network(images))
    XCTAssertEqual(try WeightFile(contentsOf: url).metadata["architecture"], "SmallCNN")
  }

  func testEveryLayerPathIsCapturedWithItsShapeAndGradient() {
    var rng = SeededGenerator(seed: 2)
    let network = SmallCNN(using: &rng)
    let images = Tensor.uniform([2, 1, 28, 28], using: &rng)
    let context = ForwardContext(capturing: Set(network.layerPaths))

    let (logits, pullback) = network.forward(images, context: context)
    _ = pullback(Tensor(shape: logits.shape, repeating: 1))

    let expected: [String: [Int]] = [
      "conv1": [2, 32, 28, 28], "relu1": [2, 32, 28, 28], "pool1": [2, 32, 14, 14],
      "conv2": [2, 64, 14, 14], "relu2": [2, 64, 14, 14], "pool2": [2, 64, 7, 7],
      "flatten": [2, 3136], "dropout": [2, 3136], "fc1": [2, 128], "relu3": [2, 128],
      "fc2": [2, 10],
    ]
    XCTAssertEqual(Set(network.layerPaths), Set(expected.keys))
    for (path, shape) in expected {
      XCTAssertEqual(context.activations[path]?.shape, shape, path)
      XCTAssertEqual(context.activationGradients[path]?.shape, shape, path)
    }
    XCTAssertEqual(context.activations[network.featureLayer]?.shape, [2, 128])
    XCTAssertEqual(context.activations[network.lastConvolutionalLayer]?.shape, [2, 64, 14, 14])
    XCTAssertEqual(context.activations["fc2"], logits)
  }

  func testInferenceIgnoresDropoutAndTrainingDrawsItFromTheContextSeed() {
    var rng = SeededGenerator(seed: 3)
    let network = SmallCNN(dropoutProbability: 0.5, using: &rng)
    let images = Tensor.uniform([2, 1, 28, 28], using: &rng)

    let inference = network.forward(images, context: ForwardContext()).output
    let training = network.forward(images, context: ForwardContext(mode: .training, seed: 1))
    let again = network.forward(images, context: ForwardContext(mode: .training, seed: 1))
    let other = network.forward(images, context: ForwardContext(mode: .training, seed: 2))

    XCTAssertEqual(inference, network(images))
    XCTAssertNotEqual(training.output, inference)
    XCTAssertEqual(training.output, again.output)
    XCTAssertNotEqual(training.output, other.output)
  }
}
