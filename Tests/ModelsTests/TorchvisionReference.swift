import Foundation
import Models
import Tensor
import TestSupport
import XCTest

// The reference runs behind the torchvision architecture tests.
//
// No pretrained ResNet, VGG, MobileNet, SqueezeNet or AlexNet weights exist offline, so each
// architecture is checked on random weights: this file's cases say which architecture, input shape
// and seed; `TorchvisionArchitectureTests.testExportsReferenceWeightsWhenAsked` writes each case's
// weights (torchvision keys) and input as safetensors; Tools/make_torchvision_golden.py loads them
// with numpy, runs torchvision's own model code from the wheel through a graph tracer that emits
// ONNX, evaluates it with onnxruntime and commits the logits under Tests/Fixtures/Torchvision/.
// The tests rebuild the same weights from the same seed and compare.
//
//   python3 -m venv .venv-tools && .venv-tools/bin/pip install numpy onnx onnxruntime safetensors
//   .venv-tools/bin/python Tools/make_torchvision_golden.py

/// One reference run: an architecture with seeded weights on a seeded input.
struct TorchvisionReferenceCase: Sendable {
  /// Unique name; the logits are `Tests/Fixtures/Torchvision/<name>.f32`.
  let name: String
  let architecture: TorchvisionArchitecture
  /// `[N, 3, H, W]`.
  let inputShape: [Int]
  let seed: UInt64
  var classCount: Int { 1000 }

  /// The network: torchvision's initialisation drawn from `seed`, then conditioned (see
  /// `conditionForReference`) so that the logits depend on every layer and on the input.
  func makeNetwork() -> any ClassificationNetwork {
    var rng = SeededGenerator(seed: seed)
    var network = architecture.makeNetwork(classCount: classCount, using: &rng)
    conditionForReference(&network, using: &rng)
    return network
  }

  /// A standard normal input (the scale of ImageNet-normalised pixels).
  func makeInput() -> Tensor {
    var rng = SeededGenerator(seed: seed ^ 0x5EED_1A9E)
    return Tensor.normal(inputShape, using: &rng)
  }
}

/// Makes a randomly initialised network a good witness for reference comparisons and gradient
/// checks, in place:
///
/// - every weight of rank ≥ 2 (convolutions, linear layers) is rescaled to He's variance
///   `2/fanIn`. torchvision's own initialisations shrink the signal (a depthwise convolution
///   drawn `N(0, 2/fanOut)` divides its variance by about the channel count; AlexNet's default
///   uniform by 6 per layer), so in evaluation mode the logits of MobileNetV2 or AlexNet would
///   hardly depend on the input or the first layers, and a reference run could not see them;
/// - every convolution and linear bias is drawn `N(0, 0.1²)` (torchvision starts most at zero,
///   which would leave them untested and put ReLUs exactly on their kinks);
/// - every batch norm (found by its `running_mean` key) gets γ ~ U(0.5, 1.5), β ~ N(0, 0.2²),
///   μ ~ N(0, 0.2²), σ² ~ U(0.5, 2) (torchvision's γ = 1, β = 0, μ = 0, σ² = 1 would hide a
///   swapped mean and variance) — except the last batch norm of each ResNet residual branch
///   (`bn2` of a basic block, `bn3` of a bottleneck), whose γ ~ U(0.05, 0.25), so the residual
///   stream does not double with every block (as torchvision's `zero_init_residual` does in the
///   limit).
func conditionForReference<L: Layer>(_ network: inout L, using rng: inout SeededGenerator) {
  var batchNorms = Set<String>()
  network.visitParameters { name, _, _ in
    if name.hasSuffix(".running_mean") { batchNorms.insert(String(name.dropLast(13))) }
  }
  let residualLast = (network as? ResNet).map { $0.block == .basic ? ".bn2" : ".bn3" }
  network.updateParameters { name, kind, tensor in
    let dot = name.lastIndex(of: ".") ?? name.startIndex
    let module = String(name[..<dot])
    let leaf = dot == name.startIndex ? name : String(name[name.index(after: dot)...])
    if batchNorms.contains(module) {
      switch leaf {
      case "weight"
      where residualLast.map { module.hasPrefix("layer") && module.hasSuffix($0) } ?? false:
        tensor = Tensor.uniform(tensor.shape, low: 0.05, high: 0.25, using: &rng)
      case "weight": tensor = Tensor.uniform(tensor.shape, low: 0.5, high: 1.5, using: &rng)
      case "running_var": tensor = Tensor.uniform(tensor.shape, low: 0.5, high: 2, using: &rng)
      default: tensor = Tensor.normal(tensor.shape, standardDeviation: 0.2, using: &rng)
      }
    } else if kind == .trainable && tensor.rank >= 2 {
      let fanIn = tensor.shape.dropFirst().reduce(1, *)
      let meanSquare = tensor.withUnsafeBufferPointer { values in
        values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)
      }
      guard meanSquare > 0 else { return }
      tensor *= Float((2 / Double(fanIn) / meanSquare).squareRoot())
    } else if kind == .trainable && leaf == "bias" {
      tensor = Tensor.normal(tensor.shape, standardDeviation: 0.1, using: &rng)
    }
  }
}

/// Every reference run. Small inputs keep the suite fast; one 224×224 run per family where it is
/// cheap checks the ImageNet resolution. Odd sizes make SqueezeNet's `ceil_mode` pools round up,
/// and VGG / AlexNet inputs below 224 make their adaptive pools average overlapping, repeated
/// bins.
let torchvisionReferenceCases: [TorchvisionReferenceCase] = [
  .init(name: "resnet18_64", architecture: .resnet18, inputShape: [2, 3, 64, 64], seed: 18),
  .init(name: "resnet34_57", architecture: .resnet34, inputShape: [2, 3, 57, 57], seed: 34),
  .init(name: "resnet50_64", architecture: .resnet50, inputShape: [2, 3, 64, 64], seed: 50),
  .init(name: "resnet50_224", architecture: .resnet50, inputShape: [1, 3, 224, 224], seed: 500),
  .init(name: "resnet101_48", architecture: .resnet101, inputShape: [2, 3, 48, 48], seed: 101),
  .init(name: "resnet152_48", architecture: .resnet152, inputShape: [2, 3, 48, 48], seed: 152),
  .init(name: "vgg11_32", architecture: .vgg11, inputShape: [2, 3, 32, 32], seed: 11),
  .init(name: "vgg11_bn_100", architecture: .vgg11BN, inputShape: [1, 3, 100, 100], seed: 110),
  .init(name: "vgg13_48", architecture: .vgg13, inputShape: [2, 3, 48, 48], seed: 13),
  .init(name: "vgg13_bn_32", architecture: .vgg13BN, inputShape: [2, 3, 32, 32], seed: 130),
  .init(name: "vgg16_224", architecture: .vgg16, inputShape: [1, 3, 224, 224], seed: 16),
  .init(name: "vgg16_bn_64", architecture: .vgg16BN, inputShape: [2, 3, 64, 64], seed: 160),
  .init(name: "vgg19_32", architecture: .vgg19, inputShape: [2, 3, 32, 32], seed: 19),
  .init(name: "vgg19_bn_40", architecture: .vgg19BN, inputShape: [1, 3, 40, 40], seed: 190),
  .init(
    name: "mobilenet_v2_96", architecture: .mobileNetV2, inputShape: [2, 3, 96, 96], seed: 2),
  .init(
    name: "mobilenet_v2_224", architecture: .mobileNetV2, inputShape: [1, 3, 224, 224],
    seed: 20),
  .init(
    name: "squeezenet1_0_65", architecture: .squeezeNet1_0, inputShape: [2, 3, 65, 65],
    seed: 10),
  .init(
    name: "squeezenet1_1_66", architecture: .squeezeNet1_1, inputShape: [2, 3, 66, 66],
    seed: 111),
  .init(
    name: "squeezenet1_1_224", architecture: .squeezeNet1_1, inputShape: [1, 3, 224, 224],
    seed: 1100),
  .init(name: "alexnet_96", architecture: .alexNet, inputShape: [2, 3, 96, 96], seed: 1),
  .init(name: "alexnet_224", architecture: .alexNet, inputShape: [1, 3, 224, 224], seed: 224),
]

/// `Tests/Fixtures/Torchvision/golden.json`, written by Tools/make_torchvision_golden.py.
struct TorchvisionGoldenManifest: Decodable {
  struct Entry: Decodable {
    let name: String
    let architecture: String
    let inputShape: [Int]
    let seed: UInt64
    let classCount: Int
    let logits: String
    let logitShape: [Int]

    enum CodingKeys: String, CodingKey {
      case name, architecture, seed, logits
      case inputShape = "input_shape"
      case classCount = "class_count"
      case logitShape = "logit_shape"
    }
  }
  let onnxruntime: String
  let cases: [Entry]

  static func load() throws -> TorchvisionGoldenManifest {
    let data = try Data(contentsOf: fixtureURL("Torchvision/golden.json"))
    return try JSONDecoder().decode(TorchvisionGoldenManifest.self, from: data)
  }
}

/// The little-endian float32 file `Tests/Fixtures/Torchvision/<name>` as a tensor of `shape`.
func torchvisionFixtureTensor(_ name: String, shape: [Int]) throws -> Tensor {
  let data = try Data(contentsOf: fixtureURL("Torchvision/" + name))
  let count = shape.reduce(1, *)
  guard data.count == 4 * count else {
    throw CocoaError(
      .fileReadCorruptFile,
      userInfo: [NSLocalizedDescriptionKey: "\(name): \(data.count) bytes, expected \(4 * count)"])
  }
  let values = data.withUnsafeBytes { raw in
    (0..<count).map {
      Float(
        bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))
      )
    }
  }
  return Tensor(shape: shape, scalars: values)
}

/// Asserts that the network of reference case `name` has torchvision's state-dict keys, shapes
/// and parameter count, and that its logits agree with onnxruntime's within 1e-3 of the largest
/// logit magnitude plus 1e-3 relative, through both `callAsFunction` and `forward(_:context:)`.
/// Returns the network, for further checks. Also checks that the comparison can see the layers
/// farthest from the logits: scaling the
/// first layer's weights by 1.01 moves the logits by more than 5·10⁻³ of their largest magnitude
/// (2.5 tolerances), and negating the input by more than 10⁻².
@discardableResult
func assertMatchesTorchvisionReference(
  _ name: String, file: StaticString = #filePath, line: UInt = #line
) throws -> any ClassificationNetwork {
  let referenceCase = try XCTUnwrap(
    torchvisionReferenceCases.first { $0.name == name }, "no case \(name)", file: file, line: line)
  let manifest = try TorchvisionGoldenManifest.load()
  let entry = try XCTUnwrap(
    manifest.cases.first { $0.name == name },
    "golden.json has no case \(name): run Tools/make_torchvision_golden.py", file: file,
    line: line)
  XCTAssertEqual(
    entry.architecture, referenceCase.architecture.torchvisionName, "stale fixture", file: file,
    line: line)
  XCTAssertEqual(
    entry.inputShape, referenceCase.inputShape, "stale fixture", file: file, line: line)
  XCTAssertEqual(entry.seed, referenceCase.seed, "stale fixture", file: file, line: line)
  XCTAssertEqual(entry.classCount, referenceCase.classCount, file: file, line: line)
  let expected = try torchvisionFixtureTensor(entry.logits, shape: entry.logitShape)

  let network = referenceCase.makeNetwork()
  try assertMatchesTorchvisionStateDictionary(
    network, referenceCase.architecture, file: file, line: line)
  let input = referenceCase.makeInput()
  let logits = network(input)
  // The comparison sees the whole network only if the logits depend on the first layer (the
  // farthest from them) and on the input: scaling the first layer's weights by 1.01 must move
  // the logits by several tolerances, and negating the input must move them by more still.
  var mutated = network
  var first = true
  mutated.updateParameters { _, kind, tensor in
    if first && kind == .trainable { tensor = tensor * 1.01 }
    if kind == .trainable { first = false }
  }
  let logitScale = logits.scalars.map(abs).max() ?? 0
  let firstLayerChange = (mutated(input) - logits).scalars.map(abs).max() ?? 0
  let inputChange = (network(-input) - logits).scalars.map(abs).max() ?? 0
  XCTAssertGreaterThan(
    firstLayerChange, 5e-3 * logitScale, "the logits barely depend on the first layer",
    file: file, line: line)
  XCTAssertGreaterThan(
    inputChange, 1e-2 * logitScale, "the logits barely depend on the input", file: file,
    line: line)
  let (forwardLogits, _) = network.forward(input, context: ForwardContext())

  let scale = expected.scalars.map(abs).max() ?? 1
  XCTAssertGreaterThan(scale, 0, "reference logits are all zero", file: file, line: line)
  assertAllClose(
    logits, expected, absoluteTolerance: 1e-3 * scale, relativeTolerance: 1e-3,
    "\(name) vs onnxruntime", file: file, line: line)
  assertAllClose(
    forwardLogits, logits, absoluteTolerance: 1e-6 * scale, relativeTolerance: 1e-6,
    "\(name): forward vs callAsFunction", file: file, line: line)
  return network
}

/// `Tests/Fixtures/Torchvision/state_dicts.json`: torchvision's state-dict keys and shapes (with
/// `num_batches_tracked`) and parameter counts, read from the torchvision wheel's model code by
/// Tools/make_torchvision_golden.py.
struct TorchvisionStateDictionaries: Decodable {
  struct Entry: Decodable {
    /// `[key, shape]` pairs in `state_dict()` order, shapes as integer lists.
    let keys: [KeyShape]
    let parameterCount: Int
    let documentedParameterCount: Int

    enum CodingKeys: String, CodingKey {
      case keys
      case parameterCount = "parameter_count"
      case documentedParameterCount = "documented_parameter_count"
    }
  }
  struct KeyShape: Decodable {
    let key: String
    let shape: [Int]
    init(from decoder: Decoder) throws {
      var container = try decoder.unkeyedContainer()
      key = try container.decode(String.self)
      shape = try container.decode([Int].self)
    }
  }
  let torchvision: String
  let architectures: [String: Entry]

  static func load() throws -> TorchvisionStateDictionaries {
    let data = try Data(contentsOf: fixtureURL("Torchvision/state_dicts.json"))
    return try JSONDecoder().decode(TorchvisionStateDictionaries.self, from: data)
  }
}

/// Asserts that `network`'s parameters and buffers are exactly torchvision's state dict of
/// `architecture`, in order and shape, `num_batches_tracked` aside, and that its trainable
/// parameter count is torchvision's.
func assertMatchesTorchvisionStateDictionary(
  _ network: some Layer, _ architecture: TorchvisionArchitecture,
  file: StaticString = #filePath, line: UInt = #line
) throws {
  let all = try TorchvisionStateDictionaries.load()
  let entry = try XCTUnwrap(
    all.architectures[architecture.torchvisionName], file: file, line: line)
  let expected = entry.keys.filter { !$0.key.hasSuffix(".num_batches_tracked") }
  let actual = network.parameterShapes
  XCTAssertEqual(actual.map(\.name), expected.map(\.key), file: file, line: line)
  XCTAssertEqual(actual.map(\.shape), expected.map(\.shape), file: file, line: line)
  XCTAssertEqual(
    network.trainableParameterCount, entry.parameterCount, file: file, line: line)
  XCTAssertEqual(
    entry.parameterCount, entry.documentedParameterCount, file: file, line: line)
}

/// The slope at 0 of `f` (a function along a line, evaluated in Float arithmetic), for checking
/// gradients of piecewise-linear networks.
///
/// A ReLU network is linear between kinks, and it has very many kinks: a central difference
/// whose step crosses one mixes two slopes, while a tiny step drowns in Float rounding. So for
/// steps `h` = 10⁻², 3·10⁻³, …, 3·10⁻⁵ in turn, this compares the one-sided slopes
/// `(f(h) − f(0))/h` and `(f(0) − f(−h))/h`: the first step where they agree within
/// `agreement` crossed no kink (or only negligible ones), and its central difference is returned.
/// When none agrees, the central difference whose one-sided slopes agree best is returned (the
/// check will then usually fail: use a smaller input, with fewer units to cross).
func kinkFreeSlope(
  _ f: (Float) -> Double, agreement: Double,
  steps: [Float] = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5]
) -> Double {
  let center = f(0)
  var best = (disagreement: Double.infinity, slope: 0.0)
  for step in steps {
    let h = Double(step)
    let forward = (f(step) - center) / h
    let backward = (center - f(-step)) / h
    let disagreement = abs(forward - backward)
    if disagreement < best.disagreement { best = (disagreement, (forward + backward) / 2) }
    if disagreement <= agreement { break }
  }
  return best.slope
}

/// Checks the input gradient of `f(x) = ⟨network(x), w⟩` (seeded normal `w`) along directions
/// `d`: the analytic `⟨∇f, d⟩` from one pullback against `kinkFreeSlope` of `t ↦ f(x + t·d)`.
///
/// The directions are the gradient itself (rescaled to unit RMS) and `randomCount` standard
/// normal tensors; with `patch`, every other random direction is confined to a random
/// `patch × patch` window of one image (all channels), which probes the gradient locally
/// (borders, padding, pooling windows). Each direction's error is measured relative to
/// `s + |⟨∇f, d⟩|`, where `s = ‖∇f_d‖·‖d‖/√n_d` (gradient and element count restricted to where
/// `d` is non-zero) is the typical size of a projection on such a direction. Every relative
/// error must stay below `maxError` and their root mean square below `rmsError`.
///
/// Small blocks meet 2% in every direction. Whole networks have so many ReLU kinks and max-pool
/// switches that even the kink-free difference quotient is off by up to about 10% in an unlucky
/// direction (most stay below 2%), so they are checked with a looser maximum and a tight root
/// mean square over many directions: a gradient with a missing path or a wrong region is off by
/// 100% in the directions that see it.
/// Also checks that `forward` and `callAsFunction` agree.
func assertInputGradientMatchesDirectionalDifferences(
  _ network: some Layer, at input: Tensor, randomCount: Int = 4, patch: Int? = nil,
  maxError: Double = 2e-2, rmsError: Double = 2e-2, seed: UInt64,
  file: StaticString = #filePath, line: UInt = #line
) {
  var rng = SeededGenerator(seed: seed)
  let (output, pullback) = network.forward(input, context: ForwardContext())
  assertAllClose(
    output, network(input), absoluteTolerance: 1e-6, relativeTolerance: 1e-6,
    "forward vs callAsFunction", file: file, line: line)
  let w = Tensor.normal(output.shape, using: &rng)
  let gradient = pullback(w).input
  XCTAssertEqual(gradient.shape, input.shape, file: file, line: line)
  let gradientNorm = dot(gradient, gradient).squareRoot()
  XCTAssertGreaterThan(gradientNorm, 0, "zero input gradient", file: file, line: line)
  let rms = Float(gradientNorm / Double(input.count).squareRoot())
  var directions = [gradient / rms]
  for index in 0..<randomCount {
    var direction = Tensor.normal(input.shape, using: &rng)
    if let patch, index % 2 == 1 {
      direction = direction * randomPatchMask(input.shape, patch: patch, using: &rng)
    }
    directions.append(direction)
  }
  var errors: [Double] = []
  for direction in directions {
    let analytic = dot(gradient, direction)
    let support = direction.map { $0 == 0 ? 0 : 1 }
    let restricted = gradient * support
    let scale =
      dot(restricted, restricted).squareRoot() * dot(direction, direction).squareRoot()
      / max(dot(support, support), 1).squareRoot()
    let size = scale + abs(analytic)
    let numeric = kinkFreeSlope(
      { t in dot(network(input + t * direction), w) }, agreement: 1e-2 * size)
    errors.append(abs(numeric - analytic) / size)
  }
  let rootMeanSquare = (errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)).squareRoot()
  let message = "relative errors per direction \(errors.map { ($0 * 1000).rounded() / 1000 })"
  XCTAssertLessThanOrEqual(errors.max() ?? 0, maxError, message, file: file, line: line)
  XCTAssertLessThanOrEqual(rootMeanSquare, rmsError, message, file: file, line: line)
}

/// A `[N, C, H, W]` tensor of ones in a random `patch × patch` window of one image (all
/// channels), zeros elsewhere.
func randomPatchMask(
  _ shape: [Int], patch: Int, using rng: inout SeededGenerator
) -> Tensor {
  let (images, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
  let image = Int.random(in: 0..<images, using: &rng)
  let top = Int.random(in: 0...max(0, height - patch), using: &rng)
  let left = Int.random(in: 0...max(0, width - patch), using: &rng)
  var mask = Tensor(zeros: shape)
  mask.withUnsafeMutableBufferPointer { buffer in
    for c in 0..<channels {
      for i in top..<min(top + patch, height) {
        for j in left..<min(left + patch, width) {
          buffer[((image * channels + c) * height + i) * width + j] = 1
        }
      }
    }
  }
  return mask
}

/// Checks every trainable parameter gradient of `f(θ) = ⟨network_θ(x), w⟩` at once along
/// `directionCount` random directions `D` (each parameter's part scaled by that parameter's
/// RMS, or 1 for an all-zero one): `Σ ⟨∂f/∂θ, D_θ⟩` against `kinkFreeSlope` of
/// `t ↦ f(θ + t·D)`, with the tolerance of `assertInputGradientMatchesDirectionalDifferences`
/// (`s` is the root sum of squares of each parameter's `‖∂f/∂θ‖·‖D_θ‖/√n_θ`). Also checks that
/// the pullback returns one gradient per trainable parameter, in state-dict order.
func assertParameterGradientsMatchDirectionalDifferences<L: Layer>(
  _ network: L, at input: Tensor, directionCount: Int = 3, seed: UInt64,
  file: StaticString = #filePath, line: UInt = #line
) {
  var rng = SeededGenerator(seed: seed)
  let (output, pullback) = network.forward(input, context: ForwardContext())
  let w = Tensor.normal(output.shape, using: &rng)
  let gradients = pullback(w).parameters
  var trainable: [(name: String, value: Tensor)] = []
  network.visitParameters { name, kind, tensor in
    if kind == .trainable { trainable.append((name, tensor)) }
  }
  XCTAssertEqual(gradients.names, trainable.map(\.name), file: file, line: line)
  for index in 0..<directionCount {
    var directions: [String: Tensor] = [:]
    var analytic = 0.0
    var scale = 0.0
    for (name, value) in trainable {
      let rms = Float((dot(value, value) / Double(value.count)).squareRoot())
      let direction = Tensor.normal(value.shape, using: &rng) * (rms > 0 ? rms : 1)
      directions[name] = direction
      guard let gradient = gradients[name] else {
        XCTFail("no gradient for \(name)", file: file, line: line)
        return
      }
      analytic += dot(gradient, direction)
      let typical =
        dot(gradient, gradient).squareRoot()
        * dot(direction, direction).squareRoot() / Double(value.count).squareRoot()
      scale += typical * typical
    }
    let tolerance = 2e-2 * (scale.squareRoot() + abs(analytic))
    let numeric = kinkFreeSlope(
      { t in
        var probe = network
        probe.updateParameters { name, _, tensor in
          if let direction = directions[name] { tensor = tensor + t * direction }
        }
        return dot(probe(input), w)
      }, agreement: tolerance / 2)
    XCTAssertEqual(
      numeric, analytic, accuracy: tolerance, "direction \(index)", file: file, line: line)
  }
}

/// Asserts that capturing every path of `network.layerPaths` in one pass records each one's
/// activation, and that the pullback records a gradient for every captured path the logits depend
/// on (all but `exempt`), of the activation's shape.
func assertEveryLayerPathIsCapturable(
  _ network: some ClassificationNetwork, input: Tensor, exempt: Set<String> = [],
  file: StaticString = #filePath, line: UInt = #line
) {
  let paths = network.layerPaths
  XCTAssertEqual(Set(paths).count, paths.count, "duplicate paths", file: file, line: line)
  XCTAssertTrue(paths.contains(network.featureLayer), file: file, line: line)
  XCTAssertTrue(paths.contains(network.lastConvolutionalLayer), file: file, line: line)
  let context = ForwardContext(capturing: Set(paths))
  let (output, pullback) = network.forward(input, context: context)
  _ = pullback(Tensor(shape: output.shape, repeating: 1))
  XCTAssertEqual(
    Set(context.activations.keys), Set(paths), "captured activations", file: file, line: line)
  XCTAssertEqual(
    Set(context.activationGradients.keys), Set(paths).subtracting(exempt),
    "captured gradients", file: file, line: line)
  for (path, gradient) in context.activationGradients {
    XCTAssertEqual(gradient.shape, context.activations[path]?.shape, path, file: file, line: line)
  }
}
