// MARK: - LogDestination

/// Which file a chunk of lines belongs to: a module's stem, the kind in split
/// mode (or none), and the period of the packets' capture time.
public struct LogDestination: Hashable, Sendable {
    /// Index of the module in the run (for counters and slots).
    public var module: Int
    /// The module's log directory.
    public var directory: String
    public var stem: String
    /// `nil` for the combined file.
    public var kind: MessageKind?
    public var rotation: RotationPeriod
    public var period: LogPeriod

    /// `dns-20261127-05.log`, `dns-CQ-20261127-05.log`, `http-20261127.log`.
    public var fileName: String {
        var name = stem + "-"
        if let kind { name += kind.name + "-" }
        name += pad(period.year, 4) + pad(period.month, 2) + pad(period.day, 2)
        if rotation == .hourly { name += "-" + pad(period.hour, 2) }
        if rotation == .minutely { name += "-" + pad(period.hour, 2) + pad(period.minute, 2) }
        return name + ".log"
    }

    private func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    public init(module: Int, directory: String = ".", stem: String, kind: MessageKind?, rotation: RotationPeriod, period: LogPeriod) {
        self.module = module; self.directory = directory; self.stem = stem; self.kind = kind; self.rotation = rotation; self.period = period
    }

    /// The file's path.
    public var path: String { directory + "/" + fileName }

    /// The slot this destination fills (same module and kind, any period).
    public var slot: Int { module * 5 + (kind.map { Int($0.rawValue) + 1 } ?? 0) }
}

// MARK: - OutputChunk

/// A large reusable buffer of complete lines for one destination. The
/// capture thread fills it, the writer thread writes it, then it goes back
/// to the pool.
public final class OutputChunk: @unchecked Sendable {
    public var buffer: LineBuffer
    public var destination: LogDestination?
    public var lines: Int = 0

    public init(capacity: Int) { buffer = LineBuffer(capacity: capacity) }
    deinit { buffer.deallocate() }

    public func reset() {
        buffer.removeAll()
        destination = nil
        lines = 0
    }
}
