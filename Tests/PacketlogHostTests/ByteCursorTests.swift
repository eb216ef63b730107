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
}
