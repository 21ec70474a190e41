import Foundation
import Models
import Tensor

// The steps of the experiment that run the probe's selectors: MMD-critic on penultimate features
// (2a) and the DeepFool robustness ranking (2b). Each is one function, so that another selector
// can take its place.

extension PlantedBiasExperiment {
  /// (2a) MMD-critic prototypes and criticisms (log-determinant regulariser, global RBF kernel
  /// with the median heuristic) among the probe images of the cued class (`classImages`,
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
