// MARK: - HTTPBodyFraming

/// Where the next message must begin after a message whose header block
/// ended inside the segment (the spec's framing rule), or `nil` when the
/// search stops.
enum HTTPBodyFraming {
    static func nextMessageOffset(after head: HTTPMessageHead, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard head.headerBlock.isComplete else { return nil }
        let bodyStart = head.headerBlock.end
        let fields = head.headerBlock.fields
        // 1xx, 204 and 304 responses have no body.
        if case .status(_, let code, _) = head.startLine, code.hasNoBody { return bodyStart }
        // Transfer-Encoding wins over Content-Length; only `…chunked` is followed.
        if let encoding = fields.transferEncoding {
            guard encoding.endsInChunked(in: bytes) else { return nil }
            return endOfChunkedBody(bytes, from: bodyStart)
        }
        if let length = fields.contentLength {
            guard let count = length.plainDigits(in: bytes), count <= bytes.count &- bodyStart else { return nil }
            return bodyStart &+ count
        }
        // Neither: a request has no body; a response runs to the close.
        return head.startLine.isResponse ? nil : bodyStart
    }

    // MARK: Chunked

    /// Follows `chunk-size [ext] CRLF data CRLF` … `0 [ext] CRLF trailer CRLF`;
    /// `nil` when it runs past the segment or is malformed.
    static func endOfChunkedBody(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var position = start
        while true {
            guard let lf = bytes.indexOfLineFeed(from: position) else { return nil }
            let textEnd = bytes.lineTextEnd(lineStart: position, lineFeed: lf)
            guard let size = chunkSize(bytes, position..<textEnd) else { return nil }
            position = lf &+ 1
            if size == 0 { return endOfTrailer(bytes, from: position) }
            guard size <= bytes.count &- position else { return nil }
            position &+= size
            // The CRLF (or bare LF) after the chunk data.
            guard position < bytes.count else { return nil }
            if bytes[position] == HTTPByte.cr {
                position &+= 1
                guard position < bytes.count else { return nil }
            }
            guard bytes[position] == HTTPByte.lf else { return nil }
            position &+= 1
        }
    }

    /// The hex size of a chunk-size line (`1a`, `1a;name=value`, `1a ;x`), or
    /// `nil`. Sizes past the segment need not be exact: they are capped.
    static func chunkSize(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> Int? {
        var size = 0
        var i = line.lowerBound
        while i < line.upperBound, let digit = HTTPByte.hexValue(bytes[i]) {
            size = Swift.min(size &* 16 &+ Int(digit), Int(UInt32.max))
            i &+= 1
        }
        guard i > line.lowerBound else { return nil }
        if i < line.upperBound {
            let b = bytes[i]
            guard b == HTTPByte.semicolon || HTTPByte.isBlank(b) else { return nil }
        }
        return size
    }

    /// The trailer section: lines up to and including the first empty line.
    static func endOfTrailer(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var position = start
        while let lf = bytes.indexOfLineFeed(from: position) {
            if bytes.lineTextEnd(lineStart: position, lineFeed: lf) == position { return lf &+ 1 }
            position = lf &+ 1
        }
        return nil
    }
}
