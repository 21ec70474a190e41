import Foundation
import Imaging
import Tensor

/// Turning an attribution map into pictures: normalisation with outlier clipping, colouring,
/// overlay on the photograph and a side-by-side panel written as an image file.
///
/// ```swift
/// let map = try GradCAM(classifier: classifier).map(image, target: 967)   // [224, 224]
/// try HeatMap.writePanel(image: image, map: map, to: URL(fileURLWithPath: "cam.png"))
/// ```
public enum HeatMap {
  /// Where the value that maps to 1 comes from; larger values are clipped to 1.
  public enum Clipping: Sendable, Hashable {
    /// The `p`-th percentile of `|map|` (numpy's `percentile` with linear interpolation:
    /// rank `p/100 · (n − 1)` in the sorted values).
    case percentile(Float)
    /// Captum's `visualization._normalize_attr(attr, "absolute_value", outlier_perc)`: the
    /// smallest sorted `|map|` value at which the cumulative sum reaches `100 − outlierPercent` %
    /// of the total (Captum's `_cumulative_sum_threshold`; `visualize_image_attr` defaults to 2).
    case cumulativeMass(outlierPercent: Float)
  }

  /// The clipping threshold of `map` (any shape) under `clipping`.
  ///
  /// - Precondition: the map is non-empty; percentages are in [0, 100].
  /// - Complexity: O(n log n) for the sort.
  public static func threshold(_ map: Tensor, clipping: Clipping) -> Float {
    let values = map.contiguous().scalars.map { Swift.abs($0) }.sorted()
    precondition(!values.isEmpty, "Cannot normalise an empty map.")
    switch clipping {
    case .percentile(let p):
      precondition((0...100).contains(p), "A percentile lies in [0, 100], not \(p).")
      let rank = Double(p) / 100 * Double(values.count - 1)
      let lower = Int(rank.rounded(.down))
      let upper = Swift.min(lower + 1, values.count - 1)
      let fraction = Float(rank - Double(lower))
      return values[lower] + (values[upper] - values[lower]) * fraction
    case .cumulativeMass(let outlierPercent):
      precondition(
        (0...100).contains(outlierPercent),
        "An outlier percentage lies in [0, 100], not \(outlierPercent).")
      let total = values.reduce(Double(0)) { $0 + Double($1) }
      let target = total * Double(100 - outlierPercent) / 100
      var cumulative = Double(0)
      for value in values {
        cumulative += Double(value)
        if cumulative >= target { return value }
      }
      return values[values.count - 1]
    }
  }

  /// `min(|map| / t, 1)` with `t = threshold(map, clipping:)`: values in [0, 1]; all zeros when
  /// `t` is 0. Signed maps are shown by magnitude (Captum's `"absolute_value"`).
  ///
  /// - Complexity: O(n log n).
  public static func normalized(_ map: Tensor, clipping: Clipping = .percentile(99)) -> Tensor {
    let t = threshold(map, clipping: clipping)
    guard t > 0, t.isFinite else { return Tensor(zeros: map.shape) }
    return map.map { Swift.min(Swift.abs($0) / t, 1) }
  }

  /// The normalised map `[H, W]` in colour, `[3, H, W]`.
  public static func colorized(
    _ map: Tensor, colorMap: ColorMap = .viridis, clipping: Clipping = .percentile(99)
  ) -> Tensor {
    precondition(map.rank == 2, "A heat map is [H, W], not \(map.shape).")
    return colorMap.apply(normalized(map, clipping: clipping))
  }

  /// `(1 − alpha) · image + alpha · colorized(map)`, `[3, H, W]`.
  ///
  /// - Precondition: `image` is `[3, H, W]` and `map` `[H, W]`; `alpha` in [0, 1].
  public static func overlay(
    _ map: Tensor, on image: Tensor, alpha: Float = 0.5, colorMap: ColorMap = .viridis,
    clipping: Clipping = .percentile(99)
  ) -> Tensor {
    precondition(
      image.rank == 3 && image.shape[0] == 3 && Array(image.shape.dropFirst()) == map.shape,
      "The overlay needs an image [3, H, W] and a map [H, W], not \(image.shape) and \(map.shape).")
    precondition((0...1).contains(alpha), "alpha lies in [0, 1], not \(alpha).")
    let colored = colorized(map, colorMap: colorMap, clipping: clipping)
    return image * (1 - alpha) + colored * alpha
  }

  /// Image | coloured map | overlay, side by side with `gap` white columns between them:
  /// `[3, H, 3W + 2·gap]`.
  public static func panel(
    image: Tensor, map: Tensor, alpha: Float = 0.5, colorMap: ColorMap = .viridis,
    clipping: Clipping = .percentile(99), gap: Int = 4
  ) -> Tensor {
    precondition(gap >= 0, "The gap is a column count, not \(gap).")
    let colored = colorized(map, colorMap: colorMap, clipping: clipping)
    let blended = overlay(map, on: image, alpha: alpha, colorMap: colorMap, clipping: clipping)
    let spacer = Tensor(shape: [3, image.shape[1], gap], repeating: 1)
    let parts = gap > 0 ? [image, spacer, colored, spacer, blended] : [image, colored, blended]
    return Tensor.concatenate(parts.map { $0.contiguous() }, axis: 2)
  }

  /// Writes `panel(image:map:…)` to `url` (format from the extension, e.g. `.png`).
  ///
  /// - Throws: `ImageError` from `ImageFile.write` (unsupported extension, unwritable file).
  public static func writePanel(
    image: Tensor, map: Tensor, to url: URL, alpha: Float = 0.5, colorMap: ColorMap = .viridis,
    clipping: Clipping = .percentile(99)
  ) throws {
    try ImageFile.write(
      panel(image: image, map: map, alpha: alpha, colorMap: colorMap, clipping: clipping), to: url)
  }
}
