// MARK: - PacketBatch

/// Packets decoded once by the reader, with their payloads (and rendered
/// endpoints) copied out of libpcap's buffer (which is only valid during one
/// read), for the workers to run the modules over their share in parallel.
/// Batches are pooled: allocated once, reused forever.
final class PacketBatch: @unchecked Sendable {
    let storage: UnsafeMutableRawPointer
    let capacity: Int
    var used = 0
    /// The decoded packets, in capture order: a fixed allocation rather
    /// than an `Array`, so that adding one (per packet, on the capture
    /// thread) checks no uniqueness and touches no reference count (the
    /// batch object is shared with the worker and merger threads).
    let entryStorage: UnsafeMutablePointer<PacketContext>
    /// For each entry, the worker that owns the packet's flow (-1: none, the
    /// reader decoded it). Apart from the entries, so a worker looking for
    /// its packets reads 2 bytes per entry instead of a line of each.
    let shardStorage: UnsafeMutablePointer<Int16>
    private(set) var entryCount = 0
    let maxEntries: Int
    /// The earliest and latest capture second among the entries (capture
    /// files need not be in time order): when both fall in one log period
    /// so does every line of the batch.
    private(set) var earliestSecond = Int64.max
    private(set) var latestSecond = Int64.min
    /// Live: flush buffered lines and close ended periods after this batch.
    var tick = false
    /// A capture file read from a pipe went idle: hand the buffered lines
    /// to the writer after this batch (`CapturePacketHandler.flushLines`).
    var flush = false
    /// SIGHUP: reopen the files after this batch.
    var reopen = false
    /// The last batch: workers finish their streams, the merger stops.
    var isEnd = false
    /// The reader's lines when it decoded this batch's datagrams itself
    /// (their entries have shard -1: no worker takes them).
    var helperOutput: WorkerOutput?

    init(capacity: Int, maxEntries: Int) {
        self.capacity = capacity
        self.maxEntries = maxEntries
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        entryStorage = UnsafeMutablePointer<PacketContext>.allocate(capacity: maxEntries)
        shardStorage = UnsafeMutablePointer<Int16>.allocate(capacity: maxEntries)
    }

    deinit {
        storage.deallocate()
        entryStorage.deallocate()   // entries are plain values: nothing to deinitialize
        shardStorage.deallocate()
    }

    /// The entries added so far (valid until `reset`).
    @inline(__always)
    var entries: UnsafeBufferPointer<PacketContext> { UnsafeBufferPointer(start: entryStorage, count: entryCount) }

    /// Adds a decoded packet for worker `shard`; the caller checks `isFull` first.
    @inline(__always)
    func append(_ packet: PacketContext, shard: Int) {
        precondition(entryCount < maxEntries, "PacketBatch overfilled")
        (entryStorage + entryCount).initialize(to: packet)
        shardStorage[entryCount] = Int16(truncatingIfNeeded: shard)
        entryCount &+= 1
        let second = packet.time.seconds
        if second < earliestSecond { earliestSecond = second }
        if second > latestSecond { latestSecond = second }
    }

    func reset() {
        used = 0
        entryCount = 0
        earliestSecond = .max
        latestSecond = .min
        helperOutput = nil
        tick = false
        flush = false
        reopen = false
        isEnd = false
    }

    var isFull: Bool { entryCount >= maxEntries }

    /// Copies `bytes` into the batch; `nil` when it does not fit.
    @inline(__always)
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard bytes.count <= capacity - used else { return nil }
        let destination = storage + used
        if let base = bytes.baseAddress, bytes.count > 0 { destination.copyMemory(from: base, byteCount: bytes.count) }
        used += (bytes.count + 7) & ~7
        return UnsafeRawBufferPointer(start: destination, count: bytes.count)
    }

    /// Lets `body` write at most `maxCount` bytes into the batch (it
    /// returns how many it wrote); `nil` when they may not fit.
    func write(atMost maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) -> UnsafeRawBufferPointer? {
        guard maxCount <= capacity - used else { return nil }
        let destination = storage + used
        let count = body(destination.assumingMemoryBound(to: UInt8.self))
        used += (count + 7) & ~7
        return UnsafeRawBufferPointer(start: destination, count: count)
    }
}

// MARK: - Flow shard

extension PacketContext {
    /// The same number for both directions of a flow, so one worker sees
    /// every packet of a TCP connection (its reassembly state) in order.
    @inlinable
    var flowHash: UInt64 {
        var h = (source.high ^ destination.high) &* 0x9E37_79B9_7F4A_7C15
        h ^= (source.low ^ destination.low) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(sourcePort ^ destinationPort) &* 0x1656_67B1_9E37_79F9
        return h ^ (h >> 29)
    }
}
