import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class TorchvisionArchitectureTests: XCTestCase {
  func testTorchvisionNamesRoundTripAndAreTheBuilderNames() {
    let names = TorchvisionArchitecture.allCases.map(\.torchvisionName)
    XCTAssertEqual(
      names,
      [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vgg11", "vgg11_bn",
        "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "mobilenet_v2",
        "squeezenet1_0", "squeezenet1_1", "alexnet",
      ])
    for architecture in TorchvisionArchitecture.allCases {
      XCTAssertEqual(
        TorchvisionArchitecture(torchvisionName: architecture.torchvisionName), architecture)
    }
    XCTAssertNil(TorchvisionArchitecture(torchvisionName: "resnet200"))
  }

  func testStateDictionaryFixtureListsEveryArchitectureWithTorchvisionsDocumentedCount() throws {
    let all = try TorchvisionStateDictionaries.load()
    XCTAssertEqual(
      Set(all.architectures.keys), Set(TorchvisionArchitecture.allCases.map(\.torchvisionName)))
    // torchvision's `meta["num_params"]`, quoted in its documentation.
    XCTAssertEqual(all.architectures["resnet18"]?.parameterCount, 11_689_512)
    XCTAssertEqual(all.architectures["resnet50"]?.parameterCount, 25_557_032)
    XCTAssertEqual(all.architectures["vgg16"]?.parameterCount, 138_357_544)
    XCTAssertEqual(all.architectures["mobilenet_v2"]?.parameterCount, 3_504_872)
    XCTAssertEqual(all.architectures["squeezenet1_1"]?.parameterCount, 1_235_496)
    XCTAssertEqual(all.architectures["alexnet"]?.parameterCount, 61_100_840)
  }

  func testMakeNetworkBuildsTheNamedFamilyWithTheRequestedClassCount() {
    var rng = SeededGenerator(seed: 3)
    let cheap: [(TorchvisionArchitecture, Any.Type)] = [
      (.resnet18, ResNet.self), (.mobileNetV2, MobileNetV2.self),
      (.squeezeNet1_0, SqueezeNet.self), (.squeezeNet1_1, SqueezeNet.self),
    ]
    for (architecture, type) in cheap {
      let network = architecture.makeNetwork(classCount: 7, using: &rng)
      XCTAssertTrue(Swift.type(of: network) == type, "\(architecture)")
      let logits = network(Tensor(zeros: [1, 3, 40, 40]))
      XCTAssertEqual(logits.shape, [1, 7], "\(architecture)")
    }
    XCTAssertEqual(
      (TorchvisionArchitecture.squeezeNet1_1.makeNetwork(using: &rng) as? SqueezeNet)?.version,
      .v1_1)
  }

  func testSameSeedGivesSameWeightsAndOtherSeedDifferentWeights() {
    var first = SeededGenerator(seed: 9)
    var second = SeededGenerator(seed: 9)
    var third = SeededGenerator(seed: 10)
    let a = TorchvisionArchitecture.mobileNetV2.makeNetwork(using: &first).stateDictionary()
    let b = TorchvisionArchitecture.mobileNetV2.makeNetwork(using: &second).stateDictionary()
    let c = TorchvisionArchitecture.mobileNetV2.makeNetwork(using: &third).stateDictionary()
    XCTAssertEqual(a, b)
    XCTAssertNotEqual(a["features.1.conv.0.0.weight"], c["features.1.conv.0.0.weight"])
  }

  func testMinimumInputSizeIsTheSmallestSideEveryWindowFits() throws {
    XCTAssertEqual(TorchvisionArchitecture.vgg16.minimumInputSize, 32)
    XCTAssertEqual(TorchvisionArchitecture.alexNet.minimumInputSize, 63)
    var rng = SeededGenerator(seed: 4)
    for architecture in [
      TorchvisionArchitecture.squeezeNet1_0, .squeezeNet1_1, .resnet18, .mobileNetV2,
    ] {
      let side = architecture.minimumInputSize
      let network = architecture.makeNetwork(classCount: 3, using: &rng)
      XCTAssertEqual(network(Tensor(zeros: [1, 3, side, side])).shape, [1, 3], "\(architecture)")
    }
    // One pixel less, and SqueezeNet's last 3×3 pooling would see a 2×2 map.
    for (version, lastPool) in [(SqueezeNet.Version.v1_0, 11), (.v1_1, 8)] {
      let network = SqueezeNet(version: version, classCount: 3, using: &rng)
      let trunk = Sequential(Array(network.features.layers.prefix(lastPool)))
      let side = (version == .v1_0 ? TorchvisionArchitecture.squeezeNet1_0 : .squeezeNet1_1)
        .minimumInputSize
      XCTAssertEqual(trunk(Tensor(zeros: [1, 3, side, side])).shape.suffix(2), [3, 3])
      XCTAssertEqual(trunk(Tensor(zeros: [1, 3, side - 1, side - 1])).shape.suffix(2), [2, 2])
    }
  }

  // MARK: Classifier.torchvision

  func testTorchvisionClassifierLoadsACheckpointAndAppliesImageNetNormalization() throws {
    // A torchvision-style state dict: every key, plus batch-norm bookkeeping to be ignored.
    var rng = SeededGenerator(seed: 21)
    let source = ResNet.resnet18(classCount: 5, using: &rng)
    var arrays = source.namedTensors().map { (key: $0.key, array: WeightArray($0.tensor)) }
    let count = WeightArray(dtype: .int64, shape: [], data: Data(count: 8))
    arrays.insert(("bn1.num_batches_tracked", count), at: 5)
    arrays.append(("layer4.1.bn2.num_batches_tracked", count))
    let url = temporaryURL("resnet18.safetensors")
    try Safetensors.write(arrays, to: url)
    let labels = temporaryURL("labels.txt")
    try "a\nb\nc\nd\ne\n".write(to: labels, atomically: true, encoding: .utf8)

    let classifier = try Classifier.torchvision(
      .resnet18, weights: url, labels: labels, classCount: 5, seed: 99)

    XCTAssertEqual(classifier.classNames, ["a", "b", "c", "d", "e"])
    XCTAssertEqual(classifier.normalization, .imageNet)
    XCTAssertEqual(classifier.preprocessing, .imageNet)
    XCTAssertEqual(classifier.inputSize.height, 224)
    var pixels = SeededGenerator(seed: 22)
    let images = Tensor.uniform([2, 3, 40, 40], using: &pixels)
    let mean = Tensor(shape: [1, 3, 1, 1], scalars: [0.485, 0.456, 0.406])
    let std = Tensor(shape: [1, 3, 1, 1], scalars: [0.229, 0.224, 0.225])
    assertAllClose(
      classifier.logits(images), source((images - mean) / std), absoluteTolerance: 1e-4,
      relativeTolerance: 1e-4)
  }

  func testTorchvisionClassifierWithoutWeightsIsTheSeededRandomNetwork() throws {
    let classifier = try Classifier.torchvision(
      .squeezeNet1_1, weights: nil, classCount: 4, seed: 5)
    var rng = SeededGenerator(seed: 5)
    let network = SqueezeNet.squeezeNet1_1(classCount: 4, using: &rng)
    XCTAssertEqual(classifier.classNames, ["class 0", "class 1", "class 2", "class 3"])
    XCTAssertEqual(classifier.network.stateDictionary(), network.stateDictionary())
  }

  func testTorchvisionClassifierNamesTheKeyOfAWrongShape() throws {
    var rng = SeededGenerator(seed: 23)
    var tensors = SqueezeNet.squeezeNet1_1(classCount: 10, using: &rng).namedTensors()
    let url = temporaryURL("squeezenet.safetensors")
    try Safetensors.write(tensors, to: url)
    XCTAssertThrowsError(try Classifier.torchvision(.squeezeNet1_1, weights: url, classCount: 9)) {
      XCTAssertEqual(
        $0 as? WeightFileError,
        .shapeMismatch(
          file: url.path, key: "classifier.1.weight", expected: [9, 512, 1, 1],
          found: [10, 512, 1, 1]))
    }
    tensors.removeAll { $0.key == "features.3.expand3x3.bias" }
    try Safetensors.write(tensors, to: url)
    XCTAssertThrowsError(try Classifier.torchvision(.squeezeNet1_1, weights: url, classCount: 10)) {
      XCTAssertEqual(
        $0 as? WeightFileError, .missingKey(file: url.path, key: "features.3.expand3x3.bias"))
    }
  }

  func testTorchvisionClassifierRejectsExtraKeysAndWrongLabelCounts() throws {
    var rng = SeededGenerator(seed: 24)
    var tensors = SqueezeNet.squeezeNet1_1(classCount: 3, using: &rng).namedTensors()
    tensors.append(("fc.weight", Tensor(zeros: [3, 2])))
    let url = temporaryURL("extra.safetensors")
    try Safetensors.write(tensors, to: url)
    XCTAssertThrowsError(try Classifier.torchvision(.squeezeNet1_1, weights: url, classCount: 3)) {
      XCTAssertEqual($0 as? WeightFileError, .unusedKeys(file: url.path, keys: ["fc.weight"]))
    }
    let labels = temporaryURL("two.txt")
    try "cat\ndog\n".write(to: labels, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(
      try Classifier.torchvision(.squeezeNet1_1, weights: nil, labels: labels, classCount: 3)
    ) {
      XCTAssertEqual(
        $0 as? ClassLabelsError, .wrongCount(file: labels.path, expected: 3, found: 2))
    }
  }

  func testTorchvisionClassifierReadsTheImageNetLabelsAsset() throws {
    let labels = try assetURL("labels/imagenet_classes.txt")
    let classifier = try Classifier.torchvision(.squeezeNet1_1, weights: nil, labels: labels)
    XCTAssertEqual(classifier.classNames.count, 1000)
    XCTAssertEqual(classifier.classNames.first, "tench")
  }

  // MARK: Reference export

  /// Writes every reference case's weights and input for Tools/make_torchvision_golden.py when
  /// `TORCHVISION_EXPORT_DIR` names a folder; skipped otherwise.
  func testExportsReferenceWeightsWhenAsked() throws {
    guard let folder = ProcessInfo.processInfo.environment["TORCHVISION_EXPORT_DIR"] else {
      throw XCTSkip("Set TORCHVISION_EXPORT_DIR to export the reference weights.")
    }
    let only = ProcessInfo.processInfo.environment["TORCHVISION_EXPORT_CASES"].map {
      Set($0.split(separator: ",").map(String.init))
    }
    let directory = URL(fileURLWithPath: folder, isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var entries: [[String: Any]] = []
    for referenceCase in torchvisionReferenceCases {
      if let only, !only.contains(referenceCase.name) { continue }
      let network = referenceCase.makeNetwork()
      try network.save(to: directory.appendingPathComponent("\(referenceCase.name).safetensors"))
      try Safetensors.write(
        [("input", referenceCase.makeInput())],
        to: directory.appendingPathComponent("\(referenceCase.name).input.safetensors"))
      entries.append([
        "name": referenceCase.name, "architecture": referenceCase.architecture.torchvisionName,
        "input_shape": referenceCase.inputShape, "seed": referenceCase.seed,
        "class_count": referenceCase.classCount,
      ])
    }
    let json = try JSONSerialization.data(
      withJSONObject: ["cases": entries], options: [.prettyPrinted, .sortedKeys])
    try json.write(to: directory.appendingPathComponent("cases.json"))
  }

  private func temporaryURL(_ name: String) -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent(
        "TorchvisionArchitectureTests-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name)
  }
}
