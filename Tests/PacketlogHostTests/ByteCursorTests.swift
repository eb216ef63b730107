import XCTest
@testable import PacketlogHost

final class ByteCursorTests: XCTestCase {
    /// Reading past the end must give nil, never trap: packets are hostile.
    func testReadsPastTheEndReturnNil() {
        let bytes: [UInt8] = [0x12, 0x34, 0x56]
        bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            XCTAssertEqual(c.readInteger(as: UInt16.self), 0x1234)
            XCTAssertNil(c.readInteger(as: UInt16.self))
            XCTAssertEqual(c.readerIndex, 2, "a failed read does not move")
            XCTAssertEqual(c.getInteger(at: 1, as: UInt16.self), 0x3456)
            XCTAssertNil(c.getInteger(at: -1, as: UInt8.self))
            XCTAssertNil(c.getBytes(at: 2, length: 2))
            XCTAssertFalse(c.moveReaderIndex(forwardBy: 2))
        }
    }

    /// A fixed header is read through one checked pointer: every length
    /// and offset that reaches past the end, or before the start, gives
    /// `nil` (a truncated IP or UDP header must be counted, not read).
    func testAPointerToAFixedHeaderIsGivenOnlyWhenAllOfItIsThere() {
        let bytes: [UInt8] = [0x45, 0x00, 0x01, 0x02, 0xAB, 0xCD, 0xEF, 0x01]
        bytes.withUnsafeBytes { raw in
            let c = ByteCursor(raw)
            for start in -2...10 {
                for length in -1...10 {
                    let fits = start >= 0 && length >= 0 && start + length <= bytes.count
                    XCTAssertEqual(c.getPointer(at: start, length: length) != nil, fits, "start \(start) length \(length)")
                }
            }
            let p = c.getPointer(at: 2, length: 6)!
            XCTAssertEqual(p.loadBigEndian(at: 0, as: UInt16.self), 0x0102)
            XCTAssertEqual(p.loadBigEndian(at: 2, as: UInt32.self), 0xABCD_EF01)
        }
        XCTAssertNil(ByteCursor(UnsafeRawBufferPointer(start: nil, count: 0)).getPointer(at: 0, length: 0))
    }
}

/// Digits written by hand must be the digits `String` writes: ports are on
/// every line, so every 16-bit value is checked, and wider values at the
/// powers of ten where the digit count changes.
final class DecimalTextTests: XCTestCase {
    func testEverySixteenBitValueIsWrittenAsItsDecimalDigits() {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 8)
        defer { p.deallocate() }
        for value in 0...Int(UInt16.max) {
            let n = writeDecimal16(UInt16(value), to: p)
            XCTAssertEqual(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self), String(value))
        }
    }

    func testWideValuesAroundEveryPowerOfTen() {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 24)
        defer { p.deallocate() }
        var values: [UInt64] = [0, UInt64.max]
        var power: UInt64 = 1
        for _ in 0..<19 { power *= 10; values += [power - 1, power, power + 1] }
        for value in values {
            let digits = decimalDigitCount(value)
            writeDecimal(value, digits: digits, to: p)
            XCTAssertEqual(String(decoding: UnsafeBufferPointer(start: p, count: digits), as: UTF8.self), String(value))
        }
    }
}
