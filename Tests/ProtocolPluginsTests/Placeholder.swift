import XCTest
final class Placeholder2: XCTestCase { func testNothing() {} }
