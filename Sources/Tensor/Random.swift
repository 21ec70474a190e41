import Foundation

/// A small, fast, seedable generator (SplitMix64 seeding xoshiro256**), so that every random
/// choice in the library is reproducible bit for bit from one seed.
///
/// The same seed gives the same sequence on every platform and thread count.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// A generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  public mutating func next() -> UInt64 {
    let result = rotl(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotl(state.3, 45)
    return result
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// An independent generator for sub-task `index` (for parallel work that must not depend on
  /// scheduling): derived from this generator's next output and `index`.
  public mutating func split(_ index: Int) -> SeededGenerator {
    SeededGenerator(seed: next() ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
  }
}

extension RandomNumberGenerator {
  /// A uniform `Float` in [0, 1) with 24 random bits.
  @inlinable
  public mutating func nextUnitFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// A standard normal sample (Box–Muller in Double precision).
  @inlinable
  public mutating func nextGaussian() -> Float {
    let u1 = Double(next() >> 11) * 0x1p-53
    let u2 = Double(next() >> 11) * 0x1p-53
    let radius = (-2 * log(1 - u1)).squareRoot()
    return Float(radius * cos(2 * Double.pi * u2))
  }
}


extension Tensor {
  /// A tensor of independent uniform samples in `[low, high)` (all equal to `low` when
  /// `low == high`).
  ///
  /// A sample `low + (high − low)·u` that rounds up to `high` is replaced by the largest Float
  /// below `high`, so the upper bound is never reached.
  ///
  /// - Precondition: `low <= high`, both finite.
  public static func uniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(
      low.isFinite && high.isFinite && low <= high,
      "A uniform distribution needs finite bounds low <= high, not [\(low), \(high)).")
    return Tensor(shape: shape) { buffer in
      for i in buffer.indices {
        let value = low + (high - low) * rng.nextUnitFloat()
        buffer[i] = value < high || low == high ? value : high.nextDown
      }
    }
  }

  /// A tensor of independent normal samples with the given mean and standard deviation.
  public static func normal(
    _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
    using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    Tensor(shape: shape) { buffer in
      for i in buffer.indices { buffer[i] = mean + standardDeviation * rng.nextGaussian() }
    }
  }
}
