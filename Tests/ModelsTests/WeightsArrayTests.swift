import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class WeightsArrayTests: XCTestCase {
  func testFloatArrayOfATensorIsLittleEndianRowMajor() {
    let tensor = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).transposed()
    let array = WeightArray(tensor)
    XCTAssertEqual(array.dtype, .float32)
    XCTAssertEqual(array.shape, [2, 2])
    XCTAssertEqual([UInt8](array.data), float32Bytes([1, 3, 2, 4]))
    XCTAssertEqual(array.tensor(), tensor.contiguous())
  }

  func testIntegerTypesConvertExactlyAndToFloat() {
    let cases: [(WeightDType, [UInt8], [Int64])] = [
      (.int8, [0xFF, 0x7F], [-1, 127]),
      (.uint8, [0xFF, 0x01], [255, 1]),
      (.bool, [0x00, 0x01], [0, 1]),
      (.int16, le(Int16(-300)) + le(Int16(7)), [-300, 7]),
      (.uint16, le(UInt16(65535)) + le(UInt16(7)), [65535, 7]),
      (.int32, le(Int32.min) + le(Int32(7)), [Int64(Int32.min), 7]),
      (.uint32, le(UInt32.max) + le(UInt32(7)), [Int64(UInt32.max), 7]),
      (.int64, le(Int64.min) + le(Int64(1 << 53 + 1)), [Int64.min, 1 << 53 + 1]),
    ]
    for (dtype, bytes, expected) in cases {
      let array = WeightArray(dtype: dtype, shape: [2], data: Data(bytes))
      XCTAssertEqual(array.int64Scalars(), expected, "\(dtype)")
      XCTAssertEqual(array.tensor().scalars, expected.map { Float($0) }, "\(dtype)")
    }
    let large = WeightArray(dtype: .uint64, shape: [1], data: Data(le(UInt64.max)))
    XCTAssertEqual(large.doubleScalars(), [Double(UInt64.max)])
    XCTAssertEqual(large.tensor().scalars, [Float(UInt64.max)])
  }

  func testFloatingPointTypesHaveNoIntegerView() {
    let array = WeightArray(dtype: .float64, shape: [1], data: Data(le((0.1).bitPattern)))
    XCTAssertNil(array.int64Scalars())
    XCTAssertEqual(array.doubleScalars(), [0.1])
    XCTAssertEqual(array.tensor().scalars, [Float(0.1)])
  }

  func testScalarAndEmptyShapes() {
    let scalar = WeightArray(dtype: .float32, shape: [], data: Data(float32Bytes([2.5])))
    XCTAssertEqual(scalar.count, 1)
    XCTAssertEqual(scalar.tensor().shape, [])
    XCTAssertEqual(scalar.tensor().scalar, 2.5)
    let empty = WeightArray(dtype: .float16, shape: [0, 4], data: Data())
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.tensor().shape, [0, 4])
  }

  func testArrayThatIsASliceOfALargerBufferReadsItsOwnBytes() {
    let buffer = Data([9, 9, 9] + float32Bytes([-1, 0.25]) + [9])
    let array = WeightArray(dtype: .float32, shape: [2], data: buffer[3..<11])
    XCTAssertEqual(array.tensor().scalars, [-1, 0.25])
  }
}
