import XCTest
import Foundation
@testable import PacketlogHost

/// A module for host tests: one line per UDP datagram and per
/// length-prefixed message of a TCP stream, carrying the payload text.
struct EchoModule: PacketlogModule {
    static let descriptor = ModuleDescriptor(name: "echo", summary: "test", defaultFilter: "udp", configSection: "echo",
                                             fileStem: "echo", rotation: .hourly)
    var lines: UInt64 = 0
    init(options: ModuleOptions) throws {}
    var filter: String { "udp or tcp" }
    func wants(_ packet: PacketContext) -> Bool { packet.destinationPort == 9 || packet.sourcePort == 9 }
    mutating func decode(_ packet: PacketContext, into lines: inout LineEmitter) { line(packet.payload, packet, &lines) }
    static var readsTCPStreams: Bool { true }
    /// A datagram's line is its payload: the capture thread may decode it.
    static var datagramsAreIndependent: Bool { true }
    mutating func decodeStream(_ packet: PacketContext, stream: UnsafeRawBufferPointer, into lines: inout LineEmitter) -> Int {
        var offset = 0
        while stream.count - offset >= 2 {
            let length = Int(stream[offset]) << 8 | Int(stream[offset + 1])
            guard stream.count - offset - 2 >= length else { break }
            line(UnsafeRawBufferPointer(rebasing: stream[(offset + 2)..<(offset + 2 + length)]), packet, &lines)
            offset += 2 + length
        }
        return offset
    }
    mutating func line(_ bytes: UnsafeRawBufferPointer, _ packet: PacketContext, _ lines: inout LineEmitter) {
        lines.beginLine()
        lines.appendTimeAndEndpoints(packet, withDate: false)
        lines.appendKind(packet.kind(isResponse: packet.sourcePort == 9))
        for b in bytes { lines.buffer.append(b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "?")) }
        lines.commitLine()
        self.lines += 1
    }
    var counters: [(name: String, value: UInt64)] { [("echo-lines", lines)] }
}

/// Writes a classic pcap (raw IPv4 link type) from frames.
struct PcapFileWriter {
    var bytes: [UInt8] = []
    init() {
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        bytes = u32(0xA1B2C3D4) + u16(2) + u16(4) + u32(0) + u32(0) + u32(65535) + u32(228)   // LINKTYPE_IPV4
    }
    mutating func add(_ frame: [UInt8], seconds: UInt32, micros: UInt32) {
        for v in [seconds, micros, UInt32(frame.count), UInt32(frame.count)] { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        bytes += frame
    }
}

final class ParallelEngineTests: XCTestCase {
    override func setUp() { setenv("TZ", "UTC", 1); tzset() }

    func ipv4(_ proto: UInt8, src: UInt32, dst: UInt32, _ body: [UInt8]) -> [UInt8] {
        let total = UInt16(20 + body.count)
        var h: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0, 0, 64, proto, 0, 0]
        for a in [src, dst] { h += [UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF)] }
        return h + body
    }

    func udp(_ sport: UInt16, _ dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let l = UInt16(8 + payload.count)
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF), UInt8(l >> 8), UInt8(l & 0xFF), 0, 0] + payload
    }

    func tcp(_ sport: UInt16, _ dport: UInt16, seq: UInt32, flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
         UInt8(seq >> 24), UInt8((seq >> 16) & 0xFF), UInt8((seq >> 8) & 0xFF), UInt8(seq & 0xFF),
         0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + payload
    }

    /// Many flows, UDP and TCP streams with messages split across segments,
    /// over two hours of capture time.
    func makeCapture() -> String {
        var w = PcapFileWriter()
        var seq: [UInt16: UInt32] = [:]
        let server: UInt32 = 0x0A00_0001
        for i in 0..<12_000 {
            let client = 0x0A01_0000 + UInt32(i % 97)
            let port = UInt16(20_000 + i % 251)
            let second = UInt32(1_795_755_600 + i / 2)   // 05:00 → 06:40
            let text = Array("msg-\(i)".utf8)
            if i % 3 == 0 {
                let framed = [UInt8(text.count >> 8), UInt8(text.count & 0xFF)] + text
                let s = seq[port] ?? 1000
                if seq[port] == nil { w.add(ipv4(6, src: client, dst: server, tcp(port, 9, seq: 999, flags: 0x02, [])), seconds: second, micros: 1) }
                let cut = i % 2 == 0 ? 3 : framed.count
                w.add(ipv4(6, src: client, dst: server, tcp(port, 9, seq: s, flags: 0x18, Array(framed[0..<cut]))), seconds: second, micros: 2)
                if cut < framed.count {
                    w.add(ipv4(6, src: client, dst: server, tcp(port, 9, seq: s + UInt32(cut), flags: 0x18, Array(framed[cut...]))), seconds: second, micros: 3)
                }
                seq[port] = s + UInt32(framed.count)
            } else {
                w.add(ipv4(17, src: client, dst: server, udp(port, 9, text)), seconds: second, micros: 4)
                w.add(ipv4(17, src: server, dst: client, udp(9, port, Array("re-".utf8) + text)), seconds: second, micros: 5)
            }
        }
        let path = NSTemporaryDirectory() + "/packetlog-parallel-\(getpid()).pcap"
        FileManager.default.createFile(atPath: path, contents: Data(w.bytes))
        return path
    }

    func run(_ capture: String, workers: Int, split: Bool, batchPackets: Int = 4096,
             help: CaptureThreadHelp = .whenWorkersLag) throws -> (dir: String, summary: String) {
        var template = Array("/tmp/packetlog-par-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        let pcap = try PcapHandle.openFile(capture)
        var settings = CaptureSettings()
        settings.workers = workers
        settings.batchPackets = batchPackets
        settings.captureThreadHelps = help
        try settings.localAddresses.add("10.0.0.1")
        let files = [ModuleFiles(stem: "echo", rotation: .hourly, directory: dir, split: split)]
        let writer = LogWriter(target: .files(files))
        writer.start()
        let modules = ModuleRunner(module: try EchoModule(options: ModuleOptions()), index: 0, tcpReassembly: true, limits: TCPReassemblyLimits())
        let result = try CaptureRunner.run(modules: modules,
                                           makeModules: { ModuleRunner(module: try EchoModule(options: ModuleOptions()), index: 0, tcpReassembly: true, limits: TCPReassemblyLimits()) },
                                           files: files, pcap: pcap, writer: writer, settings: settings, toStandardOutput: false, report: { _ in })
        XCTAssertEqual(result.ending, .endOfFile)
        return (dir, result.summary)
    }

    func contents(_ dir: String) -> [String: String] {
        var result: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            result[name] = try? readFile(dir + "/" + name)
        }
        return result
    }

    /// The pipeline must write exactly what the single-threaded engine
    /// writes: same files, same lines, same order (lines of different
    /// workers are merged back into packet order).
    func testParallelPipelineWritesTheSameFilesAsOneThread() throws {
        let capture = makeCapture()
        defer { unlink(capture) }
        for split in [false, true] {
            let single = try run(capture, workers: 0, split: split)
            let expected = contents(single.dir)
            XCTAssertEqual(expected.keys.sorted().count, split ? 4 : 2, "two hours; split: CQ and CR files")
            let lineCount = expected.values.reduce(0) { $0 + $1.split(separator: "\n").count }
            XCTAssertEqual(lineCount, 4_000 + 16_000, "one line per UDP datagram and per TCP message")
            XCTAssertTrue(single.summary.contains("echo-lines 20000"), single.summary)
            for workers in [1, 2, 3] {
                let parallel = try run(capture, workers: workers, split: split)
                XCTAssertEqual(contents(parallel.dir), expected, "\(workers) workers, split \(split)")
                XCTAssertTrue(parallel.summary.contains("echo-lines 20000"), parallel.summary)
            }
        }
    }

    /// The capture thread decoding the datagrams of every batch itself
    /// (`.always`) or of none (`.never`), with one to three workers and
    /// batches small and large: the same files and counters as one thread.
    /// Its lines and the workers' (the TCP streams) meet in every batch, so
    /// the merger interleaves them: by runs of lines into combined files,
    /// line by line into split files.
    func testCaptureThreadDecodingDatagramsWritesTheSameFiles() throws {
        let capture = makeCapture()
        defer { unlink(capture) }
        for split in [false, true] {
            let expected = contents(try run(capture, workers: 0, split: split).dir)
            for help in [CaptureThreadHelp.always, .never] {
                for (workers, batch) in [(1, 4096), (2, 97), (3, 4096)] {
                    let parallel = try run(capture, workers: workers, split: split, batchPackets: batch, help: help)
                    XCTAssertEqual(contents(parallel.dir), expected, "\(help), \(workers) workers, batches of \(batch), split \(split)")
                    XCTAssertTrue(parallel.summary.contains("echo-lines 20000"), parallel.summary)
                    XCTAssertTrue(parallel.summary.contains("other-ports 0"), parallel.summary)
                }
            }
        }
    }

    /// `.always` really moves the datagrams to the capture thread: every
    /// batch is helped, and the workers' modules count only the TCP lines.
    func testCaptureThreadHelpsEveryBatchWhenAskedTo() throws {
        let capture = makeCapture()
        defer { unlink(capture) }
        var template = Array("/tmp/packetlog-par-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        let pcap = try PcapHandle.openFile(capture)
        var settings = CaptureSettings()
        settings.workers = 1
        settings.batchPackets = 1000
        settings.captureThreadHelps = .always
        let files = [ModuleFiles(stem: "echo", rotation: .hourly, directory: dir, split: false)]
        let writer = LogWriter(target: .files(files))
        writer.start()
        defer { writer.finish() }
        let engine = try ParallelCaptureEngine(
            workerCount: 1, makeModules: { ModuleRunner(module: try EchoModule(options: ModuleOptions()), index: 0, tcpReassembly: true,
                                                        limits: TCPReassemblyLimits()) },
            files: files, pcap: pcap, writer: writer, settings: settings, toStandardOutput: false, report: { _ in })
        XCTAssertEqual(engine.run(), .endOfFile)
        XCTAssertEqual(engine.batchesHelped, (engine.packets + 999) / 1000, "every batch with packets")
        XCTAssertEqual(engine.workers[0].modules.module.lines, 4_000, "the workers decoded the TCP messages only")
        XCTAssertEqual(engine.helper?.module.lines, 16_000, "the capture thread decoded every datagram")
    }

    /// Stress on batch recycling: with tiny batches, batches go round the
    /// pool constantly; every run must finish, with every line. (A hang at
    /// the end of input was seen once in a benchmark under load: a worker
    /// read the end flag of a batch after handing it on, when it could
    /// already be recycled as the next, end, batch. The race is too narrow
    /// to hit on demand; this test keeps the end-of-input path busy.)
    func testManySmallBatchesAlwaysFinish() throws {
        let capture = makeCapture()
        defer { unlink(capture) }
        for round in 0..<12 {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var summary = ""
            nonisolated(unsafe) var failure: Error?
            nonisolated(unsafe) let test = self
            let thread = Thread {
                do { summary = try test.run(capture, workers: 1 + round % 3, split: false, batchPackets: 7 + round).summary } catch { failure = error }
                done.signal()
            }
            thread.start()
            guard done.wait(timeout: .now() + 60) == .success else {
                return XCTFail("round \(round): the pipeline did not finish in 60 s")
            }
            XCTAssertNil(failure)
            XCTAssertTrue(summary.contains("echo-lines 20000"), "round \(round): \(summary)")
        }
    }
}
