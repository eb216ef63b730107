// MARK: - TCPReassembler

/// Limits that keep reassembly memory bounded, on capture time.
public struct TCPReassemblyLimits: Sendable {
    /// Directions tracked at once; the oldest is ended when full.
    public var maxFlows: Int = 65_536
    /// Bytes held per direction (contiguous plus out-of-order); past it the direction ends.
    public var maxBytesPerFlow: Int = 256 * 1024
    /// Out-of-order pieces held per direction; past it the direction ends
    /// (counted as a byte cap). Without it a peer sending one-byte segments
    /// behind a gap made a quarter of a million pieces within the byte cap,
    /// each insert a walk over all of them. (A 64 KiB DNS message is at most
    /// 45 full-size segments; 256 full-size segments pass the byte cap.)
    public var maxOutOfOrderSegments: Int = 256
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
    /// the serial number its slot got when the key was inserted. An entry
    /// whose serial is not its key's slot's any more (the key left and came
    /// back) is stale: skipped, and dropped when the order is compacted, so
    /// the order never holds more than one entry per tracked key after a
    /// compaction. (32 bits wrap after 4 billion keys; an entry cannot live
    /// that long: the order is compacted whenever it fills.)
    var creationOrder: [(key: TCPFlowKey, serial: UInt32)] = []
    var creationStart = 0
    var nextSerial: UInt32 = 0
    /// How often the creation order was compacted (a walk over it with a
    /// lookup per entry; for tests: it must stay rare).
    var compactions = 0
    var totalBytes = 0
    var sweeps = SweepSchedule()
    /// The latest capture time seen (idle directions at the end of input).
    var latestTime: Int64 = .min

    /// Directions that ended, kept for reuse (without buffers: those are
    /// freed when a direction ends) so steady traffic allocates no direction
    /// per connection; a segment that starts at the next byte of a direction
    /// holding nothing goes to the consumer without a buffer. A direction
    /// comes here the moment it ends (its key stays in the table, without
    /// it, until it expires), so the object is recycled while in cache and
    /// the sweep that later forgets the key never touches it. It keeps up to
    /// the table's capacity (at least `maxSpare`): a sweep may free that
    /// many at once, and freeing them only to allocate new ones for the next
    /// connections would allocate per connection; the memory is what those
    /// directions held a moment before.
    var spare: [TCPStreamDirection] = []
    static let maxSpare = 1024
    /// How many `spare` keeps: `maxSpare` or the table's capacity, read
    /// when a sweep starts (the sweep frees the most at once, and while it
    /// walks the table the table cannot be read).
    var spareLimit = TCPReassembler.maxSpare
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

    /// Keys currently tracked (ended directions included until they expire).
    public var flowCount: Int { flows.count }

    /// Heap bytes held by the buffers of all directions, tracked and spare
    /// (capacities; a walk over the table, for tests and diagnostics).
    var bufferStorageBytes: Int {
        var bytes = spare.reduce(0) { $0 + $1.storageBytes }
        flows.forEach { _, _, stream in bytes += stream?.storageBytes ?? 0 }
        return bytes
    }

    /// While `process` calls its consumer: whether the stream it hands over
    /// begins at the first byte of a direction its SYN began
    /// (`PacketContext.streamStart`: a new connection).
    public private(set) var deliversStreamStart = false

    /// Hands in-order segments of a direction that holds nothing straight
    /// to the consumer (no copy); off only to compare with the buffered path.
    var deliversDirectly = true

    /// Feeds one TCP packet. `consume(stream)` is called with the direction's
    /// contiguous unconsumed bytes when they grew; it returns the bytes it
    /// consumed (it may return more than it got: the rest is skipped as it
    /// arrives).
    public func process(_ packet: PacketContext, consume: (UnsafeRawBufferPointer) -> Int) {
        let now = packet.time.seconds
        // A direction idle for longer than the timeout is ended when its
        // next packet looks it up (`liveSlot`), so the timeout holds to the
        // second; the sweep frees the ones never seen again, every half
        // timeout (at least every second) of capture time, so an idle
        // direction is held at most one and a half timeouts. (Every eighth
        // of the timeout, the sweeps' walks over the table were 2% of all
        // samples on a resolver's capture; the spare list keeps what a sweep
        // frees.)
        if now > latestTime { latestTime = now }
        if sweeps.isDue(at: now, every: max(1, limits.idleTimeoutSeconds / 2)) { expireIdle(now: now) }
        let key = TCPFlowKey(packet)
        let flags = packet.tcpFlags

        if flags.contains(.rst) {
            end(key, now: now, reason: .rst)
            end(key.reversed, now: now, reason: .rst)
            return
        }

        // One probe per packet: the slot found here is passed on. A slot
        // without a direction is a key whose direction ended.
        var slot = liveSlot(key, now: now)
        var direction = slot.flatMap { flows.value(at: $0) }
        if flags.contains(.syn) {
            if let existing = direction, existing.initialSequence == packet.tcpSequence {
                // A retransmitted SYN: its data (if any) is handled below.
            } else {
                if let existing = direction {
                    statistics.endedByNewSYN += 1
                    finish(existing)
                }
                (direction, slot) = start(key, at: slot, reusing: direction, next: packet.tcpSequence &+ 1,
                                          initial: packet.tcpSequence, now: now)
            }
        }
        if direction == nil {
            if slot != nil {
                // Ended: segments are ignored until a new SYN or expiry.
                if !packet.payload.isEmpty { statistics.ignoredSegments += 1 }
                return
            }
            guard !packet.payload.isEmpty else { return }
            (direction, slot) = start(key, at: nil, reusing: nil, next: packet.tcpSequence, initial: nil, now: now)
        }
        guard let stream = direction, let slot else { return }
        flows.setLastSeen(at: slot, now)
        let dataSequence = flags.contains(.syn) ? packet.tcpSequence &+ 1 : packet.tcpSequence
        if flags.contains(.fin), stream.finSequence == nil {
            stream.finSequence = dataSequence &+ UInt32(packet.payload.count)
        }
        if !packet.payload.isEmpty {
            let before = stream.heldBytes
            // Only a stream its SYN began: a direction restarted without one
            // (idle too long, evicted) is the same connection going on.
            deliversStreamStart = !stream.consumedAny && stream.initialSequence != nil
            if deliversDirectly, stream.takesDirectly(at: dataSequence) {
                // The usual case (a whole message per segment): no copy, no buffer.
                stream.acceptDirect(packet.payload, consumed: max(0, consume(packet.payload)))
            } else if stream.insert(packet.payload, at: dataSequence) {
                let consumed = stream.buffer.withUnsafeBytes { raw in
                    consume(UnsafeRawBufferPointer(rebasing: raw[stream.start...]))
                }
                stream.consume(max(0, consumed))
            }
            totalBytes += stream.heldBytes - before
        }
        if stream.finishedByFIN {
            end(stream, at: slot, reason: .fin)
        } else if stream.heldBytes > limits.maxBytesPerFlow || stream.pending.count > limits.maxOutOfOrderSegments {
            end(stream, at: slot, reason: .byteCap)
        }
        enforceTotalCap()
    }

    /// Ends every direction (end of input).
    public func finishAll() {
        flows.forEach { _, lastSeen, stream in
            guard let stream else { return }
            if isIdle(lastSeen, now: latestTime) {
                statistics.endedByIdle += 1   // it had ended before the input did
            } else {
                statistics.endedAtEndOfInput += 1
            }
            finish(stream)
        }
        flows.removeAll()
        creationOrder.removeAll()
        creationStart = 0
        totalBytes = 0
    }

    // MARK: Internals

    /// A direction for `key` starting at `next`, and its slot: in `slot`
    /// (the key's, when the table holds it) with `existing` (its direction,
    /// just finished) reused or, when the direction had ended, a spare one;
    /// else a new key.
    private func start(_ key: TCPFlowKey, at slot: Int?, reusing existing: TCPStreamDirection?, next: UInt32, initial: UInt32?,
                       now: Int64) -> (TCPStreamDirection, Int) {
        statistics.streams += 1
        if let slot {
            // A new SYN on a key still remembered: it keeps its slot and serial.
            let stream = existing ?? takeDirection()
            stream.reuse(nextSequence: next, initialSequence: initial)
            flows.setValue(stream, at: slot)
            return (stream, slot)
        }
        if flows.count >= limits.maxFlows { evictOldest() }
        let stream = takeDirection()
        stream.reuse(nextSequence: next, initialSequence: initial)
        let serial = nextSerial
        nextSerial &+= 1
        let newSlot = flows.insertNew(key, stream, lastSeen: now, serial: serial)
        if creationOrder.count == creationOrder.capacity {
            compactCreationOrder(force: true)
            // Still more than half full (the table is near its cap, or
            // growing): make room, or new flows would soon compact the
            // whole order again. After a compaction it holds at most one
            // entry per tracked key, so it stays below about twice the
            // cap's storage.
            if creationOrder.count * 2 > creationOrder.capacity {
                creationOrder.reserveCapacity(creationOrder.capacity * 2)
            }
        }
        creationOrder.append((key, serial))
        return (stream, newSlot)
    }

    /// A spare direction, or a new one (the caller calls `reuse`).
    private func takeDirection() -> TCPStreamDirection {
        spare.popLast() ?? TCPStreamDirection(nextSequence: 0, initialSequence: nil, pool: bufferPool)
    }

    private func end(_ key: TCPFlowKey, now: Int64, reason: EndReason) {
        guard let slot = liveSlot(key, now: now), let stream = flows.value(at: slot) else { return }
        end(stream, at: slot, reason: reason)
    }

    /// Whether a direction whose last packet came at `lastSeen` has had none
    /// for longer than the timeout at `now`.
    @inline(__always)
    private func isIdle(_ lastSeen: Int64, now: Int64) -> Bool {
        secondsElapsed(from: lastSeen, to: now) > limits.idleTimeoutSeconds
    }

    /// The slot of `key`'s direction, or `nil` when there is none or it was
    /// idle for longer than the timeout (it is then ended and forgotten).
    @inline(__always)
    private func liveSlot(_ key: TCPFlowKey, now: Int64) -> Int? {
        guard let slot = flows.find(key) else { return nil }
        guard isIdle(flows.lastSeen(at: slot), now: now) else { return slot }
        expire(flows.value(at: slot))
        flows.remove(at: slot)
        return nil
    }

    /// Ends the direction of an idle key the caller takes out of the table
    /// (`nil`: it had ended), and keeps the object for reuse.
    private func expire(_ stream: TCPStreamDirection?) {
        guard let stream else { return }
        statistics.endedByIdle += 1
        finish(stream)
        recycle(stream)
    }

    /// Why `end` ends a direction (the counter it adds to). (A key path
    /// was instantiated at run time on every call.)
    private enum EndReason { case fin, rst, byteCap }

    /// Ends the direction in `slot`: its key stays, without it, so late
    /// segments are ignored until a new SYN or expiry; the object is kept
    /// for reuse.
    private func end(_ stream: TCPStreamDirection, at slot: Int, reason: EndReason) {
        switch reason {
        case .fin: statistics.endedByFIN += 1
        case .rst: statistics.endedByRST += 1
        case .byteCap: statistics.evictedByByteCap += 1
        }
        finish(stream)
        flows.setValue(nil, at: slot)
        recycle(stream)
    }

    /// Discards what the direction still holds and lets go of its buffers.
    private func finish(_ stream: TCPStreamDirection) {
        let held = stream.heldBytes
        if held > 0 {
            statistics.discardedBytes += UInt64(held)
            statistics.unfinishedStreams += 1
        }
        totalBytes -= held
        stream.release()
    }

    /// The slot of the direction an eviction-order entry stands for, or
    /// `nil` when the entry is stale (its key ended and came back, or left).
    @inline(__always)
    private func slot(of entry: (key: TCPFlowKey, serial: UInt32)) -> Int? {
        guard let slot = flows.find(entry.key), flows.serial(at: slot) == entry.serial else { return nil }
        return slot
    }

    private func evictOldest() {
        while creationStart < creationOrder.count {
            let entry = creationOrder[creationStart]
            creationStart += 1
            if let slot = slot(of: entry) {
                let stream = flows.value(at: slot)   // nil: the key's direction had ended
                flows.remove(at: slot)
                if let stream {
                    statistics.evictedByFlowCap += 1
                    finish(stream)
                    recycle(stream)
                }
                break
            }
        }
        compactCreationOrder()
    }

    private func enforceTotalCap() {
        guard totalBytes > limits.maxTotalBytes else { return }
        var index = creationStart
        while totalBytes > limits.maxTotalBytes, index < creationOrder.count {
            let entry = creationOrder[index]
            index += 1
            guard let slot = slot(of: entry), let stream = flows.value(at: slot) else { continue }
            if stream.heldBytes > 0 { end(stream, at: slot, reason: .byteCap) }
        }
    }

    /// Ends and forgets the directions idle for longer than the timeout, in
    /// one walk of the table (memory: a direction's next packet would end it
    /// anyway). Their keys stay in `creationOrder` until it is compacted
    /// (when it is full, or when eviction has used up half of it):
    /// compacting on every sweep would look every remembered key up.
    private func expireIdle(now: Int64) {
        spareLimit = max(Self.maxSpare, flows.slotCount / 2)
        flows.removeAll(where: { _, lastSeen in isIdle(lastSeen, now: now) }, removed: expire)
    }

    private func recycle(_ stream: TCPStreamDirection) {
        if spare.count < spareLimit { spare.append(stream) }
    }

    /// Drops used and stale keys from the eviction order, in place (no allocation).
    private func compactCreationOrder(force: Bool = false) {
        guard force || (creationStart > 1024 && creationStart * 2 > creationOrder.count) else { return }
        compactions += 1
        var write = 0
        for read in creationStart..<creationOrder.count where slot(of: creationOrder[read]) != nil {
            creationOrder[write] = creationOrder[read]
            write += 1
        }
        creationOrder.removeLast(creationOrder.count - write)
        creationStart = 0
    }
}
