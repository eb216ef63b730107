import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Floods built into a capture file: memory stays under the configured caps,
/// evictions are counted and reported, and the well-formed traffic mixed
/// into the flood is still logged, line for line.
final class HostileTrafficTests: XCTestCase {
    // MARK: A tiny pcap builder (Ethernet, µs)

    struct Capture {
        var bytes: [UInt8] = []
        var second: UInt32 = 1_795_755_600   // 2026-11-27 05:00:00 UTC
        var micro: UInt32 = 0
        init() {
            for v in [UInt32(0xA1B2C3D4)] { bytes += le32(v) }
            bytes += le16(2) + le16(4) + le32(0) + le32(0) + le32(262_144) + le32(1)
        }
        mutating func add(_ ipPacket: [UInt8], ipv6: Bool = false) {
            micro += 10
            if micro >= 1_000_000 { micro = 0; second += 1 }
            let frame = [UInt8](repeating: 0x02, count: 12) + (ipv6 ? [0x86, 0xDD] : [0x08, 0x00]) + ipPacket
            bytes += le32(second) + le32(micro) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        }
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    }

    func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }

    func ipv4(_ proto: UInt8, src: UInt32, dst: UInt32, id: UInt16 = 0, fragment: UInt16 = 0, _ body: [UInt8]) -> [UInt8] {
        [0x45, 0] + be16(UInt16(20 + body.count)) + be16(id) + be16(fragment) + [64, proto, 0, 0] + be32(src) + be32(dst) + body
    }
    func udp(_ sport: UInt16, _ dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }
    func tcp(_ sport: UInt16, _ dport: UInt16, seq: UInt32, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sport) + be16(dport) + be32(seq) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }
    /// A DNS query for `name` (labels), type A.
    func query(id: UInt16, _ labels: [String]) -> [UInt8] {
        var m = be16(id) + be16(0x0100) + be16(1) + be16(0) + be16(0) + be16(0)
        for l in labels { m += [UInt8(l.utf8.count)] + Array(l.utf8) }
        return m + [0] + be16(1) + be16(1)
    }

    let resolver: UInt32 = 0x0A35_6435   // 10.53.100.53

    func testFloodsStayBoundedAndValidTrafficIsStillLogged() throws {
        var c = Capture()
        var expectedLines: [String] = []
        let flows = 300_000
        for i in 0..<flows {
            let src = 0x0B00_0000 + UInt32(i)                       // 11.x.y.z: one half-open flow each
            c.add(ipv4(6, src: src, dst: resolver, tcp(UInt16(1024 + i % 60_000), 53, seq: UInt32(i), flags: 0x02)))
            if i % 4 == 0 {
                // A fragment flood: first fragments that never complete, distinct ids.
                c.add(ipv4(17, src: src, dst: resolver, id: UInt16(truncatingIfNeeded: i), fragment: 0x2000, udp(5353, 53, [UInt8](repeating: 1, count: 24))))
            }
            if i % 50 == 0 {
                // Endless out-of-order data on one flow: a gap that is never filled.
                c.add(ipv4(6, src: 0x0C00_0001, dst: resolver, tcp(40000, 53, seq: 1_000_000 + UInt32(i) * 100, flags: 0x18, [UInt8](repeating: 7, count: 100))))
                // A message whose name is a pointer to itself.
                let loop = be16(UInt16(i & 0xFFFF)) + be16(0x0100) + be16(1) + be16(0) + be16(0) + be16(0) + [0xC0, 12] + be16(1) + be16(1)
                c.add(ipv4(17, src: 0x0C00_0002, dst: resolver, udp(3333, 53, loop)))
            }
            if i % 300 == 0 {
                // Well-formed queries in the middle of it all.
                let id = UInt16(i / 300)
                c.add(ipv4(17, src: 0x0A35_640A, dst: resolver, udp(33_000, 53, query(id: id, ["q\(id)", "example", "com"]))))
                expectedLines.append(String(format: "10.53.100.10#33000 10.53.100.53#53 CQ %04X 00 q%d.example.com IN A", id, Int(id)))
            }
        }
        let dir = try E2E.temporaryDirectory("hostile")
        let capture = dir.appendingPathComponent("flood.pcap")
        try Data(c.bytes).write(to: capture)
        let config = dir.appendingPathComponent("caps.conf")
        try Data("""
            [host]
            tcp_max_flows = 20000
            tcp_max_bytes_per_flow = 65536
            ip_max_datagrams = 5000

            [dns]
            enabled = true
            """.utf8).write(to: config)

        // The child's peak RSS, measured by a small parent (python3): this
        // test process's own `RUSAGE_CHILDREN` would report the peak of the
        // test process itself (a child spawned with vfork is charged its
        // parent's memory up to its exec), which other tests inflate.
        let peakFile = dir.appendingPathComponent("peak-rss-kib")
        let measure = """
            import resource, subprocess, sys
            code = subprocess.run(sys.argv[2:]).returncode
            open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
            sys.exit(code)
            """
        let out = try E2E.run("/usr/bin/python3", ["-c", measure, peakFile.path, try E2E.binary(),
                                                   "--config", config.path, "--protocol", "dns", "-r", capture.path,
                                                   "--local-address", "10.53.100.53", "-d", dir.appendingPathComponent("logs").path],
                              timeout: 300)
        XCTAssertEqual(out.status, 0, out.stderr)
        let peak = Int(try String(contentsOf: peakFile, encoding: .utf8)) ?? Int.max
        // Caps: 20k flows and 5k datagrams are a few MiB; the whole process stays small.
        XCTAssertLessThan(peak, 200 * 1024, "peak RSS of the child in KiB")

        let logs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("logs").path)
        var lines: [String] = []
        for name in logs.sorted() {
            let text = try String(contentsOf: dir.appendingPathComponent("logs").appendingPathComponent(name), encoding: .utf8)
            lines += text.split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 1)[1]) }   // drop the time
        }
        XCTAssertEqual(lines, expectedLines, "exactly the well-formed queries, in order")

        guard let (summary, counters) = E2E.summaryCounters(out.stderr) else { return XCTFail("no summary: \(out.stderr)") }
        XCTAssertEqual(counters["dns-malformed"], UInt64(flows / 50), summary)
        XCTAssertEqual(counters["tcp-evicted"].map { $0 >= UInt64(flows - 20_000) }, true, "half-open flows evicted: \(summary)")
        XCTAssertEqual(counters["ip-fragments"], UInt64(flows / 4), summary)
        XCTAssertEqual(counters["ip-fragments-dropped"].map { $0 >= UInt64(flows / 4 - 5000) }, true, "fragment flood evicted: \(summary)")
        XCTAssertEqual(counters["lines-written"], UInt64(expectedLines.count), summary)
    }
}
