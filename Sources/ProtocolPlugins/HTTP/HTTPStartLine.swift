// MARK: - HTTPStartLine

/// A request line or a status line, as offsets into the segment payload.
enum HTTPStartLine {
    /// `<method> SP <target> SP HTTP/D.D`
    case request(method: Range<Int>, target: Range<Int>, version: Range<Int>)
    /// `HTTP/D.D SP DDD[ SP <reason>]`; `reason` is already trimmed (may be empty).
    case status(version: Range<Int>, code: HTTPStatusCode, reason: Range<Int>)

    var isResponse: Bool {
        if case .status = self { return true }
        return false
    }
}

/// What was found where a message must begin.
enum HTTPStartLineParse {
    /// A complete start line; `next` is the offset just after its LF.
    case found(HTTPStartLine, next: Int)
    /// The bytes up to the segment end are a valid beginning of a start line,
    /// but its LF is not inside the segment.
    case cut
    /// Not a start line (any other text, two spaces, HTTP/0.9, `http/`...).
    case notAMessage
}

// MARK: - Parser

/// Reads a start line at `start` byte by byte: it stops at the first byte the
/// grammar rejects, so a binary body costs a few byte reads, never a search.
enum HTTPStartLineParser {
    private static let httpSlash: StaticString = "HTTP/"

    static func parse(_ bytes: UnsafeRawBufferPointer, at start: Int) -> HTTPStartLineParse {
        guard start >= 0, start < bytes.count else { return .notAMessage }
        // A status line starts with `HTTP/`; `/` is no tchar, so no method does.
        switch matchPrefix(httpSlash, in: bytes, at: start) {
        case .matched: return parseStatusLine(bytes, at: start)
        case .ranOut: return .cut
        case .differs: return parseRequestLine(bytes, at: start)
        }
    }

    // MARK: Request line

    private static func parseRequestLine(_ bytes: UnsafeRawBufferPointer, at start: Int) -> HTTPStartLineParse {
        let end = bytes.count
        var i = start
        while i < end, HTTPByte.isTokenChar(bytes[i]) { i &+= 1 }
        let method = start..<i
        if method.isEmpty { return .notAMessage }
        guard i < end else { return .cut }
        guard bytes[i] == HTTPByte.space else { return .notAMessage }
        i &+= 1
        let targetStart = i
        while i < end, bytes[i] != HTTPByte.space, bytes[i] != HTTPByte.lf { i &+= 1 }
        guard i < end else { return .cut }
        // An empty target is two spaces; an LF here is HTTP/0.9 (no version).
        guard i > targetStart, bytes[i] == HTTPByte.space else { return .notAMessage }
        let target = targetStart..<i
        i &+= 1
        switch matchVersion(bytes, at: i) {
        case .differs: return .notAMessage
        case .ranOut: return .cut
        case .matched: break
        }
        let version = i..<(i &+ 8)
        i &+= 8
        switch matchLineEnd(bytes, at: i) {
        case .differs: return .notAMessage
        case .ranOut: return .cut
        case .matched(let next):
            return .found(.request(method: method, target: target, version: version), next: next)
        }
    }

    // MARK: Status line

    private static func parseStatusLine(_ bytes: UnsafeRawBufferPointer, at start: Int) -> HTTPStartLineParse {
        let end = bytes.count
        switch matchVersion(bytes, at: start) {
        case .differs: return .notAMessage
        case .ranOut: return .cut
        case .matched: break
        }
        let version = start..<(start &+ 8)
        var i = start &+ 8
        guard i < end else { return .cut }
        guard bytes[i] == HTTPByte.space else { return .notAMessage }
        i &+= 1
        var code: UInt16 = 0
        for _ in 0..<3 {
            guard i < end else { return .cut }
            guard HTTPByte.isDigit(bytes[i]) else { return .notAMessage }
            code = code &* 10 &+ UInt16(bytes[i] &- 0x30)
            i &+= 1
        }
        let status = HTTPStatusCode(rawValue: code)
        guard i < end else { return .cut }
        if bytes[i] != HTTPByte.space {
            switch matchLineEnd(bytes, at: i) {
            case .differs: return .notAMessage
            case .ranOut: return .cut
            case .matched(let next): return .found(.status(version: version, code: status, reason: i..<i), next: next)
            }
        }
        // SP and a reason phrase: everything up to the end of the line, trimmed.
        let reasonStart = i &+ 1
        guard let lf = bytes.indexOfLineFeed(from: reasonStart) else { return .cut }
        var low = reasonStart
        var high = bytes.lineTextEnd(lineStart: reasonStart, lineFeed: lf)
        while low < high, HTTPByte.isBlank(bytes[low]) { low &+= 1 }
        while high > low, HTTPByte.isBlank(bytes[high &- 1]) { high &-= 1 }
        return .found(.status(version: version, code: status, reason: low..<high), next: lf &+ 1)
    }

    // MARK: Pieces

    private enum Match {
        case matched
        case ranOut
        case differs
    }

    private enum LineEndMatch {
        case matched(next: Int)
        case ranOut
        case differs
    }

    /// `literal` at `start`; `.ranOut` when the bytes end while still matching.
    private static func matchPrefix(_ literal: StaticString, in bytes: UnsafeRawBufferPointer, at start: Int) -> Match {
        let text = literal.utf8Start
        for k in 0..<literal.utf8CodeUnitCount {
            let i = start &+ k
            guard i < bytes.count else { return .ranOut }
            if bytes[i] != text[k] { return .differs }
        }
        return .matched
    }

    /// `HTTP/` DIGIT `.` DIGIT (8 bytes, case-sensitive).
    private static func matchVersion(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Match {
        switch matchPrefix(httpSlash, in: bytes, at: start) {
        case .matched: break
        case let other: return other
        }
        for k in 5..<8 {
            let i = start &+ k
            guard i < bytes.count else { return .ranOut }
            let ok = k == 6 ? bytes[i] == UInt8(ascii: ".") : HTTPByte.isDigit(bytes[i])
            if !ok { return .differs }
        }
        return .matched
    }

    /// LF or CR LF at `i`.
    private static func matchLineEnd(_ bytes: UnsafeRawBufferPointer, at i: Int) -> LineEndMatch {
        guard i < bytes.count else { return .ranOut }
        if bytes[i] == HTTPByte.lf { return .matched(next: i &+ 1) }
        guard bytes[i] == HTTPByte.cr else { return .differs }
        guard i &+ 1 < bytes.count else { return .ranOut }
        return bytes[i &+ 1] == HTTPByte.lf ? .matched(next: i &+ 2) : .differs
    }
}
