import Foundation
import Tensor

/// The pixels of a `[3, H, W]` image as the segmenters read them: interleaved `H × W × 3`
/// doubles (scikit-image's channel-last layout), validated once.
struct SegmentationInput {
  let height: Int
  let width: Int
  /// Row-major, three values per pixel.
  var values: [Double]

  /// Validates `image` (`[3, H, W]`, every value finite) and interleaves its channels.
  ///
  /// - Throws: `SegmentationError.wrongShape` unless the shape is `[3, H, W]`,
  ///   `.emptyImage` when `H` or `W` is 0, `.nonFiniteInput` for NaN or infinity.
  init(_ image: Tensor) throws {
    guard image.rank == 3, image.shape[0] == 3 else {
      throw SegmentationError.wrongShape(image.shape)
    }
    let (height, width) = (image.shape[1], image.shape[2])
    guard height > 0, width > 0 else { throw SegmentationError.emptyImage }
    let planes = image.contiguous().scalars
    let count = height * width
    var values = [Double](repeating: 0, count: count * 3)
    for index in 0..<count {
      for channel in 0..<3 {
        let value = planes[channel * count + index]
        guard value.isFinite else { throw SegmentationError.nonFiniteInput }
        values[index * 3 + channel] = Double(value)
      }
    }
    self.height = height
    self.width = width
    self.values = values
  }

  /// Rescales every value (all channels together) linearly to [0, 1], as `slic` does before the
  /// colour conversion; a constant image becomes all zeros.
  mutating func rescaleToUnitRange() {
    guard let low = values.min(), let high = values.max() else { return }
    let range = high - low
    for index in values.indices {
      values[index] -= low
      if range != 0 { values[index] /= range }
    }
  }

  /// Converts sRGB in [0, 1] to CIE L*a*b* (D65, 2° observer), exactly as scikit-image's
  /// `rgb2lab`: sRGB gamma expansion, the `xyz_from_rgb` matrix, division by the white point
  /// (0.95047, 1, 1.08883), the cube root above 0.008856 and the linear segment below it.
  mutating func convertToLab() {
    let white = (0.95047, 1.0, 1.08883)
    func linear(_ v: Double) -> Double {
      v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92
    }
    func f(_ t: Double) -> Double {
      t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0
    }
    let (height, width) = (self.height, self.width)
    values.withUnsafeMutableBufferPointer { buffer in
      let pixels = UncheckedPointer(buffer.baseAddress!)
      ComputeThreads.parallelFor(height) { row in
        for index in stride(from: row * width * 3, to: (row + 1) * width * 3, by: 3) {
          let v = pixels.pointer + index
          let r = linear(v[0])
          let g = linear(v[1])
          let b = linear(v[2])
          let x = r * 0.412453 + g * 0.357580 + b * 0.180423
          let y = r * 0.212671 + g * 0.715160 + b * 0.072169
          let z = r * 0.019334 + g * 0.119193 + b * 0.950227
          let fx = f(x / white.0)
          let fy = f(y / white.1)
          let fz = f(z / white.2)
          v[0] = 116.0 * fy - 16.0
          v[1] = 500.0 * (fx - fy)
          v[2] = 200.0 * (fy - fz)
        }
      }
    }
  }

  /// Smooths each channel with a Gaussian of standard deviation `sigma` pixels along both image
  /// axes, as `scipy.ndimage.gaussian_filter(mode="reflect", truncate=4)`: a kernel of radius
  /// `Int(4σ + 0.5)`, normalised to sum 1, edges mirrored (`d c b a | a b c d`), rows first.
  /// `sigma == 0` leaves the image unchanged.
  mutating func smooth(sigma: Double) {
    guard sigma > 0 else { return }
    let radius = Int(4 * sigma + 0.5)
    guard radius > 0 else { return }
    var kernel = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
    let total = kernel.reduce(0, +)
    kernel = kernel.map { $0 / total }
    func reflect(_ i: Int, _ n: Int) -> Int {
      let period = 2 * n
      var j = i % period
      if j < 0 { j += period }
      return j < n ? j : period - 1 - j
    }
    let (height, width) = (self.height, self.width)
    // Along rows (axis 0), then along columns (axis 1); each output row is independent.
    var output = [Double](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { source in
      output.withUnsafeMutableBufferPointer { target in
        let out = UncheckedPointer(target.baseAddress!)
        ComputeThreads.parallelFor(height) { row in
          for column in 0..<width {
            for channel in 0..<3 {
              var sum = 0.0
              for k in -radius...radius {
                let from = reflect(row + k, height)
                sum += kernel[k + radius] * source[(from * width + column) * 3 + channel]
              }
              out.pointer[(row * width + column) * 3 + channel] = sum
            }
          }
        }
      }
    }
    output.withUnsafeBufferPointer { source in
      values.withUnsafeMutableBufferPointer { target in
        let out = UncheckedPointer(target.baseAddress!)
        ComputeThreads.parallelFor(height) { row in
          for column in 0..<width {
            for channel in 0..<3 {
              var sum = 0.0
              for k in -radius...radius {
                let from = reflect(column + k, width)
                sum += kernel[k + radius] * source[(row * width + from) * 3 + channel]
              }
              out.pointer[(row * width + column) * 3 + channel] = sum
            }
          }
        }
      }
    }
  }

  /// Multiplies every value by `factor`.
  mutating func scale(by factor: Double) {
    for index in values.indices { values[index] *= factor }
  }
}

/// Throws `SegmentationError.invalidParameter` naming `name` unless `value` is finite and
/// satisfies `condition` (described by `rule`).
func requireParameter(
  _ name: String, _ value: Double, _ rule: String, _ condition: (Double) -> Bool
) throws {
  guard value.isFinite, condition(value) else {
    throw SegmentationError.invalidParameter("\(name) must be \(rule), not \(value)")
  }
}
