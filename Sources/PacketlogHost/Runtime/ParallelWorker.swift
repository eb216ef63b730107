import CPcap
import Foundation

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
