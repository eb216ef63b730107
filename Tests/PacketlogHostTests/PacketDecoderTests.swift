import XCTest
@testable import PacketlogHost

/// Link, IP and transport decoding: every link type the host supports, and
/// the odd packets a capture really contains.
final class PacketDecoderTests: XCTestCase {
    let time = PacketTime(seconds: 1, nanoseconds: 0)
    let udpPayload: [UInt8] = Array("hello".utf8)

    // MARK: Frame builders

    func udp(sport: UInt16 = 5353, dport: UInt16 = 53, payload: [UInt8]) -> [UInt8] {
        let length = UInt16(8 + payload.count)
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                UInt8(length >> 8), UInt8(length & 0xFF), 0xDE, 0xAD] + payload // wrong checksum on purpose
    }

    func ipv4(proto: UInt8 = 17, options: [UInt8] = [], fragment: UInt16 = 0, _ body: [UInt8]) -> [UInt8] {
        let ihl = UInt8(5 + options.count / 4)
        let total = UInt16(20 + options.count + body.count)
        return [0x40 | ihl, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, UInt8(fragment >> 8), UInt8(fragment & 0xFF),
                64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + options + body
    }

    func ipv6(next: UInt8 = 17, _ body: [UInt8]) -> [UInt8] {
        let length = UInt16(body.count)
        var h: [UInt8] = [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), next, 64]
        h += [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        h += [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2]
        return h + body
    }

    func ethernet(_ type: UInt16, tags: [UInt16] = [], _ body: [UInt8]) -> [UInt8] {
        var f: [UInt8] = Array(repeating: 0xAA, count: 12)
        for tag in tags { f += [UInt8(tag >> 8), UInt8(tag & 0xFF), 0x00, 0x64] }
        return f + [UInt8(type >> 8), UInt8(type & 0xFF)] + body
    }

    func decode(_ frame: [UInt8], link: LinkType, wireLength: Int? = nil, decoder: inout PacketDecoder) -> (PacketContext, [UInt8])? {
        frame.withUnsafeBytes { raw in
            guard let p = decoder.decode(raw, wireLength: wireLength ?? raw.count, time: time) else { return nil }
            return (p, Array(p.payload))
        }
    }

    func decodeOne(_ frame: [UInt8], link: LinkType) -> (PacketContext, [UInt8])? {
        var d = PacketDecoder(linkType: link)
        return decode(frame, link: link, decoder: &d)
    }

    // MARK: Link types

    func testEthernetIPv4UDPWithWrongChecksumIsDecoded() throws {
        // Checksum offload leaves the capturing host's own packets with bad checksums.
        let (p, payload) = try XCTUnwrap(decodeOne(ethernet(0x0800, ipv4(udp(payload: udpPayload))), link: .ethernet))
        XCTAssertEqual(payload, udpPayload)
        XCTAssertEqual(p.source, IPAddress(text: "10.0.0.1"))
        XCTAssertEqual(p.destination, IPAddress(text: "10.0.0.2"))
        XCTAssertEqual(p.sourcePort, 5353)
        XCTAssertEqual(p.destinationPort, 53)
        XCTAssertEqual(p.transport, .udp)
    }

    func testStackedVLANTagsAreSkipped() throws {
        // 802.1ad outer tag plus 802.1Q inner tag (QinQ).
        let frame = ethernet(0x0800, tags: [0x88A8, 0x8100], ipv4(udp(payload: udpPayload)))
        // ethernet() puts tag TPIDs first; rebuild so each tag is TPID+TCI followed by the inner type.
        var f: [UInt8] = Array(repeating: 0xAA, count: 12) + [0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xC8, 0x08, 0x00]
        f += ipv4(udp(payload: udpPayload))
        _ = frame
        let (_, payload) = try XCTUnwrap(decodeOne(f, link: .ethernet))
        XCTAssertEqual(payload, udpPayload)
    }

    func testEthernetPaddingIsNotPayload() throws {
        // A 60-byte minimum frame pads short packets: the IP total length bounds the datagram.
        let frame = ethernet(0x0800, ipv4(udp(payload: [1, 2]))) + Array(repeating: 0, count: 20)
        let (_, payload) = try XCTUnwrap(decodeOne(frame, link: .ethernet))
        XCTAssertEqual(payload, [1, 2])
    }

    func testLinuxSLLAndSLL2() throws {
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6] + Array(repeating: 0, count: 8) + [0x86, 0xDD]
        XCTAssertEqual(try XCTUnwrap(decodeOne(sll + ipv6(udp(payload: udpPayload)), link: .linuxSLL)).1, udpPayload)
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + Array(repeating: 0, count: 8)
        XCTAssertEqual(try XCTUnwrap(decodeOne(sll2 + ipv4(udp(payload: udpPayload)), link: .linuxSLL2)).1, udpPayload)
    }

    func testRawIPAndBSDLoopback() throws {
        XCTAssertEqual(try XCTUnwrap(decodeOne(ipv4(udp(payload: udpPayload)), link: .raw)).1, udpPayload)
        XCTAssertEqual(try XCTUnwrap(decodeOne(ipv6(udp(payload: udpPayload)), link: .rawLinktype)).1, udpPayload)
        let nullHeader: [UInt8] = [2, 0, 0, 0]   // AF_INET, host (little-endian) order
        XCTAssertEqual(try XCTUnwrap(decodeOne(nullHeader + ipv4(udp(payload: udpPayload)), link: .null)).1, udpPayload)
        let loopHeader: [UInt8] = [0, 0, 0, 24]  // AF_INET6 (BSD), network order
        XCTAssertEqual(try XCTUnwrap(decodeOne(loopHeader + ipv6(udp(payload: udpPayload)), link: .loop)).1, udpPayload)
    }

    // MARK: IP

    func testIPv4OptionsAreSkipped() throws {
        let frame = ipv4(options: [0x94, 0x04, 0x00, 0x00], udp(payload: udpPayload))   // router alert
        XCTAssertEqual(try XCTUnwrap(decodeOne(frame, link: .raw)).1, udpPayload)
    }

    func testIPv4FragmentsAreCountedNotParsed() {
        var d = PacketDecoder(linkType: .raw)
        XCTAssertNil(decode(ipv4(fragment: 0x2000, udp(payload: udpPayload)), link: .raw, decoder: &d), "first fragment (MF)")
        XCTAssertNil(decode(ipv4(fragment: 0x0010, Array(repeating: 0, count: 16)), link: .raw, decoder: &d), "later fragment")
        XCTAssertEqual(d.statistics.fragments, 2)
    }

    func testIPv6ExtensionHeadersAreSkippedAndFragmentsCounted() throws {
        // Hop-by-hop (8 bytes) then destination options (8 bytes) then UDP.
        let hbh: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
        let dst: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0]
        XCTAssertEqual(try XCTUnwrap(decodeOne(ipv6(next: 0, hbh + dst + udp(payload: udpPayload)), link: .raw)).1, udpPayload)
        var d = PacketDecoder(linkType: .raw)
        let fragment: [UInt8] = [17, 0, 0, 1, 0, 0, 0, 7]
        XCTAssertNil(decode(ipv6(next: 44, fragment + udp(payload: udpPayload)), link: .raw, decoder: &d))
        XCTAssertEqual(d.statistics.fragments, 1)
    }

    func testIPv6AddressesAreDecoded() throws {
        let (p, _) = try XCTUnwrap(decodeOne(ipv6(udp(payload: udpPayload)), link: .raw))
        XCTAssertEqual(p.source, IPAddress(text: "2001:db8::1"))
        XCTAssertEqual(p.destination, IPAddress(text: "2001:db8::2"))
    }

    func testTCPPayloadFlagsAndSequence() throws {
        let tcp: [UInt8] = [0x13, 0x88, 0x00, 0x35, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0] + udpPayload
        let (p, payload) = try XCTUnwrap(decodeOne(ipv4(proto: 6, tcp), link: .raw))
        XCTAssertEqual(payload, udpPayload)
        XCTAssertEqual(p.transport, .tcp)
        XCTAssertEqual(p.tcpSequence, 0x01020304)
        XCTAssertEqual(p.tcpFlags, [.psh, .ack])
    }

    func testSnaplenCutIsCountedAsTruncated() {
        // The IP header says more bytes than were captured.
        var d = PacketDecoder(linkType: .raw)
        let full = ipv4(udp(payload: Array(repeating: 7, count: 100)))
        XCTAssertNil(decode(Array(full.prefix(60)), link: .raw, decoder: &d))
        XCTAssertEqual(d.statistics.truncated, 1)
    }

    func testIPv4TotalLengthZeroIsATSOPacketOfTheWholeFrame() throws {
        // Captured on the sending host, a TSO/GSO super-packet can carry a
        // total length of 0 (filled in per segment by the NIC); it was
        // counted as malformed and its TCP payload (an HTTP response) lost.
        let tcp: [UInt8] = [0x00, 0x50, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0] + udpPayload
        var frame = ethernet(0x0800, ipv4(proto: 6, tcp))
        frame[16] = 0; frame[17] = 0
        var d = PacketDecoder(linkType: .ethernet)
        XCTAssertEqual(try XCTUnwrap(decode(frame, link: .ethernet, decoder: &d)).1, udpPayload)
        // Cut by the snaplen: counted as truncated, not decoded from part of it.
        XCTAssertNil(decode(Array(frame.dropLast(2)), link: .ethernet, wireLength: frame.count, decoder: &d))
        XCTAssertEqual(d.statistics.truncated, 1)
        XCTAssertEqual(d.statistics.malformedIP, 0)
    }

    func testIPv6PayloadLengthZeroCutBySnaplenIsTruncated() {
        // Payload length 0 (jumbogram, GSO): the length is the frame's on the
        // wire, so a snaplen cut is seen as one.
        var frame = ipv6(udp(payload: Array(repeating: 7, count: 100)))
        frame[4] = 0; frame[5] = 0
        var d = PacketDecoder(linkType: .raw)
        XCTAssertNil(decode(Array(frame.prefix(80)), link: .raw, wireLength: frame.count, decoder: &d))
        XCTAssertEqual(d.statistics.truncated, 1)
    }

    func testNonIPAndNonUDPTCPAreCounted() {
        var d = PacketDecoder(linkType: .ethernet)
        XCTAssertNil(decode(ethernet(0x0806, Array(repeating: 0, count: 28)), link: .ethernet, decoder: &d))
        XCTAssertNil(decode(ethernet(0x0800, ipv4(proto: 1, Array(repeating: 0, count: 8))), link: .ethernet, decoder: &d))
        XCTAssertEqual(d.statistics.notIP, 1)
        XCTAssertEqual(d.statistics.notUDPOrTCP, 1)
    }

    func testRandomFramesNeverTrap() {
        // Truncations and random bytes of a valid frame on every link type.
        var state: UInt64 = 42
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let base = ethernet(0x8100, ethernet(0x86DD, ipv6(next: 0, [6, 0, 1, 4, 0, 0, 0, 0] + Array(repeating: 0x50, count: 40))).dropFirst(12).map { $0 })
        for link in [LinkType.ethernet, .linuxSLL, .linuxSLL2, .raw, .null, .loop] {
            var d = PacketDecoder(linkType: link)
            for _ in 0..<5000 {
                var frame = Array(base.prefix(Int(next() % UInt64(base.count + 1))))
                for _ in 0..<4 where !frame.isEmpty { frame[Int(next() % UInt64(frame.count))] = UInt8(truncatingIfNeeded: next()) }
                _ = decode(frame, link: link, decoder: &d)
            }
        }
    }
}
