import Foundation
import XCTest

/// The same packets in the other capture formats packetlog reads — pcap with
/// nanosecond timestamps, and pcapng — give exactly the same lines as the
/// classic microsecond pcap (the golden files).
final class CaptureFormatTests: XCTestCase {
    struct Record { var seconds: UInt32; var micros: UInt32; var caplen: UInt32; var length: UInt32; var data: [UInt8] }

    /// The records of a classic little-endian microsecond pcap.
    func records(of pcap: [UInt8]) -> (linkType: UInt32, records: [Record]) {
        func u32(_ at: Int) -> UInt32 { pcap[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        XCTAssertEqual(u32(0), 0xA1B2_C3D4, "the fixture is a classic µs pcap")
        var out: [Record] = []
        var at = 24
        while at + 16 <= pcap.count {
            let caplen = Int(u32(at + 8))
            out.append(Record(seconds: u32(at), micros: u32(at + 4), caplen: UInt32(caplen), length: u32(at + 12),
                              data: Array(pcap[(at + 16)..<(at + 16 + caplen)])))
            at += 16 + caplen
        }
        return (u32(20), out)
    }

    func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    func nanosecondPcap(_ linkType: UInt32, _ records: [Record]) -> [UInt8] {
        var b = le32(0xA1B2_3C4D) + le16(2) + le16(4) + le32(0) + le32(0) + le32(262_144) + le32(linkType)
        for r in records {
            b += le32(r.seconds) + le32(r.micros * 1000 + 999) + le32(r.caplen) + le32(r.length) + r.data   // sub-µs digits must not matter
        }
        return b
    }

    /// A pcapng whose interface counts time in `resolution` units (if_tsresol
    /// 10^-resolution s) and whose packets carry the raw 64-bit times
    /// `times` (cycled): libpcap hands on any 64-bit second it makes of them.
    func pcapng(_ linkType: UInt32, _ records: [Record], resolution: UInt8, times: [UInt64]) -> [UInt8] {
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let total = UInt32(12 + padded.count)
            return le32(type) + le32(total) + padded + le32(total)
        }
        var b = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + le16(1) + le16(0) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF))
        b += block(1, le16(UInt16(linkType)) + le16(0) + le32(262_144) + le16(9) + le16(1) + [resolution, 0, 0, 0] + le16(0) + le16(0))
        for (i, r) in records.enumerated() {
            let t = times[i % times.count]
            b += block(6, le32(0) + le32(UInt32(t >> 32)) + le32(UInt32(t & 0xFFFF_FFFF)) + le32(r.caplen) + le32(r.length) + r.data)
        }
        return b
    }

    func testPcapngTimesAtBothEndsOfInt64NeitherTrapNorLoseALine() throws {
        // A crafted pcapng with a time unit of one second can put packets at
        // Int64.max and Int64.min seconds in one batch: the merger's span of
        // a batch's seconds (latest − earliest) overflowed, a trap on `-r`.
        let (linkType, recs) = records(of: Array(try Data(contentsOf: E2E.fixtures.appendingPathComponent("lab-dns.pcap"))))
        let dir = try E2E.temporaryDirectory("format-extreme")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("extreme.pcapng")
        try Data(pcapng(linkType, recs, resolution: 0, times: [0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0]))
            .write(to: file)
        for workers in ["0", "1"] {
            let logs = dir.appendingPathComponent("logs-\(workers)")
            let out = try E2E.run(try E2E.binary(), ["--protocol", "dns", "-r", file.path, "--workers", workers, "-d", logs.path], timeout: 60)
            XCTAssertEqual(out.status, 0, out.stderr)
            guard let (summary, c) = E2E.summaryCounters(out.stderr) else { return XCTFail("no summary: \(out.stderr)") }
            XCTAssertEqual(c["dns-logged"], 40, summary)
            XCTAssertEqual(c["lines-written"], 40, summary)
            // Times past the four-digit years are clamped to them: real dates in the names.
            XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: logs.path)),
                           ["dns-99991230-23.log", "dns-00000102-00.log", "dns-19691231-23.log", "dns-19700101-00.log"])
            var lines = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: logs.path) {
                lines += try String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").count
            }
            XCTAssertEqual(lines, 40, "every line is in a file")
        }
    }

    func pcapng(_ linkType: UInt32, _ records: [Record]) -> [UInt8] {
        func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let total = UInt32(12 + padded.count)
            return le32(type) + le32(total) + padded + le32(total)
        }
        var b = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + le16(1) + le16(0) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF))
        // Interface: link type, snaplen, if_tsresol = 9 (nanoseconds), end of options.
        b += block(1, le16(UInt16(linkType)) + le16(0) + le32(262_144) + le16(9) + le16(1) + [9, 0, 0, 0] + le16(0) + le16(0))
        for r in records {
            let ns = UInt64(r.seconds) * 1_000_000_000 + UInt64(r.micros) * 1000 + 999
            b += block(6, le32(0) + le32(UInt32(ns >> 32)) + le32(UInt32(ns & 0xFFFF_FFFF)) + le32(r.caplen) + le32(r.length) + r.data)
        }
        return b
    }

    func testNanosecondPcapAndPcapngGiveTheSameLines() throws {
        let fixture = E2E.fixtures.appendingPathComponent("lab-dns.pcap")
        let (linkType, recs) = records(of: Array(try Data(contentsOf: fixture)))
        XCTAssertEqual(recs.count, 80)
        let expected = E2E.fixtures.appendingPathComponent("expected/lab-dns/combined")
        for (name, bytes) in [("ns.pcap", nanosecondPcap(linkType, recs)), ("capture.pcapng", pcapng(linkType, recs))] {
            let dir = try E2E.temporaryDirectory("format")
            let file = dir.appendingPathComponent(name)
            try Data(bytes).write(to: file)
            let logs = dir.appendingPathComponent("logs")
            let out = try E2E.run(try E2E.binary(), ["--protocol", "dns", "-r", file.path, "--local-address", "10.77.1.53",
                                                     "--local-address", "fd77:1::53", "-d", logs.path], timeout: 60)
            XCTAssertEqual(out.status, 0, "\(name): \(out.stderr)")
            try assertSameFiles(logs, expected)
        }
    }
}
