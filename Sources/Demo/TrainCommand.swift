import ArgumentParser
import Foundation
import Models
import Tensor

/// `demo train`: trains the small CNN on Fashion-MNIST, reports the test accuracy, saves the
/// weights as safetensors, reloads them into a fresh network and checks that it gives the same
/// logits bit for bit.
///
/// Progress goes to stderr (one updating line on a terminal, a line every tenth of an epoch
/// otherwise; nothing with `--quiet`); the result goes to stdout, as text or one JSON object.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the small CNN on Fashion-MNIST and save it as safetensors.")

  /// The optimiser to train with.
  enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable {
    case sgd
    case adam
  }

  @Option(help: "Passes over the training set.")
  var epochs = 3

  @Option(help: "Examples per optimisation step.")
  var batchSize = 64

  @Option(help: "Step size (default: 0.001 for adam, 0.05 for sgd).")
  var learningRate: Double?

  @Option(help: "sgd (momentum 0.9, Nesterov) or adam.")
  var optimizer: OptimizerChoice = .adam

  @Option(help: "Seed of the initialisation, the shuffles and dropout.")
  var seed: UInt64 = 0

  @Option(help: "Where to write the trained weights (safetensors).")
  var output = "small-cnn-fashion-mnist.safetensors"

  @Option(help: "Folder holding the four Fashion-MNIST .gz files.")
  var data = "Assets/datasets/fashion-mnist"

  @Option(help: "Train on the first N training images only (quick runs).")
  var trainLimit: Int?

  @Option(help: "Threads for the numeric kernels (default: all cores).")
  var threads: Int?

  @Flag(help: "Print no progress on stderr.")
  var quiet = false

  @Flag(help: "Print the result as one JSON object.")
  var json = false

  func validate() throws {
    guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
      throw ValidationError("--learning-rate must be a positive number.")
    }
    if let trainLimit, trainLimit < 1 {
      throw ValidationError("--train-limit must be at least 1.")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
    guard output.hasSuffix(".safetensors") else {
      throw ValidationError("--output must name a .safetensors file.")
    }
  }

  func run() throws {
    if let threads { ComputeThreads.set(threads) }
    let directory = URL(fileURLWithPath: data)
    let loadStart = Date()
    let training = try FashionMNIST.load(.train, from: directory, limit: trainLimit)
    let test = try FashionMNIST.load(.test, from: directory)
    let loadSeconds = Date().timeIntervalSince(loadStart)

    var rng = SeededGenerator(seed: seed)
    let network = SmallCNN(using: &rng)
    let summaries: [EpochSummary]
    let trained: SmallCNN
    switch optimizer {
    case .adam:
      var trainer = Trainer(
        network: network, optimizer: Adam(learningRate: learningRate ?? 1e-3),
        batchSize: batchSize, seed: seed &+ 1)
      summaries = fit(&trainer, training, test)
      trained = trainer.network
    case .sgd:
      var trainer = Trainer(
        network: network,
        optimizer: SGD(learningRate: learningRate ?? 0.05, momentum: 0.9, nesterov: true),
        batchSize: batchSize, seed: seed &+ 1)
      summaries = fit(&trainer, training, test)
      trained = trainer.network
    }
    guard let final = summaries.last?.validation else { throw ExitCode.failure }

    let url = URL(fileURLWithPath: output)
    try trained.save(
      to: url,
      metadata: [
        "architecture": "SmallCNN", "dataset": "Fashion-MNIST", "epochs": "\(epochs)",
        "seed": "\(seed)", "optimizer": optimizer.rawValue,
        "test_accuracy": String(format: "%.4f", final.accuracy),
      ])
    var otherRNG = SeededGenerator(seed: seed &+ 2)
    var reloaded = SmallCNN(using: &otherRNG)
    try reloaded.load(contentsOf: url)
    let probe = test.subset(0..<min(1000, test.count)).images
    let identical = reloaded(probe) == trained(probe)
    if !identical {
      FileHandle.standardError.write(
        Data("demo: the reloaded network gives different logits\n".utf8))
    }

    let totalSeconds = summaries.reduce(0) { $0 + $1.seconds }
    let imagesPerSecond = Double(summaries.reduce(0) { $0 + $1.exampleCount }) / totalSeconds
    if json {
      let object: [String: Any] = [
        "epochs": summaries.map { summary -> [String: Any] in
          [
            "epoch": summary.epoch, "trainLoss": decimal(summary.loss),
            "trainAccuracy": decimal(summary.accuracy), "seconds": summary.seconds,
            "imagesPerSecond": summary.imagesPerSecond,
            "testLoss": summary.validation.map { decimal($0.loss) } ?? NSNull(),
            "testAccuracy": summary.validation.map { decimal($0.accuracy) } ?? NSNull(),
          ]
        },
        "testAccuracy": decimal(final.accuracy), "testLoss": decimal(final.loss),
        "trainSeconds": totalSeconds, "imagesPerSecond": imagesPerSecond,
        "loadSeconds": loadSeconds, "trainingImages": training.count,
        "testImages": test.count, "parameters": trained.trainableParameterCount,
        "optimizer": optimizer.rawValue, "batchSize": batchSize, "seed": seed,
        "threads": ComputeThreads.count, "blasCore": ComputeThreads.blasCoreName,
        "output": output, "reloadedLogitsIdentical": identical,
      ]
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(
        "SmallCNN (\(trained.trainableParameterCount) parameters), \(optimizer.rawValue), "
          + "batch \(batchSize), seed \(seed), \(ComputeThreads.count) threads")
      for summary in summaries {
        print(epochLine(summary))
      }
      print(
        String(
          format: "test accuracy %.2f%% (%d/%d), test loss %.4f", 100 * final.accuracy,
          final.correctCount, final.exampleCount, final.loss))
      print(
        String(
          format: "training %.1f s (%.0f images/s), data loading %.1f s", totalSeconds,
          imagesPerSecond, loadSeconds))
      print(
        "saved \(output); reloaded logits on \(probe.shape[0]) test images "
          + (identical ? "are identical" : "DIFFER"))
    }
    if !identical { throw ExitCode.failure }
  }

  /// Runs the epochs, rendering progress on stderr unless `--quiet`.
  private func fit<Network, Opt>(
    _ trainer: inout Trainer<Network, Opt>, _ training: ImageDataset, _ test: ImageDataset
  ) -> [EpochSummary] {
    let interactive = isatty(STDERR_FILENO) != 0
    var lastShown = -1.0
    return trainer.fit(
      training, epochs: epochs, validation: test,
      progress: { progress in
        guard !quiet else { return }
        let tenth = max(1, progress.batchCount / 10)
        let due =
          interactive
          ? progress.elapsedSeconds - lastShown >= 0.25 || progress.batch == progress.batchCount
          : progress.batch % tenth == 0
        guard due else { return }
        lastShown = progress.elapsedSeconds
        let line = String(
          format: "epoch %d/%d  batch %d/%d  loss %.4f  accuracy %.2f%%  %.0f images/s",
          progress.epoch, progress.epochCount, progress.batch, progress.batchCount,
          progress.loss, 100 * progress.accuracy, progress.imagesPerSecond)
        writeError(interactive ? "\r\u{1B}[K" + line : line + "\n")
      },
      epochFinished: { summary in
        lastShown = -1
        guard !quiet else { return }
        writeError((interactive ? "\r\u{1B}[K" : "") + epochLine(summary) + "\n")
      })
  }

  private func epochLine(_ summary: EpochSummary) -> String {
    String(
      format: "epoch %d/%d  train loss %.4f  train accuracy %.2f%%  test loss %.4f  "
        + "test accuracy %.2f%%  %.1f s (%.0f images/s)",
      summary.epoch, epochs, summary.loss, 100 * summary.accuracy,
      summary.validation?.loss ?? .nan, 100 * (summary.validation?.accuracy ?? .nan),
      summary.seconds, summary.imagesPerSecond)
  }

  /// The shortest decimal that reads back as `value` (0.9002, not 0.90020000934600830).
  private func decimal(_ value: Float) -> Double {
    Double(value.description) ?? Double(value)
  }

  private func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
