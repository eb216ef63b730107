import CPcap
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - CaptureLoop

/// Why a capture ended.
public enum CaptureEnding: Sendable, Equatable {
    case endOfFile, signal, packetLimit, error(String)
}

/// What the read loop feeds: one packet at a time, plus the live loop's
/// once-a-second tick and SIGHUP.
protocol CapturePacketHandler: AnyObject {
    /// Handles one packet; a non-nil ending stops the loop.
    func handle(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>, nanosecond: Bool) -> CaptureEnding?
    /// Once a second on a live capture, even when idle.
    func idleTick()
    /// A capture file read from a pipe has had no new bytes for a while:
    /// hand the lines buffered so far to the writer (no period is closed:
    /// a file's periods follow its packets' times, not the clock).
    func flushLines()
    /// SIGHUP: reopen the files.
    func reopenFiles()
    /// The writer, for the once-a-second check that standard output still
    /// has a reader (`LogWriter.watchStandardOutput`).
    var writer: LogWriter { get }
    /// Packets handled so far.
    var packets: UInt64 { get }
}

/// The read loops over a `PcapHandle`: a file is read to its end; a live
/// interface is polled (so signals and hour boundaries are acted on within
/// 200 ms even when idle) and drained without blocking.
struct CaptureLoop<Handler: CapturePacketHandler> {
    let pcap: PcapHandle
    let handler: Handler

    func run() -> CaptureEnding { pcap.isLive ? runLive() : runFile() }

    func runFile() -> CaptureEnding {
        let reader = FileReader(handler: handler, pcap: pcap)
        pcap.pipeInput?.whileWaiting = { [unowned reader] in reader.whileWaiting() }
        defer { pcap.pipeInput?.whileWaiting = { !stopRequested.load(ordering: .relaxed) } }
        let status = withExtendedLifetime(reader) {
            pcap.readAll(user: Unmanaged<FilePacketReceiver>.passUnretained(reader).toOpaque()) { user, header, data in
                guard let user, let header, let data else { return }
                // No retain or release per packet: the reader outlives readAll,
                // and a release per packet cost a cache miss whenever another
                // thread had written next to the reader's heap block.
                Unmanaged<FilePacketReceiver>.fromOpaque(user)._withUnsafeGuaranteedRef { $0.packet(header, data) }
            }
        }
        if let ending = reader.ending { return ending }
        if status >= 0 { return .endOfFile }
        // A stop signal interrupts a read blocked on a pipe (`-r -`): libpcap
        // reports the EINTR as an error, but this is a requested stop.
        if stopRequested.load(ordering: .relaxed) { return .signal }
        return .error("reading \(pcap.source): \(pcap.lastError)")
    }

    func runLive() -> CaptureEnding {
        var descriptor = pollfd(fd: pcap.selectableFileDescriptor, events: Int16(POLLIN), revents: 0)
        var lastTick = monotonicMilliseconds()
        while !stopRequested.load(ordering: .relaxed) {
            // pcap_next_ex alone can block forever on an idle interface.
            let ready = poll(&descriptor, 1, 200)
            if ready < 0 && errno != EINTR { return .error("poll on \(pcap.source): \(String(cString: strerror(errno)))") }
            if case .stop(let ending) = drain() { return ending }
            let now = monotonicMilliseconds()
            if now - lastTick >= 1000 {
                lastTick = now
                handler.idleTick()
                handler.writer.watchStandardOutput()
            }
            if reopenRequested.exchange(false, ordering: .relaxed) { handler.reopenFiles() }
        }
        // Stopping: every packet the kernel already captured is still logged.
        // Ring blocks are handed over when they retire (the read timeout), so
        // keep draining until a wait longer than that timeout brings nothing
        // (bounded, in case traffic never pauses).
        let deadline = monotonicMilliseconds() + 3000
        while monotonicMilliseconds() < deadline {
            _ = poll(&descriptor, 1, 250)
            switch drain() {
            case .stop(let ending): return ending
            case .drained(let count): if count == 0 { return .signal }
            }
        }
        return .signal
    }

    enum DrainResult { case drained(Int), stop(CaptureEnding) }

    /// Handles every packet that is ready now (non-blocking).
    func drain() -> DrainResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let nano = pcap.nanosecondTimestamps
        var drained = 0
        while drained < 100_000 {
            let status = pcap.next(&header, &data)
            if status == 1, let header, let data {
                if let ending = handler.handle(UnsafePointer(header), data, nanosecond: nano) { return .stop(ending) }
                drained += 1
                continue
            }
            if status == 0 { break }
            if status == -2 { return .stop(.endOfFile) }
            return .stop(.error("capturing on \(pcap.source): \(pcap.lastError)"))
        }
        return .drained(drained)
    }
}

/// What libpcap's C callback in `CaptureLoop.runFile` calls for every
/// packet of a file. A C callback cannot name a generic type, so it reaches
/// the generic `FileReader` through this class's one overridden method (an
/// indirect call, no existential).
class FilePacketReceiver {
    /// Set when the handler (or a signal) ended the capture before the file's end.
    final var ending: CaptureEnding?

    func packet(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>) {
        preconditionFailure("FilePacketReceiver.packet is overridden by FileReader")
    }
}

/// The per-packet side of `CaptureLoop.runFile`, generic over the handler
/// (no existential box; the handler's `handle` is one witness-table call).
final class FileReader<Handler: CapturePacketHandler>: FilePacketReceiver {
    let handler: Handler
    let pcap: PcapHandle
    let nanosecond: Bool
    /// Packets seen here (the stop flag is read every 1,024 of them).
    private var seen: UInt32 = 0
    /// A pipe's idle flush: when lines were last handed over, and the
    /// packets seen by then.
    private var lastFlush = monotonicMilliseconds()
    private var seenAtLastFlush: UInt32 = 0

    init(handler: Handler, pcap: PcapHandle) {
        self.handler = handler
        self.pcap = pcap
        nanosecond = pcap.nanosecondTimestamps
    }

    @inline(__always)
    override func packet(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>) {
        seen &+= 1
        if let ending = handler.handle(header, data, nanosecond: nanosecond) {
            self.ending = ending
            pcap.breakLoop()
        } else if seen & 1023 == 0 {
            if stopRequested.load(ordering: .relaxed) {
                ending = .signal
                pcap.breakLoop()
            } else if reopenRequested.exchange(false, ordering: .relaxed) {
                handler.reopenFiles()   // SIGHUP while reading a pipe (`-r -`) for long
            }
        }
    }

    /// A pipe's read is about to wait for bytes (`PipeInput.whileWaiting`),
    /// between packets: a stop signal ends the read; SIGHUP reopens the
    /// files; lines of packets that came since the last flush are handed to
    /// the writer once a second, so a quiet pipe's lines do not wait for a
    /// full batch.
    func whileWaiting() -> Bool {
        if stopRequested.load(ordering: .relaxed) {
            ending = .signal
            return false
        }
        if reopenRequested.exchange(false, ordering: .relaxed) { handler.reopenFiles() }
        let now = monotonicMilliseconds()
        if now - lastFlush >= 1000 {
            lastFlush = now
            handler.writer.watchStandardOutput()
            if seen != seenAtLastFlush {
                seenAtLastFlush = seen
                handler.flushLines()
            }
        }
        return true
    }
}

@inline(__always)
func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// The capture time of a libpcap header.
@inline(__always)
func packetTime(_ h: pcap_pkthdr, nanosecond: Bool) -> PacketTime {
    let fraction = UInt32(truncatingIfNeeded: h.ts.tv_usec)
    return PacketTime(seconds: Int64(h.ts.tv_sec), nanoseconds: nanosecond ? fraction : fraction &* 1000)
}
