// MARK: - OutputRouter

/// Capture-thread side of the output: copies each committed line into the
/// chunk of its destination (combined file, or the kind's split file without
/// the kind field, or standard output) and hands full chunks to the writer.
public struct OutputRouter {
    public typealias ModuleFiles = PacketlogHost.ModuleFiles

    public let writer: LogWriter
    public let toStandardOutput: Bool
    @usableFromInline let modules: [ModuleFiles]
    /// Per slot (module × combined/CQ/CR/SQ/SR): the chunk being filled.
    @usableFromInline var chunks: [OutputChunk?]
    /// Per slot: the open chunk's buffer, line count and period key, held
    /// here while the chunk fills so that routing a line touches no object
    /// (no reference counting per line); given back to the chunk on submit.
    @usableFromInline var open: [OpenChunk]
    /// Per module: its rotation and split flag (read per line; kept apart
    /// from `modules` so the hot path never copies a struct holding strings).
    @usableFromInline let rotations: [RotationPeriod]
    @usableFromInline let splits: [Bool]
    @usableFromInline let flushThreshold: Int

    public init(writer: LogWriter, modules: [ModuleFiles], toStandardOutput: Bool, flushThreshold: Int = (1 << 20) - 8192) {
        self.writer = writer
        self.modules = modules
        self.toStandardOutput = toStandardOutput
        self.chunks = Array(repeating: nil, count: modules.count * 5)
        self.open = Array(repeating: OpenChunk(), count: modules.count * 5)
        self.rotations = modules.map(\.rotation)
        self.splits = modules.map { !toStandardOutput && $0.split }
        self.flushThreshold = flushThreshold
    }

    /// Routes the lines `emitter` holds, produced for a packet whose
    /// capture time falls in `period`. (`inout` only so that the caller's
    /// emitter is passed in place, never copied.)
    @inlinable
    public mutating func route(_ emitter: inout LineEmitter, period: LogPeriod) {
        for record in emitter.records { route(record, of: &emitter, period: period) }
    }

    /// Routes one line of `emitter`.
    @inlinable
    public mutating func route(_ record: LineRecord, of emitter: inout LineEmitter, period: LogPeriod) {
        let module = toStandardOutput ? 0 : record.module
        let split = splits[module]
        let slot = module &* 5 &+ (split ? Int(record.kind.rawValue) &+ 1 : 0)
        let key = period.key(rotations[module])
        if _slowPath(open[slot].key != key) { openChunk(slot: slot, module: module, kind: split ? record.kind : nil, period: period, key: key) }
        if split, record.kindOffset >= 0 {
            open[slot].buffer.append(contentsOf: emitter.buffer.bytes(from: record.start, to: record.kindOffset))
            open[slot].buffer.append(contentsOf: emitter.buffer.bytes(from: record.kindOffset + 3, to: record.end))
        } else {
            open[slot].buffer.append(contentsOf: emitter.buffer.bytes(from: record.start, to: record.end))
        }
        open[slot].lines &+= 1
        if open[slot].buffer.count >= flushThreshold { submit(slot: slot) }
    }

    // MARK: Whole buffers

    /// A buffer of at least this many bytes is worth handing over whole
    /// (`handOver`) rather than copying line by line; smaller ones are
    /// copied so that many small batches (a quiet live capture) still make
    /// one write.
    public static let handOverMinimumBytes = 64 * 1024

    /// The file slot and period key a line of `module` in `period` goes to,
    /// or `nil` when its lines go to split files (the kind field is then cut
    /// out of each line, so it must be copied).
    @inlinable
    public func combinedSlot(module: Int, period: LogPeriod) -> (slot: Int, key: Int)? {
        let module = toStandardOutput ? 0 : module
        guard !splits[module] else { return nil }
        return (module &* 5, period.key(rotations[module]))
    }

    /// Hands `buffer` — complete lines, `lines` of them, that all go to the
    /// combined file of `module` in `period` — to the writer as it is, and
    /// gives the caller an empty buffer in exchange: no copy of the lines.
    /// Whatever the slot already held is submitted first, so the order of
    /// lines in the file stays the order of the calls.
    public mutating func handOver(_ buffer: inout LineBuffer, lines: Int, module: Int, period: LogPeriod) {
        let module = toStandardOutput ? 0 : module
        let slot = module &* 5
        let key = period.key(rotations[module])
        submit(slot: slot)
        openChunk(slot: slot, module: module, kind: nil, period: period, key: key)
        swap(&open[slot].buffer, &buffer)
        buffer.removeAll()
        open[slot].lines = lines
        submit(slot: slot)
    }

    /// Appends `bytes` — complete lines, `lines` of them, that all go to the
    /// combined file of `module` in `period` — in one copy. A run that does
    /// not fit the open chunk's buffer goes into the next chunk (the lines
    /// before it are submitted first), so chunk buffers keep their size.
    public mutating func appendRun(_ bytes: UnsafeRawBufferPointer, lines: Int, module: Int, period: LogPeriod) {
        let module = toStandardOutput ? 0 : module
        let slot = module &* 5
        let key = period.key(rotations[module])
        if open[slot].key != key || (open[slot].buffer.count > 0 && open[slot].buffer.count &+ bytes.count > open[slot].buffer.capacity) {
            openChunk(slot: slot, module: module, kind: nil, period: period, key: key)
        }
        open[slot].buffer.append(contentsOf: bytes)
        open[slot].lines &+= lines
        if open[slot].buffer.count >= flushThreshold { submit(slot: slot) }
    }

    /// Starts a chunk for `slot` and `period`, handing the slot's previous
    /// chunk (an earlier period) to the writer.
    @usableFromInline
    mutating func openChunk(slot: Int, module: Int, kind: MessageKind?, period: LogPeriod, key: Int) {
        submit(slot: slot)
        let files = modules[module]
        let chunk = writer.freeChunks.pop()
        chunk.destination = LogDestination(module: module, directory: files.directory, stem: files.stem, kind: kind,
                                           rotation: files.rotation, period: period.truncated(to: files.rotation))
        chunks[slot] = chunk
        open[slot] = OpenChunk(buffer: chunk.buffer, lines: chunk.lines, key: key)
    }

    @usableFromInline
    mutating func submit(slot: Int) {
        guard let chunk = chunks[slot] else { return }
        chunk.buffer = open[slot].buffer
        chunk.lines = open[slot].lines
        chunks[slot] = nil
        open[slot] = OpenChunk()
        writer.submit(chunk)
    }

    /// Hands every partly filled chunk to the writer (idle flush, shutdown).
    public mutating func flushAll() {
        for slot in chunks.indices where chunks[slot] != nil { submit(slot: slot) }
    }
}

/// The router's working copy of one slot's chunk (see `OutputRouter.open`).
public struct OpenChunk {
    @usableFromInline var buffer: LineBuffer
    @usableFromInline var lines: Int
    /// The period key of the open chunk; `Int.min` when none is open.
    @usableFromInline var key: Int
    @usableFromInline init(buffer: LineBuffer = .empty, lines: Int = 0, key: Int = Int.min) {
        self.buffer = buffer; self.lines = lines; self.key = key
    }
}
