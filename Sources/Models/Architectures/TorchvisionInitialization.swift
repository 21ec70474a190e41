import Foundation
import Tensor

/// The weight initialisations of torchvision's model constructors (`torch.nn.init`), drawn from
/// a caller's generator.
///
/// PyTorch's fans, for a weight `[O, I, k…]`: `fanIn = I · Πk`, `fanOut = O · Πk` (a grouped
/// convolution's weight already holds `I = C/groups`).
///
/// - `kaimingNormalFanOut`: `N(0, 2/fanOut)` — `kaiming_normal_(w, mode="fan_out",
///   nonlinearity="relu")` (ResNet, VGG, MobileNetV2 convolutions).
/// - `kaimingUniformFanIn`: `U(−√(6/fanIn), √(6/fanIn))` — `kaiming_uniform_(w)` with its
///   defaults `a = 0`, `mode="fan_in"` (SqueezeNet convolutions).
/// - `normal`: `N(0, σ²)` — `normal_(w, 0, σ)` (VGG and MobileNetV2 classifiers, SqueezeNet's
///   final convolution).
/// - `uniform`: `U(−b, b)`. (PyTorch's default `Conv2d` / `Linear` initialisation, `b = 1/√fanIn`
///   for weight and bias, used by AlexNet and ResNet's `fc`, is `Conv2D` / `Linear`'s own.)
///
/// Large tensors (VGG's 102-million-weight `classifier.0`) are drawn in parallel: the caller's
/// generator gives one seed, and chunk `k` of 2¹⁶ elements draws from its own SplitMix64 stream
/// seeded with `seed ^ k·0xD1B54A32D192ED03`, so the values depend only on the caller's generator
/// state, never on the thread count. (SplitMix64 inlines into the fill loop: building VGG-16 takes
/// about 0.9 s on two cores, against 1.5 s drawing through `SeededGenerator`'s calls.)
enum TorchvisionInitialization {
  /// Elements per independently seeded chunk.
  static let chunkSize = 1 << 16

  /// `fanIn` and `fanOut` of a weight `[O, I, k…]` (`[out, in]` for a linear layer).
  static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    precondition(shape.count >= 2, "Fans need a weight of rank ≥ 2, not \(shape).")
    let receptive = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptive, shape[0] * receptive)
  }

  /// `N(0, 2/fanOut)`.
  static func kaimingNormalFanOut(
    _ shape: [Int], using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    let fanOut = fans(shape).fanOut
    return normal(shape, standardDeviation: (2 / Float(fanOut)).squareRoot(), using: &rng)
  }

  /// `U(−√(6/fanIn), √(6/fanIn))`.
  static func kaimingUniformFanIn(
    _ shape: [Int], using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    let fanIn = fans(shape).fanIn
    return uniform(shape, bound: (6 / Float(fanIn)).squareRoot(), using: &rng)
  }

  /// `U(−bound, bound)`, drawn in parallel chunks.
  static func uniform(
    _ shape: [Int], bound: Float, using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    fill(shape, using: &rng) { chunk, generator in
      for i in chunk.indices { chunk[i] = bound * (2 * generator.nextUnitFloat() - 1) }
    }
  }

  /// `N(0, σ²)` (Marsaglia's polar method), drawn in parallel chunks.
  static func normal(
    _ shape: [Int], standardDeviation: Float, using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    fill(shape, using: &rng) { chunk, generator in
      var i = chunk.startIndex
      while i < chunk.endIndex {
        var u: Float
        var v: Float
        var s: Float
        repeat {
          u = 2 * generator.nextUnitFloat() - 1
          v = 2 * generator.nextUnitFloat() - 1
          s = u * u + v * v
        } while s >= 1 || s == 0
        let factor = standardDeviation * (-2 * log(s) / s).squareRoot()
        chunk[i] = u * factor
        if i + 1 < chunk.endIndex { chunk[i + 1] = v * factor }
        i += 2
      }
    }
  }

  /// A tensor whose chunks of `chunkSize` elements are filled by `body` in parallel, each with
  /// its own generator derived from one draw of `rng`.
  private static func fill(
    _ shape: [Int], using rng: inout some RandomNumberGenerator,
    _ body: (UnsafeMutableBufferPointer<Float>, inout ChunkGenerator) -> Void
  ) -> Tensor {
    let seed = rng.next()
    let count = shape.reduce(1, *)
    let chunks = (count + chunkSize - 1) / chunkSize
    return Tensor(shape: shape) { buffer in
      let box = UncheckedBuffer(buffer)
      ComputeThreads.parallelFor(chunks) { k in
        var generator = ChunkGenerator(seed: seed ^ (UInt64(k) &* 0xD1B5_4A32_D192_ED03))
        let start = k * chunkSize
        body(
          UnsafeMutableBufferPointer(rebasing: box.buffer[start..<min(start + chunkSize, count)]),
          &generator)
      }
    }
  }
}

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): one chunk's stream of the parallel fills.
struct ChunkGenerator: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  @inline(__always)
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A buffer written by disjoint chunks from several threads.
private struct UncheckedBuffer: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Float>
  init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}
