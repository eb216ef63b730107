// MARK: - HTTPMessageHead

/// A message's start line and header block, as offsets into the payload.
struct HTTPMessageHead {
    var startLine: HTTPStartLine
    var headerBlock: HTTPHeaderBlock
}

/// What the scanner found where a message must begin.
enum HTTPScanResult {
    case message(HTTPMessageHead)
    /// A start line begins here but its LF is not inside the segment.
    case cutStartLine
    /// No start line here.
    case noMessage
}

// MARK: - HTTPMessageScanner

/// Finds the messages of one TCP segment under the per-segment rule: at
/// offset 0, then after each message whose header block ended inside the
/// segment, where its body framing says the next one begins.
enum HTTPMessageScanner {
    /// The message (start line and header block) at `offset`.
    static func scan(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> HTTPScanResult {
        switch HTTPStartLineParser.parse(bytes, at: offset) {
        case .notAMessage: return .noMessage
        case .cut: return .cutStartLine
        case .found(let startLine, let next):
            let block = HTTPHeaderBlockReader.read(bytes, from: next)
            return .message(HTTPMessageHead(startLine: startLine, headerBlock: block))
        }
    }

    /// Where the next message must begin, or `nil` when the search stops.
    static func nextOffset(after head: HTTPMessageHead, in bytes: UnsafeRawBufferPointer) -> Int? {
        HTTPBodyFraming.nextMessageOffset(after: head, in: bytes)
    }
}
