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
    let alphaOffset = step - 1
    return Tensor(shape: [outputChannels, height, width]) { output in
      guard let out = output.baseAddress, let input = samples.baseAddress else { return }
      for c in 0..<3 {
        let source = input + (layout.isGray ? 0 : c)
        let target = out + c * plane
        switch (layout.hasAlpha, layout.premultiplied, policy) {
        case (false, _, _), (true, false, .drop), (true, false, .keep):
          for pixel in 0..<plane { target[pixel] = Float(source[pixel * step]) / maximum }
        case (true, _, .composite(let background)):
          let b = [background.red, background.green, background.blue][c]
          for pixel in 0..<plane {
            let stored = Float(source[pixel * step]) / maximum
            let a = Float(input[pixel * step + alphaOffset]) / maximum
            target[pixel] = (layout.premultiplied ? stored : stored * a) + b * (1 - a)
          }
        case (true, true, _):
          // Straight colour from premultiplied: v / α in sample units, 0 where α = 0.
          for pixel in 0..<plane {
            let alphaSample = Float(input[pixel * step + alphaOffset])
            let v = Float(source[pixel * step])
            target[pixel] = alphaSample > 0 ? min(v / alphaSample, 1) : 0
          }
        }
      }
      if outputChannels == 4 {
        let target = out + 3 * plane
        if layout.hasAlpha {
          for pixel in 0..<plane {
            target[pixel] = Float(input[pixel * step + alphaOffset]) / maximum
          }
        } else {
          target.initialize(repeating: 1, count: plane)
        }
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
      if let index = input.firstIndex(where: { $0.isNaN }) {
        throw ImageError.notANumber(
          file: file, channel: index / plane, y: (index % plane) / width, x: index % width)
      }
      return [Sample](unsafeUninitializedCapacity: channels * plane) { buffer, count in
        guard let source = input.baseAddress, let target = buffer.baseAddress else { return }
        for c in 0..<channels {
          let channel = source + c * plane
          var out = target + c
          for pixel in 0..<plane {
            let v = Double(channel[pixel])
            let clamped = v < 0 ? 0 : (v > 1 ? 1 : v)
            // Int(x) truncates, which is ⌊x⌋ for x ≥ 0.
            out.initialize(to: Sample(truncatingIfNeeded: Int(clamped * maximum + 0.5)))
            out += channels
          }
        }
        if premultiplyingAlpha && channels == 4 {
          let top = UInt64(Sample.max)
          for pixel in 0..<plane {
            let a = UInt64(target[pixel * 4 + 3])
            for c in 0..<3 {
              let q = UInt64(target[pixel * 4 + c])
              target[pixel * 4 + c] = Sample(truncatingIfNeeded: (q * a + top / 2) / top)
            }
          }
        }
        count = channels * plane
      }
    }
  }
}
