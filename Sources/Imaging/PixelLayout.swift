import Tensor

/// Conversions between a decoder's interleaved integer samples (`[H, W, C]`, row-major) and the
/// planar Float tensors (`[C, H, W]`, values in [0, 1]) the rest of the package uses.
enum PixelLayout {
  /// How a decoder's samples are arranged.
  struct Interleaved {
    /// Samples per pixel: 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA).
    var channels: Int
    /// The largest sample value: 255 or 65535.
    var maximum: Float
    /// Whether colour samples are premultiplied by alpha (libpng's 16-bit "linear" output).
    var premultiplied: Bool

    var isGray: Bool { channels <= 2 }
    var hasAlpha: Bool { channels == 2 || channels == 4 }
  }

  /// The planar tensor of interleaved `samples` under an alpha policy.
  ///
  /// Each sample `v` becomes `v / maximum`; gray is replicated into red, green and blue. With
  /// alpha `a` and straight colour `c`: `.composite(over: b)` gives `a·c + (1 − a)·b`
  /// (premultiplied samples give `a·c` directly), `.drop` gives `c`, `.keep` gives `c` and a
  /// fourth channel `a`. Premultiplied colour is divided back by alpha for `.drop` and `.keep`
  /// (0 where `a = 0`).
  ///
  /// - Returns: `[3, height, width]`, or `[4, height, width]` for `.keep`.
  /// - Complexity: O(`width · height · channels`).
  static func planarTensor<Sample: FixedWidthInteger & UnsignedInteger>(
    from samples: UnsafeBufferPointer<Sample>, width: Int, height: Int, layout: Interleaved,
    alpha policy: AlphaPolicy
  ) -> Tensor {
    precondition(
      samples.count == width * height * layout.channels,
      "Expected \(width)×\(height)×\(layout.channels) samples, got \(samples.count).")
    let plane = width * height
    let outputChannels = policy == .keep ? 4 : 3
    let step = layout.channels
    let maximum = layout.maximum
    let colorOffsets = layout.isGray ? [0, 0, 0] : [0, 1, 2]
    return Tensor(shape: [outputChannels, height, width]) { output in
      guard let out = output.baseAddress else { return }
      guard layout.hasAlpha else {
        for pixel in 0..<plane {
          for c in 0..<3 {
            out[c * plane + pixel] = Float(samples[pixel * step + colorOffsets[c]]) / maximum
          }
        }
        if outputChannels == 4 { (out + 3 * plane).initialize(repeating: 1, count: plane) }
        return
      }
      let alphaOffset = step - 1
      for pixel in 0..<plane {
        let base = pixel * step
        let a = Float(samples[base + alphaOffset]) / maximum
        for c in 0..<3 {
          let stored = Float(samples[base + colorOffsets[c]]) / maximum
          let value: Float
          switch policy {
          case .composite(let background):
            let b = c == 0 ? background.red : c == 1 ? background.green : background.blue
            let covered = layout.premultiplied ? stored : stored * a
            value = covered + b * (1 - a)
          case .drop, .keep:
            if layout.premultiplied {
              let alphaSample = Float(samples[base + alphaOffset])
              value = alphaSample > 0
                ? min(Float(samples[base + colorOffsets[c]]) / alphaSample, 1) : 0
            } else {
              value = stored
            }
          }
          out[c * plane + pixel] = value
        }
        if outputChannels == 4 { out[3 * plane + pixel] = a }
      }
    }
  }

  /// The interleaved integer samples (`[H, W, C]`) of a planar `[C, H, W]` image.
  ///
  /// Each value is clamped to [0, 1] and rounded half up: `q = ⌊clamp(v, 0, 1) · maximum + ½⌋`,
  /// evaluated in Double, where it is exact for a Float `v` and `maximum` ≤ 65535. With
  /// `premultiplyingAlpha` (libpng's 16-bit writer takes premultiplied colour) the colour samples
  /// of a 4-channel image become `⌊q_c · q_a / maximum + ½⌋`.
  ///
  /// - Throws: `ImageError.notANumber` naming the first NaN (channel, row, column).
  /// - Complexity: O(`C · H · W`).
  static func interleavedSamples<Sample: FixedWidthInteger & UnsignedInteger>(
    of image: Tensor, as _: Sample.Type, premultiplyingAlpha: Bool = false, file: String
  ) throws -> [Sample] {
    precondition(image.rank == 3, "An image must be [channels, height, width], not \(image.shape).")
    let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
    let plane = height * width
    let maximum = Double(Sample.max)
    return try image.withUnsafeBufferPointer { input in
      var firstNaN: Int?
      let samples = [Sample](unsafeUninitializedCapacity: channels * plane) { buffer, count in
        for c in 0..<channels {
          for pixel in 0..<plane {
            let v = input[c * plane + pixel]
            if v.isNaN && firstNaN == nil { firstNaN = c * plane + pixel }
            let clamped = v.isNaN ? 0 : Double(min(max(v, 0), 1))
            buffer[pixel * channels + c] = Sample((clamped * maximum + 0.5).rounded(.down))
          }
        }
        if premultiplyingAlpha && channels == 4 {
          for pixel in 0..<plane {
            let a = UInt64(buffer[pixel * 4 + 3])
            for c in 0..<3 {
              let q = UInt64(buffer[pixel * 4 + c])
              buffer[pixel * 4 + c] = Sample((q * a + UInt64(Sample.max) / 2) / UInt64(Sample.max))
            }
          }
        }
        count = channels * plane
      }
      if let index = firstNaN {
        throw ImageError.notANumber(
          file: file, channel: index / plane, y: (index % plane) / width, x: index % width)
      }
      return samples
    }
  }
}
