/// Which superpixels enter LIME's final ridge regression, as `lime_base.LimeBase.feature_selection`.
///
/// `lime_image` uses `.auto(maxFeatures: 100_000)`: with more allowed features than superpixels,
/// `auto` picks `highest_weights`, which keeps every feature, so the final model sees all
/// superpixels (the selection only reorders the columns, and a ridge fit does not depend on
/// column order). The other cases matter when fewer features are asked for.
public enum LIMEFeatureSelection: Sendable, Hashable {
  /// lime's `'auto'`: `forwardSelection` when `maxFeatures ≤ 6`, otherwise `highestWeights`.
  case auto(maxFeatures: Int)
  /// lime's `'none'`: every feature.
  case all
  /// lime's `'highest_weights'`: fit a ridge regression with `α = 0.01` on every feature, keep the
  /// `maxFeatures` with the largest `|βⱼ · x₀ⱼ|` (`x₀` the first, unperturbed row; ties keep the
  /// lower index).
  case highestWeights(maxFeatures: Int)
  /// lime's `'forward_selection'`: greedily add the feature whose unpenalised (`α = 0`) weighted
  /// fit together with the features chosen so far has the highest weighted R², `maxFeatures` times
  /// (ties keep the lower index).
  case forwardSelection(maxFeatures: Int)

  /// lime_image's default, `.auto(maxFeatures: 100_000)`.
  public static let limeImageDefault = LIMEFeatureSelection.auto(maxFeatures: 100_000)

  /// The selected columns of `data` for `targets`, in the order lime returns them.
  ///
  /// - Throws: `LinearAlgebraError` from the auxiliary fits (non-finite data).
  /// - Complexity: `highestWeights`: one fit, O(rows · columns²); `forwardSelection`:
  ///   O(maxFeatures · columns) fits of at most `maxFeatures` columns.
  func select(_ data: RegressionData, targets: [Double]) throws -> [Int] {
    switch self {
    case .all:
      return Array(0..<data.columns)
    case .auto(let maxFeatures):
      return try (maxFeatures <= 6
        ? LIMEFeatureSelection.forwardSelection(maxFeatures: maxFeatures)
        : .highestWeights(maxFeatures: maxFeatures)).select(data, targets: targets)
    case .highestWeights(let maxFeatures):
      let count = Swift.max(0, Swift.min(maxFeatures, data.columns))
      if count == data.columns { return Array(0..<data.columns) }
      guard data.rows > 0 else { return Array(0..<count) }
      let model = try WeightedRidge.fit(data, targets: [targets], alpha: 0.01)[0]
      let first = Array(data.row(0))
      let products = zip(model.coefficients, first).map { Swift.abs($0 * $1) }
      // A stable sort by decreasing |β · x₀|, as Python's `sorted(..., reverse=True)`.
      let order = products.indices.sorted { products[$0] > products[$1] || (products[$0] == products[$1] && $0 < $1) }
      return Array(order.prefix(count))
    case .forwardSelection(let maxFeatures):
      var used: [Int] = []
      for _ in 0..<Swift.max(0, Swift.min(maxFeatures, data.columns)) {
        var best = 0
        var bestScore = -100_000_000.0
        for feature in 0..<data.columns where !used.contains(feature) {
          let subset = data.selectingColumns(used + [feature])
          let model = try WeightedRidge.fit(subset, targets: [targets], alpha: 0)[0]
          let score = model.score(subset, targets: targets)
          if score > bestScore {
            best = feature
            bestScore = score
          }
        }
        used.append(best)
      }
      return used
    }
  }
}
