/// The element type of an array stored in a weight file.
///
/// The raw value is the safetensors spelling (`"F32"`, `"BF16"`, `"I64"`, ...). Every type
/// converts to `Float` (`WeightArray.tensor()`); integers beyond ±2²⁴ round to the nearest
/// representable `Float`, and `bool` becomes 0 or 1.
public enum WeightDType: String, Sendable, CaseIterable {
  case float64 = "F64"
  case float32 = "F32"
  case float16 = "F16"
  /// bfloat16: the upper 16 bits of an IEEE float32.
  case bfloat16 = "BF16"
  case int64 = "I64"
  case int32 = "I32"
  case int16 = "I16"
  case int8 = "I8"
  case uint64 = "U64"
  case uint32 = "U32"
  case uint16 = "U16"
  case uint8 = "U8"
  /// One byte per element, 0 or 1.
  case bool = "BOOL"

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .float64, .int64, .uint64: return 8
    case .float32, .int32, .uint32: return 4
    case .float16, .bfloat16, .int16, .uint16: return 2
    case .int8, .uint8, .bool: return 1
    }
  }

  /// Whether the type is a floating-point type.
  public var isFloatingPoint: Bool {
    switch self {
    case .float64, .float32, .float16, .bfloat16: return true
    default: return false
    }
  }

  /// The little-endian NumPy type string (`"<f4"`, `"|u1"`, `"|b1"`), or `nil` for bfloat16,
  /// which NumPy does not have.
  public var numpyDescriptor: String? {
    switch self {
    case .float64: return "<f8"
    case .float32: return "<f4"
    case .float16: return "<f2"
    case .bfloat16: return nil
    case .int64: return "<i8"
    case .int32: return "<i4"
    case .int16: return "<i2"
    case .int8: return "|i1"
    case .uint64: return "<u8"
    case .uint32: return "<u4"
    case .uint16: return "<u2"
    case .uint8: return "|u1"
    case .bool: return "|b1"
    }
  }
}

extension WeightDType {
  /// The `Float` value of an IEEE 754 binary16 bit pattern (exact: every half is a float).
  ///
  /// Subnormal halves (exponent 0) are `mantissa · 2⁻²⁴`; exponent 31 gives ±∞ or NaN.
  /// - Complexity: O(1).
  @inlinable
  public static func float(fromHalfBits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0:
      // Zero or subnormal: mantissa · 2⁻²⁴, exact in Float.
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 31:
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
      return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }
  }

  /// The `Float` value of a bfloat16 bit pattern (its bits are the upper half of a float32).
  /// - Complexity: O(1).
  @inlinable
  public static func float(fromBFloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }
}
