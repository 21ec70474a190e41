import Models
import Tensor

// The steps of the experiment that run other parts of the probe: MMD-critic on features (2a),
// the DeepFool ranking (2b) and the exact test of association (4). Each is one function, so
// that the experiment reads the same whichever selector or test it uses.

extension PlantedBiasExperiment {
  /// (2a) MMD-critic prototypes and criticisms among the probe images of the cued class
  /// (`classImages`, positions in the probe set), in the model's penultimate feature space.
  ///
  /// Returns nil while MMD-critic is not part of the library.
  func selectionFindings(
    _ classifier: GrayImageClassifier, probe: PlantedBiasData, classImages: [Int]
  ) throws -> SelectionFindings? {
    nil
  }

  /// (2b) The DeepFool robustness ranking of the correctly classified probe images of the cued
  /// class (`classImages`).
  ///
  /// Returns nil while DeepFool is not part of the library.
  func adversarialFindings(
    _ classifier: GrayImageClassifier, probe: PlantedBiasData, classImages: [Int]
  ) throws -> AdversarialRankingFindings? {
    nil
  }

  /// The two-sided p-value of the exact test of association of the 2×2 table whose rows are
  /// `first` and `second` (successes, failures).
  ///
  /// Returns nil while the exact test is not part of the library.
  static func association(_ first: Proportion, _ second: Proportion) -> Double? {
    nil
  }
}
