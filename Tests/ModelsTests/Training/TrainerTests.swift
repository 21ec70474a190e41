import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class TrainerTests: XCTestCase {
  /// The first `count` images of the Fashion-MNIST test split (the smaller file, read quickly).
  private func fashion(_ count: Int) throws -> ImageDataset {
    try FashionMNIST.load(.test, from: fashionMNISTDirectory(), limit: count)
  }

  private func trainOneEpoch(_ data: ImageDataset, seed: UInt64) -> [String: Tensor] {
    var rng = SeededGenerator(seed: seed)
    var trainer = Trainer(
      network: SmallCNN(using: &rng), optimizer: Adam(), batchSize: 64, seed: seed)
    _ = trainer.trainEpoch(on: data)
    return trainer.network.stateDictionary()
  }

  func testTheSameSeedGivesBitIdenticalWeightsAfterAnEpochOf512Images() throws {
    let data = try fashion(512)

    let first = trainOneEpoch(data, seed: 7)
    let second = trainOneEpoch(data, seed: 7)
    let other = trainOneEpoch(data, seed: 8)

    XCTAssertEqual(first.count, 8)
    for (name, tensor) in first {
      XCTAssertEqual(tensor, second[name], "\(name) differs between two runs with one seed")
      XCTAssertNotEqual(tensor, other[name], "\(name) is the same for another seed")
    }
  }

  func testTrainingOnASubsetLowersTheLossAndBeatsChanceByFar() throws {
    let data = try fashion(3000)
    let (training, validation) = (data.subset(0..<2000), data.subset(2000..<3000))
    var rng = SeededGenerator(seed: 1)
    // Narrower than the default (8 and 16 channels, 64 hidden units) to keep the debug suite fast.
    let network = SmallCNN(channels: (8, 16), hiddenUnits: 64, using: &rng)
    var trainer = Trainer(
      network: network, optimizer: Adam(learningRate: 3e-3), batchSize: 50, seed: 2)
    let before = trainer.network.evaluate(on: validation)
    var batchLosses: [Float] = []

    let summaries = trainer.fit(training, epochs: 2, validation: validation) {
      batchLosses.append($0.batchLoss)
    }

    XCTAssertEqual(batchLosses.count, 80)
    XCTAssertEqual(Double(before.loss), log(10.0), accuracy: 0.3)  // about uniform at first
    XCTAssertLessThan(summaries[1].loss, summaries[0].loss)
    let after = try XCTUnwrap(summaries.last?.validation)
    XCTAssertLessThan(after.loss, before.loss * 0.5)
    XCTAssertGreaterThan(after.accuracy, 0.6, "chance is 0.1")
    XCTAssertEqual(after.exampleCount, 1000)
  }

  func testProgressComesAfterEveryBatchWithRunningMeansThatEndAtTheEpochSummary() {
    var rng = SeededGenerator(seed: 3)
    let data = ImageDataset(
      images: Tensor.uniform([10, 1, 8, 8], using: &rng), labels: (0..<10).map { $0 % 5 },
      classNames: ["0", "1", "2", "3", "4"])
    let network = SmallCNN(
      imageSize: (8, 8), classCount: 5, channels: (2, 3), hiddenUnits: 4, using: &rng)
    var trainer = Trainer(
      network: network, optimizer: SGD(learningRate: 0.01), batchSize: 4, seed: 4)
    var reports: [TrainingProgress] = []

    let summary = trainer.trainEpoch(on: data, epochCount: 3) { reports.append($0) }

    XCTAssertEqual(reports.map(\.batch), [1, 2, 3])
    XCTAssertEqual(reports.map(\.batchCount), [3, 3, 3])
    XCTAssertEqual(reports.map(\.exampleCount), [4, 8, 10])
    XCTAssertTrue(reports.allSatisfy { $0.epoch == 1 && $0.epochCount == 3 })
    let weighted = zip(reports.map(\.batchLoss), [4, 4, 2]).reduce(0) { $0 + $1.0 * Float($1.1) }
    XCTAssertEqual(reports[2].loss, weighted / 10, accuracy: 1e-6)
    XCTAssertEqual(summary.loss, reports[2].loss)
    XCTAssertEqual(summary.accuracy, reports[2].accuracy)
    XCTAssertEqual(summary.exampleCount, 10)
    XCTAssertEqual(trainer.completedEpochs, 1)
    XCTAssertEqual(trainer.optimizer.stepCount, 3)
  }

  func testEvaluationCountsTheLargestLogitAndAveragesTheLoss() {
    // The network passes two pixels through as logits; labels agree with the larger one for 2
    // of 3 images.
    let network = Sequential([
      Flatten(), Linear(weight: Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])),
    ])
    let data = ImageDataset(
      images: Tensor(shape: [3, 1, 1, 2], scalars: [0, 1, 2, 0, 0, 0]), labels: [1, 0, 1],
      classNames: ["x", "y"])

    let evaluation = network.evaluate(on: data, batchSize: 2)

    XCTAssertEqual(evaluation.correctCount, 2)  // ties go to the first index: [0, 0] → class 0
    XCTAssertEqual(evaluation.exampleCount, 3)
    XCTAssertEqual(evaluation.accuracy, 2 / 3)
    // −log softmax: log(1 + e⁻¹), log(1 + e⁻²), log 2.
    let expected = (log(1 + exp(-1.0)) + log(1 + exp(-2.0)) + log(2.0)) / 3
    XCTAssertEqual(Double(evaluation.loss), expected, accuracy: 1e-6)
  }
}
