import XCTest
@testable import PacketlogHost

/// The reassembler's own hash table must behave exactly like a `Dictionary`:
/// a lost or duplicated direction would merge or split TCP streams.
final class TCPFlowTableTests: XCTestCase {
    func key(_ n: Int) -> TCPFlowKey {
        // IPv4 and IPv6 tuples that differ in one field at a time, so that
        // equal hashes of different keys would show.
        let v6 = n % 3 == 0
        let a = v6 ? IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: UInt64(n % 17)) : IPAddress(ipv4: 0x0A00_0000 | UInt32(n % 17))
        let b = v6 ? IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 0x53) : IPAddress(ipv4: 0xC000_0235)
        return TCPFlowKey(source: a, destination: b, sourcePort: UInt16(n / 17 % 64), destinationPort: 53)
    }

    /// A key is stored as words: its fields must come back as they went in,
    /// `reversed` must swap them, and an IPv4 address must never equal the
    /// IPv6 address with the same bits (`::a00:1` against `10.0.0.1`), or
    /// two unrelated connections would share one stream.
    func testKeyKeepsItsFieldsAndTheAddressFamily() {
        let v4 = IPAddress(ipv4: 0x0A00_0001), v6 = IPAddress(ipv6High: 0, low: 0x0A00_0001)
        let server = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 0x53)
        let key = TCPFlowKey(source: v4, destination: server, sourcePort: 40000, destinationPort: 53)
        XCTAssertEqual(key.source, v4)
        XCTAssertEqual(key.destination, server)
        XCTAssertEqual(key.sourcePort, 40000)
        XCTAssertEqual(key.destinationPort, 53)
        let back = key.reversed
        XCTAssertEqual(back.source, server)
        XCTAssertEqual(back.destination, v4)
        XCTAssertEqual(back.sourcePort, 53)
        XCTAssertEqual(back.destinationPort, 40000)
        XCTAssertEqual(back.reversed, key)
        let other = TCPFlowKey(source: v6, destination: server, sourcePort: 40000, destinationPort: 53)
        XCTAssertNotEqual(other, key, "IPv4 and IPv6 addresses with the same bits are different flows")
        XCTAssertEqual(other.source, v6)
        var table = TCPFlowTable(capacity: 4)
        let pool = ReassemblyBufferPool()
        let a = TCPStreamDirection(nextSequence: 0, initialSequence: nil, pool: pool)
        let b = TCPStreamDirection(nextSequence: 0, initialSequence: nil, pool: pool)
        table.insertNew(key, a, lastSeen: 0)
        table.insertNew(other, b, lastSeen: 0)
        XCTAssertTrue(table[key] === a)
        XCTAssertTrue(table[other] === b)
        var changed = key
        changed.sourcePort = 40001
        changed.source = v6
        XCTAssertEqual(changed, TCPFlowKey(source: v6, destination: server, sourcePort: 40001, destinationPort: 53))
    }

    /// Random inserts, replacements, removals and lookups over a small key
    /// set (long probe runs, removals inside them, growth from 16 slots,
    /// now and then a one-pass removal of many), checked against a
    /// `Dictionary` after every step; each entry's last-seen time must
    /// travel with it when entries shift back or the table grows (the idle
    /// timeout reads it there).
    func testBehavesLikeADictionaryUnderRandomChanges() {
        var table = TCPFlowTable(capacity: 4)
        var reference: [TCPFlowKey: TCPStreamDirection] = [:]
        var seenAt: [TCPFlowKey: Int64] = [:]
        let pool = ReassemblyBufferPool()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return Int(state % 1_000_000) }
        for step in 0..<60_000 {
            let k = key(next() % 1_500)
            switch next() % 3 {
            case 0, 1:
                let d = TCPStreamDirection(nextSequence: 0, initialSequence: nil, pool: pool)
                if let slot = table.find(k) {
                    table[k] = d
                    table.setLastSeen(at: slot, Int64(step))
                } else {
                    table.insertNew(k, d, lastSeen: Int64(step))
                }
                reference[k] = d
                seenAt[k] = Int64(step)
            default:
                table[k] = nil
                reference[k] = nil
                seenAt[k] = nil
            }
            if step % 997 == 0 {
                // The idle sweep's one-pass removal: a third of the keys,
                // chosen by port, so removals fall inside probe runs and
                // shift later entries back across the walk.
                // Every other time, by last-seen time instead (as the sweep does).
                let third = UInt16(step % 3), byTime = step % 2 == 0, before = Int64(step - 3_000)
                var removed = 0
                table.removeAll(where: { key, lastSeen in byTime ? lastSeen < before : key.sourcePort % 3 == third },
                                removed: { _ in removed += 1 })
                let kept = reference.filter { byTime ? seenAt[$0.key]! >= before : $0.key.sourcePort % 3 != third }
                XCTAssertEqual(removed, reference.count - kept.count, "step \(step): every removed direction is handed back")
                reference = kept
                seenAt = seenAt.filter { kept[$0.key] != nil }
            }
            XCTAssertTrue(table[k] === reference[k], "step \(step)")
            XCTAssertEqual(table.find(k).map { table.lastSeen(at: $0) }, seenAt[k], "step \(step)")
            XCTAssertEqual(table.count, reference.count, "step \(step)")
            if step % 5_000 == 0 {
                var seen = 0
                table.forEach { k, lastSeen, d in
                    seen += 1
                    XCTAssertTrue(reference[k] === d, "step \(step): a walked entry is the reference's")
                    XCTAssertEqual(lastSeen, seenAt[k], "step \(step): a walked entry's time is the reference's")
                }
                XCTAssertEqual(seen, reference.count)
                for (k, d) in reference { XCTAssertTrue(table[k] === d, "step \(step): every reference entry is found") }
            }
        }
        XCTAssertGreaterThan(table.slotCount, 16, "the table grew")
        XCTAssertLessThanOrEqual(table.count * 2, table.slotCount, "load stays at most 1/2")
        table.removeAll()
        XCTAssertEqual(table.count, 0)
        XCTAssertNil(table[key(1)])
    }
}
