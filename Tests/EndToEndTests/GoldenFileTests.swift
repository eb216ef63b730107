import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The packetlog binary on the committed lab capture (Fixtures/lab-dns.pcap,
/// see Fixtures/README.md) against the committed expected files. No root, no
/// network. Helpers (E2E) are in LiveCaptureTests.swift.
final class GoldenFileTests: XCTestCase {
    var pcap: String { E2E.fixtures.appendingPathComponent("lab-dns.pcap").path }
    var expectedRoot: URL { E2E.fixtures.appendingPathComponent("expected/lab-dns") }
    let localAddresses = ["--local-address", "10.77.1.53", "--local-address", "fd77:1::53"]

    func packetlog(_ extra: [String]) throws -> E2E.Output {
        try E2E.run(try E2E.binary(), ["--protocol", "dns", "-r", pcap] + localAddresses + extra, timeout: 60)
    }

    func assertSummary(_ stderr: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let (summary, c) = E2E.summaryCounters(stderr) else {
            return XCTFail("no summary on stderr: \(stderr)", file: file, line: line)
        }
        XCTAssertTrue(summary.hasPrefix("packetlog: packets 80, dns-logged 40, CQ 20, CR 20, SQ 0, SR 0, dns-malformed 0, "), summary,
                      file: file, line: line)
        XCTAssertEqual(c["lines-written"], 40, summary, file: file, line: line)
        XCTAssertEqual(c["lines-lost"], 0, summary, file: file, line: line)
        XCTAssertEqual(c["truncated"], 0, summary, file: file, line: line)
        XCTAssertEqual(c["malformed-ip"], 0, summary, file: file, line: line)
        XCTAssertNil(c["kernel-received"], "no kernel statistics for a file: \(summary)", file: file, line: line)
    }

    func testCombinedFilesMatchExpected() throws {
        let work = try E2E.temporaryDirectory("golden-combined")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("tmp")
        let r = try packetlog(["-d", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.count, 0, "nothing on stdout without --stdout")
        assertSummary(r.stderr)
        try assertSameFiles(dir, expectedRoot.appendingPathComponent("combined"))

        // Files are opened for append: a second run never truncates.
        let again = try packetlog(["-d", dir.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        let name = "dns-20261127-08.log"
        let once = try Data(contentsOf: expectedRoot.appendingPathComponent("combined/\(name)"))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(name)), once + once)
    }

    func testSplitFilesMatchExpected() throws {
        let work = try E2E.temporaryDirectory("golden-split")
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("tmp")
        let r = try packetlog(["-d", dir.path, "--log-split"])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertSummary(r.stderr)
        try assertSameFiles(dir, expectedRoot.appendingPathComponent("split"))
    }

    /// --stdout writes the same bytes as the combined file, and no file.
    func testStdoutIsTheCombinedFile() throws {
        let work = try E2E.temporaryDirectory("golden-stdout")
        defer { try? FileManager.default.removeItem(at: work) }
        let r = try packetlog(["--stdout", "-d", work.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertSummary(r.stderr)
        let expected = try Data(contentsOf: expectedRoot.appendingPathComponent("combined/dns-20261127-08.log"))
        if r.stdout != expected { XCTFail("stdout differs from the combined file: \(Self.firstDifference(r.stdout, expected))") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.path), [], "--stdout wrote files")
    }

    /// A file size limit (`ulimit -f`, systemd's LimitFSIZE=) fails a write
    /// with EFBIG halfway through a chunk: packetlog must neither die of
    /// SIGXFSZ nor leave half a line in standard output (a regular file
    /// here), and must count what it could not write.
    func testAFileSizeLimitOnStandardOutputLeavesWholeLinesOnly() throws {
        let r = try E2E.run("/bin/sh", ["-c", #"ulimit -f 4 && exec "$0" "$@""#, try E2E.binary(),
                                        "--protocol", "dns", "-r", pcap] + localAddresses + ["--stdout"], timeout: 60)
        // Exit 1, not 25 (killed by SIGXFSZ): lines of a capture file were lost.
        XCTAssertEqual(r.status, 1, "exit status (25: killed by SIGXFSZ): \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("lines lost so far; the file size limit (ulimit -f, LimitFSIZE=) was reached: raise it"), r.stderr)
        XCTAssertTrue(r.stderr.contains("lines could not be written (last error: write: File too large (errno 27))"), r.stderr)
        guard let (summary, c) = E2E.summaryCounters(r.stderr) else { return XCTFail("no summary on stderr: \(r.stderr)") }
        let written = c["lines-written"] ?? 0, lost = c["lines-lost"] ?? 0
        XCTAssertEqual(written + lost, 40, summary)
        XCTAssertGreaterThan(lost, 0, "7,680 bytes of lines against a 2,048-byte limit: \(summary)")
        // The whole lines that fitted under the limit are kept, not the chunk's all lost.
        XCTAssertGreaterThan(written, 0, summary)
        XCTAssertTrue(r.stderr.contains("cannot write log lines"), r.stderr)
        let expected = try Data(contentsOf: expectedRoot.appendingPathComponent("combined/dns-20261127-08.log"))
        XCTAssertTrue(expected.starts(with: r.stdout), "stdout is the expected lines' beginning")
        XCTAssertTrue(r.stdout.isEmpty || r.stdout.last == UInt8(ascii: "\n"), "no half line: \(r.stdout.count) bytes")
        XCTAssertEqual(UInt64(r.stdout.filter { $0 == UInt8(ascii: "\n") }.count), written, summary)
    }

    /// Runs packetlog on `-r -` fed through a FIFO: the capture's first
    /// 4,000 bytes (it then waits in a read for more), then `then` (shell
    /// lines, packetlog's pid in `$pl`, the FIFO's writer on fd 3), then
    /// waits for it. Returns its output and the log directory.
    func pipeRun(_ name: String, then: [String]) throws -> (E2E.Output, URL) {
        let work = try E2E.temporaryDirectory(name)
        addTeardownBlock { try? FileManager.default.removeItem(at: work) }
        let logs = work.appendingPathComponent("logs"), fifo = work.appendingPathComponent("fifo").path
        let script = [
            #"mkfifo "$FIFO""#,
            #""$BIN" --protocol dns -r - --local-address 10.77.1.53 --local-address fd77:1::53 -d "$LOGS" < "$FIFO" & pl=$!"#,
            #"exec 3> "$FIFO""#,
            #"head -c 4000 "$PCAP" >&3"#,
        ] + then + [#"wait $pl"#]
        let r = try E2E.run("/usr/bin/env", ["FIFO=\(fifo)", "BIN=\(try E2E.binary())", "LOGS=\(logs.path)", "PCAP=\(pcap)",
                                             "/bin/sh", "-c", script.joined(separator: "\n")], timeout: 60)
        return (r, logs)
    }

    /// `-r -` from a pipe: a SIGHUP (logrotate) while the read is blocked
    /// waiting for the writer must not end the capture (the read failed
    /// with EINTR, which libpcap reports as an error).
    func testSIGHUPWhileReadingAPipeDoesNotEndTheCapture() throws {
        let (r, logs) = try pipeRun("golden-pipe", then: [
            #"sleep 0.5; kill -HUP $pl; sleep 0.5"#,
            #"tail -c +4001 "$PCAP" >&3"#,
            #"exec 3>&-"#,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        assertSummary(r.stderr)
        try assertSameFiles(logs, expectedRoot.appendingPathComponent("combined"))
    }

    /// SIGTERM while the read of a pipe is blocked stops packetlog as a
    /// requested stop (summary, status 0), not as a read error.
    func testSIGTERMWhileReadingAPipeIsACleanStop() throws {
        let (r, _) = try pipeRun("golden-pipe-term", then: [#"sleep 0.5; kill -TERM $pl"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("error"), r.stderr)
        guard let (summary, c) = E2E.summaryCounters(r.stderr) else { return XCTFail("no summary: \(r.stderr)") }
        XCTAssertGreaterThan(c["lines-written"] ?? 0, 0, summary)
        XCTAssertEqual(c["lines-lost"], 0, summary)
    }

    /// SIGTERM while the pipe's writer has not even sent the file header
    /// (libpcap waits for it while opening): a prompt clean stop, not a
    /// wait for the writer (the stop was not seen until bytes came).
    func testSIGTERMBeforeAPipesHeaderIsAPromptCleanStop() throws {
        let work = try E2E.temporaryDirectory("golden-pipe-no-header")
        defer { try? FileManager.default.removeItem(at: work) }
        let fifo = work.appendingPathComponent("fifo").path
        let script = [
            #"mkfifo "$FIFO""#,
            #""$BIN" --protocol dns -r - -d "$LOGS" < "$FIFO" & pl=$!"#,
            #"exec 3> "$FIFO""#,
            #"sleep 0.5; kill -TERM $pl"#,
            #"i=0; while kill -0 $pl 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done"#,
            #"exec 3>&-"#,
            #"wait $pl; echo "status $? after $i""#,
        ].joined(separator: "\n")
        let r = try E2E.run("/usr/bin/env", ["FIFO=\(fifo)", "BIN=\(try E2E.binary())", "LOGS=\(work.appendingPathComponent("logs").path)",
                                             "/bin/sh", "-c", script], timeout: 60)
        let words = String(decoding: r.stdout, as: UTF8.self).split(separator: " ")
        XCTAssertEqual(words.first.map(String.init), "status", r.stderr)
        XCTAssertEqual(words.dropFirst().first.map(String.init), "0", "a clean stop: \(r.stderr)")
        XCTAssertLessThan(Int(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99, 30, "stopped within 3 s of the signal")
        XCTAssertEqual(r.stderr, "packetlog: stopped before the capture file's header arrived: no packet read\n")
    }

    /// `-r -` from a pipe whose writer goes quiet (`tcpdump -U -w - |
    /// packetlog -r -` on a calm network): the lines of the packets already
    /// read reach the files within a second or two, while the pipe is still
    /// open, instead of waiting for a full batch (8,192 packets) or the end.
    /// The fixture is written whole and the pipe kept open; the files are
    /// copied as soon as they match, or after 10 s.
    func testLinesFromAQuietPipeReachTheFilesWhileItIsOpen() throws {
        let work = try E2E.temporaryDirectory("golden-pipe-quiet")
        defer { try? FileManager.default.removeItem(at: work) }
        let logs = work.appendingPathComponent("logs").path, fifo = work.appendingPathComponent("fifo").path
        let snapshot = work.appendingPathComponent("snapshot")
        let script = [
            #"mkfifo "$FIFO""#,
            #""$BIN" --protocol dns -r - --local-address 10.77.1.53 --local-address fd77:1::53 -d "$LOGS" < "$FIFO" & pl=$!"#,
            #"exec 3> "$FIFO""#,
            #"cat "$PCAP" >&3"#,
            #"i=0; while [ $i -lt 100 ] && ! diff -r "$EXPECTED" "$LOGS" >/dev/null 2>&1; do sleep 0.1; i=$((i+1)); done"#,
            #"cp -r "$LOGS" "$SNAPSHOT""#,
            #"exec 3>&-"#,
            #"wait $pl"#,
        ].joined(separator: "\n")
        let expected = expectedRoot.appendingPathComponent("combined")
        let r = try E2E.run("/usr/bin/env", ["FIFO=\(fifo)", "BIN=\(try E2E.binary())", "LOGS=\(logs)", "PCAP=\(pcap)",
                                             "EXPECTED=\(expected.path)", "SNAPSHOT=\(snapshot.path)",
                                             "/bin/sh", "-c", script], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        assertSummary(r.stderr)
        try assertSameFiles(snapshot, expected)
        try assertSameFiles(URL(fileURLWithPath: logs), expected)
    }

    /// The expected files themselves: the split files are the combined lines
    /// without the kind field (a check on the fixtures, not on the binary).
    func testExpectedSplitIsCombinedWithoutKind() throws {
        let combined = try String(contentsOf: expectedRoot.appendingPathComponent("combined/dns-20261127-08.log"), encoding: .utf8)
        var byKind: [String: [String]] = [:]
        for line in combined.split(separator: "\n") {
            var f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let kind = f.remove(at: 3)
            byKind[kind, default: []].append(f.joined(separator: " "))
        }
        XCTAssertEqual(byKind.keys.sorted(), ["CQ", "CR"])
        for (kind, lines) in byKind {
            let split = try String(contentsOf: expectedRoot.appendingPathComponent("split/dns-\(kind)-20261127-08.log"), encoding: .utf8)
            XCTAssertEqual(split, lines.joined(separator: "\n") + "\n", kind)
        }
    }
}
