import XCTest
import PacketlogHost
@testable import ProtocolPlugins
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Harness

/// Feeds hand-built TCP segments through a real `TCPReassembler` into
/// `HTTPModule.decodeStream`, as the host does in its default mode, and
/// returns the lines each packet produced. Client 10.80.1.10#33032, local
/// server 10.80.1.80#80; packet `n` is stamped 2026-11-27 06:37:<29+n>.000 UTC.
struct HTTPStreamHarness {
    static let client = IPAddress(ipv4: 0x0A50_010A)   // 10.80.1.10
    static let server = IPAddress(ipv4: 0x0A50_0150)   // 10.80.1.80
    static let clientISN: UInt32 = 1000
    static let serverISN: UInt32 = 7000

    var module: HTTPModule
    let reassembler: TCPReassembler
    /// Next sequence number per direction (for in-order feeding).
    var clientNext = clientISN &+ 1
    var serverNext = serverISN &+ 1

    /// The module gets the host's per-direction cap, as `ModuleDispatchBuilder` gives it.
    init(limits: TCPReassemblyLimits = TCPReassemblyLimits()) {
        reassembler = TCPReassembler(limits: limits)
        module = try! HTTPModule(options: ModuleOptions(streamBytesPerFlow: limits.maxBytesPerFlow))
    }

    /// The line prefix of a request (client → server) stamped at packet `n`.
    static func cq(_ n: Int) -> String { "2026-11-27 06:37:\(29 + n).000 10.80.1.10#33032 10.80.1.80#80 CQ " }
    /// The line prefix of a response (server → client) stamped at packet `n`.
    static func cr(_ n: Int) -> String { "2026-11-27 06:37:\(29 + n).000 10.80.1.80#80 10.80.1.10#33032 CR " }

    /// The three-way handshake (no lines).
    mutating func handshake() {
        XCTAssertEqual(segment([], toServer: true, seq: Self.clientISN, flags: [.syn], at: 0), [])
        XCTAssertEqual(segment([], toServer: false, seq: Self.serverISN, flags: [.syn, .ack], at: 0), [])
    }

    /// The next in-order client segment, at packet time `n`.
    mutating func request(_ text: String, at n: Int) -> [String] { request(Array(text.utf8), at: n) }
    mutating func request(_ bytes: [UInt8], at n: Int) -> [String] {
        let seq = clientNext
        clientNext &+= UInt32(bytes.count)
        return segment(bytes, toServer: true, seq: seq, at: n)
    }

    /// The next in-order server segment, at packet time `n`.
    mutating func response(_ text: String, at n: Int) -> [String] { response(Array(text.utf8), at: n) }
    mutating func response(_ bytes: [UInt8], at n: Int) -> [String] {
        let seq = serverNext
        serverNext &+= UInt32(bytes.count)
        return segment(bytes, toServer: false, seq: seq, at: n)
    }

    /// One segment with an explicit sequence number (for out-of-order tests).
    mutating func segment(_ payload: [UInt8], toServer: Bool, seq: UInt32, flags: TCPFlags = [.ack, .psh], at n: Int) -> [String] {
        var emitter = LineEmitter(capacity: 64 * 1024)
        defer { emitter.deallocate() }
        payload.withUnsafeBytes { bytes in
            let packet = PacketContext(time: PacketTime(seconds: 1_795_761_449 + Int64(n), nanoseconds: 0),
                                       source: toServer ? Self.client : Self.server,
                                       destination: toServer ? Self.server : Self.client,
                                       sourcePort: toServer ? 33032 : 80, destinationPort: toServer ? 80 : 33032,
                                       transport: .tcp, tcpFlags: flags, tcpSequence: seq,
                                       sourceIsLocal: !toServer, destinationIsLocal: toServer, payload: bytes)
            guard module.wants(packet) else { return }
            // As the host's ModuleRunner does.
            reassembler.process(packet) { stream in
                var segment = packet
                segment.streamStart = reassembler.deliversStreamStart
                return module.decodeStream(segment, stream: stream, into: &emitter)
            }
        }
        return emitter.records.map { record in
            let bytes = emitter.buffer.bytes(from: record.start, to: record.end)
            XCTAssertEqual(bytes.last, UInt8(ascii: "\n"), "a line ends with exactly one LF")
            XCTAssertTrue(bytes.dropLast().allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "a line holds only 0x20–0x7E")
            return String(decoding: bytes.dropLast(), as: UTF8.self)
        }
    }

    /// A counter by its statistics name.
    func counter(_ name: String) -> UInt64 {
        module.counters.first { $0.name == name }?.value ?? .max
    }
}

/// Sets `TZ=UTC` so the expected times do not depend on the machine.
class HTTPStreamTestCase: XCTestCase {
    var http = HTTPStreamHarness()
    typealias H = HTTPStreamHarness
    override func setUp() {
        super.setUp()
        setenv("TZ", "UTC", 1)
        tzset()
        http = HTTPStreamHarness()
        http.handshake()
    }
}

// MARK: - Header blocks across segments

final class HTTPStreamHeaderBlockTests: HTTPStreamTestCase {
    func testModuleReadsTCPStreams() {
        XCTAssertTrue(HTTPModule.readsTCPStreams)
    }

    func testHeaderBlockSplitAcrossTwoSegmentsIsOneCompleteLineAtTheCompletingPacket() {
        // The capture's split inside the User-Agent line: per segment this was a
        // partial line with User-Agent `-`; over the stream it must be whole.
        XCTAssertEqual(http.request("GET /a HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: Mozil", at: 1), [])
        XCTAssertEqual(http.request("la/5.0 (X11)\r\nAccept: */*\r\n\r\n", at: 2),
                       [H.cq(2) + "GET /a HTTP/1.1 shop.test Mozilla/5.0 (X11)"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 0)
    }

    func testHeaderBlockSplitAcrossThreeSegmentsIsOneLineAtTheLastPacket() {
        // Splits right after the Host line and right before the final empty line.
        XCTAssertEqual(http.request("GET /b HTTP/1.1\r\nHost: shop.test\r\n", at: 1), [])
        XCTAssertEqual(http.request("User-Agent: curl/7.88.1\r\n", at: 2), [])
        XCTAssertEqual(http.request("\r\n", at: 3), [H.cq(3) + "GET /b HTTP/1.1 shop.test curl/7.88.1"])
    }

    func testEmptyLineSplitBetweenItsCRAndLFWaitsForTheLF() {
        // A CR alone is not yet a line end: the block completes only with the LF.
        XCTAssertEqual(http.request("GET /c HTTP/1.1\r\nHost: h\r\n\r", at: 1), [])
        XCTAssertEqual(http.request("\n", at: 2), [H.cq(2) + "GET /c HTTP/1.1 h -"])
    }

    func testRequestSplitInsideTheRequestLineIsLoggedWhenTheBlockCompletes() {
        // Per segment a cut start line is no line at all; the stream waits for it.
        XCTAssertEqual(http.request("GET /inde", at: 1), [])
        XCTAssertEqual(http.request("x.html HT", at: 2), [])
        XCTAssertEqual(http.request("TP/1.1\r\nHost: h\r\n\r\n", at: 3), [H.cq(3) + "GET /index.html HTTP/1.1 h -"])
        XCTAssertEqual(http.counter("http-cut-start-line"), 0)
    }

    func testStatusLineSplitInsideTheReasonPhraseIsLoggedWhole() {
        _ = http.request("GET / HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 418 I'm a tea", at: 2), [])
        XCTAssertEqual(http.response("pot, really\r\nContent-Length: 0\r\n\r\n", at: 3),
                       [H.cr(3) + "HTTP/1.1 418 I'm a teapot, really 0 -"])
    }

    func testPipelinedRequestsAcrossSegmentBoundariesAreLoggedInStreamOrder() {
        // Message boundaries fall anywhere inside segments, not at their starts.
        XCTAssertEqual(http.request("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HT", at: 1), [H.cq(1) + "GET /1 HTTP/1.1 h -"])
        XCTAssertEqual(http.request("TP/1.1\r\nHost: h\r\n\r\nHEAD /3 HTTP/1.1\r\n\r\nPOST /4 HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", at: 2),
                       [H.cq(2) + "GET /2 HTTP/1.1 h -", H.cq(2) + "HEAD /3 HTTP/1.1 - -", H.cq(2) + "POST /4 HTTP/1.1 - -"])
        XCTAssertEqual(http.request("cGET /5 HTTP/1.1\r\n\r\n", at: 3), [H.cq(3) + "GET /5 HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("CQ"), 5)
    }

    func testOutOfOrderSegmentsGiveTheLineWhenTheGapIsFilled() {
        // The second half arrives first: nothing until the first half fills
        // the gap, then one line stamped with the packet that filled it.
        let first = Array("GET /ooo HTTP/1.1\r\nHost: h\r\nUser-Agent: a".utf8)
        let second = Array("gent/1\r\n\r\nGET /next HTTP/1.1\r\n\r\n".utf8)
        let start = H.clientISN &+ 1
        XCTAssertEqual(http.segment(second, toServer: true, seq: start &+ UInt32(first.count), at: 1), [])
        XCTAssertEqual(http.segment(first, toServer: true, seq: start, at: 2),
                       [H.cq(2) + "GET /ooo HTTP/1.1 h agent/1", H.cq(2) + "GET /next HTTP/1.1 - -"])
        // A retransmission of either half repeats nothing.
        XCTAssertEqual(http.segment(first, toServer: true, seq: start, at: 3), [])
        XCTAssertEqual(http.segment(second, toServer: true, seq: start &+ UInt32(first.count), at: 3), [])
    }

    func testUnfinishedHeaderBlockAtTheFINIsNotLogged() {
        // The stream rule never logs a block it did not see complete (below the cap):
        // the host counts the bytes as discarded.
        XCTAssertEqual(http.request("GET /x HTTP/1.1\r\nHost: h\r\n", at: 1), [])
        let seq = http.clientNext
        XCTAssertEqual(http.segment([], toServer: true, seq: seq, flags: [.fin, .ack], at: 2), [])
        http.reassembler.finishAll()
        XCTAssertEqual(http.reassembler.statistics.endedByFIN, 1)
        XCTAssertEqual(http.reassembler.statistics.unfinishedStreams, 1)
        XCTAssertGreaterThan(http.reassembler.statistics.discardedBytes, 0)
        XCTAssertEqual(http.counter("http-logged"), 0)
    }
}

// MARK: - Bodies across segments

final class HTTPStreamBodyTests: HTTPStreamTestCase {
    /// Bytes that would be a message if a body were not skipped.
    static let decoy = "HTTP/1.1 200 DECOY\r\nContent-Length: 0\r\n\r\n"

    func testContentLengthBodySpanningSegmentsIsSkippedThenTheNextResponseIsLogged() {
        // The body is skipped by the host as it arrives, never buffered, and
        // a body that looks like a message is not one.
        _ = http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 1)
        let body = Self.decoy + String(repeating: "x", count: 3000 - Self.decoy.utf8.count)
        let all = Array(("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\nContent-Type: text/plain\r\n\r\n" + body
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").utf8)
        let head = all.count - 3000 - 45
        XCTAssertEqual(http.response(Array(all[0..<(head + 10)]), at: 2), [H.cr(2) + "HTTP/1.1 200 OK 3000 text/plain"])
        XCTAssertEqual(http.response(Array(all[(head + 10)..<(head + 1500)]), at: 3), [])
        XCTAssertEqual(http.response(Array(all[(head + 1500)..<(head + 2990)]), at: 4), [])
        XCTAssertEqual(http.response(Array(all[(head + 2990)...]), at: 5), [H.cr(5) + "HTTP/1.1 404 Not Found 0 -"])
        XCTAssertEqual(http.counter("CR"), 2)
        XCTAssertEqual(http.counter("http-no-message-start"), 0)
    }

    func testChunkedBodySpanningSegmentsIsFollowedToTheNextResponse() {
        // Splits inside a chunk-size line, inside chunk data, between data and
        // its CRLF, and inside the trailer: each resumes where the last call stopped.
        _ = http.request("GET /csv HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/csv\r\n\r\n1", at: 2),
                       [H.cr(2) + "HTTP/1.1 200 OK - text/csv"])
        XCTAssertEqual(http.response("a\r\n" + String(repeating: "y", count: 10), at: 3), [])
        XCTAssertEqual(http.response(String(repeating: "z", count: 16), at: 4), [])
        XCTAssertEqual(http.response("\r", at: 5), [])
        XCTAssertEqual(http.response("\n29;ext=1\r\n" + Self.decoy, at: 6), [])
        XCTAssertEqual(http.response("\r\n0\r\nX-Trailer: 1\r", at: 7), [])
        XCTAssertEqual(http.response("\n\r\nHTTP/1.1 204 No Content\r\n\r\n", at: 8), [H.cr(8) + "HTTP/1.1 204 No Content - -"])
        XCTAssertEqual(http.counter("CR"), 2)
        XCTAssertEqual(http.counter("http-no-message-start"), 0)
    }

    func testChunkLargerThanTheReassemblyCapIsSkippedNotHeld() {
        // A 1 MiB chunk would end the direction at the host's 256 KiB cap if it were held.
        _ = http.request("GET /big HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n", at: 2).count, 1)
        let piece = [UInt8](repeating: 0x41, count: 64 * 1024)
        for _ in 0..<16 { XCTAssertEqual(http.response(piece, at: 3), []) }
        XCTAssertEqual(http.response("\r\n0\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n", at: 4), [H.cr(4) + "HTTP/1.1 304 Not Modified - -"])
        XCTAssertEqual(http.reassembler.statistics.evictedByByteCap, 0)
    }

    func testInterimResponseThenFinalResponseAreTwoLines() {
        // 1xx has no body: the final response follows at once, in the same or a later segment.
        _ = http.request("POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 O", at: 2), [H.cr(2) + "HTTP/1.1 100 Continue - -"])
        XCTAssertEqual(http.request("ok", at: 3), [])
        XCTAssertEqual(http.response("K\r\nContent-Length: 2\r\n\r\nok", at: 4), [H.cr(4) + "HTTP/1.1 200 OK 2 -"])
        XCTAssertEqual(http.counter("CR"), 2)
    }

    func testResponseToHEADHasNoBodyDespiteItsContentLength() {
        // Skipping a HEAD response's Content-Length would swallow the next
        // pipelined response (the capture's GET, GET, HEAD, GET case).
        _ = http.request("GET /1 HTTP/1.1\r\n\r\nHEAD /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", at: 2), [H.cr(2) + "HTTP/1.1 200 OK 4 -"])
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 29\r\nContent-Type: text/css\r\n\r\n", at: 3),
                       [H.cr(3) + "HTTP/1.1 200 OK 29 text/css"])
        XCTAssertEqual(http.response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", at: 4), [H.cr(4) + "HTTP/1.1 404 Not Found 0 -"])
        XCTAssertTrue(http.module.pendingRequests.entries.isEmpty, "no state is kept once every request is answered")
    }

    func testCloseDelimitedResponseSkipsTheRestOfTheStream() {
        // Without Content-Length or chunked the body runs to the close: nothing
        // in it is a message, however it looks.
        _ = http.request("GET / HTTP/1.0\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", at: 2), [H.cr(2) + "HTTP/1.0 200 OK - text/html"])
        XCTAssertEqual(http.response(Self.decoy, at: 3), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 0, "a close-delimited body is no error")
    }

    func testByteBySegmentStreamGivesTheSameLinesAsOneSegment() {
        // The worst segmentation (every byte its own packet) must find the
        // same messages as one big segment: no state lost between calls.
        let conversation = "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nabcde\r\n4;x=y\r\n" + "HTTP" + "\r\n0\r\nT: v\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nHTTP/1."
            + "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        let expectedTail = ["HTTP/1.1 100 Continue - -", "HTTP/1.1 200 OK - -", "HTTP/1.1 200 OK 7 -",
                            "HTTP/1.1 500 Internal Server Error 0 text/plain;\\032charset=utf-8"]
        _ = http.request("POST / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", at: 1)
        var whole = HTTPStreamHarness()
        whole.handshake()
        _ = whole.request("POST / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(whole.response(conversation, at: 2), expectedTail.map { H.cr(2) + $0 })
        var lines: [String] = []
        for byte in conversation.utf8 { lines += http.response([byte], at: 2) }
        XCTAssertEqual(lines, expectedTail.map { H.cr(2) + $0 })
    }
}

// MARK: - Caps and garbage

// MARK: - The same bytes, however they were cut into segments

/// Where a direction was consumed up to — a message boundary or inside
/// chunked framing — was guessed from the next call's first byte, so a
/// segment boundary decided what the bytes after it were.
final class HTTPStreamSegmentationTests: HTTPStreamTestCase {
    func testALineEndWhereAMessageMustBeginStopsTheDirectionInAnySegment() {
        // Split after a complete POST, `\r\n0\r\n\r\n` was taken for the
        // end of a chunked body and the request behind it logged (a server
        // answers 400 to those bytes; in one segment they already stopped).
        XCTAssertEqual(http.request("POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", at: 1).count, 1)
        XCTAssertEqual(http.request("\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n", at: 2), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testTheSameBytesInOneSegmentStopAlike() {
        XCTAssertEqual(http.request("POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n", at: 1).count, 1)
    }

    func testChunkDataEndingASegmentMustBeFollowedByItsLineEnd() {
        // The next segment without the CRLF after the chunk's data was read
        // as a message start: a response logged from inside a body.
        _ = http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", at: 2).count, 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 FORGED\r\nContent-Length: 0\r\n\r\n", at: 3), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testAChunkSpanningSeveralSegmentsKeepsTheRecordOfWhereItEnds() {
        // Segments wholly inside skipped data reach the module as empty
        // calls; one dropped the record, and the next segment without the
        // chunk's line end was read as a response again.
        _ = http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 1)
        let data = [UInt8](repeating: UInt8(ascii: "x"), count: 3000)
        XCTAssertEqual(http.response(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nBB8\r\n".utf8) + data[..<100], at: 2).count, 1)
        XCTAssertEqual(http.response(Array(data[100..<1500]), at: 2), [])
        XCTAssertEqual(http.response(Array(data[1500...]), at: 2), [])
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", at: 3), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testABodySpanningSeveralSegmentsEndsAtAMessageBoundary() {
        // The same for a Content-Length body: the bytes after it must be a
        // message start, a line end there is none.
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 3000)
        XCTAssertEqual(http.request(Array("POST /p HTTP/1.1\r\nContent-Length: 3000\r\n\r\n".utf8) + body[..<1000], at: 1).count, 1)
        XCTAssertEqual(http.request(Array(body[1000..<2000]), at: 1), [])
        XCTAssertEqual(http.request(Array(body[2000...]), at: 1), [])
        XCTAssertEqual(http.request("\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n", at: 2), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testChunkedFramingCutAnywhereStillFindsTheNextResponse() {
        // Every cut of a chunked response followed by another: the same two lines.
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nA;x=1\r\n0123456789\r\n0\r\nT: t\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            var harness = HTTPStreamHarness()
            harness.handshake()
            _ = harness.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 1)
            let lines = harness.response(Array(bytes[..<cut]), at: 2) + harness.response(Array(bytes[cut...]), at: 2)
            XCTAssertEqual(lines, [H.cr(2) + "HTTP/1.1 200 OK - -", H.cr(2) + "HTTP/1.1 404 Not Found 0 -"], "cut at \(cut)")
        }
    }
}

// MARK: - A new connection on the same addresses and ports

/// The module's one piece of per-connection state, which requests are HEAD,
/// must not outlive the connection: busy proxies reuse a client port for
/// the same server soon, and a request left unanswered (a reset, a 101
/// upgrade) made the next connection's responses framed wrongly.
final class HTTPStreamConnectionReuseTests: HTTPStreamTestCase {
    /// The server resets the connection; a new one starts on the same ports.
    func reconnect() {
        _ = http.segment([], toServer: false, seq: http.serverNext, flags: [.rst], at: 2)
        _ = http.segment([], toServer: true, seq: 50_000, flags: [.syn], at: 3)
        _ = http.segment([], toServer: false, seq: 90_000, flags: [.syn, .ack], at: 3)
        http.clientNext = 50_001
        http.serverNext = 90_001
    }

    func testAHEADLeftUnansweredDoesNotTakeTheNextConnectionsBody() {
        // Its body was read as a message start: the next response was lost.
        XCTAssertEqual(http.request("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n", at: 1).count, 1)
        reconnect()
        XCTAssertEqual(http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 4).count, 2)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", at: 5),
                       [H.cr(5) + "HTTP/1.1 200 OK 5 -", H.cr(5) + "HTTP/1.1 404 Not Found 0 -"])
    }

    func testABodyThatLooksLikeAResponseIsNotLoggedAsOne() {
        // A body (TRACE, message/http) holding a response: logged as a line of its own.
        _ = http.request("HEAD /x HTTP/1.1\r\n\r\n", at: 1)
        reconnect()
        _ = http.request("GET /a HTTP/1.1\r\n\r\n", at: 4)
        let body = "HTTP/1.1 200 FORGED\r\nContent-Length: 0\r\n\r\n"
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body, at: 5),
                       [H.cr(5) + "HTTP/1.1 200 OK \(body.utf8.count) -"])
    }

    func testAnUpgradedConnectionsRequestDoesNotFrameTheNextConnectionsHEAD() {
        // The 101's request stayed "unanswered": the next connection's HEAD
        // response was framed by its Content-Length, swallowing the next one.
        _ = http.request("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 101 Switching Protocols\r\n\r\n", at: 1).count, 1)
        reconnect()
        _ = http.request("HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 4)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", at: 5),
                       [H.cr(5) + "HTTP/1.1 200 OK 40 -", H.cr(5) + "HTTP/1.1 404 Not Found 0 -"])
    }

    func testADirectionRestartedAfterIdlingIsTheSameConnection() {
        // The client direction, idle past the timeout (120 s), starts again
        // without a SYN: the connection goes on, and its HEAD is still
        // unanswered (forgetting it swallowed the next response as a body).
        _ = http.request("HEAD /a HTTP/1.1\r\n\r\n", at: 1)
        _ = http.request("GET /b HTTP/1.1\r\n\r\n", at: 130)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", at: 131),
                       ["2026-11-27 06:39:40.000 10.80.1.80#80 10.80.1.10#33032 CR HTTP/1.1 200 OK 40 -",
                        "2026-11-27 06:39:40.000 10.80.1.80#80 10.80.1.10#33032 CR HTTP/1.1 404 Not Found 0 -"])
        XCTAssertEqual(http.reassembler.statistics.endedByIdle, 2, "both directions idled out and were restarted without a SYN")
    }

    func testPipelinedHEADOnOneConnectionStillFramesItsResponse() {
        // The fresh start is per connection, not per segment: a HEAD whose
        // response comes in a later segment of the same connection is kept.
        _ = http.request("HEAD /a HTTP/1.1\r\n\r\n", at: 1)
        _ = http.request("GET /b HTTP/1.1\r\n\r\n", at: 2)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", at: 3),
                       [H.cr(3) + "HTTP/1.1 200 OK 40 -", H.cr(3) + "HTTP/1.1 404 Not Found 0 -"])
    }
}

/// The module waits for an element at most as long as the host holds a
/// direction's bytes: these run with `tcp_max_bytes_per_flow = 65536`.
final class HTTPStreamLimitTests: HTTPStreamTestCase {
    override func setUp() {
        super.setUp()
        var limits = TCPReassemblyLimits()
        limits.maxBytesPerFlow = 64 * 1024
        http = HTTPStreamHarness(limits: limits)
        http.handshake()
    }

    func testALongHeaderBlockWithinTheHostsCapIsLoggedWholeAcrossSegments() {
        // A 70 KB Cookie in 1,400-byte segments: the module gave up at a
        // 64 KiB constant of its own, logged the request without its Host
        // and User-Agent and lost the next request, while in one segment
        // it was whole. Now the cap is the host's (256 KiB by default).
        var http = HTTPStreamHarness()
        http.handshake()
        let text = "GET /big HTTP/1.1\r\nCookie: " + String(repeating: "a", count: 70_000) + "\r\nHost: h\r\nUser-Agent: ua\r\n\r\n"
            + "GET /next HTTP/1.1\r\n\r\n"
        let bytes = Array(text.utf8)
        var lines: [String] = []
        for start in stride(from: 0, to: bytes.count, by: 1400) {
            lines += http.request(Array(bytes[start..<min(start + 1400, bytes.count)]), at: 1)
        }
        XCTAssertEqual(lines, [H.cq(1) + "GET /big HTTP/1.1 h ua", H.cq(1) + "GET /next HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 0)
    }
    func testHeaderBlockThatNeverCompletesIsLoggedPartiallyAtTheCapAndTheRestSkipped() {
        // A peer that never ends its header block must not make the module
        // buffer forever: past 64 KiB the fields found so far are logged once.
        XCTAssertEqual(http.request("GET /slow HTTP/1.1\r\nHost: h\r\n", at: 1), [])
        let filler = Array(String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 20).utf8)
        var lines: [String] = []
        var sent = 0
        while sent < 200 * 1024 {
            lines += http.request(filler, at: 2)
            sent += filler.count
        }
        XCTAssertEqual(lines, [H.cq(2) + "GET /slow HTTP/1.1 h -"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 1)
        XCTAssertEqual(http.request("User-Agent: late\r\n\r\nGET /after HTTP/1.1\r\n\r\n", at: 3), [], "the rest of the stream is skipped")
        // Bounded memory: the skipped bytes were never held by the host.
        XCTAssertEqual(http.reassembler.statistics.evictedByByteCap, 0)
        http.reassembler.finishAll()
        XCTAssertEqual(http.reassembler.statistics.discardedBytes, 0)
    }

    func testHeaderBlockSentAByteAPacketIsScannedOnlyOnceUpToTheCap() {
        // 66 K one-byte segments: a full re-parse per byte would be ~2·10⁹ byte
        // reads (minutes in debug); the waiting record makes each call scan only new bytes.
        XCTAssertEqual(http.request("GET /drip HTTP/1.1\r\nHost: h\r\n", at: 1), [])
        let line = Array("X-Filler: 0123456789012345678901234567890123456789\r\n".utf8)
        var lines: [String] = []
        let started = Date()
        for n in 0..<(66 * 1024) { lines += http.request([line[n % line.count]], at: 2) }
        XCTAssertEqual(lines, [H.cq(2) + "GET /drip HTTP/1.1 h -"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "quadratic re-scanning is back")
        XCTAssertTrue(http.module.waiting.entries.isEmpty, "the record goes when the wait ends")
    }

    func testWaitRecordIsNotTrustedWhenAGapFillBringsHeldBytes() {
        // The filling packet does not end the stream, so its sequence does not
        // match the record: a full parse must still find the empty line in the held bytes.
        let parts = ["GET /gap HTTP/1.1\r\nHost: h\r\n", "User-Agent: u\r\n", "\r\n"].map { Array($0.utf8) }
        let start = H.clientISN &+ 1
        XCTAssertEqual(http.segment(parts[0], toServer: true, seq: start, at: 1), [])
        XCTAssertEqual(http.module.waiting.entries.count, 1)
        XCTAssertEqual(http.segment(parts[2], toServer: true, seq: start &+ UInt32(parts[0].count + parts[1].count), at: 2), [])
        XCTAssertEqual(http.segment(parts[1], toServer: true, seq: start &+ UInt32(parts[0].count), at: 3),
                       [H.cq(3) + "GET /gap HTTP/1.1 h u"])
        XCTAssertTrue(http.module.waiting.entries.isEmpty)
    }

    func testStartLineThatNeverEndsIsCountedAtTheCap() {
        // A 100 KiB target with no LF: no line (no start line), counted, skipped.
        XCTAssertEqual(http.request("GET /", at: 1), [])
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 8 * 1024)
        for _ in 0..<13 { XCTAssertEqual(http.request(piece, at: 2), []) }
        XCTAssertEqual(http.counter("http-cut-start-line"), 1)
        XCTAssertEqual(http.counter("http-logged"), 0)
        http.reassembler.finishAll()
        XCTAssertEqual(http.reassembler.statistics.discardedBytes, 0)
    }

    func testGarbageStreamGivesNoLineAndIsCountedOnce() {
        // TLS on port 80: not a start line, so the whole direction is
        // skipped — a later "request" inside it is not looked for.
        let clientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        XCTAssertEqual(http.request(clientHello, at: 1), [])
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n\r\n", at: 2), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
        XCTAssertEqual(http.counter("http-logged"), 0)
    }

    func testTextThatIsNoStartLineIsGarbageToo() {
        // HTTP/0.9 and lower-case versions are no messages in the spec: same as binary.
        XCTAssertEqual(http.request("GET /old\r\n\r\nGET / HTTP/1.1\r\n\r\n", at: 1), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testGarbageAfterAMessageSkipsTheRestOfTheStream() {
        // A wrong Content-Length desynchronises the stream: one line, then counted.
        XCTAssertEqual(http.request("POST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}}\r\nGET / HTTP/1.1\r\n\r\n", at: 1),
                       [H.cq(1) + "POST /p HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
        XCTAssertEqual(http.request("GET /later HTTP/1.1\r\n\r\n", at: 2), [])
    }

    func testMalformedChunkFramingIsCountedAndSkipsTheRest() {
        // A chunk whose data is not followed by CRLF: framing lost, nothing after it trusted.
        _ = http.request("GET / HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n", at: 2).count, 1)
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\n\r\n", at: 3), [])
    }

    func testAChunkSizeLineArrivingAloneIsNeverReadAsARequestLine() {
        // Regression: headers in one segment and the body in the next is the
        // usual case; the call after the headers started on the chunk-size
        // line, which a server could shape as `5 /admin HTTP/1.1` to forge a
        // request line (a digit is a method character).
        _ = http.request("GET / HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", at: 2),
                       [H.cr(2) + "HTTP/1.1 200 OK - -"])
        XCTAssertEqual(http.response("5 /admin HTTP/1.1\r\nHost: bank.example\r\n\r\n", at: 3), [], "no forged line")
        XCTAssertEqual(http.counter("SQ") + http.counter("CQ"), 1, "only the real request")
    }

    func testAChunkedBodyWhoseSizeLineArrivesAloneIsStillFollowed() {
        // The same split with a well-formed body: the next response is found.
        _ = http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", at: 1)
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", at: 2).count, 1)
        XCTAssertEqual(http.response("5\r\nhello\r\n", at: 3), [])
        XCTAssertEqual(http.response("0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", at: 4), [H.cr(4) + "HTTP/1.1 204 No Content - -"])
        XCTAssertEqual(http.counter("http-no-message-start"), 0)
    }

    func testChunkFramingWhereAMessageMustBeginIsCountedNotSkipped() {
        // A request without a body is followed by a message start or nothing:
        // bytes shaped like the end of a chunked body are not skipped to
        // reach the request behind them.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n", at: 1),
                       [H.cq(1) + "GET / HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    func testPendingHEADTableIsBounded() {
        // Requests whose responses never come must not grow the table without limit.
        var module = try! HTTPModule(options: ModuleOptions())
        for i in 0..<(HTTPPendingRequests.capacity + 100) {
            var key = TCPFlowKey(PacketContext(time: PacketTime(seconds: 0, nanoseconds: 0), source: H.client, destination: H.server,
                                               sourcePort: 1, destinationPort: 80, transport: .tcp, payload: UnsafeRawBufferPointer(start: nil, count: 0)))
            key.sourcePort = UInt16(truncatingIfNeeded: i)
            key.source = IPAddress(ipv4: UInt32(i >> 16))
            module.pendingRequests.requestSeen(key, isHEAD: true)
        }
        XCTAssertEqual(module.pendingRequests.entries.count, HTTPPendingRequests.capacity)
    }
}
