import Benchmark
import CPcap
import PacketlogHost
import ProtocolPlugins
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Allocation guard for the per-packet path
//
// The packets of the recorded lab capture (Tests/EndToEndTests/Fixtures/
// lab-dns.pcap: UDP and TCP, IPv4 and IPv6, A/AAAA/CNAME/MX/TXT/SRV/CAA/PTR,
// NXDOMAIN, a TC=1 answer retried over TCP) are read once with the host's
// PcapHandle into memory. Each measured iteration then runs `passes` passes
// over them through what the capture loop does per packet:
// PacketDecoder.decode → local-address test → LineEmitter.reset →
// ModuleRunner<DNSModule>.dispatch (TCP reassembly on, or off) →
// LocalClock.update. Each pass shifts the capture times by a minute, so time
// moves forward as on a live capture and every TCP connection is new.
//
// The harness is built, and one full pass run, before measuring (the
// emitter's buffers, the reassembler's tables and the clock's caches reach
// their steady size); the benchmark's warm-up iteration runs on top of that.
// The threshold: mallocCountTotal == 0 per iteration, i.e. 0 per packet
// (Thresholds/DNSAllocations.*.p90.json, checked by
// `swift package benchmark thresholds check`, see `make bench-alloc`).
// Allocations per packet = mallocCountTotal / (passes × packets in the
// fixture).

/// The fixture: $PACKETLOG_BENCH_PCAP, or the repository's lab capture.
func fixturePath() -> String {
    if let p = getenv("PACKETLOG_BENCH_PCAP") { return String(cString: p) }
    // #filePath: <repo>/Benchmarks/Benchmarks/DNSAllocations/DNSAllocations.swift
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)
    return parts.joined(separator: "/") + "/Tests/EndToEndTests/Fixtures/lab-dns.pcap"
}

/// Every frame of a capture file in one buffer, with its header fields.
struct CapturedPackets {
    var bytes: [UInt8] = []
    var frames: [(offset: Int, caplen: Int, wireLength: Int, time: PacketTime)] = []
    var linkType: LinkType

    init(path: String) throws {
        let pcap = try PcapHandle.openFile(path)
        linkType = pcap.linkType
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while pcap.next(&header, &data) == 1, let h = header?.pointee, let data {
            let offset = bytes.count
            bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(h.caplen)))
            // openFile asks libpcap for nanosecond timestamps.
            frames.append((offset, Int(h.caplen), Int(h.len),
                           PacketTime(seconds: Int64(h.ts.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: h.ts.tv_usec))))
        }
    }
}

/// The per-packet path of CaptureEngine, minus the writer thread.
final class Harness {
    let packets: CapturedPackets
    var decoder: PacketDecoder
    var runner: ModuleRunner<DNSModule>
    var emitter = LineEmitter()
    let local: LocalAddressSet
    var pass: Int64 = 0
    var lines = 0
    var handled = 0

    init(tcpReassembly: Bool) throws {
        packets = try CapturedPackets(path: fixturePath())
        decoder = PacketDecoder(linkType: packets.linkType, defragmenter: IPDefragmenter(limits: IPDefragmentationLimits()))
        runner = ModuleRunner(module: try DNSModule(options: ModuleOptions()), index: 0,
                              tcpReassembly: tcpReassembly, limits: TCPReassemblyLimits())
        var local = LocalAddressSet()
        try local.add("10.77.1.53")      // the lab's unbound (scripts/lab.sh)
        try local.add("fd77:1::53")
        self.local = local
    }

    deinit { emitter.deallocate() }

    /// One pass over every packet; the times move on by 60 s per pass.
    @inline(never)
    func runPass() {
        let shift = pass &* 60
        pass &+= 1
        packets.bytes.withUnsafeBytes { all in
            for f in packets.frames {
                let frame = UnsafeRawBufferPointer(rebasing: all[f.offset..<(f.offset + f.caplen)])
                let time = PacketTime(seconds: f.time.seconds &+ shift, nanoseconds: f.time.nanoseconds)
                handled &+= 1
                guard var packet = decoder.decode(frame, wireLength: f.wireLength, time: time) else { continue }
                packet.sourceIsLocal = local.contains(packet.source)
                packet.destinationIsLocal = local.contains(packet.destination)
                emitter.reset()
                if runner.dispatch(packet, into: &emitter), !emitter.records.isEmpty {
                    emitter.clock.update(time.seconds)
                    lines &+= emitter.records.count
                }
            }
        }
    }
}

/// Passes per measured iteration (80 packets each for the lab capture:
/// 80,000 packets per iteration).
let passes = 1000

nonisolated(unsafe) var harnesses: [Bool: Harness] = [:]

func harness(tcpReassembly: Bool) -> Harness {
    if let h = harnesses[tcpReassembly] { return h }
    do {
        let h = try Harness(tcpReassembly: tcpReassembly)
        h.runPass()   // warm-up outside any measurement
        harnesses[tcpReassembly] = h
        return h
    } catch {
        fatalError("DNSAllocations: cannot read \(fixturePath()): \(error)")
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.mallocCountTotal, .mallocCountSmall, .mallocCountLarge, .wallClock],
        warmupIterations: 1,
        // Five samples: with fewer than ten, the p90 the static threshold
        // check compares is the largest sample, so every measured packet
        // (5 × 80,000) is covered by the "0 allocations" threshold.
        maxDuration: .seconds(120),
        maxIterations: 5,
        // No tolerance: any allocation in the steady state is a regression.
        thresholds: [
            .mallocCountTotal: BenchmarkThresholds(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0]),
        ]
    )

    for reassembly in [true, false] {
        let name = reassembly ? "DNSPerPacket" : "DNSPerPacketNoReassembly"
        Benchmark(name, configuration: configuration) { benchmark in
            let h = harness(tcpReassembly: reassembly)
            benchmark.startMeasurement()
            for _ in 0..<passes { h.runPass() }
            benchmark.stopMeasurement()
            blackHole(h.lines)
        }
    }
}
