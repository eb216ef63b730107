// MARK: - HTTPFieldName

/// The header fields the line format and the body framing use.
struct HTTPFieldName: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let host = HTTPFieldName(rawValue: 0)
    static let userAgent = HTTPFieldName(rawValue: 1)
    static let contentLength = HTTPFieldName(rawValue: 2)
    static let contentType = HTTPFieldName(rawValue: 3)
    static let transferEncoding = HTTPFieldName(rawValue: 4)

    /// The known field whose name is `bytes[range]` (case-insensitive), or `nil`.
    static func known(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPFieldName? {
        switch range.count {
        case 4: return equalsIgnoringCase(bytes, range, "host") ? .host : nil
        case 10: return equalsIgnoringCase(bytes, range, "user-agent") ? .userAgent : nil
        case 12: return equalsIgnoringCase(bytes, range, "content-type") ? .contentType : nil
        case 14: return equalsIgnoringCase(bytes, range, "content-length") ? .contentLength : nil
        case 17: return equalsIgnoringCase(bytes, range, "transfer-encoding") ? .transferEncoding : nil
        default: return nil
        }
    }

    /// `bytes[range]` equals the lower-case ASCII `literal`, ignoring case.
    /// (`| 0x20` folds only letters here: the other bytes of the literals,
    /// `-`, already have that bit, and no other byte maps onto them but CR,
    /// which no token holds.)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount, range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        let text = literal.utf8Start
        var k = 0
        for i in range {
            if bytes[i] | 0x20 != text[k] { return false }
            k &+= 1
        }
        return true
    }
}

// MARK: - HTTPHeaderFields

/// The first occurrence of each known field of one header block.
struct HTTPHeaderFields {
    var host: HTTPFieldValue?
    var userAgent: HTTPFieldValue?
    var contentLength: HTTPFieldValue?
    var contentType: HTTPFieldValue?
    var transferEncoding: HTTPFieldValue?

    subscript(name: HTTPFieldName) -> HTTPFieldValue? {
        get {
            switch name {
            case .host: return host
            case .userAgent: return userAgent
            case .contentLength: return contentLength
            case .contentType: return contentType
            default: return transferEncoding
            }
        }
        set {
            switch name {
            case .host: host = newValue
            case .userAgent: userAgent = newValue
            case .contentLength: contentLength = newValue
            case .contentType: contentType = newValue
            default: transferEncoding = newValue
            }
        }
    }
}

/// A header block read from a segment.
struct HTTPHeaderBlock {
    var fields = HTTPHeaderFields()
    /// The empty line that ends the block was inside the segment.
    var isComplete = false
    /// Where the body starts (just after the empty line) when complete.
    var end = 0
}

// MARK: - Reading a header block

enum HTTPHeaderBlockReader {
    /// Reads the lines from `start` up to the first empty line. Only lines
    /// whose LF is inside the segment count; a line starting with SP/HTAB
    /// continues the previous field (obs-fold); a line whose text before the
    /// first `:` is empty or not a token is no field; the first occurrence of
    /// a name wins.
    static func read(_ bytes: UnsafeRawBufferPointer, from start: Int) -> HTTPHeaderBlock {
        var block = HTTPHeaderBlock()
        var lineStart = start
        /// The known field the previous line started (or continued), if it is
        /// the first occurrence: the one an obs-fold line extends.
        var foldTarget: HTTPFieldName? = nil
        while lineStart < bytes.count, let lf = bytes.indexOfLineFeed(from: lineStart) {
            let textEnd = bytes.lineTextEnd(lineStart: lineStart, lineFeed: lf)
            defer { lineStart = lf &+ 1 }
            if textEnd == lineStart {
                block.isComplete = true
                block.end = lf &+ 1
                return block
            }
            if HTTPByte.isBlank(bytes[lineStart]) {
                if let name = foldTarget { block.fields[name]?.end = textEnd }
                continue
            }
            foldTarget = nil
            var colon = lineStart
            while colon < textEnd, HTTPByte.isTokenChar(bytes[colon]) { colon &+= 1 }
            guard colon > lineStart, colon < textEnd, bytes[colon] == HTTPByte.colon else { continue }
            guard let name = HTTPFieldName.known(bytes, lineStart..<colon), block.fields[name] == nil else { continue }
            block.fields[name] = HTTPFieldValue(start: colon &+ 1, end: textEnd)
            foldTarget = name
        }
        return block
    }
}
