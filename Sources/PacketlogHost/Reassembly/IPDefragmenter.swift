// MARK: - IPDefragmenter

/// Limits that keep defragmentation memory bounded, on capture time.
public struct IPDefragmentationLimits: Sendable {
    /// Datagrams being reassembled at once; the oldest is dropped when full.
    public var maxDatagrams: Int = 8192
    /// Bytes held by all unfinished datagrams.
    public var maxTotalBytes: Int = 64 * 1024 * 1024
    /// An unfinished datagram older than this (capture time) is dropped.
    public var timeoutSeconds: Int64 = 30
    public init() {}
}

public struct IPDefragmentationStatistics: Sendable {
    public var fragments: UInt64 = 0
    public var reassembled: UInt64 = 0
    public var timedOut: UInt64 = 0
    public var evicted: UInt64 = 0
    public var invalid: UInt64 = 0
    public init() {}
}

/// Reassembles IPv4 and IPv6 fragments. IPv4 datagrams are keyed by
/// (source, destination, protocol, id), IPv6 by (source, destination, id).
/// The fragment without more-fragments sets the length; the copy of a byte
/// that arrived first wins; a datagram completes with the fragment that
/// fills its last hole, whose time it takes.
public final class IPDefragmenter {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var proto: UInt8     // IPv4 protocol; 0 for IPv6 (the id is 32-bit)
        var id: UInt32
    }

    final class Datagram {
        var bytes: [UInt8] = []
        /// Received byte ranges, sorted, merged.
        var ranges: [Range<Int>] = []
        var totalLength: Int?
        var proto: UInt8?
        let firstSeen: Int64
        init(firstSeen: Int64) { self.firstSeen = firstSeen }

        var isComplete: Bool {
            guard let totalLength, ranges.count == 1 else { return false }
            return ranges[0] == 0..<totalLength
        }

        /// Copies the bytes of `data` at `offset` that no earlier fragment holds.
        func add(_ data: UnsafeRawBufferPointer, at offset: Int) {
            let end = offset + data.count
            if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
            var cursor = offset
            for r in ranges where r.upperBound > cursor && r.lowerBound < end {
                if r.lowerBound > cursor { copy(data, from: cursor, to: r.lowerBound, base: offset) }
                cursor = max(cursor, r.upperBound)
            }
            if cursor < end { copy(data, from: cursor, to: end, base: offset) }
            ranges.append(offset..<end)
            ranges.sort { $0.lowerBound < $1.lowerBound }
            var merged: [Range<Int>] = []
            for r in ranges {
                if let last = merged.last, r.lowerBound <= last.upperBound {
                    merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    merged.append(r)
                }
            }
            ranges = merged
        }

        private func copy(_ data: UnsafeRawBufferPointer, from: Int, to: Int, base: Int) {
            for i in from..<to { bytes[i] = data[i - base] }
        }
    }

    public let limits: IPDefragmentationLimits
    public private(set) var statistics = IPDefragmentationStatistics()
    var table: [Key: Datagram] = [:]
    /// Keys in creation order, for eviction without a scan.
    var order: [(key: Key, firstSeen: Int64)] = []
    var orderStart = 0
    var heldBytes = 0
    var sweeps = SweepSchedule()
    /// The last completed datagram's transport bytes; valid until the next call.
    var completed = LineBuffer(capacity: 65_536)

    public init(limits: IPDefragmentationLimits = IPDefragmentationLimits()) { self.limits = limits }
    deinit { completed.deallocate() }

    /// Adds one fragment. `offset` is in bytes of the fragmentable part;
    /// `proto` is the upper protocol when this fragment says it (IPv4: every
    /// fragment; IPv6: the fragment header's next header). Returns the whole
    /// transport-layer datagram and its protocol when this fragment completes it.
    public func add(source: IPAddress, destination: IPAddress, proto: UInt8, ipv6: Bool, id: UInt32, offset: Int,
             moreFragments: Bool, data: UnsafeRawBufferPointer, time: Int64) -> (UnsafeRawBufferPointer, UInt8)? {
        statistics.fragments &+= 1
        if sweeps.isDue(at: time, every: 1) { expire(now: time) }
        let end = offset + data.count
        guard end <= 65_535 + 8, moreFragments ? data.count % 8 == 0 && data.count > 0 : true else {
            statistics.invalid &+= 1
            return nil
        }
        let key = Key(source: source, destination: destination, proto: ipv6 ? 0 : proto, id: id)
        let datagram: Datagram
        if let existing = table[key] {
            datagram = existing
        } else {
            if table.count >= limits.maxDatagrams { evictOldest() }
            datagram = Datagram(firstSeen: time)
            table[key] = datagram
            order.append((key, time))
            // Completed datagrams leave their keys behind: drop them before
            // they outnumber the datagrams in progress (amortized O(1)).
            if order.count - orderStart > 2 * table.count + 1024 { compactOrder() }
        }
        if !moreFragments {
            if let known = datagram.totalLength, known != end {
                statistics.invalid &+= 1   // a second, different end: keep the first
            } else {
                datagram.totalLength = end
            }
        }
        if offset == 0 || datagram.proto == nil { datagram.proto = proto }
        let before = datagram.bytes.count
        if let total = datagram.totalLength, end > total {
            statistics.invalid &+= 1
            return nil
        }
        datagram.add(data, at: offset)
        heldBytes += datagram.bytes.count - before
        guard datagram.isComplete, let total = datagram.totalLength else {
            // One fragment can add up to 64 KiB (a high offset fills the
            // gap before it): evict until the limit holds again.
            while heldBytes > limits.maxTotalBytes, evictOldest() {}
            return nil
        }
        table[key] = nil
        heldBytes -= datagram.bytes.count
        statistics.reassembled &+= 1
        completed.removeAll()
        datagram.bytes.withUnsafeBytes { completed.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
        return (completed.bytes, datagram.proto ?? proto)
    }

    /// Drops the oldest datagram in progress; `false` when there was none.
    @discardableResult
    private func evictOldest() -> Bool {
        var evicted = false
        while orderStart < order.count {
            let (key, firstSeen) = order[orderStart]
            orderStart += 1
            if let datagram = table[key], datagram.firstSeen == firstSeen {
                table[key] = nil
                heldBytes -= datagram.bytes.count
                statistics.evicted &+= 1
                evicted = true
                break
            }
        }
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        return evicted
    }

    /// Keeps only the keys of datagrams still in progress, in place.
    private func compactOrder() {
        var write = 0
        for read in orderStart..<order.count where table[order[read].key]?.firstSeen == order[read].firstSeen {
            order[write] = order[read]
            write += 1
        }
        order.removeLast(order.count - write)
        orderStart = 0
    }

    private func expire(now: Int64) {
        let timeout = limits.timeoutSeconds
        let old = table.filter { secondsElapsed(from: $0.value.firstSeen, to: now) > timeout }
        for (key, datagram) in old {
            table[key] = nil
            heldBytes -= datagram.bytes.count
            statistics.timedOut &+= 1
        }
        if !old.isEmpty || table.isEmpty { compactOrder() }
    }
}
