// MARK: - LineEmitter

/// Where a module writes the lines of one packet. The host owns it and
/// reuses it for every packet; after `decode` returns, the host routes each
/// committed line to its file(s).
///
/// A line is: `beginLine()`, fields appended to `buffer` (or through the
/// helpers here), `appendKind(_:)` where the `<kind>` field goes (split files
/// drop it), `commitLine()`.
public struct LineEmitter {
    /// The bytes of this packet's lines.
    public var buffer: LineBuffer
    /// Committed lines of the current packet.
    /// (host-owned: modules use beginLine/commitLine, never this directly)
    public var records: LineRecordList
    @usableFromInline var lineStart = 0
    @usableFromInline var kindOffset = -1
    @usableFromInline var kind = MessageKind.clientQuery
    /// The time text cache (one `localtime_r` per second).
    public var clock: LocalClock
    /// The text of recently printed addresses.
    public let addressText = AddressTextCache()
    /// Index of the module now decoding (host-owned: set before each call).
    public var module = 0
    /// Index of the packet now decoded within its batch (host-owned).
    public var packetIndex = 0
    /// Bit `m` set when module `m` committed a line since `reset` (a module
    /// index of 63 or more sets two bits: never taken for a single module).
    /// Lets the merger see that one module wrote every line of a batch
    /// without walking the records. (host-owned)
    public var modulesWithLines: UInt64 = 0

    /// Room for `capacity` bytes and `lines` lines before either grows.
    public init(capacity: Int = 256 * 1024, lines: Int = 1024) {
        buffer = LineBuffer(capacity: capacity)
        records = LineRecordList(capacity: lines)
        clock = LocalClock()
    }

    /// Frees the buffer (host, at shutdown).
    public func deallocate() { buffer.deallocate(); records.deallocate(); addressText.deallocate() }

    /// Forgets the lines of the previous packet (host).
    @inlinable
    public mutating func reset() {
        buffer.removeAll()
        records.removeAll()
        lineStart = 0
        kindOffset = -1
        modulesWithLines = 0
    }

    /// Starts a new line.
    @inlinable
    public mutating func beginLine() {
        buffer.truncate(to: lineStart)
        kindOffset = -1
    }

    /// Appends `kind` and one space, and remembers where it is so split files
    /// can leave it out.
    @inlinable
    public mutating func appendKind(_ kind: MessageKind) {
        kindOffset = buffer.count
        self.kind = kind
        let label = kind.label.utf8Start
        buffer.appendWithReservedCapacity(3) { p in
            p[0] = label[0]; p[1] = label[1]; p[2] = UInt8(ascii: " ")
            return 3
        }
    }

    /// Ends the line: it will be written.
    @inlinable
    public mutating func commitLine() {
        buffer.append(UInt8(ascii: "\n"))
        records.append(LineRecord(start: lineStart, end: buffer.count, kindOffset: kindOffset, kind: kind, module: module, packet: packetIndex))
        modulesWithLines |= module < 63 ? 1 &<< UInt64(truncatingIfNeeded: module) : 0xC000_0000_0000_0000
        lineStart = buffer.count
        kindOffset = -1
    }

    /// Drops the line being built (a malformed message is never half-logged).
    @inlinable
    public mutating func discardLine() {
        buffer.truncate(to: lineStart)
        kindOffset = -1
    }

    // MARK: Field helpers

    /// `HH:MM:SS.mmm`.
    @inlinable
    public mutating func appendTime(_ time: PacketTime) { clock.appendTime(time, to: &buffer) }

    /// `YYYY-MM-DD HH:MM:SS.mmm`.
    @inlinable
    public mutating func appendDateTime(_ time: PacketTime) { clock.appendDateTime(time, to: &buffer) }

    /// `<address>#<port>`.
    @inlinable
    public mutating func appendEndpoint(_ address: IPAddress, port: UInt16) {
        addressText.append(address, to: &buffer)
        buffer.append(UInt8(ascii: "#"))
        buffer.appendDecimal(port)
    }

    /// `<time> <src>#<sport> <dst>#<dport> ` — the common start of a line.
    @inlinable
    public mutating func appendTimeAndEndpoints(_ packet: PacketContext, withDate: Bool) {
        let rendered = packet.renderedLineStart
        let isRendered = rendered.count > Self.timeTextCount && rendered.count <= Self.lineStartRoom
        if !withDate {
            if isRendered, let text = rendered.baseAddress {
                // Rendered by the capture thread: the whole room copied, a
                // fixed size the compiler turns into a few vector moves (the
                // capture thread checked that `lineStartRoom` bytes fit in
                // its batch from the text's start, so reading them stays
                // inside; only the text's own bytes count).
                buffer.appendWithReservedCapacity(Self.lineStartRoom) { p in
                    UnsafeMutableRawPointer(p).copyMemory(from: text, byteCount: Self.lineStartRoom)
                    return rendered.count
                }
                return
            }
            // Rendered here, in one reservation, through a pointer.
            clock.update(packet.time.seconds)
            let timeText = clock.timeText, cache = addressText   // not the whole clock: copied per line
            buffer.appendWithReservedCapacity(Self.lineStartRoom) { p in
                Self.writeLineStart(time: packet.time, timeText: timeText, source: packet.source, sourcePort: packet.sourcePort,
                                    destination: packet.destination, destinationPort: packet.destinationPort, cache: cache, to: p)
            }
            return
        }
        appendDateTime(packet.time)
        buffer.append(UInt8(ascii: " "))
        if isRendered {
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rendered[Self.timeTextCount...]))
            return
        }
        let cache = addressText
        buffer.appendWithReservedCapacity(Self.endpointsRoom) { p in Self.writeEndpoints(packet, cache: cache, to: p) }
    }

    /// `HH:MM:SS.mmm ` with its space.
    @inlinable public static var timeTextCount: Int { 13 }

    /// Room `writeEndpoints` needs at its pointer.
    @inlinable public static var endpointsRoom: Int { 2 * (AddressTextCache.roomNeeded + 7) + 1 }

    /// Room `writeLineStart` needs at its pointer, rounded up to whole
    /// words. A rendered line start is copied as this whole room, so its
    /// maker keeps this many bytes readable from its start.
    @inlinable public static var lineStartRoom: Int { (timeTextCount + endpointsRoom + 7) & ~7 }

    /// Writes `HH:MM:SS.mmm <src>#<sport> <dst>#<dport> ` at `p` (room for
    /// `lineStartRoom` bytes) and returns its length; `timeText` is the
    /// `LocalClock` text of the second `time` falls in. (The capture thread
    /// calls it without copying a whole `PacketContext`.)
    @inlinable
    public static func writeLineStart(time: PacketTime, timeText: (UInt64, UInt8), source: IPAddress, sourcePort: UInt16,
                                      destination: IPAddress, destinationPort: UInt16, cache: AddressTextCache,
                                      to p: UnsafeMutablePointer<UInt8>) -> Int {
        var o = LocalClock.writeTime(time, text: timeText, to: p)
        p[o] = UInt8(ascii: " "); o &+= 1
        return o &+ writeEndpoints(source: source, sourcePort: sourcePort, destination: destination,
                                   destinationPort: destinationPort, cache: cache, to: p + o)
    }

    /// Writes `<src>#<sport> <dst>#<dport> ` at `p` (room for
    /// `endpointsRoom` bytes) and returns its length.
    @inlinable
    public static func writeEndpoints(_ packet: PacketContext, cache: AddressTextCache, to p: UnsafeMutablePointer<UInt8>) -> Int {
        writeEndpoints(source: packet.source, sourcePort: packet.sourcePort, destination: packet.destination,
                       destinationPort: packet.destinationPort, cache: cache, to: p)
    }

    /// `writeEndpoints` from the four fields.
    @inlinable
    public static func writeEndpoints(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
                                      cache: AddressTextCache, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var o = cache.write(source, to: p)
        p[o] = UInt8(ascii: "#"); o &+= 1
        o &+= writeDecimal16(sourcePort, to: p + o)
        p[o] = UInt8(ascii: " "); o &+= 1
        o &+= cache.write(destination, to: p + o)
        p[o] = UInt8(ascii: "#"); o &+= 1
        o &+= writeDecimal16(destinationPort, to: p + o)
        p[o] = UInt8(ascii: " ")
        return o &+ 1
    }
}

/// One committed line inside `LineEmitter.buffer`: `[start, end)` includes the
/// final newline; `kindOffset` is where `CQ ` starts, or -1.
public struct LineRecord: Sendable {
    @inlinable init(start: Int, end: Int, kindOffset: Int, kind: MessageKind, module: Int, packet: Int) {
        self.start = start; self.end = end; self.kindOffset = kindOffset; self.kind = kind; self.module = module; self.packet = packet
    }
    public var start: Int
    public var end: Int
    public var kindOffset: Int
    public var kind: MessageKind
    /// Index of the module that wrote the line.
    public var module: Int
    /// Index of the packet within its batch (parallel engine).
    public var packet: Int
}

// MARK: - LineRecordList

/// The committed lines of one packet: a growable list over a raw allocation
/// that is emptied per packet without touching the allocator (an `Array`'s
/// `removeAll(keepingCapacity:)` costs a generic call per packet). Owned like
/// `LineBuffer`: whoever creates it calls `deallocate()` once.
public struct LineRecordList: RandomAccessCollection {
    @usableFromInline var base: UnsafeMutablePointer<LineRecord>
    @usableFromInline var capacity: Int
    @usableFromInline var used = 0
    @inlinable public var endIndex: Int { used }

    public init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = UnsafeMutablePointer<LineRecord>.allocate(capacity: self.capacity)
    }

    public func deallocate() { base.deallocate() }

    @inlinable public var startIndex: Int { 0 }

    @inlinable
    public subscript(position: Int) -> LineRecord {
        precondition(position >= 0 && position < endIndex, "LineRecordList index out of range")
        return base[position]
    }

    @inlinable
    public mutating func append(_ record: LineRecord) {
        if _slowPath(used == capacity) { grow() }
        (base + used).initialize(to: record)
        used &+= 1
    }

    @inlinable public mutating func removeAll() { used = 0 }

    @usableFromInline
    mutating func grow() {
        let bigger = UnsafeMutablePointer<LineRecord>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: used)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}
