import Tensor

/// A spurious visual cue planted in images: a small square of constant value at a fixed place,
/// such as a bright 4×4 mark in the top-left corner of a Fashion-MNIST picture.
///
/// The planted-bias experiment (`PlantedBiasExperiment`) stamps it into most training images of
/// one class, so that a network can learn "mark ⇒ class" instead of the clothing; the same cue is
/// then added to test images to measure what the network learned.
///
/// ```swift
/// let cue = PlantedCue(side: 4, value: 1, corner: .topLeft, margin: 0)
/// let marked = cue.applied(to: images)            // [N, C, 28, 28], every image marked
/// let inside = cue.mask(height: 28, width: 28)    // [28, 28], 1 inside the square
/// ```
public struct PlantedCue: Sendable, Hashable, Codable {
  /// Which corner of the image the square sits in.
  public enum Corner: String, Sendable, Hashable, Codable, CaseIterable {
    case topLeft, topRight, bottomLeft, bottomRight
  }

  /// The side of the square, in pixels.
  public var side: Int
  /// The value written into every channel of the square's pixels (1 is white).
  public var value: Float
  /// The corner the square sits in.
  public var corner: Corner
  /// The gap, in pixels, between the square and the image border.
  public var margin: Int

  /// A square cue of `side` pixels with `value`, `margin` pixels away from `corner`.
  ///
  /// - Precondition: `side ≥ 1`, `margin ≥ 0`.
  public init(side: Int = 4, value: Float = 1, corner: Corner = .topLeft, margin: Int = 0) {
    precondition(side >= 1, "A cue needs a side of at least one pixel, not \(side).")
    precondition(margin >= 0, "A cue's margin cannot be negative, not \(margin).")
    self.side = side
    self.value = value
    self.corner = corner
    self.margin = margin
  }

  /// The rows and columns the square covers in an image of `height × width`.
  ///
  /// - Precondition: the square fits: `side + margin ≤ min(height, width)`.
  public func region(height: Int, width: Int) -> (rows: Range<Int>, columns: Range<Int>) {
    precondition(
      side + margin <= height && side + margin <= width,
      "A cue of side \(side) with margin \(margin) does not fit in \(height)×\(width).")
    let top = (corner == .topLeft || corner == .topRight) ? margin : height - margin - side
    let left = (corner == .topLeft || corner == .bottomLeft) ? margin : width - margin - side
    return (top..<(top + side), left..<(left + side))
  }

  /// `[height, width]`: 1 on the square's pixels, 0 elsewhere.
  public func mask(height: Int, width: Int) -> Tensor {
    let (rows, columns) = region(height: height, width: width)
    var mask = Tensor(zeros: [height, width])
    mask.withUnsafeMutableBufferPointer { m in
      for r in rows { for c in columns { m[r * width + c] = 1 } }
    }
    return mask
  }

  /// The fraction of an `height × width` image the square covers, `side² / (height · width)`.
  public func areaShare(height: Int, width: Int) -> Double {
    _ = region(height: height, width: width)
    return Double(side * side) / Double(height * width)
  }

  /// `images` `[N, C, H, W]` with the square written into every channel of the images whose
  /// flag in `marked` is true (all of them when `marked` is nil). A new contiguous tensor.
  ///
  /// - Precondition: `images` has rank 4 and `marked`, when given, has `N` entries.
  /// - Complexity: O(N · C · H · W) for the copy.
  public func applied(to images: Tensor, where marked: [Bool]? = nil) -> Tensor {
    precondition(images.rank == 4, "A cue is planted in images [N, C, H, W], not \(images.shape).")
    let (count, channels, height, width) = (
      images.shape[0], images.shape[1], images.shape[2], images.shape[3]
    )
    precondition(
      marked.map { $0.count == count } ?? true,
      "Marking flags must have one entry per image (\(count)), not \(marked?.count ?? 0).")
    let (rows, columns) = region(height: height, width: width)
    var result = images.contiguous()
    let plane = height * width
    let value = self.value
    result.withUnsafeMutableBufferPointer { pixels in
      for n in 0..<count where marked?[n] ?? true {
        for k in 0..<channels {
          let base = (n * channels + k) * plane
          for r in rows { for c in columns { pixels[base + r * width + c] = value } }
        }
      }
    }
    return result
  }
}
