import XCTest
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Header fields: which line is a field, which value is used

final class HTTPHeaderFieldTests: HTTPTestCase {
    private let cq = HTTPHarness.cq
    private let cr = HTTPHarness.cr

    func testMissingFieldsAreDash() {
        // `-` is the one spelling of "absent".
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), [cq + "GET / HTTP/1.1 - -"])
        XCTAssertEqual(http.response("HTTP/1.1 204 No Content\r\n\r\n"), [cr + "HTTP/1.1 204 No Content - -"])
    }

    func testEmptyOrBlankValueIsDash() {
        // `Host:` and `Host:   ` say nothing: they print like an absent field.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost:\r\nUser-Agent: \t \r\n\r\n"), [cq + "GET / HTTP/1.1 - -"])
    }

    func testValueThatIsExactlyDashIsWrittenEscaped() {
        // A client sending `User-Agent: -` must not look like one that sent none.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost:  - \r\nUser-Agent: -\r\n\r\n"), [cq + "GET / HTTP/1.1 \\045 \\045"])
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: -\r\n\r\n"), [cr + "HTTP/1.1 200 OK 0 \\045"])
    }

    func testDashInsideAValueIsPlain() {
        // Only the whole value `-` is escaped.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: a-b\r\nUser-Agent: --\r\n\r\n"), [cq + "GET / HTTP/1.1 a-b --"])
    }

    func testLeadingAndTrailingBlanksAreTrimmed() {
        // OWS around a value is not part of it; inner blanks are (TAB escaped, SP kept in free text).
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: \t h \t\r\nUser-Agent:  a \t b  \r\n\r\n"), [cq + "GET / HTTP/1.1 h a \\009 b"])
    }

    func testHeaderNamesCompareCaseInsensitively() {
        // Lower-case (HTTP/2-style) and odd-case names are the same fields.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nhost: lower.demo.test\r\nuSER-aGENT: lowercase/1\r\n\r\n"),
                       [cq + "GET / HTTP/1.1 lower.demo.test lowercase/1"])
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\ncontent-length: 72\r\nCONTENT-TYPE: application/json\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK 72 application/json"])
    }

    func testRepeatedFieldFirstOccurrenceWins() {
        // Request smuggling relies on duplicates; the log shows the first, as the spec fixes.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: first\r\nHOST: second\r\nUser-Agent: ua1\r\nUser-Agent: ua2\r\n\r\n"),
                       [cq + "GET / HTTP/1.1 first ua1"])
    }

    func testRepeatedContentLengthFramesByTheFirst() {
        // The first Content-Length both prints and frames the body.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK 2 -", cr + "HTTP/1.1 204 No Content - -"])
    }

    func testSpaceBeforeColonIsNotAField() {
        // `Host : x` is not a Host field (RFC 9112 5.1 forbids the space); a later proper Host is used.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost : evil\r\nHost: good\r\n\r\n"), [cq + "GET / HTTP/1.1 good -"])
    }

    func testLineWithoutNameOrColonIsNotAField() {
        // `: x`, a bare word and a name with a non-token byte are skipped without ending the block.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n: nobody\r\ngarbage\r\nHo\"st: q\r\nHost: h\r\n\r\n"), [cq + "GET / HTTP/1.1 h -"])
    }

    func testObsFoldJoinsTheLinesWithOneSpace() {
        // An obs-fold (CRLF then SP/HTAB) is one SP, however many blanks surround it.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nUser-Agent: Mozilla/5.0 \r\n   (X11)\r\n\tGecko\r\nHost: h\r\n\r\n"),
                       [cq + "GET / HTTP/1.1 h Mozilla/5.0 (X11) Gecko"])
    }

    func testObsFoldInATokenFieldBecomesAnEscapedSpace() {
        // Host is a token field: the fold's SP is written \032 so the field stays one word.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"), [cq + "GET / HTTP/1.1 a\\032b -"])
    }

    func testObsFoldOfAFieldStartingEmpty() {
        // `Host:` with its value on the continuation line: the leading fold is trimmed away.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost:\r\n folded.test\r\n\r\n"), [cq + "GET / HTTP/1.1 folded.test -"])
    }

    func testObsFoldContinuesOnlyThePreviousField() {
        // A fold after another field belongs to that field; it must not leak into, or forge, Host.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nX-Other: 1\r\n Host: evil\r\nHost: good\r\n\r\n"), [cq + "GET / HTTP/1.1 good -"])
        // A fold of a repeated (ignored) Host does not extend the first one.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n c\r\n\r\n"), [cq + "GET / HTTP/1.1 a -"])
        // A fold right after the start line has no field to continue.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\n Host: evil\r\n\r\n"), [cq + "GET / HTTP/1.1 - -"])
    }

    func testObsFoldInContentLengthStopsTheSearch() {
        // `1\r\n 0` reads `1 0`: no plain digits, so the body cannot be framed.
        XCTAssertEqual(http.response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 0\r\n\r\nxHTTP/1.1 204 No Content\r\n\r\n"),
                       [cr + "HTTP/1.1 200 OK 1\\0320 -"])
    }

    func testBareCRInsideAValueIsEscaped() {
        // A lone CR can make a terminal overwrite the line; it is data, written \013.
        XCTAssertEqual(http.request("GET / HTTP/1.1\r\nUser-Agent: probe/3 nul\rCR-in-value\r\n\r\n"),
                       [cq + "GET / HTTP/1.1 - probe/3 nul\\013CR-in-value"])
    }
}
