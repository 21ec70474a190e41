import Tensor

/// Turns a photograph of any size into the network's input: resize the shorter side, then crop
/// the centre. Values stay in [0, 1]; normalisation belongs to the classifier.
public struct Preprocessing: Sendable, Hashable {
  /// The length the shorter side is resized to (`nil`: no resize).
  public var resizeShorterSide: Int?
  /// The centre crop `(height, width)`.
  public var cropSize: (height: Int, width: Int)
  /// Whether downscaling filters like Pillow / torchvision `antialias=True`.
  public var antialias: Bool

  public init(resizeShorterSide: Int?, cropSize: (height: Int, width: Int), antialias: Bool = true) {
    self.resizeShorterSide = resizeShorterSide
    self.cropSize = cropSize
    self.antialias = antialias
  }

  /// torchvision's ImageNet evaluation transform: shorter side 256, centre crop 224.
  public static let imageNet = Preprocessing(
    resizeShorterSide: 256, cropSize: (224, 224), antialias: true)

  /// A `[3, H, W]` photograph in [0, 1] resized and cropped to `[3, cropHeight, cropWidth]`.
  /// After a resize the result is clamped to [0, 1]: the antialiasing filter's weights sum to 1
  /// only up to rounding, so a white region could otherwise come out as 1.0000001, which the
  /// attacks (pixel space [0, 1]) would reject.
  ///
  /// - Throws: `ClassifierError.wrongImageShape` when the image is not `[3, H, W]` or is smaller
  ///   than the crop after resizing.
  public func callAsFunction(_ image: Tensor) throws -> Tensor {
    guard image.rank == 3, image.shape[0] == 3, image.shape[1] > 0, image.shape[2] > 0 else {
      throw ClassifierError.wrongImageShape(expected: "[3, H, W]", found: image.shape)
    }
    var resized = image
    if let side = resizeShorterSide {
      resized = image.resized(shorterSide: side, antialias: antialias).clamped(min: 0, max: 1)
    }
    guard resized.shape[1] >= cropSize.height, resized.shape[2] >= cropSize.width else {
      throw ClassifierError.wrongImageShape(
        expected: "at least [3, \(cropSize.height), \(cropSize.width)] after resizing",
        found: resized.shape)
    }
    return resized.centerCropped(height: cropSize.height, width: cropSize.width).contiguous()
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.resizeShorterSide == rhs.resizeShorterSide && lhs.cropSize == rhs.cropSize
      && lhs.antialias == rhs.antialias
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(resizeShorterSide)
    hasher.combine(cropSize.height)
    hasher.combine(cropSize.width)
    hasher.combine(antialias)
  }
}
