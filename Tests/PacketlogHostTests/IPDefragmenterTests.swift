import XCTest
@testable import PacketlogHost

/// IP defragmentation: a fragmented UDP DNS answer (EDNS sizes above the
/// MTU) must become one packet, with the time of the fragment that completes it.
extension PacketDecoderTests {
    /// IPv4 fragment of `datagram` (the UDP header and payload) at byte `offset`.
    func ipv4Fragment(_ datagram: [UInt8], offset: Int, length: Int, more: Bool, id: UInt16 = 0x4242) -> [UInt8] {
        let body = Array(datagram[offset..<min(datagram.count, offset + length)])
        var f = ipv4(fragment: UInt16(offset / 8) | (more ? 0x2000 : 0), body)
        f[4] = UInt8(id >> 8); f[5] = UInt8(id & 0xFF)
        return f
    }

    func decodeAt(_ frame: [UInt8], second: Int64, decoder: inout PacketDecoder) -> (PacketContext, [UInt8])? {
        frame.withUnsafeBytes { raw in
            guard let p = decoder.decode(raw, wireLength: raw.count, time: PacketTime(seconds: second, nanoseconds: 0)) else { return nil }
            return (p, Array(p.payload))
        }
    }

    func testFragmentedUDPIsReassembledWithTheCompletingFragmentsTime() throws {
        let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let datagram = udp(payload: payload)
        var d = PacketDecoder(linkType: .raw, defragmenter: IPDefragmenter())
        // Out of order: last, first, middle.
        XCTAssertNil(decodeAt(ipv4Fragment(datagram, offset: 2960, length: 1480, more: false), second: 1, decoder: &d))
        XCTAssertNil(decodeAt(ipv4Fragment(datagram, offset: 0, length: 1480, more: true), second: 2, decoder: &d))
        let (p, bytes) = try XCTUnwrap(decodeAt(ipv4Fragment(datagram, offset: 1480, length: 1480, more: true), second: 3, decoder: &d))
        XCTAssertEqual(bytes, payload)
        XCTAssertEqual(p.time.seconds, 3)
        XCTAssertEqual(p.destinationPort, 53)
        XCTAssertEqual(d.defragmenter?.statistics.reassembled, 1)
    }

    func testCaptureTimesAtBothEndsOfInt64DoNotTrap() {
        // A crafted pcapng can carry any 64-bit time: the age of a datagram
        // (now − first seen) overflowed and trapped.
        let d = IPDefragmenter()
        let bytes = [UInt8](repeating: 0x41, count: 16)
        for (id, time) in [(1, Int64.min), (2, Int64(1) << 62), (3, Int64.max), (4, Int64.min), (5, 0)] {
            bytes.withUnsafeBytes { raw in
                XCTAssertNil(d.add(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), proto: 17, ipv6: false,
                                   id: UInt32(id), offset: 0, moreFragments: true, data: raw, time: time))
            }
        }
        XCTAssertEqual(d.statistics.fragments, 5)
    }

    func testHeldBytesStayUnderTheLimitWhenFragmentsSitAtHighOffsets() {
        // An 8-byte fragment at offset 65,520 holds 64 KiB (the gap before
        // it): one eviction per fragment, of an old 8-byte datagram, let the
        // total grow past the limit.
        var limits = IPDefragmentationLimits()
        limits.maxTotalBytes = 256 * 1024
        let d = IPDefragmenter(limits: limits)
        let tiny = [UInt8](repeating: 0, count: 8)
        for id in 0..<64 {
            tiny.withUnsafeBytes { raw in
                _ = d.add(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), proto: 17, ipv6: false,
                          id: UInt32(id), offset: id < 32 ? 0 : 65_520, moreFragments: true, data: raw, time: 1)
            }
            XCTAssertLessThanOrEqual(d.heldBytes, limits.maxTotalBytes, "after fragment \(id)")
        }
        XCTAssertGreaterThan(d.statistics.evicted, 0)
    }

    func testTimeGoingBackwardsStillExpiresOldDatagrams() {
        // After a step back in capture time (a clock step, concatenated
        // files), sweeps must go on rather than wait for time to catch up.
        let d = IPDefragmenter()
        let bytes = [UInt8](repeating: 0, count: 8)
        func add(id: UInt32, at time: Int64) {
            bytes.withUnsafeBytes { raw in
                _ = d.add(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), proto: 17, ipv6: false,
                          id: id, offset: 0, moreFragments: true, data: raw, time: time)
            }
        }
        add(id: 1, at: 10_000)
        add(id: 2, at: 1_000)           // time steps back by 9,000 s
        add(id: 3, at: 1_000 + 31)      // datagram 2 is past the 30 s timeout
        XCTAssertEqual(d.statistics.timedOut, 1, "datagram 2 expired although the last sweep was at 10,000")
    }

    func testOverlappingFragmentsKeepTheFirstCopy() throws {
        // A later overlapping fragment must not rewrite bytes (a classic evasion trick).
        let payload = Array(repeating: UInt8(ascii: "A"), count: 40)
        let datagram = udp(payload: payload)
        var forged = datagram
        for i in 16..<forged.count { forged[i] = UInt8(ascii: "B") }
        var d = PacketDecoder(linkType: .raw, defragmenter: IPDefragmenter())
        XCTAssertNil(decodeAt(ipv4Fragment(datagram, offset: 0, length: 24, more: true), second: 1, decoder: &d))
        let (_, bytes) = try XCTUnwrap(decodeAt(ipv4Fragment(forged, offset: 16, length: 64, more: false), second: 2, decoder: &d))
        XCTAssertEqual(bytes, Array(repeating: UInt8(ascii: "A"), count: 16) + Array(repeating: UInt8(ascii: "B"), count: 24))
    }

    func testIPv6FragmentsAreReassembled() throws {
        let payload = (0..<2000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let datagram = udp(payload: payload)
        func fragment(_ offset: Int, _ length: Int, more: Bool) -> [UInt8] {
            let field = UInt16(offset / 8) << 3 | (more ? 1 : 0)
            let header: [UInt8] = [17, 0, UInt8(field >> 8), UInt8(field & 0xFF), 0, 0, 0x12, 0x34]
            return ipv6(next: 44, header + Array(datagram[offset..<min(datagram.count, offset + length)]))
        }
        var d = PacketDecoder(linkType: .raw, defragmenter: IPDefragmenter())
        XCTAssertNil(decodeAt(fragment(0, 1232, more: true), second: 1, decoder: &d))
        let (p, bytes) = try XCTUnwrap(decodeAt(fragment(1232, 1232, more: false), second: 2, decoder: &d))
        XCTAssertEqual(bytes, payload)
        XCTAssertEqual(p.source, IPAddress(text: "2001:db8::1"))
    }

    func testFragmentFloodStaysBoundedAndCounted() {
        // Never-completed first fragments with distinct ids: memory must stay capped.
        var limits = IPDefragmentationLimits()
        limits.maxDatagrams = 64
        let defragmenter = IPDefragmenter(limits: limits)
        var d = PacketDecoder(linkType: .raw, defragmenter: defragmenter)
        let datagram = udp(payload: Array(repeating: 1, count: 100))
        for i in 0..<10_000 {
            _ = decodeAt(ipv4Fragment(datagram, offset: 0, length: 48, more: true, id: UInt16(truncatingIfNeeded: i)), second: 1, decoder: &d)
        }
        XCTAssertLessThanOrEqual(defragmenter.table.count, 64)
        XCTAssertEqual(defragmenter.statistics.evicted, 10_000 - 64)
    }

    func testUnfinishedDatagramsTimeOut() {
        var limits = IPDefragmentationLimits()
        limits.timeoutSeconds = 30
        let defragmenter = IPDefragmenter(limits: limits)
        var d = PacketDecoder(linkType: .raw, defragmenter: defragmenter)
        let datagram = udp(payload: Array(repeating: 1, count: 100))
        _ = decodeAt(ipv4Fragment(datagram, offset: 0, length: 48, more: true, id: 1), second: 0, decoder: &d)
        _ = decodeAt(ipv4Fragment(datagram, offset: 0, length: 48, more: true, id: 2), second: 100, decoder: &d)
        XCTAssertEqual(defragmenter.statistics.timedOut, 1)
        XCTAssertEqual(defragmenter.table.count, 1)
    }
}

extension PacketDecoderTests {
    /// Steady fragmented traffic where a datagram is always in progress
    /// and none times out: the keys of completed datagrams must not pile up
    /// in the eviction order (they were dropped only when the table was
    /// empty at a sweep or something timed out).
    func testCompletedDatagramsDoNotPileUpInTheEvictionOrder() {
        let defragmenter = IPDefragmenter()
        let source = IPAddress(text: "192.0.2.1")!, destination = IPAddress(text: "192.0.2.53")!
        let half = [UInt8](repeating: 7, count: 8)
        func add(id: UInt32, last: Bool, second: Int64) -> Bool {
            half.withUnsafeBytes { raw in
                defragmenter.add(source: source, destination: destination, proto: 17, ipv6: false, id: id, offset: last ? 8 : 0,
                                 moreFragments: !last, data: raw, time: second) != nil
            }
        }
        _ = add(id: 0, last: false, second: 0)
        var largestOrder = 0
        for i in 0..<50_000 {
            let second = Int64(i / 100)   // a sweep every 2 s of capture time
            _ = add(id: UInt32(i + 1), last: false, second: second)
            XCTAssertTrue(add(id: UInt32(i), last: true, second: second))
            largestOrder = max(largestOrder, defragmenter.order.count)
        }
        XCTAssertEqual(defragmenter.statistics.reassembled, 50_000)
        XCTAssertEqual(defragmenter.statistics.timedOut, 0)
        XCTAssertEqual(defragmenter.table.count, 1)
        XCTAssertLessThanOrEqual(largestOrder, 2 * 2 + 1024, "twice the datagrams in progress (two at an insert), plus 1024")
    }
}
