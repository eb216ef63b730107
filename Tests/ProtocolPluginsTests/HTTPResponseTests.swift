import XCTest
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Status lines and response framing

final class HTTPResponseTests: HTTPTestCase {
    private let cr = HTTPHarness.cr

    func testStatusLineWithReasonLengthAndType() {
        // The common case: every field present.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 46\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK 46 text/html"])
    }

    func testReasonPhraseKeepsItsSpacesAndPunctuation() {
        // `I'm a teapot, really` is free text: spaces stay spaces.
        XCTAssertEqual(http.response("HTTP/1.1 418 I'm a teapot, really\r\nContent-Length: 16\r\nContent-Type: text/plain\r\n\r\n"),
                       [cr + "HTTP/1.1 418 I'm a teapot, really 16 text/plain"])
    }

    func testMissingReasonWritesNoExtraSpace() {
        // `HTTP/1.1 200` and `HTTP/1.1 200 ` both have an empty reason: never two spaces in a line.
        XCTAssertEqual(http.response("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
                       [cr + "HTTP/1.1 200 0 -", cr + "HTTP/1.1 200 0 -"])
    }

    func testReasonPhraseIsTrimmedAndEscaped() {
        // Blanks around the reason go; a TAB or ESC inside is escaped so the line stays printable.
        XCTAssertEqual(http.response("HTTP/1.1 404  \t Not\tFound\u{1B} \t\r\nContent-Length: 0\r\n\r\n"),
                       [cr + "HTTP/1.1 404 Not\\009Found\\027 0 -"])
    }

    func testStatusCodeMustBeThreeDigitsThenSpaceOrLineEnd() {
        // `2000`, `20` and `20x` are not status codes.
        for line in ["HTTP/1.1 2000 OK", "HTTP/1.1 20 OK", "HTTP/1.1 20x OK", "HTTP/1.1  200 OK", "HTTP/1.1 200\tOK"] {
            var h = HTTPHarness()
            XCTAssertEqual(h.response(line + "\r\n\r\n"), [], line)
        }
    }

    func testChunkedResponseIsFollowedToTheNextResponse() {
        // Chunk extensions, an upper-case size and a trailer field must all be stepped over exactly.
        let segment = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "A;ext=1\r\n0123456789\r\n" + "3 ;x\r\nabc\r\n" + "0\r\nX-Trailer: t\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        XCTAssertEqual(http.response(segment), [cr + "HTTP/1.1 200 OK - text/csv", cr + "HTTP/1.1 404 Not Found 0 -"])
        XCTAssertEqual(http.counter("http-bytes-after-message"), 0)
    }

    func testChunkedWinsOverContentLength() {
        // With both, Transfer-Encoding decides (RFC 9112 6.3); Content-Length is still shown as sent.
        let segment = "HTTP/1.1 200 OK\r\nContent-Length: 999\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
        XCTAssertEqual(http.response(segment), [cr + "HTTP/1.1 200 OK 999 -", cr + "HTTP/1.1 204 No Content - -"])
    }

    func testAFoldedTransferEncodingEndingInChunkedIsChunked() {
        // `gzip,` then ` chunked` on a continuation line is `gzip, chunked`
        // (a fold is one space): it was taken as not chunked, which stopped
        // the search (and, on a stream, lost every later response).
        let body = "5\r\nhello\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n" + body),
                       [cr + "HTTP/1.1 200 OK - -", cr + "HTTP/1.1 204 No Content - -"])
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n \r\n chunked\r\n\r\n" + body),
                       [cr + "HTTP/1.1 200 OK - -", cr + "HTTP/1.1 204 No Content - -"], "blank lines before it")
        // Not chunked: the element is `gzip chunked` (no comma before the fold).
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n chunked\r\n\r\n" + body),
                       [cr + "HTTP/1.1 200 OK - -"])
        // Not chunked: `chunked` is followed by another element on the next line.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n gzip\r\n\r\n" + body),
                       [cr + "HTTP/1.1 200 OK - -"])
    }

    func testOtherTransferEncodingStopsTheSearch() {
        // `chunked, gzip` is not chunked-framed: its end cannot be known, so nothing after it is searched.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK - -"])
    }

    func testChunkedBodyRunningPastTheSegmentStopsTheSearch() {
        // Chunks 40 ms apart arrive in separate segments.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort\r\n"),
                       [cr + "HTTP/1.1 200 OK - -"])
    }

    func testInterimResponseThenFinalResponseInOneSegment() {
        // `100 Continue` has no body even though a Content-Length may follow in the final response.
        XCTAssertEqual(http.response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                       [cr + "HTTP/1.1 100 Continue - -", cr + "HTTP/1.1 200 OK 2 -"])
    }

    func testNoContentAndNotModifiedHaveNoBodyEvenWithContentLength() {
        // A 304 carries the Content-Length of the representation, not of a body: it must not be skipped.
        let segment = "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nContent-Length: 153\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        XCTAssertEqual(http.response(segment), [cr + "HTTP/1.1 204 No Content - -", cr + "HTTP/1.1 304 Not Modified 153 -", cr + "HTTP/1.1 200 OK 0 -"])
    }

    func testResponseWithoutLengthRunsToTheCloseAndStopsTheSearch() {
        // An HTTP/1.0 close-delimited body may look like anything, a status line included.
        XCTAssertEqual(http.response("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nHTTP/1.1 200 fake\r\n\r\n"),
                       [cr + "HTTP/1.0 200 OK - text/html"])
    }

    func testContentLengthIsWrittenAsSentAndContentTypeSpacesAreEscaped() {
        // Leading zeros stay; the space in `text/plain; charset=utf-8` becomes \032 so the field stays one word.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 007\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n1234567"),
                       [cr + "HTTP/1.1 200 OK 007 text/plain;\\032charset=utf-8"])
    }

    func testInvalidContentLengthIsStillWrittenAsSent() {
        // The value is shown even when it cannot frame the body.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 12, 12\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK 12,\\03212 -"])
    }
}
