import XCTest
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Hostile input: nothing may trap, forge a line or be truncated

final class HTTPHostileInputTests: HTTPTestCase {
    private let cq = HTTPHarness.cq

    func testBinaryGarbageOnPort80GivesNoLineAndNoCrash() {
        // Anything can arrive on port 80 (TLS, scanners, random bytes); it must be counted, never trap.
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            let count = Int(generator.next() % 600)
            let garbage = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = http.decode(garbage)   // the harness checks every line that does appear is printable
        }
        let tlsClientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        XCTAssertEqual(http.decode(tlsClientHello), [])
        XCTAssertEqual(http.counter("http-logged"), 0)
    }

    func testRandomMutationsOfValidMessagesNeverTrap() {
        // Near-valid input walks far deeper into the parser than random bytes do.
        let seed = Array(("POST /p HTTP/1.1\r\nHost: h\r\n x\r\nContent-Length: 3\r\n\r\nabc"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e\r\nhello\r\n0\r\nT: 1\r\n\r\n").utf8)
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x3A, 0x2D, 0x30, 0x46, 0x7F, 0xFF]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<(1 + generator.next() % 4) {
                let at = Int(generator.next() % UInt64(bytes.count))
                bytes[at] = interesting[Int(generator.next() % UInt64(interesting.count))]
            }
            bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
            _ = http.decode(bytes)
        }
    }

    func testEveryPrefixOfAPipelinedSegmentIsSafe() {
        // A segment can end at any byte; each prefix must give a subset of the full segment's lines.
        let full = Array(("GET /1 HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nContent-Length: 4\r\nHost: a\r\n\r\nbody"
            + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n").utf8)
        for cut in 0...full.count {
            let lines = http.decode(Array(full[..<cut]))
            XCTAssertLessThanOrEqual(lines.count, 3, "cut at \(cut)")
        }
    }

    func testHundredKilobyteHeaderLineIsWrittenWhole() {
        // Values are never truncated: a 100 KB User-Agent is one (long) line, and no fixed buffer overflows.
        let agent = String(repeating: "A", count: 100 * 1024)
        let lines = http.request("GET / HTTP/1.1\r\nUser-Agent: \(agent)\r\nHost: h\r\n\r\n")
        XCTAssertEqual(lines, [cq + "GET / HTTP/1.1 h " + agent])
    }

    func testHundredKilobyteTargetAndCutHugeLine() {
        // A huge request line whose LF never comes is a cut start line, not a line.
        let target = "/" + String(repeating: "x", count: 100 * 1024)
        XCTAssertEqual(http.request("GET \(target) HTTP/1.1\r\n\r\n"), [cq + "GET \(target) HTTP/1.1 - -"])
        XCTAssertEqual(http.request("GET \(target)"), [])
        XCTAssertEqual(http.counter("http-cut-start-line"), 1)
    }

    func testMissingLineEndsEntirely() {
        // No LF anywhere: the start line is cut (counted); after a complete start line, the block is incomplete.
        XCTAssertEqual(http.request("GET / HTTP/1.1"), [])
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: never-ends"), [cq + "GET / HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-cut-start-line"), 1)
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 1)
    }

    func testControlAndHighBytesAreEscapedInEveryField() {
        // NUL, ESC, DEL and 0xFF would corrupt terminals and parsers downstream; each becomes \DDD.
        var request = Array("GET /t".utf8) + [0x00, 0x1B, 0x7F, 0xFF] + Array(" HTTP/1.1\r\nHost: h".utf8) + [0x00, 0x1B, 0x7F, 0xFF]
        request += Array("\r\nUser-Agent: probe/3 ".utf8) + [0x00] + Array("nul ".utf8) + [0x1B] + Array("[31mred".utf8) + [0x7F, 0xFF]
        request += Array("\r\n\r\n".utf8)
        XCTAssertEqual(http.decode(request),
                       [cq + "GET /t\\000\\027\\127\\255 HTTP/1.1 h\\000\\027\\127\\255 probe/3 \\000nul \\027[31mred\\127\\255"])
    }

    func testBackslashIsDoubledSoEscapesCannotBeForged() {
        // A literal `\045` sent by a client must not read as an escaped dash in the log.
        XCTAssertEqual(http.request("GET /a\\b HTTP/1.1\r\nHost: \\045\r\nUser-Agent: \\012\r\n\r\n"),
                       [cq + "GET /a\\\\b HTTP/1.1 \\\\045 \\\\012"])
    }

    func testHugeContentLengthDoesNotOverflow() {
        // 2^70 must not wrap into a small skip that lands on attacker-chosen bytes.
        XCTAssertEqual(http.request("POST / HTTP/1.1\r\nContent-Length: 1180591620717411303424\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"),
                       [cq + "POST / HTTP/1.1 - -"])
        XCTAssertEqual(http.request("POST / HTTP/1.1\r\nContent-Length: 18446744073709551617\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"),
                       [cq + "POST / HTTP/1.1 - -"])
    }

    func testHugeOrMalformedChunkSizeStopsTheSearch() {
        // Chunk sizes are hex of any length; a size past the segment or no size at all stops the search.
        for body in ["ffffffffffffffffffffffff\r\nx\r\n", "\r\n", "zz\r\n", "5\r\nhelloXX", "0\r\nTrailer: cut"] {
            var h = HTTPHarness()
            XCTAssertEqual(h.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "HTTP/1.1 204 No Content\r\n\r\n").count, 1, body)
        }
    }

    func testOnlyAnLFOrOnlyCRLFIsNoMessage() {
        // Keep-alive probes and stray line ends are not messages.
        XCTAssertEqual(http.request("\r\n"), [])
        XCTAssertEqual(http.request("\n"), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 2)
    }
}

// MARK: - A small deterministic generator (tests must be reproducible)

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
