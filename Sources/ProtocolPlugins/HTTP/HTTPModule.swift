import PacketlogHost

// MARK: - HTTPModule

/// The HTTP/1.x module: one line per request and per response found in a TCP
/// segment on a service port (spec "HTTP/1.x", per-segment rule).
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

    public init(options: ModuleOptions) throws {
        ports = try ServicePorts(option: options.values["ports"], key: "ports", default: [80, 8080])
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
                emit(head, packet: packet, into: &lines)
                guard head.headerBlock.isComplete else {
                    statistics.incompleteHeaderBlock &+= 1
                    return
                }
                guard let next = HTTPMessageScanner.nextOffset(after: head, in: payload), next > offset else { return }
                offset = next
            }
        }
    }

    /// One line for one message.
    mutating func emit(_ head: HTTPMessageHead, packet: PacketContext, into lines: inout LineEmitter) {
        let kind = packet.kind(isResponse: head.startLine.isResponse)
        lines.beginLine()
        lines.appendTimeAndEndpoints(packet, withDate: true)
        lines.appendKind(kind)
        HTTPLineFormatter.appendBody(head, from: packet.payload, to: &lines.buffer)
        lines.commitLine()
        statistics.countLine(kind)
    }

    public var counters: [(name: String, value: UInt64)] { statistics.counters }
}
