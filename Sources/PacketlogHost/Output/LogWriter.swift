import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - LogWriter

/// The writer thread: takes full chunks of lines from the capture thread,
/// appends them to their files (opened for append with the configured mode,
/// named by the chunk's period) and hands the chunks back for reuse.
///
/// A failed write (full disk, I/O error) never leaves half a line: the file
/// is cut back to its size before the chunk, the chunk's lines are counted
/// as lost, and the next chunk tries again.
public final class LogWriter: @unchecked Sendable {
    public enum Target: Sendable {
        /// Files per module (directory, mode, compression, retention).
        case files([ModuleFiles])
        case standardOutput
    }

    enum Command {
        case write(OutputChunk)
        case rollover(LogPeriod)
        case reopen
        case finish
    }

    let target: Target
    private let commands: BlockingQueue<Command>
    /// Empty chunks ready to be filled.
    public let freeChunks: BlockingQueue<OutputChunk>
    private var thread: Thread?
    private let done = NSCondition()
    private var finished = false

    /// Open files by slot: the destination and its descriptor.
    private var open: [Int: (LogDestination, Int32)] = [:]

    public let linesWritten = Atomic<UInt64>(0)
    public let bytesWritten = Atomic<UInt64>(0)
    public let linesLost = Atomic<UInt64>(0)
    public let filesOpened = Atomic<UInt64>(0)
    private var lastErrorReport: Int64 = 0

    public init(target: Target, chunkCount: Int = 32, chunkCapacity: Int = 1 << 20) {
        self.target = target
        commands = BlockingQueue(capacity: chunkCount + 8)
        freeChunks = BlockingQueue(capacity: chunkCount, lastInFirstOut: true)
        for _ in 0..<chunkCount { freeChunks.push(OutputChunk(capacity: chunkCapacity)) }
    }

    public func start() {
        let t = Thread { [self] in
            nameCurrentThread("pl-writer")
            self.run()
        }
        t.name = "pl-writer"
        thread = t
        t.start()
    }

    /// Hands a filled chunk to the writer (capture thread).
    public func submit(_ chunk: OutputChunk) { commands.push(.write(chunk)) }

    /// Closes every file of a period before `current` (timer-driven rotation).
    public func rollover(to current: LogPeriod) { commands.push(.rollover(current)) }

    /// Closes every file; the next line reopens it (SIGHUP, logrotate).
    public func reopen() { commands.push(.reopen) }

    /// Writes everything submitted, closes the files and stops the thread.
    public func finish() {
        commands.push(.finish)
        done.lock()
        while !finished { done.wait() }
        done.unlock()
    }

    // MARK: Writer thread

    private func run() {
        loop: while true {
            switch commands.pop() {
            case .write(let chunk):
                write(chunk)
                chunk.reset()
                freeChunks.push(chunk)
            case .rollover(let current):
                for (slot, (destination, fd)) in open where destination.period.key(destination.rotation) < current.key(destination.rotation) {
                    close(fd)
                    open[slot] = nil
                    closed(destination)
                }
                FileMaintenance.reapChildren()
            case .reopen:
                closeAll()
            case .finish:
                break loop
            }
        }
        closeAll()
        done.lock()
        finished = true
        done.broadcast()
        done.unlock()
    }

    /// A file's period is over: compression, hook, retention.
    private func closed(_ destination: LogDestination) {
        guard case .files(let modules) = target, destination.module < modules.count else { return }
        let files = modules[destination.module]
        FileMaintenance.fileClosed(destination.path, files: files)
        let openPaths = Set(open.values.map { $0.0.path })
        _ = FileMaintenance.applyRetention(files, open: openPaths, now: Int64(time(nil)))
    }

    private func closeAll() {
        for (_, (_, fd)) in open { close(fd) }
        open.removeAll()
    }

    private func write(_ chunk: OutputChunk) {
        guard let destination = chunk.destination, chunk.lines > 0 else { return }
        do {
            let fd = try descriptor(for: destination)
            var sizeBefore: off_t = -1
            if case .files = target { sizeBefore = lseek(fd, 0, SEEK_END) }
            do {
                try FileIO.writeAll(fd, chunk.buffer.bytes)
            } catch {
                if sizeBefore >= 0 { _ = ftruncate(fd, sizeBefore) }   // never leave half a line
                throw error
            }
            linesWritten.add(UInt64(chunk.lines), ordering: .relaxed)
            bytesWritten.add(UInt64(chunk.buffer.count), ordering: .relaxed)
        } catch {
            linesLost.add(UInt64(chunk.lines), ordering: .relaxed)
            let now = Int64(time(nil))
            if now - lastErrorReport >= 60 || lastErrorReport == 0 {
                lastErrorReport = now
                FileIO.printError("packetlog: cannot write log lines (\(error)); \(linesLost.load(ordering: .relaxed)) lines lost so far; writing resumes when the cause is fixed (free disk space?)")
            }
        }
    }

    private func descriptor(for destination: LogDestination) throws(SystemError) -> Int32 {
        switch target {
        case .standardOutput:
            return 1
        case .files(let modules):
            let slot = destination.slot
            var previous: LogDestination?
            if let (current, fd) = open[slot] {
                if current.period.key(current.rotation) == destination.period.key(destination.rotation) { return fd }
                close(fd)
                open[slot] = nil
                previous = current
            }
            let fd = try FileIO.openAppend(destination.path, mode: modules[destination.module].fileMode)
            open[slot] = (destination, fd)
            if let previous { closed(previous) }   // after the new file exists, so retention counts it
            filesOpened.add(1, ordering: .relaxed)
            return fd
        }
    }
}
