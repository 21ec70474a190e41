import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// EfficientNet-Lite0 with the real ImageNet weights against onnxruntime.
///
/// The golden logits come from Tools/make_lite0_golden.py: it reads the same checkpoint without
/// PyTorch, builds an ONNX graph of Lite0 (unfolded `BatchNormalization` nodes, explicit SAME
/// pads, `Clip(0, 6)`), and runs onnxruntime 1.32 on the 224×224 crops it made with Pillow
/// (shorter side 256 BILINEAR, centre crop 224), saved as the 8-bit PNGs in
/// Tests/Fixtures/Lite0/. Both sides decode the same PNG, divide by 255 and normalise
/// `x·255/128 − 127/128`:
///
/// ```python
/// pixels = Image.open("Tests/Fixtures/Lite0/coffee.png")
/// x = np.asarray(pixels, np.float32).transpose(2, 0, 1)[None] / np.float32(255)
/// x = x * np.float32(255 / 128) + np.float32(-127 / 128)
/// logits = session.run(["logits"], {"input": x})[0][0]        # saved as coffee.npy
/// ```
final class EfficientNetLiteTests: XCTestCase {
  /// One golden image: the crop's name and onnxruntime's top 5 class indices.
  struct GoldenImage: Decodable {
    struct Entry: Decodable {
      var index: Int
      var label: String
    }
    var name: String
    var source: String
    var top5: [Entry]
  }

  struct Golden: Decodable {
    var images: [GoldenImage]
  }

  private static let espresso = 967

  /// The classifier with the real weights, loaded once for the whole class.
  nonisolated(unsafe) private static var cachedClassifier: Classifier?

  private func classifier() throws -> Classifier {
    if let cached = Self.cachedClassifier { return cached }
    let loaded = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    Self.cachedClassifier = loaded
    return loaded
  }

  private func network() throws -> EfficientNetLite {
    try XCTUnwrap(classifier().network as? EfficientNetLite)
  }

  private func golden() throws -> Golden {
    let data = try Data(contentsOf: fixtureURL("Lite0/golden.json"))
    return try JSONDecoder().decode(Golden.self, from: data)
  }

  /// The committed crops, `[N, 3, 224, 224]` in [0, 1], in golden order.
  private func goldenCrops(_ golden: Golden) throws -> Tensor {
    Tensor.stack(
      try golden.images.map { try ImageFile.decode(contentsOf: fixtureURL("Lite0/\($0.name).png")) }
    )
  }

  private func topIndices(_ logits: Tensor, k: Int) -> [[Int]] {
    (0..<logits.shape[0]).map { row in
      let values = logits[index: row].scalars
      return Array(values.indices.sorted { values[$0] > values[$1] }.prefix(k))
    }
  }

  // MARK: Structure and loading

  func testParameterNamesAreTheCheckpointKeysInStateDictOrder() throws {
    let file = try WeightFile(contentsOf: assetURL("models/efficientnet-lite0.pth"))
    var rng = SeededGenerator(seed: 1)

    let network = EfficientNetLite.lite0(using: &rng)

    let expected = file.keys.filter { !isBatchNormBookkeeping($0) }
    XCTAssertEqual(network.parameterShapes.map(\.name), expected)
    for (name, shape) in network.parameterShapes {
      XCTAssertEqual(try file.array(name).shape, shape, name)
    }
    XCTAssertEqual(network.blocks.count, 16)
    XCTAssertEqual(network.trainableParameterCount, 4_652_008)
  }

  func testCheckpointLoadsWithEveryKeyUsed() throws {
    let url = try assetURL("models/efficientnet-lite0.pth")
    let file = try WeightFile(contentsOf: url)

    let network = try EfficientNetLite.lite0(contentsOf: url)

    let loaded = network.stateDictionary()
    for key in ["_conv_stem.weight", "_blocks.7._bn1.running_var", "_fc.bias"] {
      XCTAssertEqual(loaded[key], try file.tensor(key), key)
    }
    XCTAssertEqual(network.classCount, 1000)
  }

  func testCheckpointWithoutAKeyIsRejectedNamingTheKey() throws {
    var rng = SeededGenerator(seed: 2)
    let network = EfficientNetLite.lite0(classCount: 10, using: &rng)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("lite0-missing-\(ProcessInfo.processInfo.processIdentifier)")
      .appendingPathExtension("safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let tensors = network.namedTensors().filter { $0.key != "_blocks.3._bn0.running_mean" }
    try Safetensors.write(tensors, to: url)

    XCTAssertThrowsError(try EfficientNetLite.lite0(contentsOf: url)) { error in
      XCTAssertEqual(
        error as? WeightFileError,
        .missingKey(file: url.path, key: "_blocks.3._bn0.running_mean"))
    }
  }

  func testSavedNetworkReloadsWithItsClassCountAndSameLogits() throws {
    var rng = SeededGenerator(seed: 3)
    let network = EfficientNetLite.lite0(classCount: 7, using: &rng)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("lite0-roundtrip-\(ProcessInfo.processInfo.processIdentifier)")
      .appendingPathExtension("safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let x = Tensor.uniform([1, 3, 32, 32], low: -1, high: 1, using: &rng)

    try network.save(to: url)
    let reloaded = try EfficientNetLite.lite0(contentsOf: url)

    XCTAssertEqual(reloaded.classCount, 7)
    XCTAssertEqual(reloaded(x), network(x))
  }

  func testLayerPathsAreAllCapturedWithTheirShapes() throws {
    var rng = SeededGenerator(seed: 4)
    let network = EfficientNetLite.lite0(classCount: 5, using: &rng)
    let x = Tensor.uniform([2, 3, 64, 64], low: -1, high: 1, using: &rng)
    let paths = network.layerPaths

    let context = ForwardContext(capturing: Set(paths))
    let (logits, _) = network.forward(x, context: context)

    XCTAssertEqual(paths.count, 1 + 16 + 15 + 16 + 16 + 4)
    XCTAssertEqual(Set(context.activations.keys), Set(paths))
    XCTAssertEqual(context.activations["stem"]?.shape, [2, 32, 32, 32])
    XCTAssertEqual(context.activations["_blocks.0"]?.shape, [2, 16, 32, 32])
    XCTAssertEqual(context.activations["_blocks.1.expand"]?.shape, [2, 96, 32, 32])
    XCTAssertEqual(context.activations["_blocks.1.depthwise"]?.shape, [2, 96, 16, 16])
    XCTAssertEqual(context.activations["_blocks.15"]?.shape, [2, 320, 2, 2])
    XCTAssertEqual(context.activations[network.lastConvolutionalLayer]?.shape, [2, 1280, 2, 2])
    XCTAssertEqual(context.activations[network.featureLayer]?.shape, [2, 1280])
    XCTAssertEqual(context.activations["_fc"], logits)
    XCTAssertEqual(logits, network(x))
  }

  func testTrainingModeAppliesDropoutOnlyBeforeTheClassifier() throws {
    var rng = SeededGenerator(seed: 5)
    let network = EfficientNetLite.lite0(classCount: 5, using: &rng)
    let x = Tensor.uniform([2, 3, 32, 32], low: -1, high: 1, using: &rng)

    let context = ForwardContext(mode: .training, capturing: ["_avg_pooling", "_dropout"], seed: 9)
    let (logits, _) = network.forward(x, context: context)

    let pooled = try XCTUnwrap(context.activations["_avg_pooling"]).scalars
    let dropped = try XCTUnwrap(context.activations["_dropout"]).scalars
    let active = pooled.indices.filter { pooled[$0] != 0 }
    let kept = active.filter { dropped[$0] != 0 }
    XCTAssertGreaterThan(active.count, 500)
    let keptFraction = Double(kept.count) / Double(active.count)
    XCTAssertEqual(keptFraction, 0.8, accuracy: 0.05)
    for i in kept { XCTAssertEqual(dropped[i], pooled[i] / 0.8, accuracy: 1e-6 * abs(dropped[i])) }
    let droppedFeatures = try XCTUnwrap(context.activations["_dropout"])
    XCTAssertEqual(logits, network.classifier(droppedFeatures))
  }

  // MARK: Agreement with onnxruntime

  /// Measured: at most 6e-6 apart (logits of magnitude up to about 20); checked to 1e-4.
  func testLogitsMatchOnnxRuntimeOnEveryBundledPhotograph() throws {
    let golden = try golden()
    let classifier = try classifier()
    let crops = try goldenCrops(golden)

    let logits = classifier.logits(crops)

    XCTAssertEqual(golden.images.count, 10)
    let top = topIndices(logits, k: 5)
    for (row, image) in golden.images.enumerated() {
      let expected = try NumPyArray.read(contentsOf: fixtureURL("Lite0/\(image.name).npy"))
      assertAllClose(
        logits[index: row], expected.tensor(), absoluteTolerance: 1e-4, relativeTolerance: 0,
        image.name)
      XCTAssertEqual(top[row], image.top5.map(\.index), image.name)
    }
  }

  func testBatchRunsImageByImageWithTheSameBitsOnOneAndTwoThreads() throws {
    // Arrange: three crops; the batch path runs each image through the network on one core.
    let classifier = try classifier()
    let crops = try goldenCrops(golden()).sliced(axis: 0, 0..<3)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    // Act
    ComputeThreads.set(1)
    let oneThread = classifier.logits(crops)
    let alone = (0..<3).map { classifier.logits(crops.sliced(axis: 0, $0..<($0 + 1))) }
    ComputeThreads.set(2)
    let twoThreads = classifier.logits(crops)
    // Assert: bit-identical across thread counts, and each row is that image's own logits.
    XCTAssertEqual(oneThread.scalars, twoThreads.scalars)
    for row in 0..<3 {
      assertAllClose(
        oneThread[index: row], alone[row][index: 0], absoluteTolerance: 1e-5,
        relativeTolerance: 0)
    }
  }

  func testCoffeeCropIsEspressoWithProbabilityAboveNinetyPercent() throws {
    let classifier = try classifier()
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))

    let top = classifier.topPredictions(
      logits: classifier.logits(crop.expandingShape(at: 0)), k: 1)[0][0]

    XCTAssertEqual(top.index, Self.espresso)
    XCTAssertEqual(top.label, "espresso")
    XCTAssertGreaterThan(top.probability, 0.9)
  }

  // MARK: End-to-end preprocessing

  func testSwiftPreprocessingOfThePhotographsMatchesPillowCropsWithinOneLevel() throws {
    let golden = try golden()
    let classifier = try classifier()
    for image in golden.images {
      let photo = try ImageFile.decode(contentsOf: assetURL(image.source))
      let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/\(image.name).png"))

      let ours = try classifier.preprocessing(photo)

      // Pillow resamples 8-bit pixels in fixed point and rounds; this library resamples floats.
      assertAllClose(
        ours, crop, absoluteTolerance: 1.01 / 255, relativeTolerance: 0, image.name)
    }
  }

  func testSwiftPreprocessingKeepsPillowsTopClassOnEveryPhotograph() throws {
    let golden = try golden()
    let classifier = try classifier()
    let photos = try golden.images.map {
      try classifier.preprocessing(ImageFile.decode(contentsOf: assetURL($0.source)))
    }

    let top = topIndices(classifier.logits(Tensor.stack(photos)), k: 5)

    for (row, image) in golden.images.enumerated() {
      XCTAssertEqual(top[row].first, image.top5.first?.index, image.name)
      XCTAssertGreaterThanOrEqual(
        Set(top[row]).intersection(image.top5.map(\.index)).count, 4, image.name)
    }
    XCTAssertEqual(top[golden.images.firstIndex { $0.name == "coffee" } ?? 0][0], Self.espresso)
  }

  // MARK: Gradients

  /// The coffee crop downscaled to 64×64, normalised: a real image at a size that keeps the
  /// finite differences quick.
  private func smallNormalizedCoffee() throws -> Tensor {
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    return Normalization.efficientNetLite(crop.resized(height: 64, width: 64).expandingShape(at: 0))
  }

  /// A one-hot `[1, 1000]` seed selecting `index`.
  private func oneHot(_ index: Int) -> Tensor {
    var seed = Tensor(zeros: [1, 1000])
    seed.withUnsafeMutableBufferPointer { $0[index] = 1 }
    return seed
  }

  /// The network is piecewise linear (ReLU6), so a finite-difference step crosses kinks and its
  /// error grows with the step, while Float rounding of the logit (about 1e-6 relative) limits
  /// how small the step can be. The analytic side uses the perturbation actually represented,
  /// `x⁺ − x⁻`, so rounding of the perturbed inputs cancels. On this 64×64 input, steps of 3e-4
  /// along unit directions agree with the analytic derivative to within 1–4% (depending on the
  /// BLAS kernel's rounding); the tolerance is 6% of the larger of |derivative| and 0.5.
  func testInputGradientMatchesDirectionalFiniteDifferences() throws {
    let network = try network()
    let x = try smallNormalizedCoffee()
    // The function differentiated is `forward`'s (planar, layer by layer); `callAsFunction`
    // (blocked) rounds differently, and rounding noise is what limits the step.
    func logit(_ input: Tensor) -> Double {
      Double(network.forward(input, context: ForwardContext()).output[0, Self.espresso])
    }

    let (_, pullback) = network.forward(x, context: ForwardContext())
    let gradient = pullback(oneHot(Self.espresso)).input

    XCTAssertEqual(gradient.shape, x.shape)
    var rng = SeededGenerator(seed: 11)
    var directions = [gradient / Float(dot(gradient, gradient).squareRoot())]
    for _ in 0..<3 {
      let v = Tensor.normal(x.shape, using: &rng)
      directions.append(v / Float(dot(v, v).squareRoot()))
    }
    let step: Float = 3e-4
    for (index, v) in directions.enumerated() {
      let (plus, minus) = (x + step * v, x - step * v)
      let numeric = (logit(plus) - logit(minus)) / (2 * Double(step))
      let analytic = dot(gradient, plus - minus) / (2 * Double(step))
      XCTAssertEqual(
        analytic, numeric, accuracy: 0.06 * max(abs(numeric), 0.5),
        "direction \(index): ⟨∇f, v⟩ = \(analytic), finite difference \(numeric)")
    }
  }

  /// Parameters move the logit less sharply than pixels do, so a step of 1e-2 along unit
  /// directions stays within 1% of the derivative; the tolerance is 2% plus 1e-3 (the rounding
  /// noise of the difference quotient). Each parameter is checked along a random direction and
  /// along its own gradient (whose derivative is the gradient's norm).
  func testParameterGradientsMatchDirectionalFiniteDifferences() throws {
    let network = try network()
    let x = try smallNormalizedCoffee()
    func logit(_ network: EfficientNetLite) -> Double {
      Double(network.forward(x, context: ForwardContext()).output[0, Self.espresso])
    }

    let (_, pullback) = network.forward(x, context: ForwardContext())
    let gradients = pullback(oneHot(Self.espresso)).parameters

    var trainable: [String] = []
    network.visitParameters { name, kind, _ in if kind == .trainable { trainable.append(name) } }
    XCTAssertEqual(gradients.names.sorted(), trainable.sorted())
    let state = network.stateDictionary()
    var rng = SeededGenerator(seed: 12)
    let checked = [
      "_fc.weight", "_fc.bias", "_blocks.9._depthwise_conv.weight", "_blocks.9._bn1.weight",
      "_blocks.9._bn1.bias", "_blocks.4._expand_conv.weight", "_conv_stem.weight", "_bn1.weight",
    ]
    for name in checked {
      let analytic = try XCTUnwrap(gradients[name], name)
      let value = try XCTUnwrap(state[name], name)
      let random = Tensor.normal(analytic.shape, using: &rng)
      for v in [random, analytic] {
        let direction = v / Float(dot(v, v).squareRoot())
        func shifted(_ amount: Float) -> EfficientNetLite {
          var probe = network
          probe.updateParameters { key, _, tensor in
            if key == name { tensor = value + amount * direction }
          }
          return probe
        }
        let step: Float = 1e-2
        let numeric = (logit(shifted(step)) - logit(shifted(-step))) / (2 * Double(step))
        let derivative = dot(analytic, direction)
        XCTAssertEqual(
          derivative, numeric, accuracy: 0.02 * abs(numeric) + 1e-3,
          "\(name): ⟨∇f, v⟩ = \(derivative), finite difference \(numeric)")
      }
    }
  }

  /// The pixel gradient of the espresso logit on the full coffee crop against `jax.grad` of an
  /// independent float64 JAX forward (Tools/make_lite0_golden.py; its logits are within 1e-5 of
  /// onnxruntime's).
  func testPixelGradientMatchesJAX() throws {
    struct Reference: Decodable {
      struct Window: Decodable { var top: Int, left: Int, size: Int }
      var image: String
      var `class`: Int
      var window: Window
      var norm: Double
      var directionalDerivatives: [Double]
    }
    struct File: Decodable { var gradient: Reference }
    let reference = try JSONDecoder().decode(
      File.self, from: Data(contentsOf: fixtureURL("Lite0/golden.json"))
    ).gradient
    let classifier = try classifier()
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/\(reference.image).png"))

    let gradient = classifier.inputGradient(
      crop.expandingShape(at: 0), logitWeights: oneHot(reference.class))[index: 0]

    let norm = dot(gradient, gradient).squareRoot()
    XCTAssertEqual(norm, reference.norm, accuracy: 1e-4 * reference.norm)
    let (height, width) = (gradient.shape[1], gradient.shape[2])
    for (k, expected) in reference.directionalDerivatives.enumerated() {
      let v = Tensor(
        shape: gradient.shape,
        scalars: (0..<gradient.count).map { index -> Float in
          let (c, rest) = index.quotientAndRemainder(dividingBy: height * width)
          let (i, j) = rest.quotientAndRemainder(dividingBy: width)
          return Float(sin(0.37 * Double(i) + 0.91 * Double(j) + 1.3 * Double(c) + Double(k)))
        })
      // Relative to |∇f|·|v| (about 6,700): Float against float64 rounding over 150,528 terms.
      let scale = norm * dot(v, v).squareRoot()
      XCTAssertEqual(dot(gradient, v), expected, accuracy: 5e-6 * scale, "direction \(k)")
    }
    let window = reference.window
    let expectedWindow = try NumPyArray.read(
      contentsOf: fixtureURL("Lite0/\(reference.image)_gradient.npy")
    ).tensor()
    let ours = gradient.cropped(
      top: window.top, left: window.left, height: window.size, width: window.size)
    let largest = expectedWindow.scalars.map(abs).max() ?? 0
    assertAllClose(
      ours.contiguous(), expectedWindow, absoluteTolerance: 1e-3 * largest, relativeTolerance: 0)
  }

  func testClassifierPullbackIsTheNetworkPullbackThroughTheNormalisation() throws {
    let classifier = try classifier()
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/chelsea.png"))
    let images = crop.resized(height: 96, width: 96).expandingShape(at: 0)
    let seed = oneHot(281)  // tabby

    let gradient = classifier.inputGradient(images, logitWeights: seed)
    // The classifier differentiates Lite0 on channel blocks (checked against the planar
    // `forward` in EfficientNetLiteBlockedInputGradientTests); the normalisation scales by 255/128.
    let (_, networkPullback) = try XCTUnwrap(
      classifier.network.inferenceLogitsWithInputPullback(Normalization.efficientNetLite(images)))

    assertAllClose(
      gradient, networkPullback(seed) * (255.0 / 128), absoluteTolerance: 1e-6,
      relativeTolerance: 1e-5)
  }

  func testCapturedHeadAndFeaturesAreConsistent() throws {
    let classifier = try classifier()
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let images = crop.expandingShape(at: 0)

    let (logits, activation, pullback) = try classifier.logitsWithPullback(
      images, capturing: "head")
    let features = classifier.features(images)
    let (_, activationGradient) = pullback(oneHot(Self.espresso))

    XCTAssertEqual(activation.shape, [1, 1280, 7, 7])
    XCTAssertEqual(features.shape, [1, 1280])
    assertAllClose(features, activation.mean(alongAxes: 2, 3), absoluteTolerance: 1e-5)
    assertAllClose(logits, classifier.logits(images), absoluteTolerance: 1e-5)
    // The pooling and the classifier are linear: ∂logit/∂head is the classifier's row for the
    // class, spread evenly over the 7×7 positions.
    let row = classifier.network.stateDictionary()["_fc.weight"].map { $0[index: Self.espresso] }
    let expected = try XCTUnwrap(row).reshaped(to: [1, 1280, 1, 1]) / 49
    assertAllClose(
      activationGradient, expected.broadcast(to: [1, 1280, 7, 7]).materialized(),
      absoluteTolerance: 1e-7)
    XCTAssertThrowsError(try classifier.logitsWithPullback(images, capturing: "layer4"))
  }
}
