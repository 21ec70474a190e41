import Tensor

/// LIME's local linear model for one class: how much showing each superpixel adds to the class
/// probability near the explained image.
public struct LIMELabelExplanation: Sendable, Hashable {
  /// The class explained.
  public let label: Int
  /// One coefficient per superpixel (0 for superpixels left out by feature selection).
  public let coefficients: [Double]
  /// The superpixels that entered the regression, in the order the feature selection chose them
  /// (all of them, ascending, under lime_image's defaults).
  public let selected: [Int]
  /// The model's constant term: the predicted probability with every superpixel hidden.
  public let intercept: Double
  /// The weighted R² of the model on the samples (lime's `score`).
  public let score: Double
  /// The model's prediction for the unperturbed image (all superpixels shown), lime's
  /// `local_pred`.
  public let localPrediction: Double
  /// The classifier's probability for `label` on the unperturbed image.
  public let probability: Double

  /// Creates an explanation from its parts (the output of `LIME.fit`).
  public init(
    label: Int, coefficients: [Double], selected: [Int], intercept: Double, score: Double,
    localPrediction: Double, probability: Double
  ) {
    self.label = label
    self.coefficients = coefficients
    self.selected = selected
    self.intercept = intercept
    self.score = score
    self.localPrediction = localPrediction
    self.probability = probability
  }

  /// Superpixels by decreasing coefficient (ties: lower index first).
  ///
  /// - Complexity: O(n log n) for n superpixels.
  public var ranking: [Int] {
    coefficients.indices.sorted {
      coefficients[$0] > coefficients[$1] || (coefficients[$0] == coefficients[$1] && $0 < $1)
    }
  }

  /// Selected superpixels by decreasing `|coefficient|`: lime's `local_exp[label]` order.
  public var byMagnitude: [Int] {
    selected.sorted {
      let (a, b) = (Swift.abs(coefficients[$0]), Swift.abs(coefficients[$1]))
      return a > b || (a == b && $0 < $1)
    }
  }

  /// The at most `k` superpixels with the largest positive coefficients, largest first (what
  /// lime's `get_image_and_mask(positive_only=True, num_features=k)` keeps).
  public func topPositive(_ k: Int) -> [Int] {
    Array(ranking.filter { coefficients[$0] > 0 }.prefix(Swift.max(0, k)))
  }

  /// The at most `k` superpixels with the most negative coefficients, most negative first.
  public func topNegative(_ k: Int) -> [Int] {
    Array(ranking.reversed().filter { coefficients[$0] < 0 }.prefix(Swift.max(0, k)))
  }
}

/// The outcome of `LIME.explain`: the segmentation, the perturbation samples and one local model
/// per explained class.
public struct LIMEExplanation: Sendable {
  /// The superpixels the samples switched on and off.
  public let segmentation: SuperpixelMap
  /// `sampleCount × segmentation.count` indicators (1 = shown), row-major; row 0 is all ones.
  public let masks: [UInt8]
  /// The cosine distance of each mask to the all-ones mask.
  public let distances: [Double]
  /// The kernel weight of each sample, `√exp(−d² / width²)`.
  public let weights: [Double]
  /// The classifier's probabilities for the unperturbed image, one per class.
  public let probabilities: [Float]
  /// One local model per explained class, in the order asked for (by decreasing probability for
  /// `.top(k)`).
  public let labels: [LIMELabelExplanation]

  /// Creates an explanation from its parts.
  public init(
    segmentation: SuperpixelMap, masks: [UInt8], distances: [Double], weights: [Double],
    probabilities: [Float], labels: [LIMELabelExplanation]
  ) {
    self.segmentation = segmentation
    self.masks = masks
    self.distances = distances
    self.weights = weights
    self.probabilities = probabilities
    self.labels = labels
  }

  /// The number of perturbation samples.
  public var sampleCount: Int { distances.count }

  /// The local model of class `label`, if it was explained.
  public func explanation(for label: Int) -> LIMELabelExplanation? {
    labels.first { $0.label == label }
  }

  /// The coefficient map of `label`: `[H, W]`, each pixel holding its superpixel's coefficient
  /// (zeros if `label` was not explained).
  public func coefficientMap(for label: Int) -> Tensor {
    let coefficients = explanation(for: label)?.coefficients
      ?? [Double](repeating: 0, count: segmentation.count)
    return Tensor(
      shape: [segmentation.height, segmentation.width],
      scalars: segmentation.labels.map { Float(coefficients[Int($0)]) })
  }
}
