import XCTest
@testable import PacketlogHost

/// The spec's reassembly rule: streams from segments in any order, the first
/// copy of a byte wins, and directions end at FIN, RST, a new SYN or a cap.
final class TCPReassemblerTests: XCTestCase {
    let client = IPAddress(text: "10.0.0.1")!, server = IPAddress(text: "10.0.0.2")!

    /// A consumer that takes whole length-prefixed messages (as DNS does)
    /// and records each with the second of the packet that completed it.
    final class Messages {
        var seen: [(text: String, second: Int64)] = []
        func consume(_ stream: UnsafeRawBufferPointer, second: Int64) -> Int {
            var offset = 0
            while stream.count - offset >= 2 {
                let length = Int(stream[offset]) << 8 | Int(stream[offset + 1])
                guard stream.count - offset - 2 >= length else { break }
                seen.append((String(decoding: stream[(offset + 2)..<(offset + 2 + length)], as: UTF8.self), second))
                offset += 2 + length
            }
            return offset
        }
    }

    func framed(_ text: String) -> [UInt8] {
        let b = Array(text.utf8)
        return [UInt8(b.count >> 8), UInt8(b.count & 0xFF)] + b
    }

    func feed(_ r: TCPReassembler, _ m: Messages, seq: UInt32, _ payload: [UInt8], flags: TCPFlags = [.ack],
              second: Int64 = 0, fromServer: Bool = false) {
        payload.withUnsafeBytes { raw in
            let p = PacketContext(time: PacketTime(seconds: second, nanoseconds: 0),
                                  source: fromServer ? server : client, destination: fromServer ? client : server,
                                  sourcePort: fromServer ? 53 : 40000, destinationPort: fromServer ? 40000 : 53,
                                  transport: .tcp, tcpFlags: flags, tcpSequence: seq, payload: raw)
            r.process(p) { m.consume($0, second: second) }
        }
    }

    func testMessageSpanningSegmentsIsOneMessageStampedWithTheLastSegment() {
        // A TCP answer bigger than one segment must still become one line.
        let r = TCPReassembler(), m = Messages()
        let msg = framed("hello, world")
        feed(r, m, seq: 1000, [], flags: [.syn])
        feed(r, m, seq: 1001, Array(msg[0..<1]), second: 1)   // one byte of the length prefix
        feed(r, m, seq: 1002, Array(msg[1..<6]), second: 2)
        XCTAssertTrue(m.seen.isEmpty)
        feed(r, m, seq: 1007, Array(msg[6...]), second: 3)
        XCTAssertEqual(m.seen.map(\.text), ["hello, world"])
        XCTAssertEqual(m.seen.first?.second, 3)
    }

    func testStreamStartMarksADirectionsFirstBytesAgainAfterANewSYN() {
        // Modules start their per-connection state afresh at a stream start
        // (PacketContext.streamStart); a direction object reused for the new
        // connection on the same ports must count as new, and bytes left
        // waiting (nothing consumed yet) still begin the stream.
        let r = TCPReassembler()
        var starts: [Bool] = []
        func feed(seq: UInt32, _ payload: [UInt8], flags: TCPFlags = [.ack]) {
            payload.withUnsafeBytes { raw in
                let p = PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: client, destination: server,
                                      sourcePort: 40000, destinationPort: 53, transport: .tcp, tcpFlags: flags, tcpSequence: seq, payload: raw)
                r.process(p) { stream in
                    starts.append(r.deliversStreamStart)
                    return stream.count >= 2 ? 2 : 0
                }
            }
        }
        feed(seq: 100, [], flags: [.syn])
        feed(seq: 101, [1])          // waits: nothing consumed
        feed(seq: 102, [2, 3])       // consumes 2 of 3
        feed(seq: 104, [4])          // consumes the rest's 2
        feed(seq: 5000, [], flags: [.syn])   // the same ports, a new connection
        feed(seq: 5001, [9, 9])
        XCTAssertEqual(starts, [true, true, false, true])
    }

    func testSeveralMessagesInOneSegmentStayInStreamOrder() {
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 1, framed("a") + framed("b") + framed("c"))
        XCTAssertEqual(m.seen.map(\.text), ["a", "b", "c"])
    }

    func testOutOfOrderSegmentsAreReordered() {
        let r = TCPReassembler(), m = Messages()
        let bytes = framed("first") + framed("second")
        feed(r, m, seq: 99, [], flags: [.syn])
        feed(r, m, seq: 107, Array(bytes[7...]), second: 1)   // arrives first, ahead of a gap
        XCTAssertTrue(m.seen.isEmpty)
        feed(r, m, seq: 100, Array(bytes[0..<7]), second: 2)
        XCTAssertEqual(m.seen.map(\.text), ["first", "second"])
        XCTAssertEqual(m.seen.map(\.second), [2, 2], "both completed by the packet that filled the gap")
    }

    func testEarliestCopyOfAByteWinsOverRetransmissionsAndOverlaps() {
        // A forged retransmission must not rewrite what was already received.
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        let good = framed("AAAAAAAA")
        feed(r, m, seq: 5, Array(good[4...]))                    // out of order: "AAAAAA" at 5..
        feed(r, m, seq: 1, Array(good[0..<2]) + Array("BBBBBBBB".utf8))   // overlaps the pending piece
        XCTAssertEqual(m.seen.map(\.text), ["BBAAAAAA"])
        feed(r, m, seq: 1, framed("CCCCCCCC"))                   // full retransmission with other bytes
        XCTAssertEqual(m.seen.map(\.text), ["BBAAAAAA"], "nothing repeated, nothing changed")
    }

    func testStreamWithoutSYNStartsAtFirstSegmentWithPayload() {
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 5000, [])                                // a bare ACK starts nothing
        feed(r, m, seq: 7000, framed("x"))
        feed(r, m, seq: 6990, Array(repeating: 0x41, count: 12)) // earlier bytes are ignored
        feed(r, m, seq: 7003, framed("y"))
        XCTAssertEqual(m.seen.map(\.text), ["x", "y"])
    }

    func testDataOnSYNIsStreamData() {
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 10, framed("fast-open"), flags: [.syn])
        XCTAssertEqual(m.seen.map(\.text), ["fast-open"])
    }

    func testFINEndsTheDirectionOnlyWhenEveryByteBeforeItArrived() {
        let r = TCPReassembler(), m = Messages()
        let bytes = framed("late")
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 3, Array(bytes[2...]), flags: [.fin, .ack])   // FIN with a gap before it
        XCTAssertEqual(r.statistics.endedByFIN, 0)
        feed(r, m, seq: 1, Array(bytes[0..<2]))                        // retransmission fills the gap
        XCTAssertEqual(m.seen.map(\.text), ["late"])
        XCTAssertEqual(r.statistics.endedByFIN, 1)
        feed(r, m, seq: 7, framed("ignored"))                          // after the end: ignored until a new SYN
        XCTAssertEqual(m.seen.count, 1)
        XCTAssertEqual(r.statistics.ignoredSegments, 1)
    }

    /// An ended direction's object is reused at once while its key stays:
    /// late segments are still ignored, a new SYN on the key takes a spare
    /// object, and an ended key is still the oldest to evict under the cap
    /// (without counting as an eviction: its direction had ended). Odd
    /// input: the object and the key now end their lives at different times.
    func testAnEndedDirectionsObjectIsReusedAtOnceWhileItsKeyStays() {
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 2
        let r = TCPReassembler(limits: limits), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 1, framed("one"), flags: [.fin, .ack])
        XCTAssertEqual(r.statistics.endedByFIN, 1)
        XCTAssertEqual(r.spare.count, 1, "the ended direction's object is kept for reuse at once")
        XCTAssertEqual(r.flowCount, 1, "its key stays")
        feed(r, m, seq: 6, framed("late"))
        XCTAssertEqual(r.statistics.ignoredSegments, 1)
        feed(r, m, seq: 9000, [], flags: [.syn])
        XCTAssertEqual(r.spare.count, 0, "a new SYN on the ended key takes the spare object")
        feed(r, m, seq: 9001, framed("two"), flags: [.fin, .ack])
        XCTAssertEqual(m.seen.map(\.text), ["one", "two"])
        XCTAssertEqual(r.statistics.streams, 2)

        // Cap 2: the client's key (ended), then the server's (live), then a
        // third key evicts the client's without counting it, a fourth the
        // server's, counted.
        feed(r, m, seq: 0, Array(framed("held").prefix(3)), fromServer: true)
        let third = IPAddress(text: "10.0.0.3")!, fourth = IPAddress(text: "10.0.0.4")!
        for source in [third, fourth] {
            framed("x").withUnsafeBytes { raw in
                let p = PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: source, destination: server,
                                      sourcePort: 1, destinationPort: 53, transport: .tcp, tcpFlags: [.ack], tcpSequence: 1, payload: raw)
                r.process(p) { m.consume($0, second: 0) }
            }
        }
        XCTAssertEqual(r.statistics.evictedByFlowCap, 1, "only the server's live direction counts")
        XCTAssertEqual(r.statistics.discardedBytes, 3)
        XCTAssertEqual(r.flowCount, 2)
        XCTAssertEqual(m.seen.map(\.text), ["one", "two", "x", "x"])
    }

    func testRSTEndsBothDirectionsAndItsPayloadIsNotData() {
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 1, Array(framed("unfinished").prefix(5)))
        feed(r, m, seq: 0, framed("rst-data"), flags: [.rst], fromServer: true)
        XCTAssertEqual(r.statistics.endedByRST, 1)
        XCTAssertEqual(r.statistics.discardedBytes, 5)
        XCTAssertEqual(r.statistics.unfinishedStreams, 1)
        XCTAssertTrue(m.seen.isEmpty)
    }

    func testNewSYNReusingTheTupleStartsAFreshStream() {
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 1, Array(framed("old").prefix(3)))
        feed(r, m, seq: 5000, [], flags: [.syn])
        feed(r, m, seq: 5001, framed("new"))
        XCTAssertEqual(m.seen.map(\.text), ["new"])
        XCTAssertEqual(r.statistics.endedByNewSYN, 1)
        XCTAssertEqual(r.statistics.discardedBytes, 3)
    }

    func testSequenceNumbersWrapAround() {
        let r = TCPReassembler(), m = Messages()
        let bytes = framed("wrap")
        feed(r, m, seq: 0xFFFF_FFFD, [], flags: [.syn])
        feed(r, m, seq: 0xFFFF_FFFE, Array(bytes[0..<3]))
        feed(r, m, seq: 1, Array(bytes[3...]))
        XCTAssertEqual(m.seen.map(\.text), ["wrap"])
    }

    func testFlowCapEvictsTheOldestAndCountsIt() {
        // Half-open flows from a flood must not grow memory without bound.
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 100
        let r = TCPReassembler(limits: limits), m = Messages()
        for i in 0..<1000 {
            [UInt8](repeating: 0, count: 1).withUnsafeBytes { raw in
                let p = PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: IPAddress(ipv4: UInt32(i)), destination: server,
                                      sourcePort: 1, destinationPort: 53, transport: .tcp, tcpFlags: [.ack], tcpSequence: 1, payload: raw)
                r.process(p) { m.consume($0, second: 0) }
            }
        }
        XCTAssertLessThanOrEqual(r.flowCount, 100)
        XCTAssertEqual(r.statistics.evictedByFlowCap, 900)
    }

    func testByteCapEndsAFlowThatHoardsOutOfOrderData() {
        // Endless out-of-order segments behind a gap that is never filled.
        var limits = TCPReassemblyLimits()
        limits.maxBytesPerFlow = 10_000
        let r = TCPReassembler(limits: limits), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        for i in 0..<100 { feed(r, m, seq: UInt32(100 + i * 1000), Array(repeating: 7, count: 1000)) }
        XCTAssertEqual(r.statistics.evictedByByteCap, 1)
        XCTAssertEqual(r.statistics.ignoredSegments, 100 - 11, "the 11th segment passes the cap and ends the flow")
    }

    func testOneByteOutOfOrderPiecesEndTheDirectionAtThePieceCap() {
        // One-byte segments behind a gap never filled: far under the byte
        // cap, but each piece made every later insert walk all of them.
        let r = TCPReassembler(), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn])
        for i in 0..<300 { feed(r, m, seq: UInt32(3 + 2 * i), [7]) }
        XCTAssertEqual(r.statistics.evictedByByteCap, 1)
        let cap = TCPReassemblyLimits().maxOutOfOrderSegments
        XCTAssertEqual(r.statistics.ignoredSegments, UInt64(300 - (cap + 1)), "the piece past the cap ends the direction")
    }

    func reassembler(idleTimeout: Int64) -> TCPReassembler {
        var limits = TCPReassemblyLimits()
        limits.idleTimeoutSeconds = idleTimeout
        return TCPReassembler(limits: limits)
    }

    func testIdleFlowsEndOnCaptureTime() {
        let r = reassembler(idleTimeout: 30), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn], second: 0)
        feed(r, m, seq: 1, Array(framed("slow").prefix(2)), second: 1)
        feed(r, m, seq: 0, [], flags: [.syn], second: 100, fromServer: true)   // time moves on
        XCTAssertEqual(r.statistics.endedByIdle, 1)
        XCTAssertEqual(r.statistics.discardedBytes, 2)
    }

    func testIdleSweepsGoOnAfterCaptureTimeStepsBack() {
        // A clock step back (or files concatenated out of order) left the
        // last sweep in the future: no direction was swept until time caught up.
        let r = reassembler(idleTimeout: 30), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn], second: 10_000)
        feed(r, m, seq: 0, [], flags: [.syn], second: 1_000, fromServer: true)   // time steps back 9,000 s
        feed(r, m, seq: 1, Array(framed("x").prefix(1)), second: 1_000, fromServer: true)
        // Another flow 100 s later: the server's direction has been silent for 100 s.
        payload(r, m, from: IPAddress(text: "10.0.0.9")!, second: 1_100)
        XCTAssertEqual(r.statistics.endedByIdle, 1, "the silent direction is swept")
        XCTAssertEqual(r.statistics.discardedBytes, 1)
    }

    func testCaptureTimesAtBothEndsOfInt64DoNotTrapTheReassembler() {
        // A crafted pcapng can carry any 64-bit time (the defragmenter's
        // age check trapped on it; this keeps the reassembler's checks honest).
        let r = reassembler(idleTimeout: 30), m = Messages()
        for (i, second) in [Int64.min, Int64.max, 0, Int64.min, Int64.max].enumerated() {
            payload(r, m, from: IPAddress(text: "10.0.1.\(i)")!, second: second)
        }
        XCTAssertEqual(r.statistics.streams, 5)
    }

    /// One segment with a byte of payload from `source` (its own flow).
    func payload(_ r: TCPReassembler, _ m: Messages, from source: IPAddress, second: Int64) {
        [UInt8(0)].withUnsafeBytes { raw in
            let p = PacketContext(time: PacketTime(seconds: second, nanoseconds: 0), source: source, destination: server,
                                  sourcePort: 40000, destinationPort: 53, transport: .tcp, tcpFlags: [.ack], tcpSequence: 1, payload: raw)
            r.process(p) { m.consume($0, second: second) }
        }
    }

    /// The timeout holds to the second whenever the memory sweep last ran:
    /// a direction silent for 31 s (timeout 30) is ended by its next
    /// segment even though another flow's packet ran a sweep 1 s before
    /// (when it had been silent for exactly 30 s, which is allowed), so the
    /// rest of its message is not glued to the bytes from before the silence.
    func testIdleDirectionEndsAtItsNextSegmentBetweenSweeps() {
        let r = reassembler(idleTimeout: 30), m = Messages()
        let message = framed("late")
        feed(r, m, seq: 0, [], flags: [.syn], second: 0)
        feed(r, m, seq: 1, Array(message.prefix(2)), second: 1)
        feed(r, m, seq: 0, [], flags: [.syn], second: 31, fromServer: true)   // a sweep: silent 30 s, kept
        feed(r, m, seq: 3, Array(message.dropFirst(2)), second: 32)
        XCTAssertEqual(m.seen.map(\.text), [], "the message's start was discarded with the idle direction")
        XCTAssertEqual(r.statistics.endedByIdle, 1)
        XCTAssertEqual(r.statistics.discardedBytes, 2)
    }

    /// Every segment restarts the timeout: a slow sender that sends a piece
    /// of a message every 20 s (timeout 30) for two minutes is never idle,
    /// however long the whole stream lasts, and its message arrives whole.
    func testEverySegmentRestartsTheIdleTimeout() {
        let r = reassembler(idleTimeout: 30), m = Messages()
        let message = framed("a slow message")
        feed(r, m, seq: 0, [], flags: [.syn], second: 0)
        var sent = 0
        for (step, size) in [3, 3, 3, 3, 3, message.count - 15].enumerated() {
            feed(r, m, seq: 1 + UInt32(sent), Array(message[sent..<(sent + size)]), second: 20 * Int64(step + 1))
            sent += size
        }
        XCTAssertEqual(m.seen.map(\.text), ["a slow message"])
        XCTAssertEqual(m.seen.first?.second, 120)
        XCTAssertEqual(r.statistics.endedByIdle, 0)
        XCTAssertEqual(r.statistics.discardedBytes, 0)
    }

    /// At the end of input, a direction that was already idle for longer
    /// than the timeout is counted as ended by idleness, not by the end.
    func testDirectionIdleAtTheEndOfInputCountsAsIdle() {
        let r = reassembler(idleTimeout: 30), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn], second: 0)
        feed(r, m, seq: 1, Array(framed("x").prefix(1)), second: 10)
        feed(r, m, seq: 0, [], flags: [.syn], second: 40, fromServer: true)   // the last sweep: the client silent 30 s
        feed(r, m, seq: 1, Array(framed("y").prefix(1)), second: 42, fromServer: true)   // too soon for another
        r.finishAll()
        XCTAssertEqual(r.statistics.endedByIdle, 1, "the client's direction: silent 32 s when the input ended")
        XCTAssertEqual(r.statistics.endedAtEndOfInput, 1, "the server's direction")
    }
}

extension TCPReassemblerTests {
    /// A million half-open flows (a SYN flood) against a cap of 10,000: the
    /// table never holds more than the cap, every eviction is counted, and a
    /// real stream that starts after the flood still works.
    func testAMillionHalfOpenFlowsStayUnderTheCap() {
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 10_000
        let r = TCPReassembler(limits: limits), m = Messages()
        let none = [UInt8]()
        none.withUnsafeBytes { raw in
            for i in 0..<1_000_000 {
                let p = PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: IPAddress(ipv4: 0x0B00_0000 &+ UInt32(i)),
                                      destination: server, sourcePort: UInt16(truncatingIfNeeded: i), destinationPort: 53,
                                      transport: .tcp, tcpFlags: [.syn], tcpSequence: UInt32(truncatingIfNeeded: i), payload: raw)
                r.process(p) { _ in 0 }
                if i % 100_000 == 0 { XCTAssertLessThanOrEqual(r.flowCount, 10_000) }
            }
        }
        XCTAssertLessThanOrEqual(r.flowCount, 10_000)
        XCTAssertEqual(r.statistics.evictedByFlowCap, 1_000_000 - 10_000)
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 1, framed("after the flood"))
        XCTAssertEqual(m.seen.map(\.text), ["after the flood"])
    }
}

extension TCPReassemblerTests {
    /// A table at its flow cap with connections arriving all the time (a
    /// busy resolver; the live load test at 100 k packets/s): every new
    /// connection evicts the oldest. When the eviction order's storage was
    /// exactly the cap (16,384 here; the default 65,536 likewise), each new
    /// connection found it full, compacted all of it (a hash lookup per
    /// entry) and freed one slot: 68 % of the run's time went there. The
    /// order now grows when a compaction frees too little, so compactions
    /// stay rare; and it never keeps two entries for one tracked direction,
    /// so it stays within a few times the cap.
    func testNewConnectionsAtTheFlowCapRarelyCompactTheEvictionOrder() {
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 16_384
        let r = TCPReassembler(limits: limits), m = Messages()
        let query = framed("q")
        var connections = 0
        for round in 0..<3 {
            for c in 0..<20_000 {
                segment(r, m, connection: c, fromServer: false, seq: 1000, [], flags: [.syn], second: Int64(round))
                segment(r, m, connection: c, fromServer: false, seq: 1001, query, second: Int64(round))
                segment(r, m, connection: c, fromServer: false, seq: 1001 + UInt32(query.count), [], flags: [.fin, .ack],
                        second: Int64(round))
                connections += 1
            }
            XCTAssertLessThanOrEqual(r.flowCount, 16_384)
            XCTAssertLessThanOrEqual(r.creationOrder.count, 3 * 16_384 + 1, "round \(round)")
        }
        XCTAssertEqual(m.seen.count, connections, "every query")
        XCTAssertLessThan(r.compactions, 100, "compactions: \(r.compactions) for \(connections) connections")
    }
}

extension TCPReassemblerTests {
    /// One segment of connection `c` (client 10.1.x.y:c, server 10.0.0.2:53).
    func segment(_ r: TCPReassembler, _ m: Messages, connection c: Int, fromServer: Bool, seq: UInt32, _ payload: [UInt8],
                 flags: TCPFlags = [.ack], second: Int64) {
        let peer = IPAddress(ipv4: 0x0A01_0000 | UInt32(c)), port = UInt16(20000 + c)
        payload.withUnsafeBytes { raw in
            let p = PacketContext(time: PacketTime(seconds: second, nanoseconds: 0),
                                  source: fromServer ? server : peer, destination: fromServer ? peer : server,
                                  sourcePort: fromServer ? 53 : port, destinationPort: fromServer ? port : 53,
                                  transport: .tcp, tcpFlags: flags, tcpSequence: seq, payload: raw)
            r.process(p) { m.consume($0, second: second) }
        }
    }

    /// A capture replayed in a loop at a high rate (issue 3: a live replay at
    /// 100 k packets/s grew by 120 MiB in 10 minutes): the same tuples and
    /// sequence numbers come back, the table is full of ended directions,
    /// and each direction object is reused for other tuples. Ended
    /// directions must hold no buffer, or each one's would grow to the
    /// biggest message it ever carried and memory would creep up forever.
    func testReplayingTheSameFlowsKeepsNoBuffersInEndedDirections() {
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 256
        let r = TCPReassembler(limits: limits), m = Messages()
        var storage: [Int] = []
        var pooled: [Int] = []
        for replay in 0..<20 {
            for c in 0..<300 {
                let second = Int64(replay)
                let query = framed(String(repeating: "q", count: 20 + (c &* 37 &+ replay &* 101) % 1500))
                let answer = framed(String(repeating: "a", count: 100 + (c &* 53 &+ replay &* 211) % 3000))
                segment(r, m, connection: c, fromServer: false, seq: 1000, [], flags: [.syn], second: second)
                segment(r, m, connection: c, fromServer: true, seq: 5000, [], flags: [.syn, .ack], second: second)
                if c % 3 == 0 {   // a query in two segments
                    segment(r, m, connection: c, fromServer: false, seq: 1001, Array(query[..<10]), second: second)
                    segment(r, m, connection: c, fromServer: false, seq: 1011, Array(query[10...]), second: second)
                } else {
                    segment(r, m, connection: c, fromServer: false, seq: 1001, query, second: second)
                }
                let half = answer.count / 2   // every answer in two segments, the second first half of the time
                let second1 = Array(answer[half...]), first1 = Array(answer[..<half])
                if c % 2 == 0 {
                    segment(r, m, connection: c, fromServer: true, seq: 5001 + UInt32(half), second1, second: second)
                    segment(r, m, connection: c, fromServer: true, seq: 5001, first1, second: second)
                } else {
                    segment(r, m, connection: c, fromServer: true, seq: 5001, first1, second: second)
                    segment(r, m, connection: c, fromServer: true, seq: 5001 + UInt32(half), second1, second: second)
                }
                segment(r, m, connection: c, fromServer: false, seq: 1001 + UInt32(query.count), [], flags: [.fin, .ack], second: second)
                segment(r, m, connection: c, fromServer: true, seq: 5001 + UInt32(answer.count), [], flags: [.fin, .ack], second: second)
            }
            XCTAssertLessThanOrEqual(r.flowCount, 256)
            storage.append(r.bufferStorageBytes)
            pooled.append(r.bufferPool.buffers.count)
        }
        // Ended directions hand their small buffers to the pool, and the next
        // connections take them from there: the pool reaches a steady size
        // (no buffer allocated per connection) and stays within its bound.
        XCTAssertGreaterThan(pooled[0], 0)
        XCTAssertEqual(Set(pooled.dropFirst(2)).count, 1, "pool size per replay: \(pooled)")
        XCTAssertLessThanOrEqual(r.bufferPool.storageBytes, ReassemblyBufferPool.maxBuffers * TCPStreamDirection.keptCapacity)
        XCTAssertEqual(m.seen.count, 20 * 300 * 2, "every query and answer, every time")
        XCTAssertEqual(r.statistics.endedByFIN, 20 * 300 * 2)
        XCTAssertEqual(r.statistics.unfinishedStreams, 0)
        XCTAssertEqual(storage, Array(repeating: 0, count: 20), "every direction ended: no buffer kept, after every replay")
    }

    /// A live direction that consumed everything keeps at most a small
    /// buffer for its next message; a big one goes back to the allocator.
    func testALiveDirectionKeepsOnlyASmallBufferOnceItHoldsNothing() {
        let r = TCPReassembler(), m = Messages()
        let key = TCPFlowKey(PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: client, destination: server,
                                           sourcePort: 40000, destinationPort: 53, transport: .tcp, tcpFlags: [], tcpSequence: 0,
                                           payload: UnsafeRawBufferPointer(start: nil, count: 0)))
        let big = framed(String(repeating: "b", count: 20_000)), small = framed(String(repeating: "s", count: 300))
        feed(r, m, seq: 0, [], flags: [.syn])
        feed(r, m, seq: 1, Array(big[..<9000]))
        feed(r, m, seq: 9001, Array(big[9000...]))
        XCTAssertEqual(m.seen.count, 1)
        XCTAssertEqual(r.flows[key]?.storageBytes, 0, "a 20 kB buffer is not kept")
        let at = UInt32(1 + big.count)
        feed(r, m, seq: at, Array(small[..<100]))
        feed(r, m, seq: at + 100, Array(small[100...]))
        XCTAssertEqual(m.seen.count, 2)
        XCTAssertLessThanOrEqual(r.flows[key]?.storageBytes ?? .max, TCPStreamDirection.keptCapacity)
        XCTAssertGreaterThan(r.flows[key]?.storageBytes ?? 0, 0, "a small buffer is kept for the next message")
        feed(r, m, seq: at + UInt32(small.count), [], flags: [.fin, .ack])
        XCTAssertEqual(r.bufferStorageBytes, 0)
    }

    /// Segments handed straight to the consumer (in order, nothing held)
    /// give the consumer exactly what the buffered path gives it: random
    /// scripts of segments (retransmissions, overlaps, gaps, SYN, FIN, RST,
    /// idle gaps) and consumers (messages, everything, nothing, skip) run
    /// both ways, every call and every counter compared.
    func testDirectDeliveryMatchesTheBufferedPath() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        var limits = TCPReassemblyLimits()
        limits.maxFlows = 4; limits.maxBytesPerFlow = 600; limits.maxTotalBytes = 1000; limits.idleTimeoutSeconds = 60
        for _ in 0..<300 {
            // A script: (connection, fromServer, flags, offset from the direction's next byte, payload, consumer, second).
            var script: [(Int, Bool, TCPFlags, Int, [UInt8], Int, Int64)] = []
            var sent = [Int](repeating: 0, count: 6)
            var second: Int64 = 0
            for _ in 0..<(20 + next(60)) {
                let c = next(3), fromServer = next(2) == 1, d = c * 2 + (fromServer ? 1 : 0)
                var flags: TCPFlags = [.ack]
                switch next(20) {
                case 0: flags = [.syn]; sent[d] = 0
                case 1: flags.insert(.fin)
                case 2: flags.insert(.rst)
                default: break
                }
                if next(15) == 0 { second += 100 }
                var payload: [UInt8] = []
                if next(5) > 0 {
                    // Mostly length-prefixed messages, sometimes cut, sometimes noise.
                    let length = next(40)
                    payload = framed(String(repeating: "x", count: length))
                    if next(4) == 0 { payload = Array(payload.prefix(next(payload.count + 1))) }
                    if next(8) == 0 { payload = (0..<next(30)).map { _ in UInt8(next(256)) } }
                }
                var offset = 0
                switch next(8) {
                case 0: offset = -next(20)            // a retransmission or an overlap
                case 1: offset = 1 + next(30)         // ahead of a gap
                default: break
                }
                if flags.contains(.syn) { offset = 0 }
                script.append((c, fromServer, flags, sent[d] + offset, payload, next(4), second))
                if offset == 0 && !flags.contains(.syn) { sent[d] += payload.count }
            }
            func run(direct: Bool) -> (calls: [String], statistics: String, held: Int) {
                let r = TCPReassembler(limits: limits)
                r.deliversDirectly = direct
                var calls: [String] = []
                for (c, fromServer, flags, position, payload, consumer, second) in script {
                    let peer = IPAddress(ipv4: 0x0A02_0000 | UInt32(c)), port = UInt16(30000 + c)
                    let isn: UInt32 = fromServer ? 0xFFFF_FF00 &+ UInt32(c) : 7 &+ UInt32(c) * 1000
                    let seq = isn &+ (flags.contains(.syn) ? 0 : 1) &+ UInt32(bitPattern: Int32(position))
                    payload.withUnsafeBytes { raw in
                        let p = PacketContext(time: PacketTime(seconds: second, nanoseconds: 0),
                                              source: fromServer ? server : peer, destination: fromServer ? peer : server,
                                              sourcePort: fromServer ? 53 : port, destinationPort: fromServer ? port : 53,
                                              transport: .tcp, tcpFlags: flags, tcpSequence: seq, payload: raw)
                        r.process(p) { stream in
                            let m = Messages()
                            let consumed: Int
                            switch consumer {
                            case 0: consumed = m.consume(stream, second: second)
                            case 1: consumed = stream.count
                            case 2: consumed = 0
                            default: consumed = stream.count + 7
                            }
                            calls.append("\(Array(stream)) -> \(consumed)")
                            return consumed
                        }
                    }
                }
                let held = r.totalBytes
                r.finishAll()
                return (calls, "\(r.statistics)", held)
            }
            let direct = run(direct: true), buffered = run(direct: false)
            XCTAssertEqual(direct.calls, buffered.calls)
            XCTAssertEqual(direct.statistics, buffered.statistics)
            XCTAssertEqual(direct.held, buffered.held)
            if direct.calls != buffered.calls || direct.statistics != buffered.statistics { return }
        }
    }
}

/// The capture-time schedule both reassembly tables sweep on.
final class SweepScheduleTests: XCTestCase {
    func testTimesAlternatingBackAndForthDoNotSweepEveryPacket() {
        // A step back expires nothing new: sweeping on each one made a
        // capture alternating t, t − 1 walk the whole table per packet.
        var s = SweepSchedule()
        XCTAssertTrue(s.isDue(at: 1_000, every: 60), "the first packet sweeps")
        var sweeps = 0
        for i in 0..<1_000 where s.isDue(at: i % 2 == 0 ? 999 : 1_000, every: 60) { sweeps += 1 }
        XCTAssertEqual(sweeps, 0)
        XCTAssertTrue(s.isDue(at: 999 + 61, every: 60), "the schedule goes on from the step back")
    }

    func testElapsedSecondsSaturateAtBothEndsOfInt64() {
        XCTAssertEqual(secondsElapsed(from: .min, to: .max), .max)
        XCTAssertEqual(secondsElapsed(from: .max, to: .min), .min)
        XCTAssertEqual(secondsElapsed(from: 10, to: 7), -3)
    }
}
