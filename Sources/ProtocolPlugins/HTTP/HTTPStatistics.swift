import PacketlogHost

// MARK: - HTTPStatistics

/// What the HTTP module logged and what it saw but did not log, named as in
/// `captures/expected/http-proxy/stats.txt`. With TCP reassembly (stream
/// rule) the same counters mean: `noMessageStart` a place in a stream where
/// a message (or chunked framing) must continue that holds none — the rest
/// of the direction is skipped; `cutStartLine` and `incompleteHeaderBlock` a
/// start line or header block still unfinished after
/// `HTTPModule.maxWait` bytes; `bytesAfterMessage` and `tcpNoPayload`
/// stay 0 (the host offers only streams that grew).
public struct HTTPStatistics: Sendable {
    /// Lines by kind.
    public var clientQueries: UInt64 = 0
    public var clientResponses: UInt64 = 0
    public var serverQueries: UInt64 = 0
    public var serverResponses: UInt64 = 0
    /// Segments on a service port with no message at payload offset 0.
    public var noMessageStart: UInt64 = 0
    /// Start lines whose LF is not inside the segment (not logged).
    public var cutStartLine: UInt64 = 0
    /// Messages whose header block the segment cut (logged, and counted).
    public var incompleteHeaderBlock: UInt64 = 0
    /// Segments where bytes follow a complete message and are no message.
    public var bytesAfterMessage: UInt64 = 0
    /// TCP segments on a service port without payload.
    public var tcpNoPayload: UInt64 = 0

    public var requests: UInt64 { clientQueries &+ serverQueries }
    public var responses: UInt64 { clientResponses &+ serverResponses }
    public var logged: UInt64 { requests &+ responses }

    public init() {}

    /// Counts one line of `kind`.
    @inline(__always)
    mutating func countLine(_ kind: MessageKind) {
        switch kind {
        case .clientQuery: clientQueries &+= 1
        case .clientResponse: clientResponses &+= 1
        case .serverQuery: serverQueries &+= 1
        default: serverResponses &+= 1
        }
    }

    /// The counters in the order `--log-every` and the summary print them.
    public var counters: [(name: String, value: UInt64)] {
        [("http-logged", logged),
         ("CQ", clientQueries), ("CR", clientResponses), ("SQ", serverQueries), ("SR", serverResponses),
         ("http-requests", requests), ("http-responses", responses),
         ("http-no-message-start", noMessageStart),
         ("http-cut-start-line", cutStartLine),
         ("http-incomplete-header-block", incompleteHeaderBlock),
         ("http-bytes-after-message", bytesAfterMessage),
         ("tcp-no-payload", tcpNoPayload)]
    }
}
