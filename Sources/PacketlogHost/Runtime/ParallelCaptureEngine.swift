import CPcap
import Foundation
import Synchronization

// MARK: - ParallelCaptureEngine

/// The capture pipeline across cores:
///
/// - the **reader** (the calling thread) reads packets, copies them into a
///   pooled batch, decodes link/IP/transport once and assigns each packet to
///   a worker by its flow (both directions of a flow go to one worker);
/// - each **worker** runs its own instance of the modules (own TCP
///   reassembly) over its packets of every batch, into its own line buffer;
/// - the **merger** takes the workers' lines of a batch, merges them back
///   into packet order and routes them to the writer, which writes.
///
/// When the modules' datagrams are independent (DNS over UDP) and the
/// workers lag (two batches waiting), the reader decodes the datagrams of
/// the batch it has just filled itself, in an instance of the modules of
/// its own; the workers still take that batch's TCP packets (their flows'
/// state is theirs), and the merger merges the reader's lines with theirs.
/// So both cores stay busy whichever side is the slower one
/// (`CaptureThreadHelp`).
///
/// Queues between stages are bounded: a slow stage makes the reader wait
/// (on a live interface the kernel ring absorbs bursts, and its drops are
/// counted from `pcap_stats`), so nothing is dropped silently.
public final class ParallelCaptureEngine<Modules: ModuleDispatch>: CapturePacketHandler {
    let pcap: PcapHandle
    let writer: LogWriter
    let settings: CaptureSettings
    /// `settings.localAddresses`, read per packet.
    let localAddresses: LocalAddressSet
    var decoder: PacketDecoder
    let workers: [ParallelWorker<Modules>]
    /// `workers.count`, read per packet: kept as a plain integer because this
    /// code runs unspecialised, where counting an array of a generic class
    /// looks its type metadata up every time.
    let workerCount: UInt64
    let merger: ParallelMerger<Modules>
    let freeBatches: BlockingQueue<PacketBatch>
    var batch: PacketBatch
    /// The reader's own modules for datagrams (`nil` when the modules'
    /// datagrams are not independent, or help is off), the free outputs
    /// for its lines, and the datagrams it decoded and no module wanted.
    var helper: Modules?
    let freeHelperOutputs: BlockingQueue<WorkerOutput>
    var helperOtherPorts: UInt64 = 0
    /// Batches whose datagrams the reader decoded itself (for tests and diagnostics).
    private(set) var batchesHelped: UInt64 = 0
    /// The text of recently seen addresses and of the current second, for
    /// the line starts rendered here.
    let addressText = AddressTextCache()
    var clock = LocalClock()
    public private(set) var packets: UInt64 = 0
    let report: @Sendable (String) -> Void
    /// When the counters were last printed for `statsIntervalSeconds` (monotonic ms).
    var lastStats = monotonicMilliseconds()

    /// `makeModules` is called once per worker.
    public init(workerCount: Int, makeModules: () throws -> Modules, files: [ModuleFiles], pcap: PcapHandle, writer: LogWriter,
                settings: CaptureSettings, toStandardOutput: Bool, report: @escaping @Sendable (String) -> Void) rethrows {
        self.pcap = pcap
        self.writer = writer
        self.settings = settings
        self.localAddresses = settings.localAddresses
        self.report = report
        decoder = PacketDecoder(linkType: pcap.linkType,
                                defragmenter: settings.ipDefragmentation ? IPDefragmenter(limits: settings.defragmentationLimits) : nil)
        let batchCount = 8
        freeBatches = BlockingQueue(capacity: batchCount, lastInFirstOut: true)
        for _ in 0..<batchCount { freeBatches.push(PacketBatch(capacity: 4 << 20, maxEntries: max(1, settings.batchPackets))) }
        batch = freeBatches.pop()
        var workers: [ParallelWorker<Modules>] = []
        for index in 0..<max(1, workerCount) {
            workers.append(ParallelWorker(index: index, modules: try makeModules(), queueDepth: batchCount,
                                          batchPackets: settings.batchPackets))
        }
        self.workers = workers
        self.workerCount = UInt64(workers.count)
        freeHelperOutputs = BlockingQueue(capacity: batchCount, lastInFirstOut: true)
        if Modules.datagramsAreIndependent, settings.captureThreadHelps != .never {
            helper = try makeModules()
            for _ in 0..<batchCount { freeHelperOutputs.push(WorkerOutput(batchPackets: settings.batchPackets)) }
        }
        merger = ParallelMerger(workers: workers, freeBatches: freeBatches, freeHelperOutputs: freeHelperOutputs,
                                router: OutputRouter(writer: writer, modules: files, toStandardOutput: toStandardOutput),
                                writer: writer)
    }

    deinit { addressText.deallocate() }

    /// Runs the capture to its end, then drains the pipeline.
    public func run() -> CaptureEnding {
        for worker in workers { worker.start() }
        merger.start()
        let ending = CaptureLoop(pcap: pcap, handler: self).run()
        dispatch()
        batch.isEnd = true
        dispatch(final: true)
        helper?.finish()
        merger.waitUntilDone()
        return ending
    }

    // MARK: Reader side

    func handle(_ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>, nanosecond: Bool) -> CaptureEnding? {
        packets &+= 1
        let h = header.pointee
        let time = packetTime(h, nanosecond: nanosecond)
        if batch.isFull { dispatch() }
        // Decoded in libpcap's buffer; only the payload is copied into the
        // batch (it lives in libpcap's buffer, valid until the next read, or
        // in the defragmenter): the headers are not needed any more, and a
        // segment without payload (SYN, ACK, FIN) copies nothing.
        let frame = UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
        if var packet = decoder.decode(frame, wireLength: Int(h.len), time: time) {
            packet.sourceIsLocal = localAddresses.contains(packet.source)
            packet.destinationIsLocal = localAddresses.contains(packet.destination)
            if packet.payload.isEmpty {
                packet.payload = UnsafeRawBufferPointer(start: nil, count: 0)
            } else {
                var copy = batch.copy(packet.payload)
                if copy == nil {
                    dispatch()
                    copy = batch.copy(packet.payload)
                }
                guard let copy else { return limits() }
                packet.payload = copy
                // The line's time and endpoints, rendered here (only a
                // packet with a payload can carry a line): the workers
                // format everything else, and this thread has time to spare.
                clock.update(time.seconds)
                let cache = addressText, timeText = clock.timeText
                let source = packet.source, sourcePort = packet.sourcePort
                let destination = packet.destination, destinationPort = packet.destinationPort
                if let text = batch.write(atMost: LineEmitter.lineStartRoom, {
                    LineEmitter.writeLineStart(time: time, timeText: timeText, source: source, sourcePort: sourcePort,
                                               destination: destination, destinationPort: destinationPort, cache: cache, to: $0)
                }) {
                    packet.renderedLineStart = text
                }
            }
            batch.append(packet, shard: workerCount == 1 ? 0 : Int(packet.flowHash % workerCount))
        }
        return limits()
    }

    @inline(__always)
    func limits() -> CaptureEnding? {
        if let every = settings.logEvery, packets % every == 0 { report(merger.summary(packets: packets, decoder: decoder, pcap: pcap, helper: helperCounters)) }
        if let limit = settings.packetLimit, packets >= limit { return .packetLimit }
        return nil
    }

    /// Hands the current batch to every worker and starts a new one.
    func dispatch(final: Bool = false) {
        let full = batch
        if helper != nil, full.entryCount > 0, shouldHelp() { decodeDatagrams(of: full) }
        merger.expect(full)
        for worker in workers { worker.input.push(full) }
        if !final { batch = freeBatches.pop() }
    }

    /// Whether this thread decodes the datagrams of the batch it hands on.
    private func shouldHelp() -> Bool {
        switch settings.captureThreadHelps {
        case .never: return false
        case .always: return true
        case .whenWorkersLag:
            // A plain loop: `contains(where:)` runs unspecialised here (the
            // engine is generic) and allocated on every call.
            for worker in workers where worker.input.waiting >= 2 { return true }
            return false
        }
    }

    /// Runs this thread's own modules over the datagrams of `batch` (in a
    /// tight loop, while the batch is still in this core's cache) and marks
    /// them as done, so the workers take only its TCP packets.
    private func decodeDatagrams(of batch: PacketBatch) {
        let out = freeHelperOutputs.pop()
        out.emitter.reset()
        out.batch = batch
        let entries = batch.entryStorage
        for i in 0..<batch.entryCount where !entries[i].isTCP {
            out.emitter.packetIndex = i
            if !helper!.dispatch(entries[i], into: &out.emitter) { helperOtherPorts &+= 1 }
            batch.shardStorage[i] = -1
        }
        batchesHelped &+= 1
        batch.helperOutput = out
    }

    func idleTick() {
        batch.tick = true
        dispatch()
        if let interval = settings.statsIntervalSeconds, interval > 0 {
            let now = monotonicMilliseconds()
            if now - lastStats >= Int64(interval) * 1000 {
                lastStats = now
                report(merger.summary(packets: packets, decoder: decoder, pcap: pcap, helper: helperCounters))
            }
        }
    }

    func flushLines() {
        batch.flush = true
        dispatch()
    }

    func reopenFiles() {
        batch.reopen = true
        dispatch()
    }

    // MARK: Statistics

    /// Call after `run()`: every stage has stopped.
    public func summary() -> String {
        merger.summary(packets: packets, decoder: decoder, pcap: pcap, helper: helperCounters)
    }

    /// The reader's own modules' counters (read on the reader's thread).
    var helperCounters: ParallelMerger<Modules>.Counters? {
        helper.map { ($0.counters, helperOtherPorts) }
    }
}
