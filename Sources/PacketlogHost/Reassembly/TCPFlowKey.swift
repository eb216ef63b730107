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
