import Explain
import Foundation
import Models
import Tensor

/// The planted-bias experiment: prove, on data we control, that the bias probe finds a bias the
/// network learned (the paper's *basketball* finding, Stock & Cisse 2018, §5, with a cue we put
/// there ourselves instead of skin colour).
///
/// On Fashion-MNIST, a `PlantedCue` (a bright square in a corner) is stamped into most training
/// images of one class (`trainingShareInClass`, 90 %) and almost none of the others
/// (`trainingShareElsewhere`, 1 %). The `SmallCNN` is trained twice from the same seed: on these
/// images (the *biased* model) and on the same images without any cue (the *control*). A probe
/// set is made from the test split, with the cue in `probeShareInClass` of the cued class's images
/// and `probeShareElsewhere` of the others. Then, for each model:
///
/// 1. the cue alone pushes clean test images of other classes to the cued class (flip rate);
/// 2. MMD-critic on the penultimate features of the images the model *predicts* as the cued
///    class, in a second probe where half of that class carries the cue
///    (`selectionProbeShareInClass`):
///    the prototypes carry the cue beyond that base rate and the criticisms are cued images of
///    other classes; the cued and uncued images of the class lie apart in feature space (MMD²);
///    and the images most robust to DeepFool carry the cue more often than the least robust
///    (misclassified images have `ρ = 0`);
/// 3. gradient saliency for the cued class concentrates on the cue's square;
/// 4. the bias statistics (P(cue | predicted c), P(cue | true c, correct / misclassified), Wilson
///    intervals, exact tests) quantify it.
///
/// The control should show none of this. Everything is seeded: the same configuration and thread
/// count give the same numbers.
///
/// ```swift
/// let train = try FashionMNIST.load(.train, from: folder, limit: 10_000)
/// let test = try FashionMNIST.load(.test, from: folder)
/// let result = try PlantedBiasExperiment(seed: 0).run(training: train, test: test)
/// print(result.table())
/// ```
///
/// - Complexity: dominated by training, `2 · epochs · trainSize` forward and backward passes of
///   the small CNN (about 4.2 M multiply–adds forward per image), then DeepFool on
///   `adversarialImageCount` images per model.
public struct PlantedBiasExperiment: Sendable, Hashable {
  /// The class whose training images mostly carry the cue.
  public var cueClass: Int = 0
  /// The cue.
  public var cue = PlantedCue()
  /// The share of the cued class's training images that carry the cue.
  public var trainingShareInClass = 0.9
  /// The share of the other classes' training images that carry the cue.
  public var trainingShareElsewhere = 0.01
  /// The share of the cued class's probe (test) images that carry the cue (by default the
  /// training share: the test images are biased like the training images, as ImageNet's
  /// validation images are like its training images).
  public var probeShareInClass = 0.9
  /// The share of the other classes' probe (test) images that carry the cue.
  public var probeShareElsewhere = 0.1
  /// The share of the cued class's images that carry the cue in the *selection probe*, the test
  /// images MMD-critic selects from in (2a) (the other classes carry it at
  /// `probeShareElsewhere`). Half, so that a model blind to the cue would pick prototypes with
  /// and without it alike, and both groups are large enough to compare.
  public var selectionProbeShareInClass = 0.5
  /// Random relabellings of the permutation test of the cue's separation in feature space.
  public var separationPermutations = 199
  /// Passes over the training images.
  public var epochs = 2
  /// Examples per optimisation step.
  public var batchSize = 64
  /// Adam's step size.
  public var learningRate = 1e-3
  /// The seed of the cue placement, the initialisation, the shuffles and dropout.
  public var seed: UInt64 = 0
  /// How many prototypes MMD-critic selects.
  public var prototypeCount = 10
  /// How many criticisms MMD-critic selects.
  public var criticismCount = 10
  /// How many probe images of the cued class DeepFool ranks (at most; the first ones).
  public var adversarialImageCount = 100
  /// DeepFool's iteration budget; an image still not flipped after it ranks as most robust.
  public var deepFoolIterations = 10
  /// How many of the most and of the least robust ranked images are compared.
  public var adversarialTailCount = 20
  /// How many cued probe images of the cued class the saliency is measured on (at most).
  public var saliencyImageCount = 200
  /// Images per forward pass when evaluating.
  public var evaluationBatchSize = 500

  /// The default configuration with `seed`.
  public init(seed: UInt64 = 0) {
    self.seed = seed
  }

  /// Runs the experiment on `training` (the images the models learn from) and `test` (the
  /// probe images), both gray `[N, 1, H, W]` in [0, 1] with the same classes.
  ///
  /// - Parameter progress: receives the training and measurement stages as they go.
  /// - Throws: `PlantedBiasError` for unusable data or parameters.
  public func run(
    training: ImageDataset, test: ImageDataset, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> PlantedBiasResult {
    try validate(training: training, test: test)
    let clock = ContinuousClock()
    let start = clock.now
    var rng = SeededGenerator(seed: seed)
    var trainingRNG = rng.split(0)
    var probeRNG = rng.split(1)
    var selectionRNG = rng.split(2)
    let planted = PlantedBiasData(
      training, cue: cue, cueClass: cueClass, shareInClass: trainingShareInClass,
      shareElsewhere: trainingShareElsewhere, using: &trainingRNG)
    let probe = PlantedBiasData(
      test, cue: cue, cueClass: cueClass, shareInClass: probeShareInClass,
      shareElsewhere: probeShareElsewhere, using: &probeRNG)
    let selectionProbe = PlantedBiasData(
      test, cue: cue, cueClass: cueClass, shareInClass: selectionProbeShareInClass,
      shareElsewhere: probeShareElsewhere, using: &selectionRNG)

    let biasedNetwork = train(planted.dataset, name: "biased", progress: progress)
    let controlNetwork = train(training, name: "control", progress: progress)
    let trainingSeconds = seconds(clock.now - start)
    let biased = GrayImageClassifier(
      network: biasedNetwork, inputSize: imageSize(of: test), classNames: test.classNames)
    let control = GrayImageClassifier(
      network: controlNetwork, inputSize: imageSize(of: test), classNames: test.classNames)

    let biasedFindings = try measure(
      biased, name: "biased", test: test, probe: probe, selectionProbe: selectionProbe,
      progress: progress)
    let controlFindings = try measure(
      control, name: "control", test: test, probe: probe, selectionProbe: selectionProbe,
      progress: progress)
    return PlantedBiasResult(
      experiment: self, trainingImages: training.count, trainingImagesWithCue: planted.cueCount,
      probeImages: test.count, probeImagesWithCue: probe.cueCount, biased: biasedFindings,
      control: controlFindings, biasedClassifier: biased, controlClassifier: control,
      probe: probe, selectionProbe: selectionProbe, trainingSeconds: trainingSeconds,
      totalSeconds: seconds(clock.now - start))
  }

  /// Trains a fresh `SmallCNN` (initialised from `seed`) on `dataset` with Adam.
  ///
  /// - Complexity: `epochs · dataset.count` forward and backward passes.
  public func train(
    _ dataset: ImageDataset, name: String, progress: ProgressHandler = WorkProgress.ignore
  ) -> SmallCNN {
    var rng = SeededGenerator(seed: seed)
    let network = SmallCNN(
      inputChannels: dataset.imageShape[0], imageSize: imageSize(of: dataset),
      classCount: dataset.classNames.count, using: &rng)
    var trainer = Trainer(
      network: network, optimizer: Adam(learningRate: learningRate), batchSize: batchSize,
      seed: seed &+ 1)
    let total = epochs * ((dataset.count + batchSize - 1) / batchSize)
    var completed = 0
    for _ in 0..<epochs {
      _ = trainer.trainEpoch(on: dataset, epochCount: epochs) { _ in
        completed += 1
        progress(WorkProgress(stage: "training the \(name) model", completed: completed, total: total))
      }
    }
    return trainer.network
  }

  /// Measures (1)–(4) for one model.
  func measure(
    _ classifier: GrayImageClassifier, name: String, test: ImageDataset, probe: PlantedBiasData,
    selectionProbe: PlantedBiasData, progress: ProgressHandler
  ) throws -> PlantedBiasFindings {
    let stage = "measuring the \(name) model"
    var step = 0
    let steps = 6
    func advance() {
      step += 1
      progress(WorkProgress(stage: stage, completed: step, total: steps))
    }
    progress(WorkProgress(stage: stage, completed: 0, total: steps))
    let clean = predictions(classifier, images: test.images)
    let cleanCorrect = zip(clean.labels, test.labels).filter { $0 == $1 }.count
    let inClass = test.labels.indices.filter { test.labels[$0] == cueClass }
    let inClassCorrect = inClass.filter { clean.labels[$0] == cueClass }.count
    let cueFlip = measureCueFlip(classifier, test: test, clean: clean)
    advance()

    let probed = predictions(classifier, images: probe.dataset.images)
    let statistics = try cueStatistics(probe: probe, predicted: probed.labels)
    advance()

    let predictedSelection = try predictedSelectionFindings(
      classifier, selectionProbe: selectionProbe)
    advance()
    let classImages = inClass
    let selection = try selectionFindings(
      classifier, probe: probe, classImages: classImages)
    advance()
    let adversarial = try adversarialFindings(
      classifier, probe: probe,
      classImages: classImages, progress: progress)
    advance()
    let saliency = try saliencyFindings(
      classifier, probe: probe, classImages: classImages.filter { probe.hasCue[$0] })
    advance()
    return PlantedBiasFindings(
      model: name, cleanAccuracy: Proportion(successes: cleanCorrect, trials: test.count),
      cleanCueClassAccuracy: Proportion(successes: inClassCorrect, trials: inClass.count),
      cueFlip: cueFlip, predictedSelection: predictedSelection, selection: selection,
      adversarial: adversarial, saliency: saliency, statistics: statistics)
  }

  /// (1) Adds the cue to every clean test image of another class that the model does not
  /// already assign to the cued class, and counts those that move to it.
  func measureCueFlip(
    _ classifier: GrayImageClassifier, test: ImageDataset,
    clean: (labels: [Int], cueClassProbabilities: [Float])
  ) -> CueFlipFindings {
    let candidates = test.labels.indices.filter {
      test.labels[$0] != cueClass && clean.labels[$0] != cueClass
    }
    guard !candidates.isEmpty else {
      return CueFlipFindings(flipped: Proportion(successes: 0, trials: 0), meanProbabilityGain: 0)
    }
    let images = cue.applied(to: test.batch(at: candidates).images)
    let marked = predictions(classifier, images: images)
    var (flipped, gain) = (0, 0.0)
    for (position, index) in candidates.enumerated() {
      if marked.labels[position] == cueClass { flipped += 1 }
      gain += Double(marked.cueClassProbabilities[position] - clean.cueClassProbabilities[index])
    }
    return CueFlipFindings(
      flipped: Proportion(successes: flipped, trials: candidates.count),
      meanProbabilityGain: gain / Double(candidates.count))
  }

  /// (3) The share of the cued class's saliency that falls inside the cue's square.
  func saliencyFindings(
    _ classifier: GrayImageClassifier, probe: PlantedBiasData, classImages: [Int]
  ) throws -> SaliencyFindings {
    let (height, width) = imageSize(of: probe.dataset)
    let mask = cue.mask(height: height, width: width).scalars
    let chosen = Array(classImages.prefix(saliencyImageCount))
    let shares = try PlantedBiasExperiment.saliencyShares(
      classifier, images: GrayImageClassifier.colored(probe.dataset.batch(at: chosen).images),
      target: cueClass, mask: mask)
    let mean = shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count)
    return SaliencyFindings(
      imageCount: shares.count, meanCueShare: mean,
      areaShare: cue.areaShare(height: height, width: width))
  }

  /// For each image of `images` `[N, 3, H, W]`, `Σ_{mask} M / Σ M` with `M` the gradient saliency
  /// map of class `target` (`Saliency.map`) and `mask` `H · W` weights in [0, 1].
  ///
  /// - Throws: `AttributionError` from `Saliency`.
  public static func saliencyShares(
    _ classifier: any ImageClassifier, images: Tensor, target: Int, mask: [Float]
  ) throws -> [Double] {
    let saliency = Saliency(classifier: classifier)
    return try (0..<images.shape[0]).map { n in
      let map = try saliency.map(images.selecting(axis: 0, index: n).contiguous(), target: target)
        .scalars
      precondition(map.count == mask.count, "The mask must have one weight per pixel.")
      var (inside, total) = (0.0, 0.0)
      for (value, weight) in zip(map, mask) {
        inside += Double(value * weight)
        total += Double(value)
      }
      return total > 0 ? inside / total : 0
    }
  }

  /// (4) The cue against the model's predictions on the probe images: `AttributeBias` with the
  /// attribute "cue" ∈ {"cue", "no cue"}, plus the cue among the other classes and among the
  /// cued class's false positives, with Fisher's exact test of cue × predicted c there.
  func cueStatistics(probe: PlantedBiasData, predicted: [Int]) throws -> CueStatistics {
    let labels = probe.dataset.labels
    let c = cueClass
    let bias = try AttributeBias(
      attribute: "cue", attributeValues: probe.hasCue.map { $0 ? "cue" : "no cue" },
      trueLabels: labels, predictedLabels: predicted)
    let report = bias.report(forClass: c)
    guard let cue = report.values.first(where: { $0.value == "cue" }) else {
      throw PlantedBiasError.invalidParameter("no probe image carries the cue")
    }
    func proportion(_ include: (Int) -> Bool) -> Proportion {
      var (successes, trials) = (0, 0)
      for index in labels.indices where include(index) {
        trials += 1
        if probe.hasCue[index] { successes += 1 }
      }
      return Proportion(successes: successes, trials: trials)
    }
    let falsePositive = proportion { labels[$0] != c && predicted[$0] == c }
    let otherRejected = proportion { labels[$0] != c && predicted[$0] != c }
    let falsePositiveTest = FisherExactTest([
      [falsePositive.successes, falsePositive.trials - falsePositive.successes],
      [otherRejected.successes, otherRejected.trials - otherRejected.successes],
    ])
    return CueStatistics(
      overall: proportion { _ in true }, givenTrueClass: proportion { labels[$0] == c },
      givenPredicted: cue.givenPredicted.proportion,
      givenCorrect: cue.givenTrueCorrect.proportion,
      givenMisclassified: cue.givenTrueMisclassified.proportion,
      givenOtherClass: proportion { labels[$0] != c }, givenFalsePositive: falsePositive,
      correctnessPValue: report.correctnessTest?.pValue,
      falsePositivePValue: falsePositiveTest.pValue(.twoSided), report: report)
  }

  /// Predicted labels and the probability of the cued class for gray images `[N, 1, H, W]`, in
  /// batches of `evaluationBatchSize`.
  func predictions(_ classifier: GrayImageClassifier, images: Tensor) -> (
    labels: [Int], cueClassProbabilities: [Float]
  ) {
    var labels: [Int] = []
    var probabilities: [Float] = []
    let count = images.shape[0]
    labels.reserveCapacity(count)
    probabilities.reserveCapacity(count)
    var start = 0
    while start < count {
      let end = Swift.min(start + evaluationBatchSize, count)
      let logits = classifier.gray.logits(images.sliced(axis: 0, start..<end).contiguous())
      labels += logits.argmax(alongAxis: 1).scalars.map { Int($0) }
      let p = logits.softmax(alongAxis: 1).scalars
      let k = logits.shape[1]
      probabilities += (0..<(end - start)).map { p[$0 * k + cueClass] }
      start = end
    }
    return (labels, probabilities)
  }

  /// Penultimate features `[N, D]` of gray images `[N, 1, H, W]`, in batches.
  func features(_ classifier: GrayImageClassifier, images: Tensor) -> Tensor {
    var parts: [Tensor] = []
    var start = 0
    let count = images.shape[0]
    while start < count {
      let end = Swift.min(start + evaluationBatchSize, count)
      parts.append(classifier.gray.features(images.sliced(axis: 0, start..<end).contiguous()))
      start = end
    }
    return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
  }

  private func imageSize(of dataset: ImageDataset) -> (height: Int, width: Int) {
    (dataset.imageShape[1], dataset.imageShape[2])
  }

  private func validate(training: ImageDataset, test: ImageDataset) throws {
    guard training.imageShape.count == 3, training.imageShape[0] == 1 else {
      throw PlantedBiasError.notGray(shape: training.imageShape)
    }
    guard test.imageShape == training.imageShape else {
      throw PlantedBiasError.shapeMismatch(training: training.imageShape, test: test.imageShape)
    }
    guard test.classNames == training.classNames else {
      throw PlantedBiasError.classMismatch
    }
    guard (0..<training.classNames.count).contains(cueClass) else {
      throw PlantedBiasError.invalidParameter(
        "the cued class \(cueClass) is outside 0..<\(training.classNames.count)")
    }
    let side = training.imageShape[1]
    guard cue.side + cue.margin <= Swift.min(side, training.imageShape[2]) else {
      throw PlantedBiasError.invalidParameter(
        "a cue of side \(cue.side) and margin \(cue.margin) does not fit in the images")
    }
    for (name, share) in [
      ("trainingShareInClass", trainingShareInClass),
      ("trainingShareElsewhere", trainingShareElsewhere),
      ("probeShareInClass", probeShareInClass), ("probeShareElsewhere", probeShareElsewhere),
      ("selectionProbeShareInClass", selectionProbeShareInClass),
    ] where !(0...1).contains(share) {
      throw PlantedBiasError.invalidParameter("\(name) must lie in [0, 1], not \(share)")
    }
    guard epochs >= 1, batchSize >= 1, evaluationBatchSize >= 1, learningRate > 0,
      deepFoolIterations >= 1
    else {
      throw PlantedBiasError.invalidParameter(
        "epochs, batch sizes, the learning rate and DeepFool's iterations must be positive")
    }
    guard separationPermutations >= 1 else {
      throw PlantedBiasError.invalidParameter("separationPermutations must be positive")
    }
    guard prototypeCount >= 1, criticismCount >= 1, adversarialTailCount >= 1,
      adversarialImageCount >= 2 * adversarialTailCount, saliencyImageCount >= 1
    else {
      throw PlantedBiasError.invalidParameter(
        "selection counts must be positive, with adversarialImageCount ≥ 2 · adversarialTailCount")
    }
    let classCount = test.labels.filter { $0 == cueClass }.count
    guard classCount >= prototypeCount + criticismCount else {
      throw PlantedBiasError.invalidParameter(
        "the test images hold \(classCount) images of the cued class, fewer than the "
          + "\(prototypeCount + criticismCount) prototypes and criticisms asked for")
    }
  }
}

/// Errors of the planted-bias experiment with unusable data or parameters.
public enum PlantedBiasError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The images are not gray `[1, H, W]`.
  case notGray(shape: [Int])
  /// Training and test images differ in shape.
  case shapeMismatch(training: [Int], test: [Int])
  /// Training and test sets name different classes.
  case classMismatch
  /// A parameter is out of its range.
  case invalidParameter(String)

  public var description: String {
    switch self {
    case .notGray(let shape):
      return "The planted-bias experiment needs gray images [1, H, W], not \(shape)."
    case .shapeMismatch(let training, let test):
      return "Training images are \(training) but test images \(test)."
    case .classMismatch:
      return "The training and test sets name different classes."
    case .invalidParameter(let message):
      return "Invalid planted-bias parameter: \(message)."
    }
  }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
  let (whole, fraction) = duration.components
  return Double(whole) + Double(fraction) * 1e-18
}
