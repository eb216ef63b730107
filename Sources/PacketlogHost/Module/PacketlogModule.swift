// MARK: - The module contract

/// What a module declares about itself: read once at start-up.
public struct ModuleDescriptor: Sendable {
    /// The name used with `--protocol` and in statistics (`dns`).
    public var name: String
    /// One line for `--help`.
    public var summary: String
    /// The BPF filter used when the user gives none (`port 53`).
    public var defaultFilter: String
    /// The section of `plugins.conf` that configures this module.
    public var configSection: String
    /// File names start with this (`dns` → `dns-20261127-05.log`).
    public var fileStem: String
    /// Hourly or daily files.
    public var rotation: RotationPeriod

    public init(name: String, summary: String, defaultFilter: String, configSection: String, fileStem: String, rotation: RotationPeriod) {
        self.name = name; self.summary = summary; self.defaultFilter = defaultFilter
        self.configSection = configSection; self.fileStem = fileStem; self.rotation = rotation
    }
}

/// Settings the host passes to a module at start-up: its config section's
/// keys and values. The module validates its own keys.
public struct ModuleOptions: Sendable {
    public var values: [String: String]
    /// Set by the host: the most bytes it holds for one TCP direction
    /// (`tcp_max_bytes_per_flow`); a stream module waiting for the end of an
    /// element (an HTTP header block) waits at most this long, as the
    /// host's cap would end the direction there anyway.
    public var streamBytesPerFlow: Int
    public init(values: [String: String] = [:], streamBytesPerFlow: Int = TCPReassemblyLimits().maxBytesPerFlow) {
        self.values = values
        self.streamBytesPerFlow = streamBytesPerFlow
    }
}

/// A protocol module: turns the messages in a packet into log lines.
///
/// The host owns capture, decoding below the transport payload, direction
/// inputs, buffers, files and threads; a module owns only its parsing and its
/// formatting. Contract:
/// - `decode` runs on one thread, once per packet the module `wants`, in
///   capture order. `packet.payload` is valid only during the call.
/// - For each message, the module calls `lines.beginLine()`, appends the
///   line's fields, and ends with `lines.commitLine()` — or `discardLine()`
///   if the message turns out malformed (nothing is half-logged).
/// - The per-packet path must not allocate: write into `lines`, never build
///   `String`s.
public protocol PacketlogModule {
    /// The module's name, filter, config section and file naming.
    static var descriptor: ModuleDescriptor { get }

    /// Creates the module; throws `ModuleConfigurationError` on a bad option.
    init(options: ModuleOptions) throws

    /// The BPF filter this instance needs (from its configured ports).
    var filter: String { get }

    /// Whether this packet belongs to the module (usually a port test).
    func wants(_ packet: PacketContext) -> Bool

    /// Emits one line per well-formed message in the packet.
    mutating func decode(_ packet: PacketContext, into lines: inout LineEmitter)

    /// Counters for the statistics, read off the per-packet path.
    var counters: [(name: String, value: UInt64)] { get }

    /// Whether the module reads TCP as reassembled byte streams (when
    /// reassembly is on). Such a module gets `decodeStream` instead of
    /// `decode` for TCP packets.
    static var readsTCPStreams: Bool { get }

    /// Decodes the complete messages at the start of `stream` — the
    /// contiguous, not yet consumed bytes of one TCP direction, which always
    /// start at a message boundary — and returns how many bytes it consumed.
    /// Returning more than `stream.count` skips bytes still to come (a body).
    /// `packet` is the packet that brought the newest bytes: lines take its
    /// time and endpoints. `stream` is valid only during the call.
    mutating func decodeStream(_ packet: PacketContext, stream: UnsafeRawBufferPointer, into lines: inout LineEmitter) -> Int

    /// Whether the lines of a datagram (a packet that is not TCP) depend on
    /// that packet alone: the module keeps nothing from one datagram to the
    /// next but its counters. The host may then decode datagrams in another
    /// instance of the module (on another thread) and merge the lines back
    /// into capture order. Default `false`.
    static var datagramsAreIndependent: Bool { get }
}

public extension PacketlogModule {
    static var readsTCPStreams: Bool { false }
    static var datagramsAreIndependent: Bool { false }

    mutating func decodeStream(_ packet: PacketContext, stream: UnsafeRawBufferPointer, into lines: inout LineEmitter) -> Int {
        var segment = packet
        segment.payload = stream
        decode(segment, into: &lines)
        return stream.count
    }
}

/// A module option the user got wrong.
public struct ModuleConfigurationError: Error, CustomStringConvertible {
    public var key: String
    public var message: String
    public init(key: String, message: String) { self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}
