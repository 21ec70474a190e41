import Models
import Tensor

/// A dataset in which a `PlantedCue` was stamped into a chosen share of the images of one class
/// and a (much smaller) share of the other classes, with a flag per image saying which ones carry
/// it: the attribute annotation of the planted-bias experiment.
///
/// Which images get the cue is drawn without replacement by a seeded permutation, so a share `p`
/// of a group of `n` images marks exactly `round(p · n)` of them, and the same seed marks the same
/// images on every platform.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let planted = PlantedBiasData(
///   train, cue: PlantedCue(), cueClass: 0, shareInClass: 0.9, shareElsewhere: 0.01, using: &rng)
/// planted.dataset      // the images with the cue stamped in
/// planted.hasCue[17]   // whether image 17 carries it
/// ```
public struct PlantedBiasData: Sendable {
  /// The images (cue stamped in where `hasCue` is true) and their unchanged labels.
  public let dataset: ImageDataset
  /// One flag per image: whether it carries the cue.
  public let hasCue: [Bool]
  /// The class whose images mostly carry the cue.
  public let cueClass: Int

  /// Stamps `cue` into `round(shareInClass · n_c)` of the `n_c` images of `cueClass` and
  /// `round(shareElsewhere · n_o)` of the `n_o` others, chosen by `rng`.
  ///
  /// - Precondition: `cueClass` is a class of `dataset`; both shares lie in [0, 1].
  /// - Complexity: O(N · C · H · W).
  public init(
    _ dataset: ImageDataset, cue: PlantedCue, cueClass: Int, shareInClass: Double,
    shareElsewhere: Double, using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      (0..<dataset.classNames.count).contains(cueClass),
      "The cued class \(cueClass) is not a class of the dataset (0..<\(dataset.classNames.count)).")
    precondition(
      (0...1).contains(shareInClass) && (0...1).contains(shareElsewhere),
      "Cue shares lie in [0, 1], not \(shareInClass) and \(shareElsewhere).")
    let inClass = dataset.labels.indices.filter { dataset.labels[$0] == cueClass }
    let elsewhere = dataset.labels.indices.filter { dataset.labels[$0] != cueClass }
    var flags = [Bool](repeating: false, count: dataset.count)
    for (group, share) in [(inClass, shareInClass), (elsewhere, shareElsewhere)] {
      let order = seededPermutation(group.count, using: &rng)
      let marked = Int((share * Double(group.count)).rounded())
      for position in order.prefix(marked) { flags[group[position]] = true }
    }
    self.dataset = ImageDataset(
      images: cue.applied(to: dataset.images, where: flags), labels: dataset.labels,
      classNames: dataset.classNames)
    self.hasCue = flags
    self.cueClass = cueClass
  }

  /// The number of images carrying the cue.
  public var cueCount: Int { hasCue.reduce(0) { $0 + ($1 ? 1 : 0) } }
}
