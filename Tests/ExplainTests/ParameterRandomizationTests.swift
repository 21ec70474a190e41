import Imaging
import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class ParameterRandomizationTests: XCTestCase {
  private func lite0() throws -> Classifier {
    try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
  }

  func testModulesAreListedFromInputToOutputAndRandomisingIsLocalAndSeeded() throws {
    let classifier = try lite0()
    let test = ParameterRandomization(classifier: classifier, seed: 5)
    XCTAssertEqual(test.modules.first, "_conv_stem")
    XCTAssertEqual(test.modules.last, "_fc")
    let randomized = test.randomizing(["_fc"])
    var changed = Set<String>()
    var original = [String: [Float]]()
    classifier.network.visitParameters { name, _, tensor in original[name] = tensor.scalars }
    randomized.network.visitParameters { name, _, tensor in
      if original[name] != tensor.scalars { changed.insert(name) }
    }
    XCTAssertEqual(changed, ["_fc.weight", "_fc.bias"])
    // Same seed, same values; another seed, other values.
    let again = ParameterRandomization(classifier: classifier, seed: 5).randomizing(["_fc"])
    let other = ParameterRandomization(classifier: classifier, seed: 6).randomizing(["_fc"])
    var weights = [[Float]]()
    for network in [randomized.network, again.network, other.network] {
      network.visitParameters { name, _, tensor in
        if name == "_fc.weight" { weights.append(tensor.scalars) }
      }
    }
    XCTAssertEqual(weights[0], weights[1])
    XCTAssertNotEqual(weights[0], weights[2])
    XCTAssertTrue(test.randomizing([]).logits(Tensor(zeros: [1, 3, 224, 224])).scalars
      == classifier.logits(Tensor(zeros: [1, 3, 224, 224])).scalars)
  }

  /// Adebayo et al.'s check on Lite0 and the espresso photograph: gradient saliency of the fully
  /// randomised network is far from the original (low rank correlation), while an "explanation"
  /// that ignores the model (the image's brightness) stays perfectly correlated, which is what
  /// the test exists to catch.
  func testLite0SaliencyFailsToSurviveRandomisationButAModelFreeMapDoes() throws {
    let classifier = try lite0()
    let image = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let espresso = 967
    let test = ParameterRandomization(classifier: classifier, seed: 3)
    let every = (test.modules.count + 3) / 4
    let saliency = try test.cascade(image, target: espresso, every: every) { network in
      try Saliency(classifier: network).map(image, target: espresso)
    }
    XCTAssertEqual(saliency.count, 4)
    XCTAssertEqual(saliency.last?.randomizedModules, test.modules.count)
    XCTAssertEqual(saliency.last?.deepestModule, "_conv_stem")
    for step in saliency {
      print(
        "Lite0 saliency, \(step.randomizedModules) modules random (down to \(step.deepestModule)):",
        "Spearman \(step.comparison.spearman), of |map| \(step.comparison.spearmanOfAbsolute)")
    }
    let final = try XCTUnwrap(saliency.last).comparison.spearmanOfAbsolute
    XCTAssertLessThan(final, 0.5)
    let brightness = try test.cascade(image, target: espresso, every: test.modules.count) { _ in
      image.channelReduced(.sum)
    }
    XCTAssertEqual(brightness.last?.comparison.spearmanOfAbsolute ?? 0, 1, accuracy: 1e-12)
  }
}
