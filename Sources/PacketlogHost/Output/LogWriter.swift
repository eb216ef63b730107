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
///
/// Lines go to the file of their packet's capture time, and packets do not
/// always arrive in time order (a capture file's packets around an hour's
/// end, a live backlog): each module's file keeps up to
/// `periodsOpenPerFile` periods open at once, and the timer closes a
/// period only `lateLineGraceSeconds` after its end. A line later still
/// reopens its period's file and is appended; closed again, that file
/// stays plain beside the `.gz` (its closing step runs once per file), so
/// no line is ever lost to rotation.
public final class LogWriter: @unchecked Sendable {
    public enum Target: Sendable {
        /// Files per module (directory, mode, compression, retention).
        case files([ModuleFiles])
        case standardOutput
    }

    enum Command {
        case write(OutputChunk)
        case rollover(now: Int64)
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

    /// How many periods of one slot (a module's file, or one kind's in split
    /// mode) stay open at once: lines of a period just ended still go to its
    /// file without closing and reopening it.
    public static let periodsOpenPerFile = 3
    /// The timer closes a period's files this long after the period ends,
    /// so that lines of packets captured just before its end are still in
    /// the pipeline's hands when it ends find the file open.
    public static let lateLineGraceSeconds: Int64 = 5

    private struct OpenFile {
        var destination: LogDestination
        var fd: Int32
        var key: Int { destination.period.key(destination.rotation) }
    }
    /// Open files by slot, oldest period first.
    private var open: [Int: [OpenFile]] = [:]
    /// Which files' closing step already ran (once per file and run).
    private var closingSteps = ClosingSteps()
    /// The wall clock's period, for timer-driven rotation.
    private var wallClock = LocalClock()
    /// Standard output is a regular file (`> file`): a failed write is cut
    /// back like a log file's.
    private let standardOutputIsFile: Bool
    /// Standard output was opened to append (`>> file`): its offset is not
    /// where the next line goes (it is 0 until the first write), its end is.
    private let standardOutputAppends: Bool

    public let linesWritten = Atomic<UInt64>(0)
    public let bytesWritten = Atomic<UInt64>(0)
    public let linesLost = Atomic<UInt64>(0)
    public let filesOpened = Atomic<UInt64>(0)
    /// Standard output's reader went away (`packetlog --stdout | head`):
    /// the writer asked the capture to stop, and the lines it could not
    /// write are not an error of the run.
    public let standardOutputClosed = Atomic<Bool>(false)
    /// The last write error, as text (for the run's final message).
    private let lastError = Mutex<String?>(nil)
    public var lastErrorText: String? { lastError.withLock { $0 } }
    private var lastErrorReport: Int64 = 0

    public init(target: Target, chunkCount: Int = 32, chunkCapacity: Int = 1 << 20) {
        self.target = target
        commands = BlockingQueue(capacity: chunkCount + 8)
        freeChunks = BlockingQueue(capacity: chunkCount, lastInFirstOut: true)
        for _ in 0..<chunkCount { freeChunks.push(OutputChunk(capacity: chunkCapacity)) }
        var info = stat()
        standardOutputIsFile = fstat(1, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let flags = fcntl(1, F_GETFL)
        standardOutputAppends = flags >= 0 && flags & O_APPEND != 0
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

    /// Closes every file whose period ended more than
    /// `lateLineGraceSeconds` before `now` (timer-driven rotation; `now` is
    /// the wall clock's Unix time).
    public func rollover(now: Int64) { commands.push(.rollover(now: now)) }

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
        if case .files(let modules) = target {
            for files in modules { FileMaintenance.resumeInterruptedCompressions(files, steps: &closingSteps) }
        }
        loop: while true {
            switch commands.pop() {
            case .write(let chunk):
                write(chunk)
                if let slot = chunk.destination?.slot { closeOldest(of: slot, keeping: Self.periodsOpenPerFile) }
                chunk.reset()
                freeChunks.push(chunk)
                closingSteps.reap()
            case .rollover(let now):
                wallClock.update(now &- Self.lateLineGraceSeconds)
                let current = wallClock.period
                for (slot, files) in open {
                    let ended = files.filter { $0.key < current.key($0.destination.rotation) }
                    guard !ended.isEmpty else { continue }
                    open[slot] = files.filter { $0.key >= current.key($0.destination.rotation) }
                    for file in ended {
                        close(file.fd)
                        closed(file.destination)
                    }
                }
                closingSteps.reap()
            case .reopen:
                closeAll()
            case .finish:
                break loop
            }
        }
        // Each slot's newest file is the one a restart goes on writing: it
        // takes no place of retention_files, as while the run lasted.
        let current = closeAll()
        // The last files' compressions: retention could not delete a `.gz`
        // while one appended to it. Waited for a little (a stop must stay
        // prompt), then retention runs once more over what is done.
        if case .files(let modules) = target, !closingSteps.compressing.isEmpty {
            closingSteps.waitForCompressions(milliseconds: 5000)
            for files in modules {
                _ = FileMaintenance.applyRetention(files, open: current, busy: closingSteps.busy, now: Int64(time(nil)))
            }
        }
        done.lock()
        finished = true
        done.broadcast()
        done.unlock()
    }

    /// A file's period is over: compression, hook, retention.
    /// `writing`: the files still being written, when `open` no longer
    /// says (the end of a run, a reopen).
    private func closed(_ destination: LogDestination, writing: Set<String>? = nil) {
        guard case .files(let modules) = target, destination.module < modules.count else { return }
        let files = modules[destination.module]
        // Retention first: a file it deletes at once is not compressed (a
        // gzip of a file about to go), and no `.gz` being appended to is
        // deleted (`busy`).
        closingSteps.reap()
        let openPaths = writing ?? Set(open.values.flatMap { $0.map(\.destination.path) })
        _ = FileMaintenance.applyRetention(files, open: openPaths, busy: closingSteps.busy, now: Int64(time(nil)))
        FileMaintenance.fileClosed(destination.path, files: files, steps: &closingSteps)
    }

    /// Closes the oldest periods of `slot` beyond `keeping`: each is older
    /// than one still open, so it is over (compression, hook, retention).
    private func closeOldest(of slot: Int, keeping: Int) {
        guard var files = open[slot], files.count > keeping else { return }
        let ended = files.prefix(files.count - keeping)
        files.removeFirst(ended.count)
        open[slot] = files
        for file in ended {
            close(file.fd)
            closed(file.destination)
        }
    }

    /// Closes every file (the end of a run, SIGHUP); the periods older than
    /// their slot's newest are over and get their closing step (a file
    /// logrotate renamed away is skipped).
    /// Returns each slot's newest file.
    @discardableResult
    private func closeAll() -> Set<String> {
        let slots = open
        open.removeAll()
        // Each slot's newest file is the one writing goes on with (after a
        // reopen, or a restart): retention counts it as open.
        let newest = Set(slots.values.compactMap { $0.last?.destination.path })
        for (_, files) in slots {
            for (index, file) in files.enumerated() {
                close(file.fd)
                if index < files.count - 1 { closed(file.destination, writing: newest) }
            }
        }
        return newest
    }

    private func write(_ chunk: OutputChunk) {
        guard let destination = chunk.destination, chunk.lines > 0 else { return }
        var keptLines = 0
        do throws(SystemError) {
            let fd = try descriptor(for: destination)
            // Where this chunk begins in the file (log files and `>> file`
            // append: the end; `> file`: the offset), or -1 (not a file).
            let isFile: Bool, appends: Bool
            if case .files = target { (isFile, appends) = (true, true) } else { (isFile, appends) = (standardOutputIsFile, standardOutputAppends) }
            let sizeBefore = isFile ? lseek(fd, 0, appends ? SEEK_END : SEEK_CUR) : -1
            do throws(SystemError) {
                try FileIO.writeAll(fd, chunk.buffer.bytes)
            } catch {
                if sizeBefore >= 0 {
                    // The whole lines that reached the file stay (a nearly
                    // full disk, a size limit); the rest is cut off: never
                    // half a line.
                    let bytes = chunk.buffer.bytes
                    let end = lseek(fd, 0, appends ? SEEK_END : SEEK_CUR)
                    var keep = 0
                    if end > sizeBefore, let last = bytes[..<min(Int(end - sizeBefore), bytes.count)].lastIndex(of: 10) {
                        keep = last + 1
                        keptLines = bytes[..<keep].reduce(0) { $1 == 10 ? $0 + 1 : $0 }
                    }
                    FileIO.truncate(fd, to: sizeBefore + off_t(keep))
                    // Standard output opened with `>` (no O_APPEND): its offset must
                    // come back too, or the next write leaves a hole of NULs.
                    if !appends { _ = lseek(fd, sizeBefore + off_t(keep), SEEK_SET) }
                    if keptLines > 0 {
                        linesWritten.add(UInt64(keptLines), ordering: .relaxed)
                        bytesWritten.add(UInt64(keep), ordering: .relaxed)
                    }
                }
                throw error
            }
            linesWritten.add(UInt64(chunk.lines), ordering: .relaxed)
            bytesWritten.add(UInt64(chunk.buffer.count), ordering: .relaxed)
        } catch {
            linesLost.add(UInt64(chunk.lines - keptLines), ordering: .relaxed)
            if case .standardOutput = target, error.errno == EPIPE {
                // Nothing can be written any more: stop the capture (the
                // summary still goes to standard error).
                if !standardOutputClosed.exchange(true, ordering: .relaxed) {
                    FileIO.printError("packetlog: standard output was closed by its reader: stopping")
                }
                stopRequested.store(true, ordering: .relaxed)
                return
            }
            lastError.withLock { $0 = error.description }
            let now = Int64(time(nil))
            if now - lastErrorReport >= 60 || lastErrorReport == 0 {
                lastErrorReport = now
                FileIO.printError("packetlog: cannot write log lines (\(error)); \(linesLost.load(ordering: .relaxed)) lines lost so far; \(Self.fix(for: error.errno))")
            }
        }
    }

    /// Standard output is a pipe or socket whose reader went away while
    /// nothing was being written (an idle capture piped into `head`):
    /// asks the capture to stop, as a failed write would. Called once a
    /// second by the capture loop; a `poll` that does not wait.
    public func watchStandardOutput() {
        guard case .standardOutput = target, !standardOutputIsFile, !standardOutputClosed.load(ordering: .relaxed) else { return }
        var descriptor = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, 0) > 0, descriptor.revents & Int16(POLLERR | POLLHUP) != 0 else { return }
        if !standardOutputClosed.exchange(true, ordering: .relaxed) {
            FileIO.printError("packetlog: standard output was closed by its reader: stopping")
        }
        stopRequested.store(true, ordering: .relaxed)
    }

    /// What to do about a failed write, by its errno.
    static func fix(for code: Int32) -> String {
        switch code {
        case ENOSPC, EDQUOT: return "free disk space (or raise the quota); writing resumes by itself"
        case EACCES, EPERM: return "the user packetlog runs as may not write there: fix the owner or mode of the directory and its log files; writing resumes when it can"
        case ENOENT: return "the log directory is gone: create it again; writing resumes when it exists"
        case EROFS: return "the file system is read-only: remount it read-write or choose another directory"
        case EIO: return "an I/O error: check the disk (dmesg); writing resumes when it succeeds"
        case EFBIG: return "the file size limit (ulimit -f, LimitFSIZE=) was reached: raise it"
        default: return "writing resumes when the cause is fixed"
        }
    }

    private func descriptor(for destination: LogDestination) throws(SystemError) -> Int32 {
        switch target {
        case .standardOutput:
            return 1
        case .files(let modules):
            let slot = destination.slot, key = destination.period.key(destination.rotation)
            var files = open[slot] ?? []
            if let file = files.first(where: { $0.key == key }) { return file.fd }
            // A new period for the slot, or one already closed (a line later
            // than the grace): opened for appending either way. The caller
            // closes the oldest beyond `periodsOpenPerFile` after the write,
            // so the new file exists when retention counts the files.
            let fd = try FileIO.openAppend(destination.path, mode: modules[destination.module].fileMode)
            files.append(OpenFile(destination: destination, fd: fd))
            files.sort { $0.key < $1.key }
            open[slot] = files
            filesOpened.add(1, ordering: .relaxed)
            return fd
        }
    }
}
