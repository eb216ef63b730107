import XCTest
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Request lines and finding requests in a segment

final class HTTPRequestTests: HTTPTestCase {
    private let cq = HTTPHarness.cq

    func testEveryStandardMethodIsLogged() {
        // Methods are any token: nothing is special-cased, so every RFC 9110 method must pass.
        for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] {
            XCTAssertEqual(http.request("\(method) /x HTTP/1.1\r\nHost: h\r\n\r\n"), [cq + "\(method) /x HTTP/1.1 h -"], method)
        }
    }

    func testWebDAVMethodsAreLogged() {
        // WebDAV clients (Windows Explorer, davfs) use methods no "known list" would contain.
        for method in ["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH", "MKCALENDAR", "VERSION-CONTROL"] {
            XCTAssertEqual(http.request("\(method) /dav/ HTTP/1.1\r\nHost: dav\r\n\r\n"), [cq + "\(method) /dav/ HTTP/1.1 dav -"], method)
        }
    }

    func testMethodCaseIsKept() {
        // Methods are case-sensitive tokens; `get` is a different (valid) method and is shown as sent.
        XCTAssertEqual(http.request("get / HTTP/1.1\r\n\r\n"), [cq + "get / HTTP/1.1 - -"])
    }

    func testConnectAndAsteriskTargetsAreTargets() {
        // Authority-form and asterisk-form targets are just non-space bytes.
        XCTAssertEqual(http.request("CONNECT example.com:443 HTTP/1.1\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n"),
                       [cq + "CONNECT example.com:443 HTTP/1.1 - -", cq + "OPTIONS * HTTP/1.1 - -"])
    }

    func testPipelinedRequestsInOneSegmentGiveOneLineEach() {
        // Pipelining puts several requests in one packet; each is a line with the same timestamp.
        let segment = "GET /1 HTTP/1.1\r\nHost: a\r\nUser-Agent: p (1)\r\n\r\n"
            + "GET /2 HTTP/1.1\r\nHost: a\r\nUser-Agent: p (2)\r\n\r\n"
            + "HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "GET /4 HTTP/1.1\r\nHost: b\r\n\r\n"
        XCTAssertEqual(http.request(segment), [cq + "GET /1 HTTP/1.1 a p (1)", cq + "GET /2 HTTP/1.1 a p (2)",
                                               cq + "HEAD /3 HTTP/1.1 a -", cq + "GET /4 HTTP/1.1 b -"])
        XCTAssertEqual(http.counter("http-logged"), 4)
    }

    func testPostBodyIsSkippedByContentLengthThenTheNextRequestIsFound() {
        // The body looks like a request line on purpose: only Content-Length may decide where the next message is.
        let body = "GET /trap HTTP/1.1\r\n\r\n"
        let segment = "POST /orders HTTP/1.1\r\nHost: s\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            + "GET /orders/17 HTTP/1.1\r\nHost: s\r\n\r\n"
        XCTAssertEqual(http.request(segment), [cq + "POST /orders HTTP/1.1 s -", cq + "GET /orders/17 HTTP/1.1 s -"])
    }

    func testRequestWithoutLengthHasNoBody() {
        // A request with neither Content-Length nor Transfer-Encoding ends at its header block.
        XCTAssertEqual(http.request("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n").count, 2)
    }

    func testChunkedRequestBodyIsFollowed() {
        // Chunked uploads are followed chunk by chunk like chunked responses.
        let segment = "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n"
        XCTAssertEqual(http.request(segment), [cq + "POST /up HTTP/1.1 - -", cq + "GET /next HTTP/1.1 - -"])
    }

    func testBodyRunningPastTheSegmentStopsTheSearch() {
        // A 20 KB upload spans many segments; the bytes after this segment's end are not looked at.
        XCTAssertEqual(http.request("POST /big HTTP/1.1\r\nContent-Length: 20000\r\n\r\nGET /not-a-request HTTP/1.1\r\n\r\n"),
                       [cq + "POST /big HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-bytes-after-message"), 0)
    }

    func testContentLengthThatIsNotPlainDigitsStopsTheSearch() {
        // `+5`, `5, 5` or `0x10` must not be guessed at: the search stops, the message is still logged.
        for value in ["+5", "5, 5", "0x10", "5 5", ""] {
            var h = HTTPHarness()
            XCTAssertEqual(h.request("POST /p HTTP/1.1\r\nContent-Length: \(value)\r\n\r\nabcdeGET /x HTTP/1.1\r\n\r\n"),
                           [cq + "POST /p HTTP/1.1 - -"], value)
        }
    }

    func testBareLFLineEndsAreAccepted() {
        // Some clients (and the capture's `barelf/1`) end lines with LF only.
        XCTAssertEqual(http.request("GET /item-3.html HTTP/1.1\nHost: lf.demo.test\nUser-Agent: barelf/1\n\nGET /b HTTP/1.0\n\n"),
                       [cq + "GET /item-3.html HTTP/1.1 lf.demo.test barelf/1", cq + "GET /b HTTP/1.0 - -"])
    }

    func testTargetBytesAreEscapedAsAToken() {
        // Targets carry raw UTF-8, \xFF, backslashes and quotes from fuzzers; they must stay one word.
        let good: [UInt8] = Array("GET /na".utf8) + [0xC3, 0xAF] + Array("ve\\dir/".utf8) + [0xFF, 0xFE, 0x1B, 0x7F]
            + Array("?q=\"x\"&t=a\\b HTTP/1.1\r\n\r\n".utf8)
        XCTAssertEqual(http.decode(good), [cq + "GET /na\\195\\175ve\\\\dir/\\255\\254\\027\\127?q=\"x\"&t=a\\\\b HTTP/1.1 - -"])
    }

    // MARK: Not a request

    func testTwoSpacesInTheRequestLineIsNotAMessage() {
        // `GET  / HTTP/1.1` would give an empty target; the grammar has exactly one SP.
        XCTAssertEqual(http.request("GET  / HTTP/1.1\r\n\r\n"), [])
        XCTAssertEqual(http.request("GET /  HTTP/1.1\r\n\r\n"), [])
        XCTAssertEqual(http.request("GET / HTTP/1.1 \r\n\r\n"), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 3)
    }

    func testTabAsSeparatorIsNotAMessage() {
        // A TAB is no separator in HTTP/1.1 (some lax servers accept it; a logger must not).
        XCTAssertEqual(http.request("GET\t/ HTTP/1.1\r\n\r\n"), [])
    }

    func testLowerCaseHTTPVersionIsNotAMessage() {
        // The version name is case-sensitive: `http/1.1` is no HTTP/1.x message.
        XCTAssertEqual(http.request("GET / http/1.1\r\n\r\n"), [])
        XCTAssertEqual(http.response("http/1.1 200 OK\r\n\r\n"), [])
    }

    func testHTTP09RequestIsNotAMessage() {
        // HTTP/0.9 `GET /` has no version; it must not be logged as HTTP/1.x.
        XCTAssertEqual(http.request("GET /\r\n"), [])
        XCTAssertEqual(http.request("GET /index.html\n"), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 2)
    }

    func testVersionMustBeDigitDotDigit() {
        // `HTTP/1.10`, `HTTP/2` and `HTTP/1.x` are not `HTTP/D.D`.
        for version in ["HTTP/1.10", "HTTP/2", "HTTP/1.x", "HTTP/11", "HTTP1.1"] {
            XCTAssertEqual(http.request("GET / \(version)\r\n\r\n"), [], version)
        }
    }

    func testCROnlyLineEndIsNotALineEnd() {
        // A line ends at LF; a lone CR after the version leaves the line unfinished... and wrong.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\r\n\r\n"), [])
    }

    func testBytesAfterACompleteMessageThatAreNoMessageAreCounted() {
        // Garbage after a complete request is not a message and is counted apart from offset-0 misses.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n\r\nxyz\r\n"), [cq + "GET / HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-bytes-after-message"), 1)
        XCTAssertEqual(http.counter("http-no-message-start"), 0)
    }

    func testSegmentWithoutMessageAtOffsetZeroIsCountedAndNotSearched() {
        // A body segment may contain a request line further in; nothing is looked for anywhere but offset 0.
        XCTAssertEqual(http.request("{\"a\":1}\r\nGET / HTTP/1.1\r\n\r\n"), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }

    // MARK: Cut by the segment end

    func testStartLineCutBySegmentEndIsCountedNotLogged() {
        // A request line whose LF is in the next segment is not logged (per-segment rule), but counted.
        for prefix in ["G", "GET", "GET ", "GET /a", "GET /a ", "GET /a HTTP/1", "GET /a HTTP/1.1", "GET /a HTTP/1.1\r", "HTTP/1.1 20", "HTTP/1.1 200 O"] {
            var h = HTTPHarness()
            XCTAssertEqual(h.request(prefix), [], prefix)
            XCTAssertEqual(h.counter("http-cut-start-line"), 1, prefix)
        }
    }

    func testCutStartLineAfterACompleteMessageIsCounted() {
        // The second pipelined request starts in this segment and ends in the next.
        XCTAssertEqual(http.request("GET /1 HTTP/1.1\r\n\r\nGET /2 HT"), [cq + "GET /1 HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-cut-start-line"), 1)
    }

    func testHeaderBlockCutInsideAFieldLineGivesALineWithTheFieldsSoFar() {
        // The capture's split-one case: the User-Agent line is cut, so it does not count; the message is still a line.
        XCTAssertEqual(http.request("GET /split-one.html HTTP/1.1\r\nHost: store.demo.test\r\nUser-Agent: splitter/1."),
                       [cq + "GET /split-one.html HTTP/1.1 store.demo.test -"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 1)
    }

    func testHeaderBlockCutBeforeTheEmptyLineGivesALine() {
        // The split-three case: every field line arrived, only the final empty line is in the next segment.
        XCTAssertEqual(http.request("GET /split-three HTTP/1.1\r\nHost: store.demo.test\r\nUser-Agent: splitter/3.0\r\n"),
                       [cq + "GET /split-three HTTP/1.1 store.demo.test splitter/3.0"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 1)
    }

    func testHeaderBlockCutRightAfterTheStartLineGivesALine() {
        // Only the start line arrived: all fields are `-`, and the message is counted as incomplete.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n"), [cq + "GET / HTTP/1.1 - -"])
        XCTAssertEqual(http.counter("http-incomplete-header-block"), 1)
    }

    func testSecondHalfOfASplitHeaderBlockIsNoMessage() {
        // The continuation segment starts with a field line: no line, counted as no message start.
        XCTAssertEqual(http.request("User-Agent: splitter/3.0\r\n\r\n"), [])
        XCTAssertEqual(http.counter("http-no-message-start"), 1)
    }
}
