// MARK: - TCPReassembler

/// Limits that keep reassembly memory bounded, on capture time.
public struct TCPReassemblyLimits: Sendable {
    /// Directions tracked at once; the oldest is ended when full.
    public var maxFlows: Int = 65_536
    /// Bytes held per direction (contiguous plus out-of-order); past it the direction ends.
    public var maxBytesPerFlow: Int = 256 * 1024
    /// Bytes held by all directions; past it the oldest directions end.
    public var maxTotalBytes: Int = 256 * 1024 * 1024
    /// A direction with no packet for this long (capture time) ends.
    public var idleTimeoutSeconds: Int64 = 120
    public init() {}
}

/// Counters of what reassembly did and discarded.
public struct TCPReassemblyStatistics: Sendable {
    public var streams: UInt64 = 0
    public var endedByFIN: UInt64 = 0
    public var endedByRST: UInt64 = 0
    public var endedByNewSYN: UInt64 = 0
    public var endedByIdle: UInt64 = 0
    public var endedAtEndOfInput: UInt64 = 0
    public var evictedByFlowCap: UInt64 = 0
    public var evictedByByteCap: UInt64 = 0
    /// Bytes left unconsumed (an unfinished message or data after a gap) when a direction ended.
    public var discardedBytes: UInt64 = 0
    /// Directions that ended holding bytes (an unfinished message or a gap).
    public var unfinishedStreams: UInt64 = 0
    public var ignoredSegments: UInt64 = 0
    public init() {}
}

/// Turns TCP segments into per-direction byte streams per the spec's
/// reassembly rule, and offers new contiguous bytes to a consumer (the
/// module) that returns how many it consumed (complete messages).
///
/// - A stream starts after the SYN when the SYN was seen (data on the SYN
///   is stream data), otherwise at the first segment with payload.
/// - A direction ends at its FIN once every byte before it arrived, at a
///   RST in either direction (a RST's payload is not stream data), when a
///   SYN with a new ISN reuses the 4-tuple, on idle timeout or a cap, or at
///   the end of input; then it ignores segments until a new SYN.
public final class TCPReassembler {
    public let limits: TCPReassemblyLimits
    public private(set) var statistics = TCPReassemblyStatistics()
    var flows: TCPFlowTable
    /// Flows in creation order, for eviction under the flow cap: the key and
    /// the serial number the direction got when it started. An entry whose
    /// serial is not its key's direction's any more (the key ended and came
    /// back) is stale: skipped, and dropped when the order is compacted, so
    /// the order never holds more than one entry per tracked direction
    /// after a compaction.
    var creationOrder: [(key: TCPFlowKey, serial: UInt64)] = []
    var creationStart = 0
    var nextSerial: UInt64 = 0
    /// How often the creation order was compacted (a walk over it with a
    /// lookup per entry; for tests: it must stay rare).
    var compactions = 0
    /// The keys an idle sweep ends (reused, so a sweep allocates nothing once it has grown).
    var expiredScratch: [TCPFlowKey] = []
    var totalBytes = 0
    var lastSweep: Int64 = .min

    /// Directions no longer tracked, kept for reuse (without buffers: those
    /// are freed when a direction ends) so steady traffic allocates no
    /// direction per connection; a segment that starts at the next byte of a
    /// direction holding nothing goes to the consumer without a buffer.
    var spare: [TCPStreamDirection] = []
    static let maxSpare = 1024
    /// Small buffers for directions that have to hold bytes (a message split
    /// over segments, data after a gap), reused across connections.
    let bufferPool = ReassemblyBufferPool()

    public init(limits: TCPReassemblyLimits = TCPReassemblyLimits()) {
        self.limits = limits
        // Small at first: the table and the eviction order double as
        // directions come (a few times while a capture warms up, never per
        // packet), and the idle sweep walks every slot. (Sized for 4,096
        // directions up front, each new reassembler wrote 450 KB and
        // reserved 460 KB more: the DNS fuzzer, which makes one per input,
        // ran 5× slower.)
        flows = TCPFlowTable(capacity: 64)
        creationOrder.reserveCapacity(64)   // grows with the table (see `start`)
        spare.reserveCapacity(Self.maxSpare)
    }

    /// Directions currently tracked (ended ones included until they expire).
    public var flowCount: Int { flows.count }

    /// Heap bytes held by the buffers of all directions, tracked and spare
    /// (capacities; a walk over the table, for tests and diagnostics).
    var bufferStorageBytes: Int {
        var bytes = spare.reduce(0) { $0 + $1.storageBytes }
        flows.forEach { _, stream in bytes += stream.storageBytes }
        return bytes
    }

    /// Hands in-order segments of a direction that holds nothing straight
    /// to the consumer (no copy); off only to compare with the buffered path.
    var deliversDirectly = true

    /// Feeds one TCP packet. `consume(stream)` is called with the direction's
    /// contiguous unconsumed bytes when they grew; it returns the bytes it
    /// consumed (it may return more than it got: the rest is skipped as it
    /// arrives).
    public func process(_ packet: PacketContext, consume: (UnsafeRawBufferPointer) -> Int) {
        let now = packet.time.seconds
        // Idle directions are looked for every eighth of the timeout (at
        // least every second) of capture time, not on every packet.
        if now > lastSweep &+ max(1, limits.idleTimeoutSeconds / 8) { expireIdle(now: now) }
        let key = TCPFlowKey(packet)
        let flags = packet.tcpFlags

        if flags.contains(.rst) {
            end(key, reason: \.endedByRST)
            end(key.reversed, reason: \.endedByRST)
            return
        }

        var direction = flows[key]
        if flags.contains(.syn) {
            if let existing = direction, existing.initialSequence == packet.tcpSequence, !existing.ended {
                // A retransmitted SYN: its data (if any) is handled below.
            } else {
                if let existing = direction {
                    if !existing.ended { statistics.endedByNewSYN += 1 }
                    finish(key, existing)
                }
                direction = start(key, next: packet.tcpSequence &+ 1, initial: packet.tcpSequence, now: now)
            }
        }
        if direction == nil {
            guard !packet.payload.isEmpty else { return }
            direction = start(key, next: packet.tcpSequence, initial: nil, now: now)
        }
        guard let stream = direction else { return }
        if stream.ended {
            if !packet.payload.isEmpty { statistics.ignoredSegments += 1 }
            return
        }
        stream.lastSeen = now
        let dataSequence = flags.contains(.syn) ? packet.tcpSequence &+ 1 : packet.tcpSequence
        if flags.contains(.fin), stream.finSequence == nil {
            stream.finSequence = dataSequence &+ UInt32(packet.payload.count)
        }
        let before = stream.heldBytes
        if deliversDirectly, !packet.payload.isEmpty, stream.takesDirectly(at: dataSequence) {
            // The usual case (a whole message per segment): no copy, no buffer.
            stream.acceptDirect(packet.payload, consumed: max(0, consume(packet.payload)))
        } else if stream.insert(packet.payload, at: dataSequence) {
            let consumed = stream.buffer.withUnsafeBytes { raw in
                consume(UnsafeRawBufferPointer(rebasing: raw[stream.start...]))
            }
            stream.consume(max(0, consumed))
        }
        totalBytes += stream.heldBytes - before
        if stream.finishedByFIN {
            end(key, reason: \.endedByFIN)
        } else if stream.heldBytes > limits.maxBytesPerFlow {
            end(key, reason: \.evictedByByteCap)
        }
        enforceTotalCap()
    }

    /// Ends every direction (end of input).
    public func finishAll() {
        flows.forEach { key, stream in
            guard !stream.ended else { return }
            statistics.endedAtEndOfInput += 1
            finish(key, stream)
        }
        flows.removeAll()
        creationOrder.removeAll()
        creationStart = 0
        totalBytes = 0
    }

    // MARK: Internals

    private func start(_ key: TCPFlowKey, next: UInt32, initial: UInt32?, now: Int64) -> TCPStreamDirection {
        let stream: TCPStreamDirection
        if let old = flows[key] {
            // A new SYN on a tuple still remembered (ended or just finished): reuse it.
            old.reuse(nextSequence: next, initialSequence: initial, lastSeen: now)
            stream = old
        } else {
            if flows.count >= limits.maxFlows { evictOldest() }
            if let recycled = spare.popLast() {
                recycled.reuse(nextSequence: next, initialSequence: initial, lastSeen: now)
                stream = recycled
            } else {
                stream = TCPStreamDirection(nextSequence: next, initialSequence: initial, lastSeen: now, pool: bufferPool)
            }
            flows[key] = stream
            stream.serial = nextSerial
            nextSerial &+= 1
            if creationOrder.count == creationOrder.capacity {
                compactCreationOrder(force: true)
                // Still mostly full (the table is near its cap): make room,
                // or every new flow would compact the whole order again. After
                // a compaction it holds at most one entry per tracked flow, so
                // it stays below about three times the cap.
                if creationOrder.count * 4 > creationOrder.capacity * 3 {
                    creationOrder.reserveCapacity(creationOrder.capacity * 2)
                }
            }
            creationOrder.append((key, stream.serial))
        }
        statistics.streams += 1
        return stream
    }

    private func end(_ key: TCPFlowKey, reason: WritableKeyPath<TCPReassemblyStatistics, UInt64>) {
        guard let stream = flows[key], !stream.ended else { return }
        statistics[keyPath: reason] += 1
        finish(key, stream)
    }

    /// Discards what the direction still holds and marks it ended (kept as a
    /// tombstone so late segments are ignored until a new SYN or expiry).
    private func finish(_ key: TCPFlowKey, _ stream: TCPStreamDirection) {
        let held = stream.heldBytes
        if held > 0 {
            statistics.discardedBytes += UInt64(held)
            statistics.unfinishedStreams += 1
        }
        totalBytes -= held
        stream.release()
        stream.ended = true
    }

    private func evictOldest() {
        while creationStart < creationOrder.count {
            let (key, serial) = creationOrder[creationStart]
            creationStart += 1
            if let stream = flows[key], stream.serial == serial {
                if !stream.ended { statistics.evictedByFlowCap += 1 }
                finish(key, stream)
                flows[key] = nil
                recycle(stream)
                break
            }
        }
        compactCreationOrder()
    }

    private func enforceTotalCap() {
        guard totalBytes > limits.maxTotalBytes else { return }
        var index = creationStart
        while totalBytes > limits.maxTotalBytes, index < creationOrder.count {
            let (key, serial) = creationOrder[index]
            index += 1
            guard flows[key]?.serial == serial else { continue }
            if let stream = flows[key], !stream.ended, stream.heldBytes > 0 {
                statistics.evictedByByteCap += 1
                finish(key, stream)
            }
        }
    }

    /// Ends and forgets the directions idle for longer than the timeout.
    /// Their keys stay in `creationOrder` until it is compacted (when it is
    /// full, or when eviction has used up half of it): compacting on every
    /// sweep would hash every remembered key every few seconds.
    private func expireIdle(now: Int64) {
        lastSweep = now
        expiredScratch.removeAll(keepingCapacity: true)
        let timeout = limits.idleTimeoutSeconds
        flows.forEach { key, stream in
            if now - stream.lastSeen > timeout { expiredScratch.append(key) }
        }
        for key in expiredScratch {
            if let stream = flows[key] {
                if !stream.ended { statistics.endedByIdle += 1 }
                finish(key, stream)
                flows[key] = nil
                recycle(stream)
            }
        }
    }

    private func recycle(_ stream: TCPStreamDirection) {
        if spare.count < Self.maxSpare { spare.append(stream) }
    }

    /// Drops used and stale keys from the eviction order, in place (no allocation).
    private func compactCreationOrder(force: Bool = false) {
        guard force || (creationStart > 1024 && creationStart * 2 > creationOrder.count) else { return }
        compactions += 1
        var write = 0
        for read in creationStart..<creationOrder.count where flows[creationOrder[read].key]?.serial == creationOrder[read].serial {
            creationOrder[write] = creationOrder[read]
            write += 1
        }
        creationOrder.removeLast(creationOrder.count - write)
        creationStart = 0
    }
}
