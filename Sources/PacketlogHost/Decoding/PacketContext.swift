// MARK: - PacketTime

/// A capture timestamp: seconds since the epoch and nanoseconds.
public struct PacketTime: Hashable, Sendable, Comparable {
    public var seconds: Int64
    public var nanoseconds: UInt32
    @inlinable public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds; self.nanoseconds = nanoseconds
    }
    @inlinable public var milliseconds: UInt32 { nanoseconds / 1_000_000 }
    public static func < (a: PacketTime, b: PacketTime) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
}

// MARK: - PacketContext

/// What the host hands a module for one packet, decoded once: time,
/// addresses, ports, transport, direction inputs and the transport payload.
///
/// `payload` borrows libpcap's buffer and is valid only during the module's
/// `decode` call: parse in place, keep nothing.
public struct PacketContext {
    public var time: PacketTime
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var transport: IPProtocol
    /// TCP only: the header flags and sequence number.
    public var tcpFlags: TCPFlags
    public var tcpSequence: UInt32
    /// Whether the source/destination address is in the local set.
    public var sourceIsLocal: Bool
    public var destinationIsLocal: Bool
    /// `decodeStream` only: the stream begins at the first byte of a
    /// direction whose SYN was seen (nothing of it consumed yet: a new
    /// connection). A module keeping state per connection across a
    /// connection's end (the same addresses and ports reused by a new one)
    /// starts afresh here. A direction restarted without a SYN (idle too
    /// long, evicted) is not a start. Set by the host's reassembler.
    public var streamStart = false
    /// The transport payload (UDP datagram body or TCP segment data).
    public var payload: UnsafeRawBufferPointer
    /// Host-owned: `HH:MM:SS.mmm <src>#<sport> <dst>#<dport> ` (the time
    /// text, always `LineEmitter.timeTextCount` bytes with its space, then
    /// the endpoints) already rendered by the capture thread (the pipeline
    /// does this there, where it has time to spare), or empty. `LineEmitter`
    /// copies it instead of rendering, as a whole `LineEmitter.lineStartRoom`
    /// bytes from its start (which must be readable). Valid as long as
    /// `payload`.
    public var renderedLineStart = UnsafeRawBufferPointer(start: nil, count: 0)

    @inlinable public var isTCP: Bool { transport == .tcp }

    /// The log kind of a message in this packet (the spec's direction table).
    @inlinable
    public func kind(isResponse: Bool) -> MessageKind {
        MessageKind.of(isResponse: isResponse, destinationIsLocal: destinationIsLocal)
    }

    public init(time: PacketTime, source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                transport: IPProtocol, tcpFlags: TCPFlags = [], tcpSequence: UInt32 = 0,
                sourceIsLocal: Bool = false, destinationIsLocal: Bool = false, payload: UnsafeRawBufferPointer) {
        self.time = time; self.source = source; self.destination = destination
        self.sourcePort = sourcePort; self.destinationPort = destinationPort
        self.transport = transport; self.tcpFlags = tcpFlags; self.tcpSequence = tcpSequence
        self.sourceIsLocal = sourceIsLocal; self.destinationIsLocal = destinationIsLocal
        self.payload = payload
    }
}
