import Foundation
import Imaging
import Tensor

/// Pictures of a LIME explanation: the photograph with superpixel outlines, the top-k superpixels
/// kept and the rest greyed (lime's `get_image_and_mask(positive_only=True, num_features=k)` drawn
/// with `mark_boundaries`), and the signed coefficient map.
///
/// ```swift
/// let explanation = try LIME(classifier: classifier, segmentation: .map(superpixels)).explain(image)
/// try LIMEPicture.writePanel(image: image, explanation: explanation, label: 967, to: url)
/// ```
public enum LIMEPicture {
  /// The outline colour (scikit-image's `mark_boundaries` default, yellow).
  public static let boundaryColor: (red: Float, green: Float, blue: Float) = (1, 1, 0)

  /// `image` `[3, H, W]` with `segmentation.boundaries` painted in `boundaryColor`.
  ///
  /// - Precondition: the segmentation has the image's size.
  public static func outlined(_ image: Tensor, segmentation: SuperpixelMap) -> Tensor {
    checkSize(image, segmentation)
    var pixels = image.scalars
    let plane = segmentation.height * segmentation.width
    let color = [boundaryColor.red, boundaryColor.green, boundaryColor.blue]
    for (index, isBoundary) in segmentation.boundaries.enumerated() where isBoundary {
      for channel in 0..<3 { pixels[channel * plane + index] = color[channel] }
    }
    return Tensor(shape: image.shape, scalars: pixels)
  }

  /// `image` with the superpixels `kept` as they are and every other pixel greyed and dimmed to
  /// `0.5 + dimming · (luminance − 0.5)` (so the kept regions stand out), outlines drawn.
  ///
  /// - Parameters:
  ///   - kept: superpixel indices (e.g. `explanation.labels[0].topPositive(5)`).
  ///   - dimming: contrast left to the hidden part, in [0, 1]; default 0.3.
  /// - Precondition: the segmentation has the image's size; indices are superpixels.
  public static func keeping(
    _ kept: [Int], of image: Tensor, segmentation: SuperpixelMap, dimming: Float = 0.3
  ) -> Tensor {
    checkSize(image, segmentation)
    precondition((0...1).contains(dimming), "dimming lies in [0, 1], not \(dimming).")
    precondition(kept.allSatisfy { (0..<segmentation.count).contains($0) }, "Unknown superpixel in \(kept).")
    let keep = Set(kept)
    var pixels = image.scalars
    let plane = segmentation.height * segmentation.width
    for index in 0..<plane where !keep.contains(Int(segmentation.labels[index])) {
      let luminance =
        0.299 * pixels[index] + 0.587 * pixels[plane + index] + 0.114 * pixels[2 * plane + index]
      let grey = 0.5 + dimming * (luminance - 0.5)
      for channel in 0..<3 { pixels[channel * plane + index] = grey }
    }
    return outlined(Tensor(shape: image.shape, scalars: pixels), segmentation: segmentation)
  }

  /// A signed map `[H, W]` in a diverging colour scale `[3, H, W]`: white at 0, red for positive
  /// and blue for negative values, full colour at `±max|map|` (all white for an all-zero map).
  public static func diverging(_ map: Tensor) -> Tensor {
    precondition(map.rank == 2, "A coefficient map is [H, W], not \(map.shape).")
    let values = map.scalars
    let scale = values.reduce(Float(0)) { Swift.max($0, Swift.abs($1)) }
    let plane = values.count
    var pixels = [Float](repeating: 1, count: 3 * plane)
    guard scale > 0, scale.isFinite else { return Tensor(shape: [3] + map.shape, scalars: pixels) }
    for (index, value) in values.enumerated() {
      let t = Swift.min(Swift.abs(value) / scale, 1)
      if value > 0 {  // towards (0.80, 0.09, 0.15)
        pixels[plane + index] = 1 - 0.91 * t
        pixels[2 * plane + index] = 1 - 0.85 * t
        pixels[index] = 1 - 0.20 * t
      } else if value < 0 {  // towards (0.13, 0.40, 0.67)
        pixels[index] = 1 - 0.87 * t
        pixels[plane + index] = 1 - 0.60 * t
        pixels[2 * plane + index] = 1 - 0.33 * t
      }
    }
    return Tensor(shape: [3] + map.shape, scalars: pixels)
  }

  /// Outlined image | top-`k` positive superpixels kept | signed coefficient map with outlines,
  /// side by side with `gap` white columns: `[3, H, 3W + 2·gap]`.
  ///
  /// - Precondition: `label` was explained; the explanation's segmentation has the image's size.
  public static func panel(
    image: Tensor, explanation: LIMEExplanation, label: Int, k: Int = 5, gap: Int = 4
  ) -> Tensor {
    guard let model = explanation.explanation(for: label) else {
      preconditionFailure("Class \(label) was not explained (explained: \(explanation.labels.map(\.label))).")
    }
    precondition(gap >= 0, "The gap is a column count, not \(gap).")
    let segmentation = explanation.segmentation
    let parts = [
      outlined(image, segmentation: segmentation),
      keeping(model.topPositive(k), of: image, segmentation: segmentation),
      outlined(diverging(explanation.coefficientMap(for: label)), segmentation: segmentation),
    ]
    let spacer = Tensor(shape: [3, image.shape[1], gap], repeating: 1)
    let joined = gap > 0 ? [parts[0], spacer, parts[1], spacer, parts[2]] : parts
    return Tensor.concatenate(joined.map { $0.contiguous() }, axis: 2)
  }

  /// Writes `panel(image:explanation:label:k:)` to `url` (format from the extension).
  ///
  /// - Throws: `ImageError` from `ImageFile.write`.
  public static func writePanel(
    image: Tensor, explanation: LIMEExplanation, label: Int, k: Int = 5, to url: URL
  ) throws {
    try ImageFile.write(panel(image: image, explanation: explanation, label: label, k: k), to: url)
  }

  private static func checkSize(_ image: Tensor, _ segmentation: SuperpixelMap) {
    precondition(
      image.shape == [3, segmentation.height, segmentation.width],
      "The image \(image.shape) does not match the \(segmentation.height)×\(segmentation.width) "
        + "segmentation.")
  }
}
