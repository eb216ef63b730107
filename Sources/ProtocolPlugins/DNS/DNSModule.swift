import PacketlogHost

// MARK: - DNSModule

/// The DNS module: every DNS message on the configured ports, over UDP and
/// TCP (each complete length-prefixed message of a segment), one line each.
public struct DNSModule: PacketlogModule {
    public static let descriptor = ModuleDescriptor(
        name: "dns",
        summary: "DNS over UDP and TCP (queries and responses, hourly files)",
        defaultFilter: "port 53",
        configSection: "dns",
        fileStem: "dns",
        rotation: .hourly
    )

    /// Service ports (default 53).
    public let ports: ServicePorts
    public private(set) var statistics = DNSStatistics()

    public init(options: ModuleOptions) throws {
        ports = try ServicePorts(option: options.values["ports"], key: "ports", default: [53])
    }

    public var filter: String { ports.bpfFilter }

    public func wants(_ packet: PacketContext) -> Bool {
        ports.contains(packet.sourcePort) || ports.contains(packet.destinationPort)
    }

    public mutating func decode(_ packet: PacketContext, into lines: inout LineEmitter) {
        if packet.isTCP {
            decodeSegment(packet, into: &lines)
        } else {
            emit(packet.payload, packet: packet, overTCP: false, into: &lines)
        }
    }

    /// Per-segment rule: consecutive length-prefixed messages from the
    /// segment's first byte; a message cut by the segment's end is not logged.
    mutating func decodeSegment(_ packet: PacketContext, into lines: inout LineEmitter) {
        if packet.payload.isEmpty {
            statistics.tcpNoPayload &+= 1
            return
        }
        let consumed = decodeMessages(packet.payload, packet: packet, into: &lines)
        if consumed < packet.payload.count { statistics.tcpIncompleteMessage &+= 1 }
    }

    /// Reassembly rule: every complete length-prefixed message at the start
    /// of the stream; an unfinished one waits for more bytes.
    public static var readsTCPStreams: Bool { true }

    /// A UDP message's line depends on that datagram alone.
    public static var datagramsAreIndependent: Bool { true }

    public mutating func decodeStream(_ packet: PacketContext, stream: UnsafeRawBufferPointer, into lines: inout LineEmitter) -> Int {
        decodeMessages(stream, packet: packet, into: &lines)
    }

    /// Emits the complete length-prefixed messages at the start of `bytes`;
    /// returns the bytes they span.
    mutating func decodeMessages(_ bytes: UnsafeRawBufferPointer, packet: PacketContext, into lines: inout LineEmitter) -> Int {
        let cursor = ByteCursor(bytes)
        var offset = 0
        while let length: UInt16 = cursor.getInteger(at: offset),
              let message = cursor.getBytes(at: offset + 2, length: Int(length)) {
            emit(message, packet: packet, overTCP: true, into: &lines)
            offset += 2 + Int(length)
        }
        return offset
    }

    /// One message: a line when it is well-formed, a count when it is not.
    /// The message is read once, straight into the line; a message found
    /// malformed part-way is discarded, never half-logged.
    public mutating func emit(_ bytes: UnsafeRawBufferPointer, packet: PacketContext, overTCP: Bool, into lines: inout LineEmitter) {
        guard var reader = DNSMessageReader(bytes) else {
            statistics.malformed &+= 1
            return
        }
        let kind = packet.kind(isResponse: reader.header.isResponse)
        lines.beginLine()
        lines.appendTimeAndEndpoints(packet, withDate: false)
        lines.appendKind(kind)
        if DNSLineFormatter.appendBody(&reader, overTCP: overTCP, to: &lines.buffer) {
            lines.commitLine()
            statistics.count(kind)
        } else {
            lines.discardLine()
            statistics.malformed &+= 1
        }
    }

    public var counters: [(name: String, value: UInt64)] {
        [("dns-logged", statistics.logged),
         ("CQ", statistics.clientQueries), ("CR", statistics.clientResponses),
         ("SQ", statistics.serverQueries), ("SR", statistics.serverResponses),
         ("dns-malformed", statistics.malformed),
         ("tcp-incomplete-message", statistics.tcpIncompleteMessage),
         ("tcp-no-payload", statistics.tcpNoPayload)]
    }
}

// MARK: - Statistics

public struct DNSStatistics: Sendable {
    /// Lines by kind. (Plain fields, not an array: counting runs per message.)
    public var clientQueries: UInt64 = 0
    public var clientResponses: UInt64 = 0
    public var serverQueries: UInt64 = 0
    public var serverResponses: UInt64 = 0
    public var malformed: UInt64 = 0
    public var tcpIncompleteMessage: UInt64 = 0
    public var tcpNoPayload: UInt64 = 0
    public var logged: UInt64 { clientQueries &+ clientResponses &+ serverQueries &+ serverResponses }

    /// Counts one logged message of `kind`.
    @inlinable
    public mutating func count(_ kind: MessageKind) {
        switch kind.rawValue {
        case 0: clientQueries &+= 1
        case 1: clientResponses &+= 1
        case 2: serverQueries &+= 1
        default: serverResponses &+= 1
        }
    }
}
