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

    /// The IPv6 writer finds the longest zero run with bit tricks: compare it
    /// with glibc's inet_ntop (RFC 5952 as well) on many addresses with
    /// random zero groups, where ties and runs at both ends are common.
    func testIPv6TextMatchesInetNtopOnRandomAddresses() {
        var rng = SystemRandomNumberGenerator()
        var b = LineBuffer(capacity: 64)
        defer { b.deallocate() }
        for _ in 0..<20_000 {
            var groups = [UInt16](repeating: 0, count: 8)
            for i in 0..<8 where Int.random(in: 0..<10, using: &rng) >= 4 {
                groups[i] = Bool.random(using: &rng) ? UInt16.random(in: 1...0xF, using: &rng) : UInt16.random(in: 1...0xFFFF, using: &rng)
            }
            let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            if high == 0 && (low >> 32 == 0 || low >> 32 == 0xFFFF) { continue }   // inet_ntop prints these with a dotted tail
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { r in
                for i in 0..<8 { r[2 * i] = UInt8(groups[i] >> 8); r[2 * i + 1] = UInt8(groups[i] & 0xFF) }
            }
            var out = [CChar](repeating: 0, count: 64)
            XCTAssertNotNil(inet_ntop(AF_INET6, &raw, &out, 64))
            b.removeAll()
            b.appendIPv6(high: high, low: low)
            XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), String(cString: out), "\(groups)")
        }
    }

    /// Cached address text must be exactly the formatted text, whatever
    /// evicts whatever: many addresses share the 256 slots, and an IPv4
    /// address and the IPv6 address with the same bits must not be confused.
    /// (A miss formats through `IPAddress.writeText`, a hit copies: both run.)
    func testAddressTextCacheGivesTheFormattedText() {
        var pool: [IPAddress] = []
        for i in 0..<600 {
            let v = UInt64.random(in: 0...UInt64(UInt32.max))
            pool.append(IPAddress(ipv4: UInt32(v)))
            pool.append(IPAddress(ipv6High: 0, low: v))   // the same bits as IPv6
            pool.append(IPAddress(ipv6High: 0, low: 0x0000_FFFF_0000_0000 | v))   // IPv4-mapped: ::ffff:a.b.c.d
            pool.append(IPAddress(ipv6High: UInt64.random(in: 0...UInt64.max), low: i % 3 == 0 ? 1 : UInt64.random(in: 0...UInt64.max)))
        }
        let cache = AddressTextCache()
        defer { cache.deallocate() }
        var cached = LineBuffer(capacity: 64)
        var plain = LineBuffer(capacity: 64)
        defer { cached.deallocate(); plain.deallocate() }
        for _ in 0..<3 {
            for address in pool.shuffled() {
                cached.removeAll(); plain.removeAll()
                cached.append(UInt8(ascii: "<"))
                cache.append(address, to: &cached)
                cached.append(UInt8(ascii: ">"))
                plain.append(UInt8(ascii: "<"))
                plain.appendAddress(address)
                plain.append(UInt8(ascii: ">"))
                XCTAssertEqual(String(decoding: cached.bytes, as: UTF8.self), String(decoding: plain.bytes, as: UTF8.self))
            }
        }
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
