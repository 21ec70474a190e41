/// `exp(x)` on four doubles at once, to within a few ulp for `x ≥ −708` (smaller arguments give
/// about 3e−308 instead of a smaller number or 0; arguments above 709 are not supported).
///
/// Cody–Waite reduction `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2`, the Taylor polynomial of degree 13
/// for `e^r` (truncation below 1e−17) and `2^n` built in the exponent bits. Plain multiplies and
/// adds, so it vectorises on any x86-64 without calling `fma`. Quickshift's density pass spends
/// its time here (the C library's `exp` is scalar).
@inline(__always)
func fastExp(_ x: SIMD4<Double>) -> SIMD4<Double> {
  let clamped = x.replacing(with: -708, where: x .< -708)
  let shifter = SIMD4<Double>(repeating: 0x1.8p52)
  let shifted = clamped * 1.4426950408889634 + shifter
  let n = shifted - shifter
  let r = (clamped - n * 0.693_147_180_369_123_816_49) - n * 1.908_214_929_270_587_7e-10
  var p = SIMD4<Double>(repeating: 1.0 / 6_227_020_800)  // 1/13!
  p = p * r + 1.0 / 479_001_600
  p = p * r + 1.0 / 39_916_800
  p = p * r + 1.0 / 3_628_800
  p = p * r + 1.0 / 362_880
  p = p * r + 1.0 / 40_320
  p = p * r + 1.0 / 5_040
  p = p * r + 1.0 / 720
  p = p * r + 1.0 / 120
  p = p * r + 1.0 / 24
  p = p * r + 1.0 / 6
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  let bits = unsafeBitCast(shifted, to: SIMD4<UInt64>.self)
  let scale = unsafeBitCast((bits &+ 1023) &<< 52, to: SIMD4<Double>.self)
  return p * scale
}
