import Explain
import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// Two classes on a 4×6 image cut into six 2×2 blocks (superpixels 0…5, row-major): the
/// probability of class 0 is `p = base + Σⱼ wⱼ sⱼ`, with `sⱼ` the mean red value of block `j`
/// (logits `log p`, `log(1 − p)`). With a white image and black fill, `sⱼ` is LIME's indicator,
/// so the probability is exactly linear in the indicators.
private struct LinearBlockClassifier: ImageClassifier {
  let base: Float
  let weights: [Float]  // 6 values

  var inputSize: (height: Int, width: Int) { (4, 6) }
  var classNames: [String] { ["linear", "rest"] }

  static let blocks = try! SuperpixelMap(
    height: 4, width: 6,
    labels: [
      0, 0, 1, 1, 2, 2,
      0, 0, 1, 1, 2, 2,
      3, 3, 4, 4, 5, 5,
      3, 3, 4, 4, 5, 5,
    ])

  func logits(_ images: Tensor) -> Tensor {
    let count = images.shape[0]
    let pixels = images.scalars
    var result = [Float]()
    for n in 0..<count {
      var sums = [Float](repeating: 0, count: 6)
      for index in 0..<24 {
        sums[Int(Self.blocks.labels[index])] += pixels[n * 72 + index] / 4
      }
      let p = base + zip(weights, sums).map(*).reduce(0, +)
      result += [Foundation.log(p), Foundation.log(1 - p)]
    }
    return Tensor(shape: [count, 2], scalars: result)
  }
  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let shape = images.shape
    return (logits(images), { _ in Tensor(zeros: shape) })
  }
  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }
  func features(_ images: Tensor) -> Tensor { logits(images) }
}

/// lime's `LimeBase.explain_instance_with_data` outputs (Tools/make_lime_fixtures.py).
private struct LimeGolden: Decodable {
  var label: Int
  var intercept: Double
  var coefficients: [Double]
  var selected: [Int]
  var score: Double
  var localPrediction: Double
}

final class LIMETests: XCTestCase {
  private let linear = LinearBlockClassifier(
    base: 0.25, weights: [0.25, -0.1, 0.05, 0.3, -0.12, 0.1])  // p in [0.03, 0.95]
  private let white = Tensor(shape: [3, 4, 6], repeating: 1)

  // MARK: Golden values from the lime package

  private func limeInputs() throws -> (masks: [UInt8], features: Int, probabilities: [Double], classes: Int, distances: [Double]) {
    let masks = try NumPyArray.read(contentsOf: fixtureURL("LIME/masks.npy"))
    let probabilities = try NumPyArray.read(contentsOf: fixtureURL("LIME/probabilities.npy"))
    let distances = try NumPyArray.read(contentsOf: fixtureURL("LIME/distances.npy"))
    return (
      masks.doubleScalars().map { UInt8($0) }, masks.shape[1], probabilities.doubleScalars(),
      probabilities.shape[1], distances.doubleScalars()
    )
  }

  func testCosineDistancesToTheAllOnesMaskMatchScikitLearn() throws {
    let inputs = try limeInputs()

    let distances = LIME.cosineDistances(masks: inputs.masks, featureCount: inputs.features)

    XCTAssertEqual(distances.count, 1000)
    for (mine, theirs) in zip(distances, inputs.distances) {
      XCTAssertEqual(mine, theirs, accuracy: 1e-12)
    }
  }

  /// Python: `LimeBase(kernel(width 0.25)).explain_instance_with_data(masks, probabilities,
  /// distances, label, num_features, feature_selection='auto')` for num_features 100000
  /// (lime_image's default: highest_weights keeping all 30), 10 (highest_weights) and 5
  /// (forward_selection).
  func testRegressionMatchesLimeBaseForEveryFeatureSelectionOfAuto() throws {
    // Arrange
    let inputs = try limeInputs()
    let golden = try JSONDecoder().decode(
      [String: [LimeGolden]].self, from: Data(contentsOf: fixtureURL("LIME/expected.json")))
    let weights = LIME.kernelWeights(distances: inputs.distances, width: 0.25)
    let labels = Array(0..<inputs.classes)
    let targets = labels.map { label in
      (0..<1000).map { inputs.probabilities[$0 * inputs.classes + label] }
    }
    var worst = 0.0

    for maxFeatures in [100_000, 10, 5] {
      // Act
      let explanations = try LIME.fit(
        masks: inputs.masks, featureCount: inputs.features, weights: weights, targets: targets,
        labels: labels, featureSelection: .auto(maxFeatures: maxFeatures))

      // Assert
      let expected = try XCTUnwrap(golden[String(maxFeatures)])
      for (mine, theirs) in zip(explanations, expected) {
        XCTAssertEqual(mine.label, theirs.label)
        XCTAssertEqual(mine.selected.sorted(), theirs.selected, "num_features \(maxFeatures)")
        for (a, b) in zip(mine.coefficients, theirs.coefficients) {
          XCTAssertEqual(a, b, accuracy: 1e-9)
          worst = max(worst, abs(a - b))
        }
        XCTAssertEqual(mine.intercept, theirs.intercept, accuracy: 1e-9)
        XCTAssertEqual(mine.score, theirs.score, accuracy: 1e-9)
        XCTAssertEqual(mine.localPrediction, theirs.localPrediction, accuracy: 1e-9)
        worst = max(worst, abs(mine.intercept - theirs.intercept), abs(mine.score - theirs.score))
      }
    }
    print("LIME regression vs lime 0.2.0.1: largest difference \(worst)")
  }

  // MARK: Sampling

  func testMasksStartWithAllOnesAreBalancedAndFollowTheSeed() {
    let masks = LIME.masks(sampleCount: 1000, featureCount: 50, seed: 3)

    XCTAssertEqual(masks.count, 50_000)
    XCTAssertTrue(masks.prefix(50).allSatisfy { $0 == 1 })
    XCTAssertTrue(masks.allSatisfy { $0 <= 1 })
    let ones = Double(masks.dropFirst(50).reduce(0) { $0 + Int($1) }) / Double(49_950)
    XCTAssertEqual(ones, 0.5, accuracy: 0.01)  // 0.5 ± 4.5 standard deviations
    XCTAssertEqual(masks, LIME.masks(sampleCount: 1000, featureCount: 50, seed: 3))
    XCTAssertNotEqual(masks, LIME.masks(sampleCount: 1000, featureCount: 50, seed: 4))
  }

  func testKernelIsLimeImagesSquareRootOfExponential() {
    let weights = LIME.kernelWeights(distances: [0, 0.25, 1], width: 0.25)

    XCTAssertEqual(weights[0], 1)
    XCTAssertEqual(weights[1], Foundation.exp(-0.5), accuracy: 1e-15)
    XCTAssertEqual(weights[2], Foundation.exp(-8), accuracy: 1e-15)
  }

  // MARK: Closed form: a classifier linear in the indicators

  func testLIMERecoversTheWeightsOfAClassifierLinearInTheSuperpixelIndicators() throws {
    // Arrange: unpenalised, the fit is exact; with lime's α = 1 it shrinks slightly.
    let exact = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks),
      fill: .color(red: 0, green: 0, blue: 0), sampleCount: 400, regularization: 0, batchSize: 64,
      seed: 11)
    let ridge = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks),
      fill: .color(red: 0, green: 0, blue: 0), sampleCount: 1000, batchSize: 64, seed: 11)

    // Act
    let unpenalised = try XCTUnwrap(exact.explain(white, labels: .given([0])).labels.first)
    let penalised = try XCTUnwrap(ridge.explain(white).explanation(for: 0))

    // Assert
    for (coefficient, weight) in zip(unpenalised.coefficients, linear.weights) {
      XCTAssertEqual(coefficient, Double(weight), accuracy: 1e-5)
    }
    XCTAssertEqual(unpenalised.intercept, 0.25, accuracy: 1e-5)
    XCTAssertEqual(unpenalised.score, 1, accuracy: 1e-9)
    XCTAssertEqual(unpenalised.localPrediction, unpenalised.probability, accuracy: 1e-5)
    for (coefficient, weight) in zip(penalised.coefficients, linear.weights) {
      XCTAssertEqual(coefficient, Double(weight), accuracy: 0.02 * abs(Double(weight)))
    }
    XCTAssertGreaterThan(penalised.score, 0.999)
    XCTAssertEqual(penalised.ranking, [3, 0, 5, 2, 1, 4])
    XCTAssertEqual(penalised.topPositive(5), [3, 0, 5, 2])
    XCTAssertEqual(penalised.topNegative(5), [4, 1])
  }

  func testTopLabelsAreTheMostProbableClassesFirst() throws {
    let lime = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks), sampleCount: 50)

    let explanation = try lime.explain(white)

    // p(linear) = 0.25 + 0.48 = 0.73 on the white image.
    XCTAssertEqual(explanation.labels.map(\.label), [0, 1])
    XCTAssertEqual(explanation.probabilities[0], 0.73, accuracy: 1e-6)
    XCTAssertEqual(explanation.labels[0].probability, 0.73, accuracy: 1e-6)
    XCTAssertEqual(explanation.sampleCount, 50)
    XCTAssertEqual(explanation.distances[0], 0, accuracy: 1e-15)
    XCTAssertEqual(explanation.weights[0], 1, accuracy: 1e-15)
  }

  func testMeanColourFillHidesASuperpixelBehindItsAverage() throws {
    // With a half-red block, a hidden block shows its mean (0.5 red) — the same s as shown, so
    // the probability does not move and every coefficient of a block with uniform mean is 0.
    var pixels = [Float](repeating: 1, count: 72)
    for index in 0..<24 where index % 2 == 0 { pixels[index] = 0 }
    let striped = Tensor(shape: [3, 4, 6], scalars: pixels)
    let lime = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks), sampleCount: 200)

    let model = try XCTUnwrap(lime.explain(striped, labels: .given([0])).labels.first)

    for coefficient in model.coefficients { XCTAssertEqual(coefficient, 0, accuracy: 1e-6) }
    XCTAssertEqual(model.intercept, 0.25 + 0.48 / 2, accuracy: 1e-6)
  }

  func testAttributionMapGivesEveryPixelItsSuperpixelsCoefficientInEveryChannel() throws {
    let lime = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks),
      fill: .color(red: 0, green: 0, blue: 0), sampleCount: 300, seed: 5)

    let map = try lime.attribute(white, target: 0)
    let model = try XCTUnwrap(lime.explain(white, labels: .given([0])).labels.first)

    XCTAssertEqual(map.shape, [3, 4, 6])
    let values = map.scalars
    for channel in 0..<3 {
      for index in 0..<24 {
        let label = Int(LinearBlockClassifier.blocks.labels[index])
        XCTAssertEqual(values[channel * 24 + index], Float(model.coefficients[label]))
      }
    }
  }

  // MARK: Determinism

  func testSameSeedGivesBitIdenticalResultsOnOneAndTwoThreads() throws {
    let lime = try LIME(
      classifier: linear, segmentation: .map(LinearBlockClassifier.blocks), sampleCount: 500,
      batchSize: 7, seed: 99)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }

    ComputeThreads.set(1)
    let one = try lime.explain(white)
    ComputeThreads.set(2)
    let two = try lime.explain(white)

    XCTAssertEqual(one.masks, two.masks)
    XCTAssertEqual(one.labels, two.labels)
  }

  // MARK: Errors

  func testBadInputsAreTypedErrors() throws {
    let lime = try LIME(classifier: linear, segmentation: .map(LinearBlockClassifier.blocks))
    let small = try SuperpixelMap(height: 2, width: 2, labels: [0, 1, 2, 3])
    let mismatched = try LIME(classifier: linear, segmentation: .map(small))

    XCTAssertThrowsError(try lime.explain(Tensor(zeros: [3, 5, 6]))) { error in
      XCTAssertEqual(
        error as? AttributionError, .wrongImageShape(expected: [3, 4, 6], found: [3, 5, 6]))
    }
    XCTAssertThrowsError(try lime.explain(white, labels: .given([2]))) { error in
      XCTAssertEqual(error as? AttributionError, .targetOutOfRange(target: 2, classCount: 2))
    }
    XCTAssertThrowsError(try mismatched.explain(white)) { error in
      XCTAssertEqual(
        error as? SegmentationError, .sizeMismatch(segmentation: [2, 2], image: [4, 6]))
    }
    XCTAssertThrowsError(
      try LIME(classifier: linear, segmentation: .map(small), sampleCount: 0))
    XCTAssertThrowsError(try LIME(classifier: linear, segmentation: .map(small), batchSize: 0))
    XCTAssertThrowsError(try LIME(classifier: linear, segmentation: .map(small), kernelWidth: 0))
  }

  // MARK: Lite0 on a photograph

  /// The espresso crop with scikit-image's quickshift segmentation (lime_image's defaults,
  /// 29 superpixels; Tools/make_lime_fixtures.py). The cup — rim, inner wall and coffee — lies in
  /// rows 0–129, columns 20–199 of the 224×224 crop (47% of the pixels); the saucer, spoon and
  /// table lie below and beside it.
  ///
  /// Observed (seed 1): top 5 = superpixels [1, 2, 8, 9, 10] (rim and inner wall, then the
  /// crema), every one of their 14185 pixels in the cup region; R² 0.91; intercept 0.254; local
  /// prediction 1.055 against the model's 0.957.
  func testLite0EspressoTopSuperpixelsLieOnTheCupAndRepeatExactly() throws {
    // Arrange
    let classifier = try Classifier.efficientNetLite0(
      weights: assetURL("models/efficientnet-lite0.pth"),
      labels: assetURL("labels/imagenet_classes.txt"))
    let image = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let segments = try SuperpixelMap(
      NumPyArray.read(contentsOf: fixtureURL("LIME/coffee_quickshift.npy")).tensor())
    let lime = try LIME(classifier: classifier, segmentation: .map(segments), seed: 1)
    var reports = 0

    // Act
    let start = Date()
    let explanation = try lime.explain(image) { _ in reports += 1 }
    let seconds = Date().timeIntervalSince(start)
    // Determinism on the real network: 64 samples in batches of 8, on one and on two threads.
    let short = try LIME(
      classifier: classifier, segmentation: .map(segments), sampleCount: 64, batchSize: 8, seed: 2)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    ComputeThreads.set(1)
    let oneThread = try short.explain(image)
    ComputeThreads.set(2)
    let twoThreads = try short.explain(image)

    // Assert
    XCTAssertEqual(explanation.labels[0].label, 967)  // espresso
    let espresso = explanation.labels[0]
    let top = espresso.topPositive(5)
    XCTAssertEqual(top.count, 5)
    var inside = 0
    var total = 0
    for (index, label) in segments.labels.enumerated() where top.contains(Int(label)) {
      total += 1
      let (row, column) = (index / 224, index % 224)
      if (0..<130).contains(row) && (20..<200).contains(column) { inside += 1 }
    }
    print(
      "Lite0 LIME espresso (\(String(format: "%.1f", seconds)) s): top 5 \(top), "
        + "\(inside)/\(total) pixels in the cup region, R² \(espresso.score), intercept "
        + "\(espresso.intercept), local \(espresso.localPrediction) vs p \(espresso.probability)")
    XCTAssertGreaterThan(Double(inside) / Double(total), 0.9)
    XCTAssertGreaterThan(espresso.score, 0.8)
    XCTAssertGreaterThan(espresso.coefficients[top[0]], 0.2)  // one region dominates
    XCTAssertEqual(reports, 1 + 1000 / 32 + 1)  // start, 31 full batches, the last 8
    XCTAssertEqual(oneThread.labels, twoThreads.labels)  // bit for bit
  }
}
