import XCTest
@testable import PacketlogHost

final class AddressTests: XCTestCase {
    func text(_ a: String) -> String {
        var b = LineBuffer(capacity: 64)
        defer { b.deallocate() }
        b.appendAddress(IPAddress(text: a)!)
        return String(decoding: b.bytes, as: UTF8.self)
    }

    /// RFC 5952: lower case, no leading zeros, longest zero run (leftmost on tie), no :: for one group.
    func testIPv6CanonicalText() {
        XCTAssertEqual(text("2404:6800:4004:0806:0000:0000:0000:2013"), "2404:6800:4004:806::2013")
        XCTAssertEqual(text("::"), "::")
        XCTAssertEqual(text("::1"), "::1")
        XCTAssertEqual(text("fd00:53:0:1::1"), "fd00:53:0:1::1")
        XCTAssertEqual(text("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1")
        XCTAssertEqual(text("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1")
        XCTAssertEqual(text("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1")
        XCTAssertEqual(text("FE80::ABCD"), "fe80::abcd")
        XCTAssertEqual(text("1::"), "1::")
        XCTAssertEqual(text("::ffff:192.0.2.1"), "::ffff:192.0.2.1")
    }

    func testIPv4Text() {
        XCTAssertEqual(text("10.53.100.53"), "10.53.100.53")
        XCTAssertEqual(text("0.0.0.0"), "0.0.0.0")
        XCTAssertEqual(text("255.255.255.255"), "255.255.255.255")
    }

    func testLocalAddressSetMatchesAddressesAndPrefixes() throws {
        var set = LocalAddressSet()
        try set.add("10.53.100.53")
        try set.add("10.1.0.0/16")
        try set.add("fd00:53::/32")
        XCTAssertTrue(set.contains(IPAddress(text: "10.53.100.53")!))
        XCTAssertFalse(set.contains(IPAddress(text: "10.53.100.54")!))
        XCTAssertTrue(set.contains(IPAddress(text: "10.1.255.1")!))
        XCTAssertFalse(set.contains(IPAddress(text: "10.2.0.1")!))
        XCTAssertTrue(set.contains(IPAddress(text: "fd00:53:ffff::1")!))
        XCTAssertFalse(set.contains(IPAddress(text: "fd00:54::1")!))
        XCTAssertFalse(set.contains(IPAddress(text: "::ffff:10.53.100.53")!), "families never mix")
        XCTAssertThrowsError(try set.add("10.0.0.0/33"))
        XCTAssertThrowsError(try set.add("not-an-address"))
    }

    func testCIDRSlash32EqualsPlainAddress() throws {
        var a = LocalAddressSet(), b = LocalAddressSet()
        try a.add("fd00:53:100::53"); try b.add("fd00:53:100::53/128")
        for probe in ["fd00:53:100::53", "fd00:53:100::54"] {
            XCTAssertEqual(a.contains(IPAddress(text: probe)!), b.contains(IPAddress(text: probe)!))
        }
    }
}
