import XCTest
import PacketlogHost
@testable import ProtocolPlugins

/// The DNS module's lines, byte for byte, per spec/log-format.md.
final class DNSLineTests: XCTestCase {
    var harness = ModuleHarness(try! DNSModule(options: ModuleOptions()))
    let prefix = "05:39:26.815 10.53.100.10#33974 10.53.100.53#53 "
    let responsePrefix = "05:39:26.815 10.53.100.53#53 10.53.100.10#33974 "

    func response(_ build: (inout DNSWire) -> Void, qd: UInt16 = 1, an: UInt16, ns: UInt16 = 0, ar: UInt16 = 0, rcode: UInt16 = 0) -> [UInt8] {
        var w = DNSWire(id: 0xFCE9, flags: 0x8180 | rcode, qd: qd, an: an, ns: ns, ar: ar)
        build(&w)
        return w.bytes
    }

    func answerLines(_ payload: [UInt8]) -> [String] {
        harness.lines(payload: payload, source: "10.53.100.53", sourcePort: 53, destination: "10.53.100.10", destinationPort: 33974)
    }

    // MARK: Queries

    func testQueryToLocalAddressIsClientQuery() {
        var w = DNSWire(id: 0xFCE9, flags: 0x0100, qd: 1)
        w.question("sukmoonlee.com", type: 6)
        XCTAssertEqual(harness.lines(payload: w.bytes), [prefix + "CQ FCE9 00 sukmoonlee.com IN SOA"])
    }

    func testQueryToRemoteAddressIsServerQueryWithOpcode() {
        // Opcode 5 (UPDATE) is printed as two decimal digits.
        var w = DNSWire(id: 0x00F5, flags: 0x2800, qd: 1)
        w.question(".", type: 2)
        XCTAssertEqual(harness.lines(payload: w.bytes, local: []),
                       [prefix + "SQ 00F5 05 . IN NS"])
    }

    func testQueryWithoutQuestionPrintsDashes() {
        // QDCOUNT 0 (dig +header-only): the Go dnslog crashed on this.
        let w = DNSWire(id: 0x1234, flags: 0x0000, qd: 0)
        XCTAssertEqual(harness.lines(payload: w.bytes), [prefix + "CQ 1234 00 - - -"])
    }

    func testUnknownTypeAndClassPrintRFC3597Mnemonics() {
        var w = DNSWire(id: 1, flags: 0, qd: 1)
        w.question("example.com", type: 65400, cls: 77)
        XCTAssertEqual(harness.lines(payload: w.bytes), [prefix + "CQ 0001 00 example.com CLASS77 TYPE65400"])
    }

    func testRecentlyAssignedTypesPrintTheirIANAMnemonics() {
        // The spec asks for the IANA mnemonic: NXNAME (RFC 9824) printed TYPE128.
        for (type, name) in [(128, "NXNAME"), (263, "CLA"), (264, "IPN"), (262, "WALLET")] {
            var w = DNSWire(id: 1, flags: 0, qd: 1)
            w.question("example.com", type: UInt16(type))
            XCTAssertEqual(harness.lines(payload: w.bytes), [prefix + "CQ 0001 00 example.com IN \(name)"])
        }
    }

    // MARK: Responses

    func testResponseToRemoteIsClientResponseWithFirstAnswer() {
        let bytes = response({ w in
            w.question("sukmoonlee.com", type: 15)
            w.record("sukmoonlee.com", type: 15, ttl: 1800) { r in r.u16(10); r.name("aspmx.l.google.com") }
        }, an: 1)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/1/0/0 sukmoonlee.com IN MX 1800 10 aspmx.l.google.com"])
    }

    /// Header counts of one digit (written as one word) and of two or more
    /// digits (written digit by digit) side by side, at the boundary 9/10.
    func testHeaderCountsOfOneAndTwoDigits() {
        for (qd, an, ns, ar) in [(1, 9, 0, 9), (1, 10, 9, 10), (9, 1, 0, 0), (10, 1, 0, 0)] as [(UInt16, UInt16, UInt16, UInt16)] {
            let bytes = response({ w in
                for _ in 0..<qd { w.question("example.com", type: 1) }
                for i in 0..<(an + ns + ar) {
                    w.pointer(12)
                    w.recordBody(type: 1, ttl: 60) { r in r.u32(0x0A00_0000 | UInt32(i)) }
                }
            }, qd: qd, an: an, ns: ns, ar: ar)
            XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 \(qd)/\(an)/\(ns)/\(ar) example.com IN A 60 10.0.0.0"])
        }
    }

    func testCNAMEFollowedByAddressAppendsTheAddress() {
        let bytes = response({ w in
            w.question("www.sukmoonlee.com", type: 28)
            w.record("www.sukmoonlee.com", type: 5, ttl: 1800) { r in r.name("ghs.google.com") }
            w.record("ghs.google.com", type: 28, ttl: 300) { r in
                r.raw([0x24, 0x04, 0x68, 0x00, 0x40, 0x04, 0x08, 0x06, 0, 0, 0, 0, 0, 0, 0x20, 0x13])
            }
        }, an: 2)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/2/0/0 www.sukmoonlee.com IN CNAME 1800 ghs.google.com (ghs.google.com 300 IN AAAA 2404:6800:4004:806::2013)"])
    }

    func testResponseWithoutAnswerPrintsQuestionAndRcode() {
        let bytes = response({ w in w.question("nosuchtld", type: 1) }, an: 0, rcode: 3)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 03 1/0/0/0 nosuchtld IN A"])
    }

    func testResponseToLocalAddressIsServerResponse() {
        let bytes = response({ w in w.question(".", type: 2) }, an: 0)
        let lines = harness.lines(payload: bytes, source: "199.7.91.13", sourcePort: 53, destination: "10.53.100.53", destinationPort: 26012)
        XCTAssertEqual(lines, ["05:39:26.815 199.7.91.13#53 10.53.100.53#26012 SR FCE9 00 1/0/0/0 . IN NS"])
    }

    func testSOAAndTTLPrintedUnsigned() {
        // A TTL with the top bit set is printed as sent (unsigned 32-bit).
        let bytes = response({ w in
            w.question("sukmoonlee.com", type: 6)
            w.record("sukmoonlee.com", type: 6, ttl: 0xFFFF_FFFF) { r in
                r.name("dns1.name-services.com"); r.name("info.name-services.com")
                r.u32(1553670517); r.u32(172800); r.u32(900); r.u32(1814400); r.u32(3600)
            }
        }, an: 1)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/1/0/0 sukmoonlee.com IN SOA 4294967295 dns1.name-services.com info.name-services.com (1553670517 172800 900 1814400 3600)"])
    }

    func testUnknownRdataIsRFC3597Hex() {
        let bytes = response({ w in
            w.question("unknown.example.com", type: 65400)
            w.record("unknown.example.com", type: 65400, ttl: 3600) { r in r.raw([0x0A, 0x35, 0x00, 0x01]) }
            w.record("unknown.example.com", type: 65401, ttl: 3600) { _ in }
        }, an: 2)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/2/0/0 unknown.example.com IN TYPE65400 3600 \\# 4 0A350001"])
        let empty = response({ w in
            w.question("unknown.example.com", type: 65401)
            w.record("unknown.example.com", type: 65401, ttl: 3600) { _ in }
        }, an: 1)
        XCTAssertEqual(answerLines(empty), [responsePrefix + "CR FCE9 00 1/1/0/0 unknown.example.com IN TYPE65401 3600 \\# 0"])
    }

    func testSRVURIAndCAAPresentation() {
        let srv = response({ w in
            w.question("_sip._tcp.example.com", type: 33)
            w.record("_sip._tcp.example.com", type: 33, ttl: 60) { r in r.u16(10); r.u16(5); r.u16(5060); r.name("sip.example.com") }
        }, an: 1)
        XCTAssertEqual(answerLines(srv), [responsePrefix + "CR FCE9 00 1/1/0/0 _sip._tcp.example.com IN SRV 60 10 5 5060 sip.example.com"])
        let uri = response({ w in
            w.question("_http._tcp.example.com", type: 256)
            w.record("_http._tcp.example.com", type: 256, ttl: 3600) { r in r.u16(10); r.u16(1); r.raw(Array("http://www.example.com/".utf8)) }
        }, an: 1)
        XCTAssertEqual(answerLines(uri), [responsePrefix + "CR FCE9 00 1/1/0/0 _http._tcp.example.com IN URI 3600 10 1 \"http://www.example.com/\""])
        let caa = response({ w in
            w.question("vault.com", type: 257)
            w.record("vault.com", type: 257, ttl: 3600) { r in r.u8(0); r.u8(5); r.raw(Array("issue".utf8)); r.raw(Array("ca.example.net".utf8)) }
        }, an: 1)
        XCTAssertEqual(answerLines(caa), [responsePrefix + "CR FCE9 00 1/1/0/0 vault.com IN CAA 3600 0 issue \"ca.example.net\""])
    }

    // MARK: Escaping (no packet can split or forge a line)

    func testNameBytesAreEscaped() {
        // Space, dot inside a label, the specials, 0x80, a newline and UTF-8:
        // a newline or space in a name would let a packet forge fields or lines.
        var w = DNSWire(id: 2, flags: 0x0100, qd: 1)
        w.name([Array("with space".utf8), Array("dot.inside".utf8), Array("q\"()@;$\\".utf8), [0x80, 0x0A, 0x41], [0x63, 0x61, 0x66, 0xC3, 0xA9], Array("com".utf8)])
        w.u16(1); w.u16(1)
        XCTAssertEqual(harness.lines(payload: w.bytes),
                       [prefix + "CQ 0002 00 with\\032space.dot\\.inside.q\\\"\\(\\)\\@\\;\\$\\\\.\\128\\010A.caf\\195\\169.com IN A"])
    }

    func testEveryByteIsEscapedTheSameAtEveryPositionOfALabel() {
        // Labels are copied and checked 8 bytes at a time, byte by byte
        // where fewer than 8 bytes of the message are left, and written again
        // byte by byte when they need an escape: any byte value, at any
        // position and label length (across the 8-byte steps), first or last
        // in the name (the last label ends 4 bytes before the message does),
        // must still get exactly the spec's escaping.
        func expected(_ byte: UInt8) -> String {
            switch byte {
            case 0x22, 0x24, 0x28, 0x29, 0x2E, 0x3B, 0x40, 0x5C: return "\\" + String(UnicodeScalar(byte))
            case 0x21...0x7E: return String(UnicodeScalar(byte))
            default: return "\\" + String(repeating: "0", count: byte < 10 ? 2 : byte < 100 ? 1 : 0) + String(byte)
            }
        }
        let filler = Array("aZ9-_q".utf8)
        for length in [1, 2, 7, 8, 9, 15, 16, 17, 24, 63] {
            for position in Set([0, 1, length / 2, length - 1]) where position < length {
                for byte in 0...255 {
                    var label = (0..<length).map { filler[$0 % filler.count] }
                    label[position] = UInt8(byte)
                    let text = label.map(expected).joined()
                    for last in [false, true] {
                        var w = DNSWire(id: 3, flags: 0x0100, qd: 1)
                        w.name(last ? [Array("x".utf8), label] : [label, Array("com".utf8)])
                        w.u16(1); w.u16(1)
                        XCTAssertEqual(harness.lines(payload: w.bytes), [prefix + "CQ 0003 00 \(last ? "x." + text : text + ".com") IN A"],
                                       "length \(length), byte \(byte) at \(position), last \(last)")
                    }
                }
            }
        }
    }

    func testSkippingANameAcceptsExactlyWhatPrintingItAccepts() {
        // Names the line shows are printed (and validated) by one loop, names
        // it does not show are validated by another: if they disagreed, a
        // message could be logged or rejected depending on which records the
        // line happens to show. Random bytes with many pointers and labels.
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var line = LineBuffer(capacity: 4096)
        defer { line.deallocate() }
        var agreed = 0, valid = 0
        for _ in 0..<20_000 {
            let count = Int(next() % 300) + 1
            var bytes = [UInt8](repeating: 0, count: count)
            for i in 0..<count {
                let r = next()
                switch r % 8 {
                case 0: bytes[i] = 0                                   // root
                case 1: bytes[i] = 0xC0 | UInt8(truncatingIfNeeded: r >> 8) & 0x01   // a pointer
                case 2: bytes[i] = UInt8(truncatingIfNeeded: r >> 8) % 12 // a short label length
                default: bytes[i] = UInt8(truncatingIfNeeded: r >> 8)
                }
            }
            bytes.withUnsafeBytes { raw in
                let message = ByteCursor(raw)
                for offset in stride(from: 0, to: count, by: 7) {
                    line.removeAll()
                    let printed = DNSName.read(in: message, at: offset, into: &line)
                    let skipped = DNSName.skip(in: message, at: offset)
                    XCTAssertEqual(printed, skipped, "offset \(offset) of \(bytes)")
                    if printed == skipped { agreed += 1 }
                    if printed != nil { valid += 1; XCTAssertFalse(line.bytes.contains(UInt8(ascii: "\n"))) }
                }
            }
        }
        XCTAssertGreaterThan(valid, 1_000, "the random names must include valid ones")
        XCTAssertGreaterThan(agreed, 50_000)
    }

    func testTXTStringsAreQuotedAndEscaped() {
        // TAB, LF, CR, NUL, quote, backslash and high bytes inside TXT; an empty string too.
        let bytes = response({ w in
            w.question("txt.example.com", type: 16)
            w.record("txt.example.com", type: 16, ttl: 60) { r in
                let s: [UInt8] = [0x61, 0x09, 0x0A, 0x0D, 0x00, 0x22, 0x5C, 0x7F, 0xFF, 0x20, 0x62]
                r.u8(UInt8(s.count)); r.raw(s); r.u8(0)
            }
        }, an: 1)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/1/0/0 txt.example.com IN TXT 60 \"a\\009\\010\\013\\000\\\"\\\\\\127\\255 b\" \"\""])
    }

    func testCompressedNamesAreFollowed() {
        let bytes = response({ w in
            w.question("example.com", type: 1)
            w.pointer(12); w.recordBody(type: 1, ttl: 300) { r in r.raw([93, 184, 216, 34]) }
        }, an: 1)
        XCTAssertEqual(answerLines(bytes), [responsePrefix + "CR FCE9 00 1/1/0/0 example.com IN A 300 93.184.216.34"])
    }

    // MARK: Malformed messages are counted, never logged

    func testPointerLoopIsMalformed() {
        // A pointer to itself would loop forever in a naive reader.
        var w = DNSWire(id: 3, flags: 0x0100, qd: 1)
        w.pointer(12); w.u16(1); w.u16(1)
        XCTAssertEqual(harness.lines(payload: w.bytes), [])
        XCTAssertEqual(harness.module.statistics.malformed, 1)
    }

    func testForwardPointerIsMalformed() {
        // Pointers must go backwards: a forward pointer is rejected even if it lands on a valid name.
        var w = DNSWire(id: 4, flags: 0x8180, qd: 1, an: 1)
        w.pointer(18); w.u16(1); w.u16(1)
        w.name("example.com"); w.recordBody(type: 1, ttl: 1) { r in r.raw([1, 2, 3, 4]) }
        XCTAssertEqual(harness.lines(payload: w.bytes), [])
        XCTAssertEqual(harness.module.statistics.malformed, 1)
    }

    func testTwoPointersThatCycleAreMalformed() {
        // name at 12: label "a" then pointer to 12+... each pointer must go below the previous target.
        var w = DNSWire(id: 5, flags: 0x0100, qd: 1)
        w.u8(1); w.raw([0x61]); w.pointer(12) // "a" then back to its own start
        w.u16(1); w.u16(1)
        XCTAssertEqual(harness.lines(payload: w.bytes), [])
        XCTAssertEqual(harness.module.statistics.malformed, 1)
    }

    func testTruncatedMessagesAreMalformed() {
        var w = DNSWire(id: 6, flags: 0x8180, qd: 1, an: 1)
        w.question("example.com", type: 1)
        w.record("example.com", type: 1, ttl: 300) { r in r.raw([93, 184, 216, 34]) }
        for cut in 0..<w.bytes.count {
            XCTAssertEqual(harness.lines(payload: Array(w.bytes[0..<cut])), [], "cut at \(cut)")
        }
        XCTAssertEqual(harness.module.statistics.malformed, UInt64(w.bytes.count))
    }

    func testRdataThatDoesNotParseAsItsTypeIsMalformed() {
        // An A record with 5 bytes of rdata.
        let bytes = response({ w in
            w.question("example.com", type: 1)
            w.record("example.com", type: 1, ttl: 300) { r in r.raw([1, 2, 3, 4, 5]) }
        }, an: 1)
        XCTAssertEqual(answerLines(bytes), [])
        XCTAssertEqual(harness.module.statistics.malformed, 1)
    }

    /// Records the line does not show are validated all the same, glue
    /// addresses and OPT included (they take a shorter path than other
    /// types): an A of 5 bytes, an AAAA of 15 or an OPT whose option runs
    /// past its rdata in the additional section makes the message malformed,
    /// while well-formed ones (A of 4, AAAA of 16, an empty OPT) do not.
    func testRecordsOutsideTheLineAreValidatedToo() {
        func withAdditional(_ type: UInt16, _ rdata: [UInt8]) -> [UInt8] {
            response({ w in
                w.question("example.com", type: 1)
                w.pointer(12); w.recordBody(type: 1, ttl: 300) { r in r.raw([93, 184, 216, 34]) }
                w.record("ns.example.com", type: 1, ttl: 300) { r in r.raw([192, 0, 2, 1]) }
                w.record(type == 41 ? "" : "ns.example.com", type: type, cls: type == 41 ? 1232 : 1, ttl: 0) { r in r.raw(rdata) }
            }, an: 1, ar: 2)
        }
        let line = responsePrefix + "CR FCE9 00 1/1/0/2 example.com IN A 300 93.184.216.34"
        XCTAssertEqual(answerLines(withAdditional(1, [192, 0, 2, 2])), [line])
        XCTAssertEqual(answerLines(withAdditional(28, Array(repeating: 1, count: 16))), [line])
        XCTAssertEqual(answerLines(withAdditional(41, [])), [line])
        XCTAssertEqual(answerLines(withAdditional(41, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])), [line], "an OPT with a cookie")
        XCTAssertEqual(harness.module.statistics.malformed, 0)
        XCTAssertEqual(answerLines(withAdditional(1, [192, 0, 2, 2, 0])), [])
        XCTAssertEqual(answerLines(withAdditional(28, Array(repeating: 1, count: 15))), [])
        XCTAssertEqual(answerLines(withAdditional(41, [0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8])), [], "the option runs past the rdata")
        XCTAssertEqual(harness.module.statistics.malformed, 3)
    }

    func testOverlongNameIsMalformed() {
        // 5 labels of 63 bytes exceed the 255-byte limit.
        var w = DNSWire(id: 7, flags: 0x0100, qd: 1)
        w.name(Array(repeating: Array(repeating: UInt8(0x61), count: 63), count: 5))
        w.u16(1); w.u16(1)
        XCTAssertEqual(harness.lines(payload: w.bytes), [])
    }

    // MARK: TCP

    func testTCPSegmentWithSeveralMessagesGivesSeveralLines() {
        var a = DNSWire(id: 0x0A0A, flags: 0x0100, qd: 1); a.question("a.example", type: 1)
        var b = DNSWire(id: 0x0B0B, flags: 0x0100, qd: 1); b.question("b.example", type: 28)
        let lines = harness.lines(payload: a.tcpFramed + b.tcpFramed, transport: .tcp)
        XCTAssertEqual(lines, [prefix + "CQ 0A0A 00 a.example IN A T", prefix + "CQ 0B0B 00 b.example IN AAAA T"])
    }

    func testTCPMessageCutBySegmentEndIsNotLogged() {
        var a = DNSWire(id: 0x0A0A, flags: 0x0100, qd: 1); a.question("a.example", type: 1)
        var b = DNSWire(id: 0x0B0B, flags: 0x0100, qd: 1); b.question("b.example", type: 28)
        let payload = a.tcpFramed + Array(b.tcpFramed.dropLast(3))
        XCTAssertEqual(harness.lines(payload: payload, transport: .tcp), [prefix + "CQ 0A0A 00 a.example IN A T"])
        XCTAssertEqual(harness.module.statistics.tcpIncompleteMessage, 1)
        XCTAssertEqual(harness.lines(payload: [0x00], transport: .tcp), [], "one byte of a length prefix")
        XCTAssertEqual(harness.module.statistics.tcpIncompleteMessage, 2)
        XCTAssertEqual(harness.lines(payload: [], transport: .tcp), [])
        XCTAssertEqual(harness.module.statistics.tcpNoPayload, 1)
    }

    // MARK: Hostile bytes

    func testRandomBytesNeverTrapAndNeverSplitLines() {
        // Deterministic pseudo-random messages: every line produced must be one line of printable ASCII.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var seeded = DNSWire(id: 9, flags: 0x8180, qd: 1, an: 1)
        seeded.question("example.com", type: 16)
        seeded.record("example.com", type: 16, ttl: 1) { r in r.u8(3); r.raw([0x61, 0x62, 0x63]) }
        for i in 0..<20_000 {
            var bytes = seeded.bytes
            let flips = Int(next() % 6) + 1
            for _ in 0..<flips { bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next()) }
            if i % 3 == 0 { bytes = bytes.map { _ in UInt8(truncatingIfNeeded: next()) } }
            for line in harness.lines(payload: bytes, transport: i % 2 == 0 ? .udp : .tcp) {
                XCTAssertTrue(line.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, line)
            }
        }
    }
}
