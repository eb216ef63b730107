// MARK: - HTTPStreamFraming

/// The spec's framing rule on a reassembled byte stream ("With TCP
/// reassembly"): where the next message begins after a message whose header
/// block completed. Unlike the per-segment rule a body may run past the
/// bytes at hand: the module then returns an offset past the end of the
/// stream and the host skips the bytes still to come.
///
/// The module always consumes up to a point where the stream can be read
/// again from scratch — a message start, or the line end before a
/// chunk-size line of a chunked body (after the previous chunk's data, or
/// the header block's last LF). It records which of the two it was
/// (`HTTPFramingHints`); without a record, the first byte tells them apart
/// (a start line never begins with CR or LF).
enum HTTPStreamFraming {
    /// What follows a complete header block.
    enum Body {
        /// The next message begins at this offset (may lie past the bytes at hand).
        case endsAt(Int)
        /// Chunked framing starts at this offset.
        case chunked(from: Int)
        /// The body runs to the connection's close (or cannot be framed):
        /// nothing more in this direction is read.
        case toClose
    }

    /// The body framing of `head` (a complete header block). A response to a
    /// HEAD request has no body whatever its Content-Length says.
    static func body(of head: HTTPMessageHead, in bytes: UnsafeRawBufferPointer, answersHEAD: Bool) -> Body {
        let bodyStart = head.headerBlock.end
        let fields = head.headerBlock.fields
        if case .status(_, let code, _) = head.startLine, code.hasNoBody || answersHEAD { return .endsAt(bodyStart) }
        if let encoding = fields.transferEncoding {
            return encoding.endsInChunked(in: bytes) ? .chunked(from: bodyStart) : .toClose
        }
        if let length = fields.contentLength {
            guard let count = length.plainDigits(in: bytes) else { return .toClose }
            let (end, overflow) = bodyStart.addingReportingOverflow(count)
            return overflow || end > HTTPStreamLimits.skipRest ? .toClose : .endsAt(end)
        }
        return head.startLine.isResponse ? .toClose : .endsAt(bodyStart)
    }

    // MARK: Chunked, incrementally

    /// How far a walk through chunked framing got.
    enum ChunkWalk {
        /// The last chunk and its trailer are complete: the next message begins here.
        case complete(end: Int)
        /// Consume up to here (past the bytes at hand when inside a chunk's
        /// data) and read on from there when more bytes arrive; `waitingFor`
        /// says what completes the element there, when one is unfinished.
        case needMore(consume: Int, waitingFor: HTTPWaitingMessages.Need?)
        /// Not chunked framing (or a framing line over the cap).
        case malformed
    }

    /// Whether a line end comes before the chunk-size line at the walk's start.
    enum LeadingLineEnd {
        /// Right after a header block: the chunk-size line starts at once.
        case none
        /// At a point a previous call consumed up to inside chunked framing:
        /// the line end before the chunk-size line.
        case required
    }

    /// Follows `chunk-size [ext] CRLF data CRLF` … `0 [ext] CRLF trailer CRLF`
    /// from `start`. Each chunk's data is skipped, never held: when it runs
    /// past the bytes at hand, the walk consumes up to its end.
    static func walkChunks(_ bytes: UnsafeRawBufferPointer, from start: Int, leading: LeadingLineEnd, maxWait: Int) -> ChunkWalk {
        let count = bytes.count
        /// The last point the stream can be read again from.
        var boundary = start
        var lineEndRequired = leading == .required
        while true {
            var position = boundary
            if lineEndRequired {
                guard position < count else { return .needMore(consume: boundary, waitingFor: nil) }
                if bytes[position] == HTTPByte.cr {
                    position &+= 1
                    guard position < count else { return .needMore(consume: boundary, waitingFor: nil) }
                    guard bytes[position] == HTTPByte.lf else { return .malformed }
                    position &+= 1
                } else if bytes[position] == HTTPByte.lf {
                    position &+= 1
                } else {
                    return .malformed
                }
            }
            // The chunk-size line.
            guard let lf = bytes.indexOfLineFeed(from: position) else {
                return isChunkSizePrefix(bytes, from: position) && count &- boundary <= maxWait
                    ? .needMore(consume: boundary, waitingFor: .lineFeed) : .malformed
            }
            let textEnd = bytes.lineTextEnd(lineStart: position, lineFeed: lf)
            guard let size = HTTPBodyFraming.chunkSize(bytes, position..<textEnd) else { return .malformed }
            position = lf &+ 1
            if size == 0 {
                // The trailer: the whole last chunk is consumed at once, when its empty line arrives.
                if let end = HTTPBodyFraming.endOfTrailer(bytes, from: position) { return .complete(end: end) }
                return count &- boundary <= maxWait ? .needMore(consume: boundary, waitingFor: .emptyLine) : .malformed
            }
            let dataEnd = position &+ size   // size ≤ UInt32.max: no overflow
            if dataEnd >= count { return .needMore(consume: dataEnd, waitingFor: nil) }
            boundary = dataEnd
            lineEndRequired = true
        }
    }

    /// The bytes from `start` to the end are the beginning of a chunk-size
    /// line (hex digits, then optionally `;` or a blank and an extension; a
    /// CR may already have arrived): worth waiting for its LF.
    static func isChunkSizePrefix(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var end = bytes.count
        if end > start, bytes[end &- 1] == HTTPByte.cr { end &-= 1 }
        if end <= start { return true }
        return HTTPBodyFraming.chunkSize(bytes, start..<end) != nil
    }
}

// MARK: - Limits

enum HTTPStreamLimits {
    /// (Bytes a message start — start line and header block —, a chunk-size
    /// line or a trailer may take before the module gives up waiting: the
    /// host's per-direction cap, `HTTPModule.maxWait`.)
    /// Returned to skip the rest of a direction (a close-delimited body, a
    /// stream that is no HTTP, a header block over the cap).
    static let skipRest = Int.max / 2
}
