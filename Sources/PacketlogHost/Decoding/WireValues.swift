// MARK: - Wire values

/// An IP protocol number (`IPPROTO_*`). Unknown values still print.
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let icmp = IPProtocol(rawValue: 1)
    public static let icmpv6 = IPProtocol(rawValue: 58)
}

/// An EtherType. Unknown values still print.
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let ipv6 = EtherType(rawValue: 0x86DD)
    public static let arp = EtherType(rawValue: 0x0806)
    public static let vlan = EtherType(rawValue: 0x8100)
    public static let qinq = EtherType(rawValue: 0x88A8)
    public static let qinqLegacy = EtherType(rawValue: 0x9100)
}

/// A libpcap link-layer header type (`DLT_*` as `pcap_datalink` returns it).
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 12)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let rawLinktype = LinkType(rawValue: 101)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// Whether the host can decode this link type.
    public var isSupported: Bool {
        [LinkType.null, .ethernet, .raw, .rawOpenBSD, .loop, .linuxSLL, .rawLinktype, .ipv4, .ipv6, .linuxSLL2].contains(self)
    }
}

/// The kind of a message relative to the local host: the four log kinds of
/// the line format.
public struct MessageKind: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Client query: a query to a local address.
    public static let clientQuery = MessageKind(rawValue: 0)
    /// Client response: a response to a non-local address.
    public static let clientResponse = MessageKind(rawValue: 1)
    /// Server query: a query to a non-local address.
    public static let serverQuery = MessageKind(rawValue: 2)
    /// Server response: a response to a local address.
    public static let serverResponse = MessageKind(rawValue: 3)

    public static let all: [MessageKind] = [.clientQuery, .clientResponse, .serverQuery, .serverResponse]

    /// `CQ`, `CR`, `SQ`, `SR`.
    @inlinable
    public var label: StaticString {
        switch rawValue {
        case 0: return "CQ"
        case 1: return "CR"
        case 2: return "SQ"
        default: return "SR"
        }
    }

    public var name: String { label.description }

    /// The spec's direction table: decided by message type and whether the
    /// destination is local.
    @inlinable
    public static func of(isResponse: Bool, destinationIsLocal: Bool) -> MessageKind {
        if isResponse { return destinationIsLocal ? .serverResponse : .clientResponse }
        return destinationIsLocal ? .clientQuery : .serverQuery
    }
}
