import Foundation
import Synchronization

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
            if batch.tick || batch.flush { router.flushAll() }
            if batch.tick { writer.rollover(now: Int64(time(nil))) }
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
        // (The span is computed with an overflow check: a crafted capture's
        // seconds can lie at both ends of `Int64`.)
        let span = batch.latestSecond.subtractingReportingOverflow(batch.earliestSecond)
        if modules != 0, modules & (modules &- 1) == 0, !span.overflow, span.partialValue >= 0, span.partialValue < 1800 {
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

    /// Appends the modules' counters; returns the packets no module wanted.
    private func appendModuleCounters(to parts: inout [String], helper: Counters?) -> UInt64 {
        let (counters, otherPorts) = summedCounters(helper: helper)
        let named = counters.count > 1
        for (module, values) in counters {
            for (name, value) in values { parts.append(named ? "\(module).\(name) \(value)" : "\(name) \(value)") }
        }
        return otherPorts
    }

    /// The counters as one line: the final summary, and the periodic
    /// statistics (`--stats-interval`, `--log-every`) with the same fields —
    /// kernel drops and lost lines included — called on the capture
    /// thread, which owns `decoder` and `pcap`.
    func summary(packets: UInt64, decoder: PacketDecoder, pcap: PcapHandle, helper: Counters?) -> String {
        var parts = ["packets \(packets)"]
        let other = appendModuleCounters(to: &parts, helper: helper)
        parts.append("other-ports \(other)")
        parts.append(contentsOf: hostCounters(decoder: decoder, pcap: pcap, writer: writer))
        return parts.joined(separator: ", ")
    }
}
