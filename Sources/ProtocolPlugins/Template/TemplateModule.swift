import PacketlogHost

// MARK: - TemplateModule
//
// A complete, minimal module to copy when you write a new one. It logs the
// first bytes of every UDP datagram on its port (default 7, echo) as
// upper-case hex:
//
//     <time> <src>#<sport> <dst>#<dport> <kind> <length> <hex>
//     06:51:02.123 10.0.0.1#40000 10.0.0.2#7 CQ 5 68656C6C6F
//
// To make your own: copy this folder, rename the type and the descriptor's
// names, add `YourModule.self,` to ModuleRegistry.swift, then replace
// `appendBody` with your protocol's parsing and formatting.
// See docs/writing-a-module.md.

/// The template module: UDP datagrams on one port, their first 16 bytes in hex.
public struct TemplateModule: PacketlogModule {
    // MARK: Description (read once at start-up)

    public static let descriptor = ModuleDescriptor(
        name: "template",                       // --protocol template
        summary: "example module: first bytes of UDP datagrams on port 7, in hex",
        defaultFilter: "udp and port 7",
        configSection: "template",              // [template] in plugins.conf
        fileStem: "template",                   // template-YYYYMMDD-HH.log
        rotation: .hourly
    )

    /// At most this many payload bytes are shown (fixed: no allocation).
    public static let maximumBytesShown = 16

    /// The service ports (option `ports`, default 7).
    public let ports: ServicePorts
    /// Lines written and datagrams skipped.
    public private(set) var logged: UInt64 = 0
    public private(set) var emptyDatagrams: UInt64 = 0

    // MARK: Set-up (may allocate, may throw)

    public init(options: ModuleOptions) throws {
        ports = try ServicePorts(option: options.values["ports"], key: "ports", default: [7])
    }

    /// The BPF filter for the configured ports (`udp and port 7`).
    public var filter: String { "udp and " + ports.bpfFilter }

    // MARK: Per packet (must not allocate)

    /// Called for every decoded packet: say whether it is ours. Cheap tests only.
    public func wants(_ packet: PacketContext) -> Bool {
        packet.transport == .udp && (ports.contains(packet.sourcePort) || ports.contains(packet.destinationPort))
    }

    /// One line per datagram. `packet.payload` is only valid during this call.
    public mutating func decode(_ packet: PacketContext, into lines: inout LineEmitter) {
        guard !packet.payload.isEmpty else {
            emptyDatagrams &+= 1                // not logged: counted instead
            return
        }
        // A datagram to the service port is a query; one from it is a response.
        let isResponse = ports.contains(packet.sourcePort)
        lines.beginLine()
        lines.appendTimeAndEndpoints(packet, withDate: false)
        lines.appendKind(packet.kind(isResponse: isResponse))
        Self.appendBody(packet.payload, to: &lines.buffer)
        lines.commitLine()
        logged &+= 1
    }

    /// `<length> <hex of the first bytes>`: only bytes 0-9 A-F, so nothing
    /// from the packet can break the line.
    static func appendBody(_ payload: UnsafeRawBufferPointer, to buffer: inout LineBuffer) {
        buffer.appendDecimal(payload.count)
        buffer.append(UInt8(ascii: " "))
        let shown = min(payload.count, maximumBytesShown)
        buffer.appendHexUpper(UnsafeRawBufferPointer(rebasing: payload[0..<shown]))
    }

    // MARK: Statistics (read off the per-packet path)

    public var counters: [(name: String, value: UInt64)] {
        [("template-logged", logged), ("template-empty", emptyDatagrams)]
    }
}
