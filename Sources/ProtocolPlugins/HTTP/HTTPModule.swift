import PacketlogHost

// MARK: - HTTPModule

/// The HTTP/1.x module: one line per request and per response on a service
/// port (spec "HTTP/1.x"): found in each TCP segment (per-segment rule,
/// `--no-tcp-reassembly`) or one after another through each direction's
/// reassembled byte stream (`decodeStream`, the default).
///
/// Options (config section `http`): `ports`, default `80,8080`.
public struct HTTPModule: PacketlogModule {
    public static let descriptor = ModuleDescriptor(
        name: "http",
        summary: "HTTP/1.x requests and responses over TCP (daily files)",
        defaultFilter: "tcp and (port 80 or port 8080)",
        configSection: "http",
        fileStem: "http",
        rotation: .daily
    )

    /// Service ports (default 80 and 8080).
    public let ports: ServicePorts
    public private(set) var statistics = HTTPStatistics()
    /// Stream rule only: the unanswered HEAD requests of each connection.
    var pendingRequests = HTTPPendingRequests()
    /// Stream rule only: how far unfinished elements were already scanned.
    var waiting = HTTPWaitingMessages()
    /// Stream rule only: whether each direction stopped at a message
    /// boundary or inside chunked framing.
    var framingHints = HTTPFramingHints()

    /// Stream rule: the bytes a start line, header block, chunk-size line
    /// or trailer may take before the module gives up waiting — the host's
    /// per-direction cap (`tcp_max_bytes_per_flow`, 256 KiB by default),
    /// which would end the direction there anyway.
    let maxWait: Int

    public init(options: ModuleOptions) throws {
        ports = try ServicePorts(option: options.values["ports"], key: "ports", default: [80, 8080])
        maxWait = max(1024, options.streamBytesPerFlow)
    }

    /// `tcp and port 80` or `tcp and (port 80 or port 8080)`.
    public var filter: String { "tcp and " + ports.bpfFilter }

    /// TCP with a service port at either end.
    public func wants(_ packet: PacketContext) -> Bool {
        packet.isTCP && (ports.contains(packet.sourcePort) || ports.contains(packet.destinationPort))
    }

    // MARK: Per packet

    /// Looks for messages at payload offset 0 and after each complete
    /// message; nothing is looked for anywhere else.
    public mutating func decode(_ packet: PacketContext, into lines: inout LineEmitter) {
        guard packet.isTCP else { return }
        let payload = packet.payload
        if payload.isEmpty {
            statistics.tcpNoPayload &+= 1
            return
        }
        var offset = 0
        while offset < payload.count {
            switch HTTPMessageScanner.scan(payload, at: offset) {
            case .noMessage:
                if offset == 0 { statistics.noMessageStart &+= 1 } else { statistics.bytesAfterMessage &+= 1 }
                return
            case .cutStartLine:
                statistics.cutStartLine &+= 1
                return
            case .message(let head):
                emit(head, from: payload, packet: packet, into: &lines)
                guard head.headerBlock.isComplete else {
                    statistics.incompleteHeaderBlock &+= 1
                    return
                }
                guard let next = HTTPMessageScanner.nextOffset(after: head, in: payload), next > offset else { return }
                offset = next
            }
        }
    }

    /// One line for one message whose offsets point into `bytes` (the
    /// segment, or the stream); time and endpoints come from `packet`.
    mutating func emit(_ head: HTTPMessageHead, from bytes: UnsafeRawBufferPointer, packet: PacketContext, into lines: inout LineEmitter) {
        let kind = packet.kind(isResponse: head.startLine.isResponse)
        lines.beginLine()
        lines.appendTimeAndEndpoints(packet, withDate: true)
        lines.appendKind(kind)
        HTTPLineFormatter.appendBody(head, from: bytes, to: &lines.buffer)
        lines.commitLine()
        statistics.countLine(kind)
    }

    // MARK: Per stream

    /// Reassembly rule: the same rules on each direction's byte stream.
    public static var readsTCPStreams: Bool { true }

    /// Logs each message whose header block is complete, one after another
    /// from the start of `stream` (always a point consumed up to before: a
    /// message start or chunked framing), and returns how far it got:
    /// - a message whose start line or header block has not completed waits
    ///   for more bytes (up to `maxWait`; past it a partial
    ///   line is logged and counted and the rest of the stream skipped);
    /// - a Content-Length body, or a chunk's data, that runs past the bytes
    ///   at hand is skipped by returning an offset past them;
    /// - a close-delimited body, or a place where a message must begin that
    ///   holds none (counted), ends the reading of the direction.
    public mutating func decodeStream(_ packet: PacketContext, stream: UnsafeRawBufferPointer, into lines: inout LineEmitter) -> Int {
        // Bytes the host skips for us (a body running past the segments) come
        // as empty calls: nothing to read, and the record of where the
        // stream goes on must stay as it is.
        guard !stream.isEmpty else { return 0 }
        let key = TCPFlowKey(packet)
        // A new connection on the addresses and ports of an earlier one: its
        // unanswered requests (a HEAD before a reset, a 101 upgrade) are not
        // this one's, and would frame its responses wrongly.
        if packet.streamStart {
            pendingRequests.forget(key)
            framingHints.forget(key)
        }
        let sequence = HTTPWaitingMessages.streamSequence(packet, streamCount: stream.count)
        let hint = framingHints.take(key, sequence: sequence)
        var insideChunked = hint ?? false
        let consumed = readMessages(packet, stream: stream, key: key, sequence: sequence, hint: hint,
                                    insideChunked: &insideChunked, into: &lines)
        if consumed < HTTPStreamLimits.skipRest, consumed > 0 || hint != nil {
            framingHints.record(key, sequence: sequence &+ UInt32(truncatingIfNeeded: consumed), insideChunked: insideChunked)
        }
        return consumed
    }

    /// `decodeStream`'s walk. `hint`: what the stream's start is, when
    /// known (`HTTPFramingHints`); `insideChunked` is set to what the
    /// returned point is.
    mutating func readMessages(_ packet: PacketContext, stream: UnsafeRawBufferPointer, key: TCPFlowKey, sequence: UInt32, hint: Bool?,
                               insideChunked: inout Bool, into lines: inout LineEmitter) -> Int {
        let count = stream.count
        if !waiting.entries.isEmpty, waiting.stillWaiting(key, sequence: sequence, stream: stream, maxWait: maxWait) { return 0 }
        /// Consumes up to `offset`, where an element needing `need` waits.
        func wait(at offset: Int, for need: HTTPWaitingMessages.Need?) -> Int {
            if let need, offset < count {
                waiting.record(key, sequence: sequence &+ UInt32(truncatingIfNeeded: offset), scanned: count &- offset, need: need)
            }
            return offset
        }
        var offset = 0
        insideChunked = false
        // Where a previous call stopped inside chunked framing, the stream
        // starts with the line end before a chunk-size line (every point
        // `walkChunks` consumes up to does), which must come first whatever
        // follows it. The record says where (`framingHints`); without one,
        // the first byte tells (no start line begins with CR or LF).
        let first = stream.first
        if hint ?? (first == HTTPByte.cr || first == HTTPByte.lf) {
            switch HTTPStreamFraming.walkChunks(stream, from: 0, leading: .required, maxWait: maxWait) {
            case .complete(let end): offset = end
            case .needMore(let consume, let need):
                insideChunked = true
                return wait(at: consume, for: need)
            case .malformed:
                statistics.noMessageStart &+= 1
                return HTTPStreamLimits.skipRest
            }
        }
        while offset < count {
            switch HTTPMessageScanner.scan(stream, at: offset) {
            case .noMessage:
                // A message must begin here and none does: counted, and the
                // direction ends (chunk-like bytes there are not a body to
                // skip).
                statistics.noMessageStart &+= 1
                return HTTPStreamLimits.skipRest
            case .cutStartLine:
                guard count &- offset > maxWait else { return wait(at: offset, for: .lineFeed) }
                statistics.cutStartLine &+= 1
                return HTTPStreamLimits.skipRest
            case .message(let head):
                guard head.headerBlock.isComplete else {
                    guard count &- offset > maxWait else { return wait(at: offset, for: .emptyLine) }
                    // Past the cap: the fields found so far, as the per-segment rule logs a cut block.
                    emit(head, from: stream, packet: packet, into: &lines)
                    statistics.incompleteHeaderBlock &+= 1
                    _ = answersHEAD(head, in: stream, packet: packet)
                    return HTTPStreamLimits.skipRest
                }
                emit(head, from: stream, packet: packet, into: &lines)
                let headResponse = answersHEAD(head, in: stream, packet: packet)
                switch HTTPStreamFraming.body(of: head, in: stream, answersHEAD: headResponse) {
                case .endsAt(let end):
                    if end > count { return end }
                    offset = end
                case .chunked(let start):
                    switch HTTPStreamFraming.walkChunks(stream, from: start, leading: .none, maxWait: maxWait) {
                    case .complete(let end): offset = end
                    case .needMore(let consume, let need):
                        // Stopped at the first chunk-size line itself: consume
                        // up to the header block's last LF instead, so that
                        // the next call starts with a line end (see `.noMessage`):
                        // a chunk-size line must never be read as a start line.
                        insideChunked = true
                        return wait(at: consume == start ? start &- 1 : consume, for: need)
                    case .malformed:
                        statistics.noMessageStart &+= 1
                        return HTTPStreamLimits.skipRest
                    }
                case .toClose:
                    return HTTPStreamLimits.skipRest
                }
            }
        }
        return offset
    }

    /// Keeps the connection's HEAD requests in step with its responses;
    /// returns whether `head` is a final response to a HEAD request.
    mutating func answersHEAD(_ head: HTTPMessageHead, in stream: UnsafeRawBufferPointer, packet: PacketContext) -> Bool {
        switch head.startLine {
        case .request(let method, _, _):
            let isHEAD = method.count == 4 && stream[method.lowerBound] == UInt8(ascii: "H")
                && stream[method.lowerBound &+ 1] == UInt8(ascii: "E")
                && stream[method.lowerBound &+ 2] == UInt8(ascii: "A")
                && stream[method.lowerBound &+ 3] == UInt8(ascii: "D")
            pendingRequests.requestSeen(TCPFlowKey(packet), isHEAD: isHEAD)
            return false
        case .status(_, let code, _):
            if code.isInformational { return false }
            return pendingRequests.finalResponseSeen(TCPFlowKey(packet).reversed)
        }
    }

    public var counters: [(name: String, value: UInt64)] { statistics.counters }
}
