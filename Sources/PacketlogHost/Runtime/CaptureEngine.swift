import CPcap
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - CaptureSettings

/// Everything the capture loop needs, resolved before it starts.
public struct CaptureSettings: Sendable {
    /// Stop after this many packets (`-c`), or never.
    public var packetLimit: UInt64?
    /// Print the counters every N packets (`--log-every`), or never.
    public var logEvery: UInt64?
    public var localAddresses: LocalAddressSet
    /// TCP is read as reassembled streams by modules that want them
    /// (`--no-tcp-reassembly` turns it off: the per-segment rule).
    public var tcpReassembly: Bool
    public var reassemblyLimits: TCPReassemblyLimits
    /// Threads running the modules: 0 runs everything on the capture thread
    /// (`CaptureEngine`); 1 or more runs the pipeline (`ParallelCaptureEngine`:
    /// the capture thread reads and decodes, workers run the modules, a
    /// merger restores packet order).
    public var workers: Int = 0
    /// Packets per batch in the parallel pipeline. (8,192 rather than
    /// 4,096, with the line outputs sized for a batch: 14 of 16 paired
    /// rounds faster, median wall −13 %, CPU −8 %, peak memory +6.5 MiB;
    /// 16,384 was no faster and took more memory; 1,024 cost 6 % more CPU.
    /// docs/performance.md.)
    public var batchPackets: Int = 8192
    /// When the capture thread of the pipeline decodes a batch's datagrams
    /// itself (modules whose datagrams are independent only).
    public var captureThreadHelps: CaptureThreadHelp = .whenWorkersLag
    /// IP fragments are reassembled (else counted and not parsed).
    public var ipDefragmentation: Bool
    public var defragmentationLimits: IPDefragmentationLimits
    /// Print the counters every this many seconds (live, `--stats-interval`), or never.
    public var statsIntervalSeconds: Int?

    public init(packetLimit: UInt64? = nil, logEvery: UInt64? = nil, localAddresses: LocalAddressSet = LocalAddressSet(),
                tcpReassembly: Bool = true, reassemblyLimits: TCPReassemblyLimits = TCPReassemblyLimits(),
                ipDefragmentation: Bool = true, defragmentationLimits: IPDefragmentationLimits = IPDefragmentationLimits(),
                statsIntervalSeconds: Int? = nil) {
        self.statsIntervalSeconds = statsIntervalSeconds
        self.ipDefragmentation = ipDefragmentation; self.defragmentationLimits = defragmentationLimits
        self.packetLimit = packetLimit; self.logEvery = logEvery; self.localAddresses = localAddresses
        self.tcpReassembly = tcpReassembly; self.reassemblyLimits = reassemblyLimits
    }
}

/// When the pipeline's capture thread decodes datagrams itself instead of
/// leaving every packet to the workers.
public enum CaptureThreadHelp: Sendable {
    /// Never: the workers decode everything.
    case never
    /// For a batch handed on while a worker has two or more batches waiting:
    /// the two kinds of thread then share the work in whatever proportion
    /// keeps both busy (the default).
    case whenWorkersLag
    /// For every batch (tests).
    case always
}

// MARK: - CaptureEngine

/// The per-packet loop, generic over the module dispatch so that the hot
/// path calls concrete code: read a packet, decode link/IP/transport once,
/// hand the modules a `PacketContext`, route their lines to the writer.
///
/// It runs on the calling thread; the writer runs on its own.
public final class CaptureEngine<Modules: ModuleDispatch>: CapturePacketHandler {
    public private(set) var modules: Modules
    let pcap: PcapHandle
    let writer: LogWriter
    let settings: CaptureSettings
    var decoder: PacketDecoder
    var emitter = LineEmitter()
    var router: OutputRouter
    public private(set) var packets: UInt64 = 0
    public private(set) var otherPorts: UInt64 = 0
    let report: (String) -> Void
    /// When the counters were last printed for `statsIntervalSeconds` (monotonic ms).
    var lastStatsReport = monotonicMilliseconds()

    public init(modules: Modules, files: [OutputRouter.ModuleFiles], pcap: PcapHandle, writer: LogWriter, settings: CaptureSettings,
                toStandardOutput: Bool, report: @escaping (String) -> Void) {
        self.modules = modules
        self.pcap = pcap
        self.writer = writer
        self.settings = settings
        self.decoder = PacketDecoder(linkType: pcap.linkType,
                                     defragmenter: settings.ipDefragmentation ? IPDefragmenter(limits: settings.defragmentationLimits) : nil)
        self.router = OutputRouter(writer: writer, modules: files, toStandardOutput: toStandardOutput)
        self.report = report
    }

    deinit { emitter.deallocate() }

    public typealias Ending = CaptureEnding

    /// Runs until end of file, a stop signal, the packet limit or an error;
    /// then flushes every line to the writer.
    public func run() -> Ending {
        let ending = CaptureLoop(pcap: pcap, handler: self).run()
        emitter.reset()
        modules.finish()
        router.flushAll()
        return ending
    }

    /// Once a second (live): flush what is buffered so lines reach the files
    /// promptly, and close the files of periods that have ended.
    func idleTick() {
        router.flushAll()
        writer.rollover(now: Int64(time(nil)))
        if let interval = settings.statsIntervalSeconds, interval > 0 {
            let ms = monotonicMilliseconds()
            if ms - lastStatsReport >= Int64(interval) * 1000 {
                lastStatsReport = ms
                report(summary())
            }
        }
    }

    /// A pipe went idle: hand the buffered lines to the writer.
    func flushLines() { router.flushAll() }

    /// SIGHUP: hand over what is buffered, then reopen every file.
    func reopenFiles() {
        router.flushAll()
        writer.reopen()
    }

    // MARK: One packet

    @inline(__always)
    func handle(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>, nanosecond: Bool) -> Ending? {
        packets &+= 1
        let h = header.pointee
        let time = packetTime(h, nanosecond: nanosecond)
        let frame = UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
        if var packet = decoder.decode(frame, wireLength: Int(h.len), time: time) {
            packet.sourceIsLocal = settings.localAddresses.contains(packet.source)
            packet.destinationIsLocal = settings.localAddresses.contains(packet.destination)
            emitter.reset()
            if modules.dispatch(packet, into: &emitter) {
                if !emitter.records.isEmpty {
                    emitter.clock.update(time.seconds)
                    let period = emitter.clock.period
                    router.route(&emitter, period: period)
                }
            } else {
                otherPorts &+= 1
            }
        }
        if let every = settings.logEvery, packets % every == 0 { report(summary()) }
        if let limit = settings.packetLimit, packets >= limit { return .packetLimit }
        return nil
    }

    // MARK: Statistics

    /// The counters as one line: packets, the module's counters, what the
    /// decoder skipped, kernel drops, and what the writer wrote or lost.
    public func summary() -> String {
        var parts = ["packets \(packets)"]
        let named = modules.descriptors.count > 1
        for (module, values) in modules.counters {
            for (name, value) in values { parts.append(named ? "\(module).\(name) \(value)" : "\(name) \(value)") }
        }
        parts.append("other-ports \(otherPorts)")
        parts.append(contentsOf: hostCounters(decoder: decoder, pcap: pcap, writer: writer))
        return parts.joined(separator: ", ")
    }
}
