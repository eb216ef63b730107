import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The packetlog binary with `--protocol http` on the committed lab capture
/// (Fixtures/lab-http.pcap, see Fixtures/lab-http.README.md) against the
/// committed expected files: per-segment rule (`--no-tcp-reassembly`) in
/// combined and split mode, and the default reassembly mode. No root, no
/// network. Helpers (E2E) are in LiveCaptureTests.swift.
final class HTTPGoldenFileTests: XCTestCase {
    var pcap: String { E2E.fixtures.appendingPathComponent("lab-http.pcap").path }
    var perSegmentRoot: URL { E2E.fixtures.appendingPathComponent("expected/lab-http") }
    var reassembledRoot: URL { E2E.fixtures.appendingPathComponent("expected/lab-http-reassembled") }
    /// The web host's addresses, client side and upstream side.
    let localAddresses = ["--local-address", "10.81.1.80", "--local-address", "10.81.2.80",
                          "--local-address", "fd81:1::80", "--local-address", "fd81:2::80"]
    static let day = "20261127"
    static let kinds = ["CQ", "CR", "SQ", "SR"]

    func packetlog(_ extra: [String]) throws -> E2E.Output {
        try E2E.run(try E2E.binary(), ["--protocol", "http", "-r", pcap] + localAddresses + extra, timeout: 60)
    }

    // MARK: helpers

    /// Lines of the `http-*.log` files in `dir`, and how many of each kind
    /// (combined mode: the fifth field; split mode: the file name).
    func linesByKind(_ dir: URL) throws -> (total: Int, byKind: [String: Int]) {
        var total = 0
        var byKind: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("http-") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n")
            total += lines.count
            if let kind = Self.kinds.first(where: { name.hasPrefix("http-\($0)-") }) {
                byKind[kind, default: 0] += lines.count
            } else {
                for l in lines { byKind[String(l.split(separator: " ")[4]), default: 0] += 1 }
            }
        }
        return (total, byKind)
    }

    /// The summary counters agree with the files: http-logged and
    /// lines-written equal the line count, CQ/CR/SQ/SR the lines of each kind.
    func assertSummary(_ r: E2E.Output, linesIn dir: URL?, reassembly: Bool,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        guard let (summary, c) = E2E.summaryCounters(r.stderr) else {
            return XCTFail("no summary on stderr: \(r.stderr)", file: file, line: line)
        }
        let expected = try linesByKind((reassembly ? reassembledRoot : perSegmentRoot).appendingPathComponent("combined"))
        XCTAssertEqual(expected.total, 88, "lines in the expected file", file: file, line: line)
        if let dir {
            let got = try linesByKind(dir)
            XCTAssertEqual(c["http-logged"].map(Int.init), got.total, summary, file: file, line: line)
            XCTAssertEqual(got.byKind, expected.byKind, "lines per kind", file: file, line: line)
        }
        XCTAssertTrue(summary.hasPrefix("packetlog: packets 306, http-logged \(expected.total), "), summary, file: file, line: line)
        XCTAssertEqual(c["http-logged"].map(Int.init), expected.total, summary, file: file, line: line)
        XCTAssertEqual(c["lines-written"].map(Int.init), expected.total, summary, file: file, line: line)
        for kind in Self.kinds {
            XCTAssertEqual(c[kind].map(Int.init), expected.byKind[kind] ?? 0, "\(kind): \(summary)", file: file, line: line)
        }
        XCTAssertEqual(c["http-requests"], 44, summary, file: file, line: line)
        XCTAssertEqual(c["http-responses"], 44, summary, file: file, line: line)
        XCTAssertEqual(c["http-cut-start-line"], 0, summary, file: file, line: line)
        // Two header blocks split across segments (the raw client's), and 16
        // payload segments that begin inside a body or a header block.
        XCTAssertEqual(c["http-incomplete-header-block"], reassembly ? 0 : 2, summary, file: file, line: line)
        XCTAssertEqual(c["http-no-message-start"], reassembly ? 0 : 16, summary, file: file, line: line)
        if reassembly {
            XCTAssertEqual(c["tcp-streams"], 42, summary, file: file, line: line)
            XCTAssertEqual(c["tcp-unfinished-streams"], 0, summary, file: file, line: line)
            XCTAssertEqual(c["tcp-discarded-bytes"], 0, summary, file: file, line: line)
        }
        // The connection to the upstream's port 9000 is not on a service port.
        XCTAssertEqual(c["other-ports"], 12, summary, file: file, line: line)
        XCTAssertEqual(c["lines-lost"], 0, summary, file: file, line: line)
        XCTAssertEqual(c["truncated"], 0, summary, file: file, line: line)
        XCTAssertEqual(c["malformed-ip"], 0, summary, file: file, line: line)
        XCTAssertEqual(c["not-ip"], 0, summary, file: file, line: line)
        XCTAssertNil(c["kernel-received"], "no kernel statistics for a file: \(summary)", file: file, line: line)
    }

    // MARK: per-segment rule

    func testPerSegmentCombinedFilesMatchExpected() throws {
        let work = try E2E.temporaryDirectory("http-golden-combined")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("tmp")
        let r = try packetlog(["--no-tcp-reassembly", "-d", dir.path])
        XCTAssertEqual(r.stdout.count, 0, "nothing on stdout without --stdout")
        try assertSummary(r, linesIn: dir, reassembly: false)
        try assertSameFiles(dir, perSegmentRoot.appendingPathComponent("combined"))

        // Files are opened for append: a second run never truncates.
        let again = try packetlog(["--no-tcp-reassembly", "-d", dir.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        let name = "http-\(Self.day).log"
        let once = try Data(contentsOf: perSegmentRoot.appendingPathComponent("combined/\(name)"))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(name)), once + once)
    }

    func testPerSegmentSplitFilesMatchExpected() throws {
        let work = try E2E.temporaryDirectory("http-golden-split")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("tmp")
        let r = try packetlog(["--no-tcp-reassembly", "--log-split", "-d", dir.path])
        try assertSummary(r, linesIn: dir, reassembly: false)
        try assertSameFiles(dir, perSegmentRoot.appendingPathComponent("split"))
    }

    /// --stdout writes the same bytes as the combined file, and no file.
    func testPerSegmentStdoutIsTheCombinedFile() throws {
        let work = try E2E.temporaryDirectory("http-golden-stdout")
        defer { try? FileManager.default.removeItem(at: work) }
        let r = try packetlog(["--no-tcp-reassembly", "--stdout", "-d", work.path])
        try assertSummary(r, linesIn: nil, reassembly: false)
        let expected = try Data(contentsOf: perSegmentRoot.appendingPathComponent("combined/http-\(Self.day).log"))
        if r.stdout != expected { XCTFail("stdout differs from the combined file: \(Self.firstDifference(r.stdout, expected))") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), [], "--stdout wrote files")
    }

    // MARK: reassembly (the default)

    func testReassembledCombinedFilesMatchExpected() throws {
        let work = try E2E.temporaryDirectory("http-golden-reassembled")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("tmp")
        let r = try packetlog(["-d", dir.path])
        XCTAssertEqual(r.stdout.count, 0, "nothing on stdout without --stdout")
        try assertSummary(r, linesIn: dir, reassembly: true)
        try assertSameFiles(dir, reassembledRoot.appendingPathComponent("combined"))
    }

    // MARK: the expected files themselves (checks on the fixtures, not on the binary)

    /// The split files are the combined lines without the kind field.
    func testExpectedSplitIsCombinedWithoutKind() throws {
        let combined = try String(contentsOf: perSegmentRoot.appendingPathComponent("combined/http-\(Self.day).log"), encoding: .utf8)
        var byKind: [String: [String]] = [:]
        for line in combined.split(separator: "\n") {
            var f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let kind = f.remove(at: 4)
            byKind[kind, default: []].append(f.joined(separator: " "))
        }
        XCTAssertEqual(byKind.keys.sorted(), Self.kinds)
        for (kind, lines) in byKind {
            let split = try String(contentsOf: perSegmentRoot.appendingPathComponent("split/http-\(kind)-\(Self.day).log"), encoding: .utf8)
            XCTAssertEqual(split, lines.joined(separator: "\n") + "\n", kind)
        }
    }

    /// The reassembled file differs from the per-segment one only in the two
    /// requests whose header block the raw client split across segments:
    /// stamped with the completing segment's time, with every field.
    func testExpectedReassembledDiffersOnlyInSplitHeaderBlocks() throws {
        let perSegment = try String(contentsOf: perSegmentRoot.appendingPathComponent("combined/http-\(Self.day).log"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let reassembled = try String(contentsOf: reassembledRoot.appendingPathComponent("combined/http-\(Self.day).log"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(perSegment.count, reassembled.count)
        let changed = zip(perSegment, reassembled).filter { $0 != $1 }
        XCTAssertEqual(changed.map(\.0), [
            "2026-11-27 08:59:08.086 10.81.1.10#48560 10.81.1.80#80 CQ GET /docs/readme.txt HTTP/1.1 www.plh.test -",
            "2026-11-27 08:59:08.453 fd81:1::10#53930 fd81:1::80#8080 CQ GET /index.html HTTP/1.1 www.plh.test splitter/2.0",
        ])
        XCTAssertEqual(changed.map(\.1), [
            "2026-11-27 08:59:08.350 10.81.1.10#48560 10.81.1.80#80 CQ GET /docs/readme.txt HTTP/1.1 www.plh.test splitter/1.0",
            "2026-11-27 08:59:08.706 fd81:1::10#53930 fd81:1::80#8080 CQ GET /index.html HTTP/1.1 www.plh.test splitter/2.0",
        ])
    }

    /// Every line holds only bytes 0x20–0x7E and no double space (spec:
    /// "Escaping"), and the hostile lines are there, escaped.
    func testExpectedLinesArePrintableAndHostileBytesEscaped() throws {
        for root in [perSegmentRoot, reassembledRoot] {
            let data = try Data(contentsOf: root.appendingPathComponent("combined/http-\(Self.day).log"))
            XCTAssertTrue(data.allSatisfy { $0 == 0x0A || (0x20...0x7E).contains($0) }, root.path)
            let text = String(decoding: data, as: UTF8.self)
            XCTAssertFalse(text.contains("  "), "two spaces in \(root.path)")
            for fragment in [
                #" CQ GET /docs/na\195\175ve\\dir/"q"?x=a\\b HTTP/1.1 www.plh.test fuzzer/7"#,
                #" CQ GET /esc\027[0m/del\127 HTTP/1.1 www.plh.test fuzzer/8"#,
                #" CQ GET /api/whoami HTTP/1.1 www.plh.test agent\009"q" \\path\\ caf\195\169 \027[1mbold\127 end"#,
                #" SQ GET /api/whoami HTTP/1.1 app4 agent\009"q" \\path\\ caf\195\169 \027[1mbold\127 end"#,
                #" CR HTTP/1.1 418 14 text/plain"#,
                #" SR HTTP/1.1 418 I'm a teapot, really 16 text/plain"#,
                #" CR HTTP/1.1 200 OK 6 text/plain;\032charset=utf-8"#,
                #" CQ GET /docs/readme.txt HTTP/1.1 10.81.1.80 \045"#,
                #" CQ GET /index.html HTTP/1.0 - -"#,
                #" CQ GET /index.html HTTP/1.1 - spacey/1"#,
            ] {
                XCTAssertTrue(text.contains(fragment + "\n"), "\(root.lastPathComponent): no line ending in \(fragment)")
            }
        }
    }
}
