/// What the training loop reports after every batch: the library prints nothing, a caller (the
/// CLI's stderr progress line, a test) renders it.
public struct TrainingProgress: Sendable {
  /// The epoch, from 1.
  public var epoch: Int
  /// The number of epochs planned (0 when the loop was given none).
  public var epochCount: Int
  /// The batch just finished, from 1.
  public var batch: Int
  /// The number of batches in the epoch.
  public var batchCount: Int
  /// The mean loss of the batch just finished.
  public var batchLoss: Float
  /// The mean loss over the epoch so far, weighted by batch size.
  public var loss: Float
  /// The fraction of the epoch's examples so far whose largest training-mode logit (dropout
  /// active, before the step) was the label.
  public var accuracy: Float
  /// The examples of this epoch processed so far.
  public var exampleCount: Int
  /// Seconds since the epoch started.
  public var elapsedSeconds: Double

  /// Training throughput so far in this epoch.
  public var imagesPerSecond: Double {
    elapsedSeconds > 0 ? Double(exampleCount) / elapsedSeconds : 0
  }
}

/// The outcome of one epoch.
public struct EpochSummary: Sendable {
  /// The epoch, from 1.
  public var epoch: Int
  /// The mean training loss over the epoch (training mode, each batch before its step).
  public var loss: Float
  /// The training accuracy over the epoch, as `TrainingProgress.accuracy`.
  public var accuracy: Float
  /// The number of training examples seen.
  public var exampleCount: Int
  /// Seconds the epoch took (without validation).
  public var seconds: Double
  /// The evaluation on held-out data, when the loop was given some.
  public var validation: Evaluation?

  /// Training throughput over the epoch.
  public var imagesPerSecond: Double { seconds > 0 ? Double(exampleCount) / seconds : 0 }
}

/// Loss and accuracy of a network on a dataset, in inference mode.
public struct Evaluation: Sendable, Equatable {
  /// The mean cross-entropy.
  public var loss: Float
  /// The fraction of examples whose largest logit is the label (the first index on ties).
  public var accuracy: Float
  /// The number of correctly classified examples.
  public var correctCount: Int
  /// The number of examples.
  public var exampleCount: Int
}
