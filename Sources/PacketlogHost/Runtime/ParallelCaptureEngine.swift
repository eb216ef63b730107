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
        if let every = settings.logEvery, packets % every == 0 { report(merger.latestSummary(packets: packets, decoder: decoder.statistics, helper: helperCounters)) }
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
                report(merger.latestSummary(packets: packets, decoder: decoder.statistics, helper: helperCounters))
            }
        }
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

// MARK: - ParallelWorker

/// One worker thread: its own modules over its share of each batch.
final class ParallelWorker<Modules: ModuleDispatch>: @unchecked Sendable {
    let index: Int
    var modules: Modules
    let input: BlockingQueue<PacketBatch>
    let output: BlockingQueue<WorkerOutput>
    let freeOutputs: BlockingQueue<WorkerOutput>
    var otherPorts: UInt64 = 0
    /// Held while the worker runs a batch; a summary takes it to read the
    /// modules' counters (no per-batch snapshot, so nothing is allocated on
    /// the packet path).
    let lock = NSLock()
    private var thread: Thread?

    init(index: Int, modules: Modules, queueDepth: Int, batchPackets: Int) {
        self.index = index
        self.modules = modules
        input = BlockingQueue(capacity: queueDepth)
        output = BlockingQueue(capacity: queueDepth)
        freeOutputs = BlockingQueue(capacity: queueDepth, lastInFirstOut: true)
        for _ in 0..<queueDepth { freeOutputs.push(WorkerOutput(batchPackets: batchPackets)) }
    }

    func start() {
        let name = "pl-worker-\(index)"
        let t = Thread { [self] in
            nameCurrentThread(name)
            self.run()
        }
        t.name = name
        thread = t
        t.start()
    }

    private func run() {
        while true {
            let batch = input.pop()
            let out = freeOutputs.pop()
            out.emitter.reset()
            out.batch = batch
            // Read once: after `output.push` the merger may recycle the batch
            // and the reader may mark it as the next end batch.
            let isEnd = batch.isEnd
            lock.lock()
            if isEnd {
                modules.finish()
            } else {
                let entries = batch.entryStorage, count = batch.entryCount
                let shards = batch.shardStorage, mine = Int16(truncatingIfNeeded: index)
                var prefetcher = Prefetcher(batch)
                for i in 0..<count {
                    prefetcher.advance(entry: entries + i, payload: entries[i].payload.baseAddress)
                    guard shards[i] == mine else { continue }
                    out.emitter.packetIndex = i
                    if !modules.dispatch(entries[i], into: &out.emitter) { otherPorts &+= 1 }
                }
            }
            lock.unlock()
            output.push(out)
            if isEnd { return }
        }
    }

    /// Starts fetching what the next packets' decoding reads first: the
    /// capture thread wrote it on the other core, and a load of a line
    /// another core holds waits for it (perf: a third of this loop's
    /// samples on the entry copy, a third of the line start's copy on its
    /// first load). Both the entries and the batch's bytes (payloads and
    /// rendered line starts, in capture order) are read front to back, so
    /// each is fetched a fixed distance ahead of where the loop reads,
    /// without loading anything itself.
    struct Prefetcher {
        var entriesFetched: UnsafeRawPointer
        let entriesEnd: UnsafeRawPointer
        var bytesFetched: UnsafeRawPointer
        let bytesEnd: UnsafeRawPointer

        init(_ batch: PacketBatch) {
            entriesFetched = UnsafeRawPointer(batch.entryStorage)
            entriesEnd = UnsafeRawPointer(batch.entryStorage + batch.entryCount)
            bytesFetched = UnsafeRawPointer(batch.storage)
            bytesEnd = UnsafeRawPointer(batch.storage + batch.used)
        }

        /// Bytes fetched ahead of the entry read and of the payload read.
        static var entryDistance: Int { 16 * MemoryLayout<PacketContext>.stride }
        static var byteDistance: Int { 2048 }

        @inline(__always)
        mutating func advance(entry: UnsafePointer<PacketContext>, payload: UnsafeRawPointer?) {
            let entryTarget = min(UnsafeRawPointer(entry) + Self.entryDistance, entriesEnd)
            while entriesFetched < entryTarget { packetlog_prefetch(entriesFetched); entriesFetched += 64 }
            guard let payload else { return }
            let byteTarget = min(payload + Self.byteDistance, bytesEnd)
            if bytesFetched < payload { bytesFetched = payload }
            while bytesFetched < byteTarget { packetlog_prefetch(bytesFetched); bytesFetched += 64 }
        }
    }
}

/// A worker's (or the reader's) lines for one batch.
final class WorkerOutput: @unchecked Sendable {
    var emitter: LineEmitter
    var batch: PacketBatch?
    /// Room for the lines of a batch of `batchPackets` packets as a
    /// resolver's traffic makes them (under one line of 128 bytes per
    /// packet), so the pooled outputs do not grow while the pipeline warms
    /// up; bigger batches of lines still grow them.
    init(batchPackets: Int) {
        emitter = LineEmitter(capacity: max(256 * 1024, batchPackets * 128), lines: max(1024, batchPackets))
    }
    deinit { emitter.deallocate() }
}

extension ParallelWorker {
    /// The modules' counters and the packets no module wanted, as of the
    /// last batch the worker finished (waits for the batch it is running).
    func counters() -> ParallelMerger<Modules>.Counters {
        lock.lock()
        defer { lock.unlock() }
        return (modules.counters, otherPorts)
    }
}

// MARK: - ParallelMerger

/// Puts the workers' lines of each batch back into packet order and routes
/// them to the writer.
final class ParallelMerger<Modules: ModuleDispatch>: @unchecked Sendable {
    typealias Counters = (modules: [(module: String, values: [(name: String, value: UInt64)])], otherPorts: UInt64)
    let workers: [ParallelWorker<Modules>]
    let freeBatches: BlockingQueue<PacketBatch>
    let freeHelperOutputs: BlockingQueue<WorkerOutput>
    var router: OutputRouter
    let writer: LogWriter
    private let expected: BlockingQueue<PacketBatch>
    private var clock = LocalClock()
    private var wallClock = LocalClock()
    private var thread: Thread?
    private let done = NSCondition()
    private var finished = false

    init(workers: [ParallelWorker<Modules>], freeBatches: BlockingQueue<PacketBatch>, freeHelperOutputs: BlockingQueue<WorkerOutput>,
         router: OutputRouter, writer: LogWriter) {
        self.workers = workers
        self.freeBatches = freeBatches
        self.freeHelperOutputs = freeHelperOutputs
        self.router = router
        self.writer = writer
        expected = BlockingQueue(capacity: 64)
    }

    func start() {
        let t = Thread { [self] in
            nameCurrentThread("pl-merger")
            self.run()
        }
        t.name = "pl-merger"
        thread = t
        t.start()
    }

    /// The reader announces each batch in order (for the tick/end flags).
    func expect(_ batch: PacketBatch) { expected.push(batch) }

    func waitUntilDone() {
        done.lock()
        while !finished { done.wait() }
        done.unlock()
    }

    private func run() {
        var outputs: [WorkerOutput] = []
        outputs.reserveCapacity(workers.count + 1)
        var cursors = Array(repeating: 0, count: workers.count + 1)
        while true {
            let batch = expected.pop()
            outputs.removeAll(keepingCapacity: true)
            for worker in workers { outputs.append(worker.output.pop()) }
            // The reader's lines for the batch's datagrams, when it took them.
            if let helped = batch.helperOutput { outputs.append(helped) }
            // Merged by packet index, a run of one output's lines at a time
            // (each output's lines are already in order): one output whose
            // lines all go to one file is handed to the writer as it is;
            // lines that all go to one file are copied a run at a time;
            // anything else (split files, several periods) line by line.
            var withLines = -1
            for w in outputs.indices where !outputs[w].emitter.records.isEmpty {
                withLines = withLines == -1 ? w : -2
            }
            if withLines == -1 {
                // no line
            } else if let (module, period) = singleFile(outputs, of: batch) {
                let handedOver = withLines >= 0 && handOver(outputs[withLines], module: module, period: period)
                if !handedOver {
                    forEachRun(of: outputs, cursors: &cursors) { out, run in
                        let records = out.emitter.records
                        router.appendRun(out.emitter.buffer.bytes(from: records[run.lowerBound].start, to: records[run.upperBound &- 1].end),
                                         lines: run.count, module: module, period: period)
                    }
                }
            } else {
                forEachRun(of: outputs, cursors: &cursors) { out, run in
                    for i in run {
                        let record = out.emitter.records[i]
                        clock.update(batch.entries[record.packet].time.seconds)
                        router.route(record, of: &out.emitter, period: clock.period)
                    }
                }
            }
            if batch.tick {
                router.flushAll()
                wallClock.update(Int64(time(nil)))
                writer.rollover(to: wallClock.period)
            }
            if batch.reopen {
                router.flushAll()
                writer.reopen()
            }
            let isEnd = batch.isEnd
            for (w, out) in outputs.enumerated() {
                out.batch = nil
                if w < workers.count { workers[w].freeOutputs.push(out) } else { freeHelperOutputs.push(out) }
            }
            if isEnd { break }
            batch.reset()
            freeBatches.push(batch)
        }
        router.flushAll()
        done.lock()
        finished = true
        done.broadcast()
        done.unlock()
    }

    /// One output's lines (the only output with lines), all for the
    /// combined file of `module` in `period`, when they are many: hands the
    /// output's buffer itself to the writer instead of copying them.
    /// `false` when they are too few; nothing was routed then.
    private func handOver(_ out: WorkerOutput, module: Int, period: LogPeriod) -> Bool {
        let records = out.emitter.records
        guard let last = records.last, last.end >= OutputRouter.handOverMinimumBytes else { return false }
        // Lines are contiguous from 0; bytes after the last one (a line a
        // module began and never ended) are not part of the output.
        out.emitter.buffer.truncate(to: last.end)
        router.handOver(&out.emitter.buffer, lines: records.count, module: module, period: period)
        return true
    }

    /// Calls `body` with runs of consecutive lines of one output, in packet
    /// order across `outputs`: each run ends where another output has an
    /// earlier packet. A run's lines are contiguous in its output's buffer.
    private func forEachRun(of outputs: [WorkerOutput], cursors: inout [Int], _ body: (WorkerOutput, Range<Int>) -> Void) {
        for i in cursors.indices { cursors[i] = 0 }
        while true {
            // The output holding the earliest packet, and the earliest packet of the others.
            var best = -1
            var bestPacket = Int.max, otherPacket = Int.max
            for w in outputs.indices {
                let records = outputs[w].emitter.records
                guard cursors[w] < records.count else { continue }
                let packet = records[cursors[w]].packet
                if packet < bestPacket {
                    otherPacket = bestPacket
                    bestPacket = packet
                    best = w
                } else if packet < otherPacket {
                    otherPacket = packet
                }
            }
            if best < 0 { return }
            let records = outputs[best].emitter.records
            let first = cursors[best]
            var end = first &+ 1
            while end < records.count, records[end].packet < otherPacket { end &+= 1 }
            cursors[best] = end
            body(outputs[best], first..<end)
        }
    }

    /// The module and period whose combined file every line of `outputs`
    /// for `batch` goes to, or `nil` when there is no single such file
    /// (several modules or periods, split files) or no line.
    private func singleFile(_ outputs: [WorkerOutput], of batch: PacketBatch) -> (module: Int, period: LogPeriod)? {
        // Without a walk over the lines when one module wrote them all and
        // the batch's earliest and latest seconds go to the same file less
        // than half an hour apart (every second between them then does too:
        // a clock turned back for daylight saving repeats at least 30
        // minutes, so no other period's minute or hour can lie between).
        var modules: UInt64 = 0
        for out in outputs { modules |= out.emitter.modulesWithLines }
        if modules != 0, modules & (modules &- 1) == 0, batch.earliestSecond <= batch.latestSecond,
           batch.latestSecond &- batch.earliestSecond < 1800 {
            let module = modules.trailingZeroBitCount
            clock.update(batch.earliestSecond)
            let period = clock.period
            guard let first = router.combinedSlot(module: module, period: period) else { return nil }
            clock.update(batch.latestSecond)
            if router.combinedSlot(module: module, period: clock.period)! == first { return (module, period) }
        }
        let entries = batch.entries
        var target: (slot: Int, key: Int)?
        var module = 0, period = clock.period
        var checkedSecond = Int64.min, checkedModule = -1
        for out in outputs {
            for record in out.emitter.records {
                // Lines of one module in one second share a file: check
                // again only when either changes.
                let second = entries[record.packet].time.seconds
                guard second != checkedSecond || record.module != checkedModule else { continue }
                checkedSecond = second
                checkedModule = record.module
                clock.update(second)
                guard let slot = router.combinedSlot(module: record.module, period: clock.period) else { return nil }
                if let target {
                    guard slot == target else { return nil }
                } else {
                    target = slot
                    module = record.module
                    period = clock.period
                }
            }
        }
        return target == nil ? nil : (module, period)
    }

    // MARK: Statistics

    /// Counters summed over the workers (and the reader's own modules,
    /// `helper`), by module and name, and the packets no module wanted.
    func summedCounters(helper: Counters?) -> Counters {
        var total: [(module: String, values: [(name: String, value: UInt64)])]?
        var otherPorts: UInt64 = 0
        let all = workers.map { $0.counters() } + (helper.map { [$0] } ?? [])
        for (counters, other) in all {
            otherPorts &+= other
            guard var sum = total else { total = counters; continue }
            for m in counters.indices where m < sum.count {
                for v in counters[m].values.indices where v < sum[m].values.count {
                    sum[m].values[v].value &+= counters[m].values[v].value
                }
            }
            total = sum
        }
        return (total ?? [], otherPorts)
    }

    func latestSummary(packets: UInt64, decoder: DecoderStatistics, helper: Counters?) -> String {
        var parts = ["packets \(packets)"]
        let other = appendModuleCounters(to: &parts, helper: helper)
        parts.append("other-ports \(other)")
        parts.append("not-ip \(decoder.notIP)")
        parts.append("not-udp-tcp \(decoder.notUDPOrTCP)")
        parts.append("lines-written \(writer.linesWritten.load(ordering: .relaxed))")
        return parts.joined(separator: ", ")
    }

    /// Appends the modules' counters; returns the packets no module wanted.
    private func appendModuleCounters(to parts: inout [String], helper: Counters?) -> UInt64 {
        let (counters, otherPorts) = summedCounters(helper: helper)
        let named = counters.count > 1
        for (module, values) in counters {
            for (name, value) in values { parts.append(named ? "\(module).\(name) \(value)" : "\(name) \(value)") }
        }
        return otherPorts
    }

    func summary(packets: UInt64, decoder: PacketDecoder, pcap: PcapHandle, helper: Counters?) -> String {
        var parts = ["packets \(packets)"]
        let other = appendModuleCounters(to: &parts, helper: helper)
        parts.append("other-ports \(other)")
        parts.append(contentsOf: hostCounters(decoder: decoder, pcap: pcap, writer: writer))
        return parts.joined(separator: ", ")
    }
}

/// The host's own counters, as summary parts (shared by both engines).
func hostCounters(decoder: PacketDecoder, pcap: PcapHandle, writer: LogWriter) -> [String] {
    var parts: [String] = []
    let d = decoder.statistics
    parts.append("not-ip \(d.notIP)")
    parts.append("not-udp-tcp \(d.notUDPOrTCP)")
    parts.append("ip-fragments \(d.fragments)")
    if let f = decoder.defragmenter?.statistics {
        parts.append("ip-reassembled \(f.reassembled)")
        parts.append("ip-fragments-dropped \(f.timedOut + f.evicted + f.invalid)")
    }
    parts.append("truncated \(d.truncated)")
    parts.append("malformed-ip \(d.malformedIP + d.malformedTransport)")
    if let kernel = pcap.statistics() {
        parts.append("kernel-received \(kernel.received)")
        parts.append("kernel-dropped \(kernel.dropped)")
        parts.append("interface-dropped \(kernel.interfaceDropped)")
    }
    parts.append("lines-written \(writer.linesWritten.load(ordering: .relaxed))")
    parts.append("lines-lost \(writer.linesLost.load(ordering: .relaxed))")
    return parts
}
