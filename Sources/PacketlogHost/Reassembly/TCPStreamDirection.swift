// MARK: - TCPStreamDirection

/// The byte stream of one TCP direction: contiguous bytes not yet consumed
/// by the module, and segments that arrived ahead of a gap. The copy of a
/// byte that arrived first always wins; retransmissions and overlaps never
/// change or repeat bytes.
final class TCPStreamDirection {
    /// Sequence number of the next byte the stream expects.
    var nextSequence: UInt32
    /// The SYN's initial sequence number, when the SYN was seen.
    var initialSequence: UInt32?
    /// Contiguous, not yet consumed bytes: `buffer[start...]`.
    var buffer: [UInt8] = []
    var start = 0
    /// Bytes the module asked to skip that have not arrived yet.
    var skip = 0
    /// Whether the consumer has consumed any byte of this direction.
    var consumedAny = false
    /// Out-of-order pieces, sorted by sequence, never overlapping.
    var pending: [(sequence: UInt32, bytes: [UInt8])] = []
    /// Sequence number of the FIN, when seen.
    var finSequence: UInt32?
    /// Where small buffers come from and go back to (the reassembler's).
    unowned(unsafe) let pool: ReassemblyBufferPool

    /// (The capture time of its last packet is in the reassembler's flow
    /// table, next to its key: the idle sweep reads it there.)
    init(nextSequence: UInt32, initialSequence: UInt32?, pool: ReassemblyBufferPool) {
        self.nextSequence = nextSequence
        self.initialSequence = initialSequence
        self.pool = pool
    }

    /// Storage kept by a live direction whose bytes were all consumed; a
    /// bigger buffer is freed then (and every buffer when the direction ends).
    static let keptCapacity = 4096

    /// Starts over for a new stream.
    func reuse(nextSequence: UInt32, initialSequence: UInt32?) {
        release()
        self.nextSequence = nextSequence
        self.initialSequence = initialSequence
        skip = 0
        finSequence = nil
        consumedAny = false
    }

    /// Forgets the bytes held and lets go of their storage: an ended
    /// direction (kept until it expires or is evicted) holds no buffer. Kept
    /// buffers would only grow: a direction object is reused for other
    /// tuples, so each would end up as big as the biggest message it ever
    /// held. A small buffer goes back to the pool (so the next stream that
    /// needs one allocates nothing); a big one is freed.
    func release() {
        if buffer.capacity > 0 {
            buffer.removeAll(keepingCapacity: true)
            pool.give(buffer)
        }
        buffer = []
        start = 0
        pending = []
    }

    /// Heap bytes the direction's buffers occupy (capacities, not contents).
    var storageBytes: Int {
        buffer.capacity + pending.capacity * MemoryLayout<(sequence: UInt32, bytes: [UInt8])>.stride
            + pending.reduce(0) { $0 + $1.bytes.capacity }
    }

    /// Whether a segment at `sequence` can go to the consumer as it is,
    /// without a copy: nothing held or to skip, and it is the next byte.
    func takesDirectly(at sequence: UInt32) -> Bool {
        buffer.count == start && pending.isEmpty && skip == 0 && sequence == nextSequence
    }

    /// After `payload` went to the consumer as it is (`takesDirectly`) and it
    /// consumed `consumed` bytes: keeps the rest, or skips what it asked for
    /// beyond the payload. The same state as `insert` then `consume`.
    func acceptDirect(_ payload: UnsafeRawBufferPointer, consumed: Int) {
        if consumed > 0 { consumedAny = true }
        nextSequence = nextSequence &+ UInt32(payload.count)
        if consumed >= payload.count {
            skip = consumed - payload.count
        } else {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            if buffer.capacity == 0 { buffer = pool.take() }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[consumed...]))
        }
    }

    /// Bytes held (contiguous plus out-of-order).
    var heldBytes: Int {
        let contiguous = buffer.count - start
        return pending.isEmpty ? contiguous : pending.reduce(contiguous) { $0 + $1.bytes.count }
    }

    var contiguous: Int { buffer.count - start }

    /// Adds a segment's payload at `sequence`; returns whether contiguous
    /// bytes grew.
    func insert(_ payload: UnsafeRawBufferPointer, at sequence: UInt32) -> Bool {
        guard !payload.isEmpty else { return false }
        var offset = sequenceDistance(nextSequence, sequence)   // bytes of payload already behind us
        if offset >= payload.count { return false }            // a pure retransmission
        if offset < 0 {
            storePending(payload, at: sequence)
            return false
        }
        // The new bytes from `nextSequence` on, minus what a pending piece already holds.
        var grew = false
        while offset < payload.count {
            if let first = pending.first, sequenceDistance(first.sequence, nextSequence) <= 0 {
                // A piece that arrived earlier covers `nextSequence`: its bytes win.
                takePending()
                grew = true
                offset = sequenceDistance(nextSequence, sequence)
                continue
            }
            var end = payload.count
            if let first = pending.first {
                end = min(end, offset + sequenceDistance(first.sequence, nextSequence))
            }
            appendContiguous(UnsafeRawBufferPointer(rebasing: payload[offset..<end]))
            grew = true
            offset = end
        }
        while let first = pending.first, sequenceDistance(first.sequence, nextSequence) <= 0 { takePending() }
        return grew
    }

    /// Moves the first pending piece's new bytes into the contiguous buffer.
    private func takePending() {
        let piece = pending.removeFirst()
        let already = sequenceDistance(nextSequence, piece.sequence)
        if already < piece.bytes.count {
            piece.bytes.withUnsafeBytes { appendContiguous(UnsafeRawBufferPointer(rebasing: $0[already...])) }
        }
    }

    private func appendContiguous(_ bytes: UnsafeRawBufferPointer) {
        var bytes = bytes
        if skip > 0 {
            let skipped = min(skip, bytes.count)
            skip -= skipped
            nextSequence = nextSequence &+ UInt32(skipped)
            bytes = UnsafeRawBufferPointer(rebasing: bytes[skipped...])
        }
        if buffer.capacity == 0 && !bytes.isEmpty { buffer = pool.take() }
        if buffer.count + bytes.count > buffer.capacity { growBuffer(to: buffer.count + bytes.count) }
        buffer.append(contentsOf: bytes)
        nextSequence = nextSequence &+ UInt32(bytes.count)
    }

    /// Keeps only the bytes of `payload` that no earlier piece holds.
    private func storePending(_ payload: UnsafeRawBufferPointer, at sequence: UInt32) {
        var pieces: [(UInt32, [UInt8])] = []
        var cursor = 0
        for piece in pending {
            let pieceStart = sequenceDistance(piece.sequence, sequence)
            let pieceEnd = pieceStart + piece.bytes.count
            if pieceEnd <= cursor { continue }
            if pieceStart >= payload.count { break }
            if pieceStart > cursor {
                pieces.append((sequence &+ UInt32(cursor), Array(payload[cursor..<pieceStart])))
            }
            cursor = max(cursor, pieceEnd)
            if cursor >= payload.count { break }
        }
        if cursor < payload.count {
            pieces.append((sequence &+ UInt32(cursor), Array(payload[cursor...])))
        }
        for (s, b) in pieces {
            let index = pending.firstIndex { sequenceDistance($0.sequence, s) > 0 } ?? pending.count
            pending.insert((s, b), at: index)
        }
    }

    /// Moves the held bytes into a pooled large buffer with room for
    /// `needed` bytes when there is one (a message bigger than a small
    /// buffer), and gives the small one back; else the array grows as usual.
    private func growBuffer(to needed: Int) {
        guard var large = pool.takeLarge(atLeast: needed) else { return }
        large.append(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
        pool.give(buffer)
        buffer = large
    }

    /// Drops `count` consumed bytes (or more: the rest is skipped as it arrives).
    func consume(_ count: Int) {
        if count > 0 { consumedAny = true }
        let available = contiguous
        if count >= available {
            skip += count - available
            if buffer.capacity > Self.keptCapacity {
                // A large buffer goes back to the pool rather than staying with this direction.
                buffer.removeAll(keepingCapacity: true)
                pool.give(buffer)
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            start = 0
        } else {
            start += count
            if start > 4096 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
            }
        }
    }

    /// Whether every byte before the FIN has arrived.
    var finishedByFIN: Bool {
        guard let fin = finSequence else { return false }
        return sequenceDistance(nextSequence, fin) >= 0
    }
}

// MARK: - ReassemblyBufferPool

/// Empty byte buffers handed back by directions that no longer need them
/// and taken by directions that start buffering, so steady traffic
/// allocates no buffer per connection: small ones (at most
/// `TCPStreamDirection.keptCapacity`, up to `maxBuffers` of them: 4 MiB) and
/// large ones for messages that do not fit (up to 64 KiB + 2, the largest
/// DNS message with its length, ×`maxLargeBuffers`: 4 MiB). Bigger buffers
/// are freed. Memory stays bounded.
final class ReassemblyBufferPool {
    private(set) var buffers: [[UInt8]] = []
    private(set) var largeBuffers: [[UInt8]] = []
    static let maxBuffers = 1024
    static let maxLargeBuffers = 64
    static let largeCapacity = 65_538

    init() {
        buffers.reserveCapacity(Self.maxBuffers)
        largeBuffers.reserveCapacity(Self.maxLargeBuffers)
    }

    /// An empty large buffer with room for `needed` bytes, when `needed`
    /// fits one: pooled, or new.
    func takeLarge(atLeast needed: Int) -> [UInt8]? {
        guard needed <= Self.largeCapacity else { return nil }
        if let buffer = largeBuffers.popLast() { return buffer }
        var fresh: [UInt8] = []
        fresh.reserveCapacity(Self.largeCapacity)
        return fresh
    }

    /// An empty buffer (from the pool, or new with room for 3 KiB: the
    /// allocator rounds the size up, and it must stay within `keptCapacity`
    /// to come back here).
    func take() -> [UInt8] {
        if let buffer = buffers.popLast() { return buffer }
        var fresh: [UInt8] = []
        fresh.reserveCapacity(TCPStreamDirection.keptCapacity * 3 / 4)
        return fresh
    }

    /// Keeps an emptied buffer for reuse (dropped when its pool is full or
    /// it is bigger than a large buffer).
    func give(_ buffer: [UInt8]) {
        if buffer.capacity <= TCPStreamDirection.keptCapacity {
            if buffers.count < Self.maxBuffers { buffers.append(buffer) }
        } else if buffer.capacity >= Self.largeCapacity && buffer.capacity <= Self.largeCapacity * 2 {
            if largeBuffers.count < Self.maxLargeBuffers { largeBuffers.append(buffer) }
        }
    }

    /// Heap bytes the pooled buffers occupy.
    var storageBytes: Int { (buffers + largeBuffers).reduce(0) { $0 + $1.capacity } }
}
