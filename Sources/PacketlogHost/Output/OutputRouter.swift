// MARK: - OutputRouter

/// Capture-thread side of the output: copies each committed line into the
/// chunk of its destination (combined file, or the kind's split file without
/// the kind field, or standard output) and hands full chunks to the writer.
public struct OutputRouter {
    public typealias ModuleFiles = PacketlogHost.ModuleFiles

    public let writer: LogWriter
    public let toStandardOutput: Bool
    @usableFromInline let modules: [ModuleFiles]
    @usableFromInline var chunks: [OutputChunk?]
    @usableFromInline let flushThreshold: Int

    public init(writer: LogWriter, modules: [ModuleFiles], toStandardOutput: Bool, flushThreshold: Int = (1 << 20) - 8192) {
        self.writer = writer
        self.modules = modules
        self.toStandardOutput = toStandardOutput
        self.chunks = Array(repeating: nil, count: modules.count * 5)
        self.flushThreshold = flushThreshold
    }

    /// Routes the lines `emitter` holds, produced for a packet whose
    /// capture time falls in `period`.
    @inlinable
    public mutating func route(_ emitter: LineEmitter, period: LogPeriod) {
        for record in emitter.records { route(record, of: emitter, period: period) }
    }

    /// Routes one line of `emitter`.
    @inlinable
    public mutating func route(_ record: LineRecord, of emitter: LineEmitter, period: LogPeriod) {
        let module = toStandardOutput ? 0 : record.module
        let kind: MessageKind? = !toStandardOutput && modules[module].split ? record.kind : nil
        let chunk = chunkFor(module: module, kind: kind, period: period)
        if kind != nil, record.kindOffset >= 0 {
            chunk.buffer.append(contentsOf: emitter.buffer.bytes(from: record.start, to: record.kindOffset))
            chunk.buffer.append(contentsOf: emitter.buffer.bytes(from: record.kindOffset + 3, to: record.end))
        } else {
            chunk.buffer.append(contentsOf: emitter.buffer.bytes(from: record.start, to: record.end))
        }
        chunk.lines &+= 1
        if chunk.buffer.count >= flushThreshold {
            submit(slot: chunk.destination!.slot)
        }
    }

    @usableFromInline
    mutating func chunkFor(module: Int, kind: MessageKind?, period: LogPeriod) -> OutputChunk {
        let slot = module * 5 + (kind.map { Int($0.rawValue) + 1 } ?? 0)
        let files = modules[module]
        if let chunk = chunks[slot] {
            if chunk.destination!.period.key(files.rotation) == period.key(files.rotation) { return chunk }
            submit(slot: slot)
        }
        let chunk = writer.freeChunks.pop()
        chunk.destination = LogDestination(module: module, directory: files.directory, stem: files.stem, kind: kind,
                                           rotation: files.rotation, period: period.truncated(to: files.rotation))
        chunks[slot] = chunk
        return chunk
    }

    @usableFromInline
    mutating func submit(slot: Int) {
        guard let chunk = chunks[slot] else { return }
        chunks[slot] = nil
        writer.submit(chunk)
    }

    /// Hands every partly filled chunk to the writer (idle flush, shutdown).
    public mutating func flushAll() {
        for slot in chunks.indices where chunks[slot] != nil { submit(slot: slot) }
    }
}
