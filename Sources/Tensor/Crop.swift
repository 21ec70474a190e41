/// A rectangle of pixels: `height × width` pixels whose top-left pixel is at row `top`, column
/// `left`.
public struct CropRegion: Hashable, Sendable {
  public var top: Int
  public var left: Int
  public var height: Int
  public var width: Int

  public init(top: Int, left: Int, height: Int, width: Int) {
    self.top = top
    self.left = left
    self.height = height
    self.width = width
  }

  /// The `height × width` rectangle centred in an `imageHeight × imageWidth` image, placed as
  /// torchvision's `center_crop`: `top = round((imageHeight − height) / 2)`, rounding halves to
  /// even as Python's `round` does (likewise `left`).
  ///
  /// - Precondition: the rectangle fits: `0 ≤ height ≤ imageHeight`, `0 ≤ width ≤ imageWidth`.
  public static func centered(
    height: Int, width: Int, inImageOfHeight imageHeight: Int, width imageWidth: Int
  ) -> CropRegion {
    precondition(
      height >= 0 && width >= 0 && height <= imageHeight && width <= imageWidth,
      "Cannot centre a \(height)×\(width) crop in a \(imageHeight)×\(imageWidth) image.")
    func start(_ margin: Int) -> Int { Int((Double(margin) / 2).rounded(.toNearestOrEven)) }
    return CropRegion(
      top: start(imageHeight - height), left: start(imageWidth - width), height: height,
      width: width)
  }
}

/// Cropping images `[..., H, W]` and its adjoint.
extension Tensor {
  /// The pixels of `region`, as a view (no copy) of shape `[..., region.height, region.width]`.
  ///
  /// - Precondition: the rank is at least 2 and `region` lies inside the last two axes.
  /// - Complexity: O(rank).
  public func cropped(to region: CropRegion) -> Tensor {
    checkRegion(region)
    return sliced(axis: rank - 2, region.top..<(region.top + region.height))
      .sliced(axis: rank - 1, region.left..<(region.left + region.width))
  }

  /// The `height × width` pixels whose top-left pixel is at (`top`, `left`), as a view.
  ///
  /// - Precondition: the rectangle lies inside the last two axes.
  /// - Complexity: O(rank).
  public func cropped(top: Int, left: Int, height: Int, width: Int) -> Tensor {
    cropped(to: CropRegion(top: top, left: left, height: height, width: width))
  }

  /// The central `height × width` pixels (see `CropRegion.centered`), as a view.
  ///
  /// - Precondition: the crop is no larger than the image.
  /// - Complexity: O(rank).
  public func centerCropped(height: Int, width: Int) -> Tensor {
    precondition(rank >= 2, "Cannot crop a tensor of rank \(rank); it needs [..., H, W].")
    return cropped(
      to: .centered(
        height: height, width: width, inImageOfHeight: shape[rank - 2], width: shape[rank - 1]))
  }

  /// The adjoint of `cropped(to:)`: this tensor (`[..., region.height, region.width]`, typically
  /// a gradient) placed at `region` in zeros of shape `[..., imageHeight, imageWidth]`.
  ///
  /// - Precondition: the last two extents equal the region's and the region fits the image.
  /// - Complexity: O(imageHeight · imageWidth) per plane.
  public func uncropped(from region: CropRegion, imageHeight: Int, imageWidth: Int) -> Tensor {
    precondition(
      rank >= 2 && shape[rank - 2] == region.height && shape[rank - 1] == region.width,
      "Cannot uncrop \(shape) from a \(region.height)×\(region.width) region.")
    let result = Tensor(zeros: Array(shape.dropLast(2)) + [imageHeight, imageWidth])
    let window = result.cropped(to: region)
    // `result` is new and owned here, so writing through its pointer is safe.
    let loop = StridedLoop(
      shape: shape, window.strides, strides, [Int](repeating: 0, count: rank))
    let n = loop.innerCount
    let (so, si, _) = loop.innerStrides
    let target = result.storage.pointer
    let source = storage.pointer
    loop.forEachRun(window.offset, offset, 0) { o, i, _ in
      for k in 0..<n { target[o + k * so] = source[i + k * si] }
    }
    return result
  }

  private func checkRegion(_ region: CropRegion) {
    precondition(rank >= 2, "Cannot crop a tensor of rank \(rank); it needs [..., H, W].")
    let (height, width) = (shape[rank - 2], shape[rank - 1])
    precondition(
      region.top >= 0 && region.left >= 0 && region.height >= 0 && region.width >= 0
        && region.top + region.height <= height && region.left + region.width <= width,
      "The crop \(region) does not fit in a \(height)×\(width) image (shape \(shape)).")
  }
}
