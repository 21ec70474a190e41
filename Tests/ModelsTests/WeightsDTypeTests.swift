import Foundation
import Models
import TestSupport
import XCTest

final class WeightsDTypeTests: XCTestCase {
  func testEveryHalfBitPatternConvertsLikeTheStandardLibrary() {
    #if arch(x86_64) || arch(arm64)
      for bits in 0...UInt16.max {
        let expected = Float(Float16(bitPattern: bits))
        let actual = WeightDType.float(fromHalfBits: bits)
        if expected.isNaN {
          XCTAssertTrue(actual.isNaN, "0x\(String(bits, radix: 16))")
        } else {
          XCTAssertEqual(actual.bitPattern, expected.bitPattern, "0x\(String(bits, radix: 16))")
        }
      }
    #endif
  }

  func testBFloat16IsTheUpperHalfOfAFloat() {
    XCTAssertEqual(WeightDType.float(fromBFloat16Bits: 0x3FC0), 1.5)
    XCTAssertEqual(WeightDType.float(fromBFloat16Bits: 0xC000), -2)
    XCTAssertEqual(WeightDType.float(fromBFloat16Bits: 0x0001), Float(bitPattern: 0x0001_0000))
    XCTAssertTrue(WeightDType.float(fromBFloat16Bits: 0x7FC0).isNaN)
    XCTAssertEqual(WeightDType.float(fromBFloat16Bits: 0xFF80), -.infinity)
  }

  func testSizesAndNumPyDescriptorsAreConsistent() {
    for dtype in WeightDType.allCases {
      if let descriptor = dtype.numpyDescriptor {
        XCTAssertEqual(Int(String(descriptor.dropFirst(2))), dtype.byteCount, "\(dtype)")
      } else {
        XCTAssertEqual(dtype, .bfloat16)
      }
    }
    XCTAssertEqual(WeightDType(rawValue: "BF16"), .bfloat16)
    XCTAssertNil(WeightDType(rawValue: "F8_E5M2"))
  }
}
