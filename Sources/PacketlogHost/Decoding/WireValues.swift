// MARK: - Wire values

// The named values are computed, not stored: a stored `static let` is read
// through an accessor call (with a once-only initialisation check) in
// every packet's decoding; a computed one is a constant.

/// An IP protocol number (`IPPROTO_*`). Unknown values still print.
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var tcp: IPProtocol { IPProtocol(rawValue: 6) }
    @inlinable public static var udp: IPProtocol { IPProtocol(rawValue: 17) }
    @inlinable public static var icmp: IPProtocol { IPProtocol(rawValue: 1) }
    @inlinable public static var icmpv6: IPProtocol { IPProtocol(rawValue: 58) }
}

/// An EtherType. Unknown values still print.
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static var ipv4: EtherType { EtherType(rawValue: 0x0800) }
    @inlinable public static var ipv6: EtherType { EtherType(rawValue: 0x86DD) }
    @inlinable public static var arp: EtherType { EtherType(rawValue: 0x0806) }
    @inlinable public static var vlan: EtherType { EtherType(rawValue: 0x8100) }
    @inlinable public static var qinq: EtherType { EtherType(rawValue: 0x88A8) }
    @inlinable public static var qinqLegacy: EtherType { EtherType(rawValue: 0x9100) }
}

/// A libpcap link-layer header type (`DLT_*` as `pcap_datalink` returns it).
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public static var null: LinkType { LinkType(rawValue: 0) }
    @inlinable public static var ethernet: LinkType { LinkType(rawValue: 1) }
    @inlinable public static var raw: LinkType { LinkType(rawValue: 12) }
    @inlinable public static var rawOpenBSD: LinkType { LinkType(rawValue: 14) }
    @inlinable public static var loop: LinkType { LinkType(rawValue: 108) }
    @inlinable public static var linuxSLL: LinkType { LinkType(rawValue: 113) }
    @inlinable public static var rawLinktype: LinkType { LinkType(rawValue: 101) }
    @inlinable public static var ipv4: LinkType { LinkType(rawValue: 228) }
    @inlinable public static var ipv6: LinkType { LinkType(rawValue: 229) }
    @inlinable public static var linuxSLL2: LinkType { LinkType(rawValue: 276) }

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
    @inlinable public static var clientQuery: MessageKind { MessageKind(rawValue: 0) }
    /// Client response: a response to a non-local address.
    @inlinable public static var clientResponse: MessageKind { MessageKind(rawValue: 1) }
    /// Server query: a query to a non-local address.
    @inlinable public static var serverQuery: MessageKind { MessageKind(rawValue: 2) }
    /// Server response: a response to a local address.
    @inlinable public static var serverResponse: MessageKind { MessageKind(rawValue: 3) }

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
