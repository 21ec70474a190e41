import Foundation
import Models
import Tensor

// The steps of the experiment that run the probe's selectors: MMD-critic on penultimate features
// (2a) and the DeepFool robustness ranking (2b). Each is one function, so that another selector
// can take its place.

extension PlantedBiasExperiment {
  /// (2a) MMD-critic (log-determinant regulariser, global RBF kernel with the median heuristic)
  /// among the images of `selectionProbe` that the model predicts as the cued class, in its
  /// penultimate feature space; the cue among the prototypes against the class's base rate
  /// (one-sided exact binomial test); the cue and the other classes among the criticisms; and
  /// the `MMD²` between the cued and uncued images of the class (permutation test).
  ///
  /// A model that predicts the class for fewer images than `prototypeCount + criticismCount`
  /// gets fewer (criticisms first, none below two images in the pool); the p-value of no
  /// prototypes is NaN.
  ///
  /// - Throws: `SelectionError` from the kernel (e.g. all pool features equal).
  func predictedSelectionFindings(
    _ classifier: GrayImageClassifier, selectionProbe: PlantedBiasData
  ) throws -> PredictedClassSelectionFindings {
    let c = cueClass
    let labels = selectionProbe.dataset.labels
    let hasCue = selectionProbe.hasCue
    let predicted = predictions(classifier, images: selectionProbe.dataset.images).labels
    let pool = predicted.indices.filter { predicted[$0] == c }
    var (prototypes, criticisms, gamma) = ([Int](), [Int](), Double.nan)
    if pool.count >= 2 {
      let points = features(classifier, images: selectionProbe.dataset.batch(at: pool).images)
      let prototypesSelector = MMDPrototypes(count: Swift.min(prototypeCount, pool.count - 1))
      let kernel = try RBFKernel(features: points, labels: nil, options: prototypesSelector.kernel)
      let chosen = prototypesSelector.select(in: kernel).indices
      let criticismLimit = Swift.min(criticismCount, pool.count - chosen.count)
      if criticismLimit >= 1 {
        criticisms = MMDCriticisms(
          count: criticismLimit, regularizer: .logDeterminant, prototypes: prototypesSelector
        ).select(in: kernel, prototypes: chosen).indices.map { pool[$0] }
      }
      prototypes = chosen.map { pool[$0] }
      gamma = kernel.gamma
    }
    func share(_ positions: [Int], _ include: (Int) -> Bool) -> Proportion {
      Proportion(successes: positions.filter(include).count, trials: positions.count)
    }
    let cued = { (i: Int) in hasCue[i] }
    let cuedOther = { (i: Int) in hasCue[i] && labels[i] != c }
    let classImages = labels.indices.filter { labels[$0] == c }
    let classWithCue = share(classImages, cued)
    let prototypesWithCue = share(prototypes, cued)

    // How far apart the cued and uncued images of the class lie in the model's features.
    var (separation, separationP) = (Double.nan, Double.nan)
    let classFlags = classImages.map { hasCue[$0] }
    if classFlags.contains(true) && classFlags.contains(false) {
      let classPoints = features(
        classifier, images: selectionProbe.dataset.batch(at: classImages).images)
      let test = MMDPermutationTest(
        kernel: try RBFKernel(features: classPoints).matrix, inFirstGroup: classFlags)
      var root = SeededGenerator(seed: seed)
      var permutations = root.split(3)
      separation = test.statistic
      separationP = test.pValue(permutations: separationPermutations, using: &permutations)
    }
    return PredictedClassSelectionFindings(
      classWithCue: classWithCue, poolWithCue: share(pool, cued),
      poolCuedOtherClasses: share(pool, cuedOther), prototypesWithCue: prototypesWithCue,
      prototypesCuedOtherClasses: share(prototypes, cuedOther),
      criticismsWithCue: share(criticisms, cued),
      criticismsCuedOtherClasses: share(criticisms, cuedOther),
      criticismsUncuedClass: share(criticisms) { !hasCue[$0] && labels[$0] == c },
      prototypesPValue: prototypes.isEmpty
        ? .nan
        : BinomialTest(prototypesWithCue, probability: classWithCue.estimate).pValue(.greater),
      prototypes: prototypes, criticisms: criticisms, gamma: gamma,
      cueSeparation: separation, cueSeparationPValue: separationP)
  }

  /// (2a, for contrast) MMD-critic prototypes and criticisms (log-determinant regulariser, global
  /// RBF kernel with the median heuristic) among the probe images of the cued class (`classImages`,
  /// positions in the probe set), in the model's penultimate feature space.
  ///
  /// - Throws: `SelectionError` when the features cannot be selected from (e.g. all equal).
  func selectionFindings(
    _ classifier: GrayImageClassifier, probe: PlantedBiasData, classImages: [Int]
  ) throws -> SelectionFindings {
    let images = probe.dataset.batch(at: classImages).images
    let points = features(classifier, images: images)
    let prototypesSelector = MMDPrototypes(count: prototypeCount)
    let kernel = try RBFKernel(features: points, labels: nil, options: prototypesSelector.kernel)
    let prototypes = prototypesSelector.select(in: kernel).indices
    let criticisms = MMDCriticisms(
      count: criticismCount, regularizer: .logDeterminant, prototypes: prototypesSelector
    ).select(in: kernel, prototypes: prototypes).indices
    func withCue(_ positions: [Int]) -> Proportion {
      Proportion(
        successes: positions.filter { probe.hasCue[classImages[$0]] }.count,
        trials: positions.count)
    }
    return SelectionFindings(
      classWithCue: withCue(Array(classImages.indices)), prototypesWithCue: withCue(prototypes),
      criticismsWithCue: withCue(criticisms), prototypes: prototypes, criticisms: criticisms,
      gamma: kernel.gamma)
  }

  /// (2b) Ranks the first `adversarialImageCount` of `classImages` (probe images of the cued
  /// class) by their DeepFool robustness `ρ = ‖r‖₂ / ‖x‖₂`, and counts the cue among the
  /// `adversarialTailCount` most and least robust. A misclassified image has `ρ = 0` (DeepFool
  /// returns it unchanged); one DeepFool does not flip within `deepFoolIterations` steps ranks
  /// as the most robust (`ρ = ∞`). Ties keep the probe order.
  ///
  /// - Throws: `AttackError` from DeepFool.
  func adversarialFindings(
    _ classifier: GrayImageClassifier, probe: PlantedBiasData, classImages: [Int],
    progress: ProgressHandler = WorkProgress.ignore
  ) throws -> AdversarialRankingFindings {
    let chosen = Array(classImages.prefix(adversarialImageCount))
    let images = GrayImageClassifier.colored(probe.dataset.batch(at: chosen).images)
    let results = try DeepFool(classifier: classifier, maxIterations: deepFoolIterations).attack(
      images, labels: Array(repeating: cueClass, count: chosen.count), target: .untargeted,
      progress: progress)
    // ρ of each flipped image, +∞ for the others; most robust first, ties by position.
    let ranking = AdversarialRanking(results: results)
    let (robustness, order) = (ranking.robustness, ranking.order)
    let tail = Swift.min(adversarialTailCount, chosen.count / 2)
    func withCue(_ positions: some Collection<Int>) -> Proportion {
      Proportion(
        successes: positions.filter { probe.hasCue[chosen[$0]] }.count, trials: positions.count)
    }
    func median(cue: Bool) -> Double {
      let values = robustness.indices.filter { probe.hasCue[chosen[$0]] == cue }
        .map { robustness[$0] }.sorted()
      guard !values.isEmpty else { return .nan }
      let middle = values.count / 2
      return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
    return AdversarialRankingFindings(
      rankedWithCue: withCue(Array(chosen.indices)), mostRobustWithCue: withCue(order.prefix(tail)),
      leastRobustWithCue: withCue(order.suffix(tail)),
      medianRobustnessWithCue: median(cue: true), medianRobustnessWithoutCue: median(cue: false))
  }
}
