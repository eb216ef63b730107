// MARK: - TCPFlowKey

/// One direction of a TCP connection: the 4-tuple as the data flows.
///
/// Stored as five whole words (the two addresses, then the ports and the
/// address families in one), so that making a key, comparing it and hashing
/// it is plain word moves: with two `IPAddress` fields (17 bytes each) the
/// compiler copied the key in misaligned pieces, and reloading them stalled
/// the flow lookup of every TCP packet.
public struct TCPFlowKey: Hashable, Sendable {
    @usableFromInline var sourceHigh: UInt64
    @usableFromInline var sourceLow: UInt64
    @usableFromInline var destinationHigh: UInt64
    @usableFromInline var destinationLow: UInt64
    /// `sourcePort << 32 | destinationPort << 16 | sourceIsIPv6 << 1 | destinationIsIPv6`.
    @usableFromInline var portsAndFamilies: UInt64

    @inlinable
    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16) {
        sourceHigh = source.high; sourceLow = source.low
        destinationHigh = destination.high; destinationLow = destination.low
        portsAndFamilies = UInt64(sourcePort) << 32 | UInt64(destinationPort) << 16
            | (source.isIPv6 ? 2 : 0) | (destination.isIPv6 ? 1 : 0)
    }

    @inlinable
    public init(_ packet: PacketContext) {
        self.init(source: packet.source, destination: packet.destination,
                  sourcePort: packet.sourcePort, destinationPort: packet.destinationPort)
    }

    public var source: IPAddress {
        get { IPAddress(high: sourceHigh, low: sourceLow, isIPv6: portsAndFamilies & 2 != 0) }
        set {
            sourceHigh = newValue.high; sourceLow = newValue.low
            portsAndFamilies = portsAndFamilies & ~2 | (newValue.isIPv6 ? 2 : 0)
        }
    }
    public var destination: IPAddress {
        get { IPAddress(high: destinationHigh, low: destinationLow, isIPv6: portsAndFamilies & 1 != 0) }
        set {
            destinationHigh = newValue.high; destinationLow = newValue.low
            portsAndFamilies = portsAndFamilies & ~1 | (newValue.isIPv6 ? 1 : 0)
        }
    }
    public var sourcePort: UInt16 {
        get { UInt16(truncatingIfNeeded: portsAndFamilies >> 32) }
        set { portsAndFamilies = portsAndFamilies & ~(0xFFFF << 32) | UInt64(newValue) << 32 }
    }
    public var destinationPort: UInt16 {
        get { UInt16(truncatingIfNeeded: portsAndFamilies >> 16) }
        set { portsAndFamilies = portsAndFamilies & ~(0xFFFF << 16) | UInt64(newValue) << 16 }
    }

    /// One mixed word fed to the hasher instead of five: flow lookups run
    /// for every TCP packet.
    public func hash(into hasher: inout Hasher) {
        var h = sourceHigh &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ sourceLow) &* 0xC2B2_AE3D_27D4_EB4F
        h = (h ^ destinationHigh) &* 0x1656_67B1_9E37_79F9
        h = (h ^ destinationLow) &* 0x27D4_EB2F_1656_67C5
        h ^= portsAndFamilies
        hasher.combine(h)
    }

    @inlinable
    public static func == (a: TCPFlowKey, b: TCPFlowKey) -> Bool {
        a.portsAndFamilies == b.portsAndFamilies && a.sourceLow == b.sourceLow && a.destinationLow == b.destinationLow
            && a.sourceHigh == b.sourceHigh && a.destinationHigh == b.destinationHigh
    }

    /// The other direction of the same connection.
    public var reversed: TCPFlowKey {
        TCPFlowKey(source: destination, destination: source, sourcePort: destinationPort, destinationPort: sourcePort)
    }
}

/// `a - b` in 32-bit sequence-number (serial) arithmetic.
@inlinable
func sequenceDistance(_ a: UInt32, _ b: UInt32) -> Int {
    Int(Int32(bitPattern: a &- b))
}

extension IPAddress {
    /// An address from its stored words (a flow key's).
    init(high: UInt64, low: UInt64, isIPv6: Bool) {
        self.high = high; self.low = low; self.isIPv6 = isIPv6
    }
}
