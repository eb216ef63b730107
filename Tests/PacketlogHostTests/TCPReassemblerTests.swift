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

    func testIdleFlowsEndOnCaptureTime() {
        var limits = TCPReassemblyLimits()
        limits.idleTimeoutSeconds = 30
        let r = TCPReassembler(limits: limits), m = Messages()
        feed(r, m, seq: 0, [], flags: [.syn], second: 0)
        feed(r, m, seq: 1, Array(framed("slow").prefix(2)), second: 1)
        feed(r, m, seq: 0, [], flags: [.syn], second: 100, fromServer: true)   // time moves on
        XCTAssertEqual(r.statistics.endedByIdle, 1)
        XCTAssertEqual(r.statistics.discardedBytes, 2)
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
