import PacketlogHost

// MARK: - HTTPWaitingMessages

/// Stream rule: how far the module already looked into an unfinished start
/// line, header block, chunk-size line or trailer, so that the next call
/// only scans the bytes that arrived since. Without it a peer sending a
/// header block a byte per segment would cost a full re-parse per byte —
/// quadratic up to `HTTPModule.maxWait` (about 2·10⁹ byte reads per
/// 64 KiB).
///
/// Purely a shortcut: a missing, evicted or stale record only means a full
/// re-parse (never a different line). A record is used only when the stream
/// still starts at the same TCP sequence number it was made for and holds
/// at least the bytes scanned then; it is dropped as soon as the wait ends.
/// At most `capacity` flows (an arbitrary one is dropped when full).
struct HTTPWaitingMessages {
    /// What ends the wait.
    enum Need {
        /// An LF (a start line or chunk-size line).
        case lineFeed
        /// An empty line: `LF LF` or `LF CR LF` (a header block or trailer).
        case emptyLine
    }

    struct Entry {
        /// The sequence number of the first stream byte (the waiting element).
        var sequence: UInt32
        /// Bytes from there already known not to hold what is needed.
        var scanned: Int
        var need: Need
    }

    static let capacity = 4096
    private(set) var entries: [TCPFlowKey: Entry] = [:]

    /// Room for every entry up front: the table never grows on the per-packet path.
    init() { entries.reserveCapacity(Self.capacity) }

    /// The sequence number of `stream`'s first byte, assuming the packet's
    /// payload ends the stream (when it does not — it filled a gap before
    /// held bytes — the value just matches no record).
    static func streamSequence(_ packet: PacketContext, streamCount: Int) -> UInt32 {
        let data = packet.tcpFlags.contains(.syn) ? packet.tcpSequence &+ 1 : packet.tcpSequence
        return data &+ UInt32(truncatingIfNeeded: packet.payload.count) &- UInt32(truncatingIfNeeded: streamCount)
    }

    /// Whether the wait recorded for `key` still holds for `stream` (starting
    /// at `sequence`): then the record is brought up to date and the caller
    /// returns 0 at once. Otherwise the record is dropped.
    mutating func stillWaiting(_ key: TCPFlowKey, sequence: UInt32, stream: UnsafeRawBufferPointer, maxWait: Int) -> Bool {
        guard let entry = entries.removeValue(forKey: key) else { return false }
        guard entry.sequence == sequence, stream.count >= entry.scanned, stream.count <= maxWait else { return false }
        let found: Bool
        switch entry.need {
        case .lineFeed: found = stream.indexOfLineFeed(from: entry.scanned) != nil
        case .emptyLine: found = Self.containsEmptyLine(stream, from: entry.scanned &- 2)
        }
        if found { return false }
        entries[key] = Entry(sequence: sequence, scanned: stream.count, need: entry.need)
        return true
    }

    /// Records that the stream's next call starts (at `sequence`) with an
    /// element needing `need`, of which `scanned` bytes arrived.
    mutating func record(_ key: TCPFlowKey, sequence: UInt32, scanned: Int, need: Need) {
        if entries[key] == nil, entries.count >= Self.capacity {
            entries.remove(at: entries.startIndex)
        }
        entries[key] = Entry(sequence: sequence, scanned: scanned, need: need)
    }

    /// An LF followed by LF or CR LF, starting at or after `start`.
    static func containsEmptyLine(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var position = Swift.max(start, 0)
        while let lf = bytes.indexOfLineFeed(from: position) {
            let next = lf &+ 1
            guard next < bytes.count else { return false }
            if bytes[next] == HTTPByte.lf { return true }
            if bytes[next] == HTTPByte.cr, next &+ 1 < bytes.count, bytes[next &+ 1] == HTTPByte.lf { return true }
            position = next
        }
        return false
    }
}
