// MARK: - TCPFlowKey

/// One direction of a TCP connection: the 4-tuple as the data flows.
public struct TCPFlowKey: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(_ packet: PacketContext) {
        source = packet.source; destination = packet.destination
        sourcePort = packet.sourcePort; destinationPort = packet.destinationPort
    }

    /// One mixed word fed to the hasher instead of eight fields: flow
    /// lookups run for every TCP packet.
    public func hash(into hasher: inout Hasher) {
        var h = source.high &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ source.low) &* 0xC2B2_AE3D_27D4_EB4F
        h = (h ^ destination.high) &* 0x1656_67B1_9E37_79F9
        h = (h ^ destination.low) &* 0x27D4_EB2F_1656_67C5
        h ^= UInt64(sourcePort) << 16 | UInt64(destinationPort) | (source.isIPv6 ? 1 << 40 : 0)
        hasher.combine(h)
    }

    public static func == (a: TCPFlowKey, b: TCPFlowKey) -> Bool {
        a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort
            && a.source == b.source && a.destination == b.destination
    }

    /// The other direction of the same connection.
    public var reversed: TCPFlowKey {
        var r = self
        r.source = destination; r.destination = source
        r.sourcePort = destinationPort; r.destinationPort = sourcePort
        return r
    }
}

/// `a - b` in 32-bit sequence-number (serial) arithmetic.
@inlinable
func sequenceDistance(_ a: UInt32, _ b: UInt32) -> Int {
    Int(Int32(bitPattern: a &- b))
}
