import Foundation
import Tensor

/// Mini-batch training of a classification network with softmax cross-entropy: the epoch loop.
///
/// Every step runs the network in `.training` mode, takes the cross-entropy gradient, pulls it
/// back to the parameters and lets the optimiser update them. All randomness (the shuffle of
/// each epoch, each batch's dropout masks) comes from one `SeededGenerator`, so the same seed,
/// data, batch size and thread count give bit-identical weights.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// var trainer = Trainer(network: SmallCNN(using: &rng), optimizer: Adam(), batchSize: 64, seed: 1)
/// let summaries = trainer.fit(train, epochs: 3, validation: test) { progress in
///   // render progress.epoch, progress.batch, progress.loss, progress.accuracy
/// }
/// ```
///
/// - Complexity: per epoch, one forward and one backward pass over every example, plus
///   O(parameter count) per step for the optimiser.
public struct Trainer<Network: Layer, Opt: Optimizer>: Sendable {
  /// The network being trained.
  public var network: Network
  /// The optimiser and its state.
  public var optimizer: Opt
  /// The loss.
  public var loss: CrossEntropy
  /// Examples per step (the last batch of an epoch may be smaller).
  public var batchSize: Int
  /// The source of shuffles and dropout seeds.
  public private(set) var generator: SeededGenerator
  /// Epochs finished so far.
  public private(set) var completedEpochs = 0

  /// A trainer for `network`.
  ///
  /// - Precondition: `batchSize ≥ 1`.
  public init(
    network: Network, optimizer: Opt, loss: CrossEntropy = CrossEntropy(), batchSize: Int = 64,
    seed: UInt64
  ) {
    precondition(batchSize >= 1, "A batch size must be at least 1, not \(batchSize).")
    self.network = network
    self.optimizer = optimizer
    self.loss = loss
    self.batchSize = batchSize
    self.generator = SeededGenerator(seed: seed)
  }

  /// One optimisation step on a batch: forward in training mode (dropout drawn from the
  /// trainer's generator), loss, backward, optimiser update.
  ///
  /// - Parameters:
  ///   - images: `[B, C, H, W]`.
  ///   - labels: `B` class indices.
  /// - Returns: the batch's mean loss and how many of its examples the network (before the
  ///   step) classified correctly.
  public mutating func step(images: Tensor, labels: [Int]) -> (loss: Float, correctCount: Int) {
    let context = ForwardContext(mode: .training, seed: generator.next())
    let (value, correct, gradients): (Float, Int, ParameterGradients) = {
      // The pullback holds the parameters; it ends here, so the optimiser updates them in place.
      let (logits, pullback) = network.forward(images, context: context)
      let (value, logitGradient) = loss.lossAndGradient(logits: logits, labels: labels)
      let predictions = logits.argmax(alongAxis: 1).scalars
      let correct = zip(predictions, labels).reduce(0) { $0 + (Int($1.0) == $1.1 ? 1 : 0) }
      return (value, correct, pullback(logitGradient).parameters)
    }()
    optimizer.update(&network, along: gradients)
    return (value, correct)
  }

  /// One pass over `dataset` in a fresh random order, calling `progress` after every batch.
  ///
  /// - Parameter epochCount: the number of epochs planned, passed on to `progress`.
  public mutating func trainEpoch(
    on dataset: ImageDataset, epochCount: Int = 0,
    progress: (TrainingProgress) -> Void = { _ in }
  ) -> EpochSummary {
    let clock = ContinuousClock()
    let start = clock.now
    let batches = MiniBatches(dataset, batchSize: batchSize, shuffledUsing: &generator)
    let epoch = completedEpochs + 1
    var (lossSum, correct, seen) = (0.0, 0, 0)
    for (index, batch) in batches.enumerated() {
      let (batchLoss, batchCorrect) = step(images: batch.images, labels: batch.labels)
      lossSum += Double(batchLoss) * Double(batch.labels.count)
      correct += batchCorrect
      seen += batch.labels.count
      progress(
        TrainingProgress(
          epoch: epoch, epochCount: epochCount, batch: index + 1, batchCount: batches.count,
          batchLoss: batchLoss, loss: Float(lossSum / Double(seen)),
          accuracy: Float(correct) / Float(seen), exampleCount: seen,
          elapsedSeconds: seconds(clock.now - start)))
    }
    completedEpochs += 1
    return EpochSummary(
      epoch: epoch, loss: seen > 0 ? Float(lossSum / Double(seen)) : 0,
      accuracy: seen > 0 ? Float(correct) / Float(seen) : 0, exampleCount: seen,
      seconds: seconds(clock.now - start), validation: nil)
  }

  /// `epochs` passes over `training`, each followed by an evaluation on `validation` if given.
  ///
  /// - Parameters:
  ///   - progress: called after every batch.
  ///   - epochFinished: called after every epoch (and its evaluation).
  /// - Returns: one summary per epoch.
  public mutating func fit(
    _ training: ImageDataset, epochs: Int, validation: ImageDataset? = nil,
    evaluationBatchSize: Int = 500,
    progress: (TrainingProgress) -> Void = { _ in },
    epochFinished: (EpochSummary) -> Void = { _ in }
  ) -> [EpochSummary] {
    precondition(epochs >= 0, "The number of epochs cannot be negative, not \(epochs).")
    var summaries: [EpochSummary] = []
    for _ in 0..<epochs {
      var summary = trainEpoch(on: training, epochCount: epochs, progress: progress)
      if let validation {
        summary.validation = network.evaluate(
          on: validation, batchSize: evaluationBatchSize, loss: loss)
      }
      epochFinished(summary)
      summaries.append(summary)
    }
    return summaries
  }
}

extension Layer {
  /// The mean loss and the accuracy of this network on `dataset`, in inference mode, in batches
  /// of `batchSize`.
  ///
  /// - Complexity: one forward pass per example.
  public func evaluate(
    on dataset: ImageDataset, batchSize: Int = 500, loss: CrossEntropy = CrossEntropy()
  ) -> Evaluation {
    var (lossSum, correct) = (0.0, 0)
    for batch in MiniBatches(dataset, batchSize: batchSize) {
      let logits = self(batch.images)
      lossSum +=
        Double(loss.loss(logits: logits, labels: batch.labels)) * Double(batch.labels.count)
      let predictions = logits.argmax(alongAxis: 1).scalars
      correct += zip(predictions, batch.labels).reduce(0) { $0 + (Int($1.0) == $1.1 ? 1 : 0) }
    }
    let count = dataset.count
    return Evaluation(
      loss: count > 0 ? Float(lossSum / Double(count)) : 0,
      accuracy: count > 0 ? Float(correct) / Float(count) : 0, correctCount: correct,
      exampleCount: count)
  }
}

/// A duration in seconds.
private func seconds(_ duration: Duration) -> Double {
  let (whole, fraction) = duration.components
  return Double(whole) + Double(fraction) * 1e-18
}
