import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Shared helpers for the end-to-end tests (also used by GoldenFileTests)

enum E2E {
    /// The package root: this file is <root>/Tests/EndToEndTests/LiveCaptureTests.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var fixtures: URL { packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures") }

    /// The packetlog binary, never built here: $PACKETLOG_BINARY, else the one
    /// next to this test executable (same build directory, whatever the
    /// scratch path), else <root>/.build/debug/packetlog.
    static func binary() throws -> String {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let override = env["PACKETLOG_BINARY"], !override.isEmpty { candidates.append(override) }
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("packetlog").path)
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/packetlog").path)
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        XCTFail("no packetlog binary (tried \(candidates.joined(separator: ", "))): run `swift build` first or set PACKETLOG_BINARY")
        throw XCTSkip("no packetlog binary")
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in (path + ":/usr/sbin:/sbin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Live tests need root and the lab's tools. Missing: a failure under
    /// CI=true, else a skip.
    static func requireLab(_ tools: [String]) throws {
        var problems: [String] = []
        if getuid() != 0 { problems.append("not running as root") }
        let missing = tools.filter { which($0) == nil }
        if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", ")) (make setup)") }
        guard !problems.isEmpty else { return }
        let message = "live lab test needs root and \(tools.joined(separator: ", ")): \(problems.joined(separator: "; "))"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail(message + " — CI=true, so this is a failure, not a skip")
        }
        throw XCTSkip(message)
    }

    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("packetlog-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Environment of child processes: ours with TZ=UTC.
    static var childEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        return env
    }

    /// Runs a command to completion (stdout and stderr through files, so a
    /// large output never blocks it); kills it after `timeout` seconds.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120,
                    file: StaticString = #filePath, line: UInt = #line) throws -> Output {
        let dir = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        let process = try Background(executable, arguments, stdout: out, stderr: err)
        guard process.waitForExit(timeout: timeout) else {
            process.kill(SIGKILL)
            _ = process.waitForExit(timeout: 5)
            XCTFail("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout) s", file: file, line: line)
            throw XCTSkip("timeout")
        }
        return Output(status: process.status, stdout: (try? Data(contentsOf: out)) ?? Data(),
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// A child process running in the background with stdout/stderr in files.
    final class Background {
        let process = Process()
        let stdoutURL: URL
        let stderrURL: URL

        init(_ executable: String, _ arguments: [String], stdout: URL, stderr: URL) throws {
            stdoutURL = stdout; stderrURL = stderr
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = E2E.childEnvironment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: stdout)
            process.standardError = try FileHandle(forWritingTo: stderr)
            try process.run()
        }

        var pid: pid_t { process.processIdentifier }
        var isRunning: Bool { process.isRunning }
        var status: Int32 { process.terminationStatus }
        var exitedNormally: Bool { process.terminationReason == .exit }
        var stderrText: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
        var stdoutData: Data { (try? Data(contentsOf: stdoutURL)) ?? Data() }

        func kill(_ signal: Int32) { if process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) } }

        func waitForExit(timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning {
                if Date() > deadline { return false }
                usleep(5_000)
            }
            process.waitUntilExit()
            return true
        }

        /// Waits until stderr contains `text` (the process's ready message).
        func waitForStderr(_ text: String, timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if stderrText.contains(text) { return true }
                if !process.isRunning { return stderrText.contains(text) }
                usleep(10_000)
            }
            return false
        }

        /// Stops a process the test forgot about (failure paths).
        func stop() {
            guard process.isRunning else { return }
            kill(SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// Log lines of every `dns-*.log` in `dir`, files in name order.
    static func logLines(in dir: URL) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") }.sorted()
        var lines: [String] = []
        for name in names {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            lines += text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
        return lines
    }

    /// The summary line's counters: "packetlog: packets 3, dns-logged 2, ..." → ["packets": 3, ...].
    static func summaryCounters(_ stderr: String) -> (line: String, counters: [String: UInt64])? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("packetlog: packets ") }) else { return nil }
        var counters: [String: UInt64] = [:]
        for part in line.dropFirst("packetlog: ".count).components(separatedBy: ", ") {
            let kv = part.split(separator: " ")
            if kv.count == 2, let value = UInt64(kv[1]) { counters[String(kv[0])] = value }
        }
        return (String(line), counters)
    }

    /// Wall-clock milliseconds of the UTC day.
    static func utcMillisecondOfDay(_ date: Date = Date()) -> Int {
        let ms = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        return ms % 86_400_000
    }

    /// "HH:MM:SS.mmm" → milliseconds of the day.
    static func millisecondOfDay(_ time: Substring) -> Int? {
        let p = time.split(whereSeparator: { $0 == ":" || $0 == "." })
        guard time.count == 12, p.count == 4, let h = Int(p[0]), let m = Int(p[1]), let s = Int(p[2]), let f = Int(p[3]) else { return nil }
        return ((h * 60 + m) * 60 + s) * 1000 + f
    }
}

/// The lab (scripts/lab.sh) with a per-process suffix, so parallel runs do not clash.
struct Lab {
    let suffix = "e\(getpid() % 10_000_000)"
    var client: String { "pl-client\(suffix)" }
    var resolver: String { "pl-resolver\(suffix)" }
    var resolverVeth: String { "pl-r\(suffix)" }
    let client4 = "10.77.1.10", client6 = "fd77:1::10"
    let resolver4 = "10.77.1.53", resolver6 = "fd77:1::53"
    var script: String { E2E.packageRoot.appendingPathComponent("scripts/lab.sh").path }

    func up() throws {
        let r = try E2E.run("/bin/bash", [script, "up", suffix], timeout: 60)
        guard r.status == 0 else {
            XCTFail("scripts/lab.sh up failed (\(r.status)): \(r.stderr)")
            throw XCTSkip("lab down")
        }
    }

    func down() {
        let r = try? E2E.run("/bin/bash", [script, "down", suffix], timeout: 60)
        if r?.status != 0 { XCTFail("scripts/lab.sh down failed: \(r?.stderr ?? "did not run")") }
    }

    /// Runs a command in a namespace.
    func inNamespace(_ ns: String, _ command: [String], timeout: TimeInterval = 60) throws -> E2E.Output {
        try E2E.run(E2E.which("ip")!, ["netns", "exec", ns] + command, timeout: timeout)
    }

    /// Starts a command in a namespace in the background.
    func start(in ns: String, _ command: [String], logs dir: URL, name: String) throws -> E2E.Background {
        try E2E.Background(E2E.which("ip")!, ["netns", "exec", ns] + command,
                           stdout: dir.appendingPathComponent("\(name).out"), stderr: dir.appendingPathComponent("\(name).err"))
    }

    /// packetlog on the resolver's veth (local set = its addresses), ready to capture.
    func startPacketlog(binary: String, dir: URL, logs: URL, extra: [String] = []) throws -> E2E.Background {
        let p = try start(in: resolver, [binary, "--protocol", "dns", "-i", resolverVeth, "-d", dir.path, "-v"] + extra, logs: logs, name: "packetlog")
        guard p.waitForStderr("packetlog: dns on \(resolverVeth)", timeout: 15) else {
            p.stop()
            XCTFail("packetlog did not start: \(p.stderrText)")
            throw XCTSkip("packetlog did not start")
        }
        // The set-up line is printed just before the signal handlers are installed.
        usleep(300_000)
        return p
    }
}

// MARK: - Live capture tests

final class LiveCaptureTests: XCTestCase {
    /// One dig run and the masked lines it must produce.
    struct Query {
        var arguments: [String]
        var expected: [String]
    }

    /// Lines are compared with the time, the DNS ID and the client's port
    /// masked: "TT 10.77.1.10#* 10.77.1.53#53 CQ ID 00 a.lab.test IN A".
    static let queries: [Query] = {
        let big = (1...8).map { "\"\($0)" + String(repeating: "x", count: 250) + "\"" }.joined(separator: " ")
        func v4(_ kind: String, _ rest: String) -> String {
            kind == "CQ" ? "TT 10.77.1.10#* 10.77.1.53#53 CQ ID \(rest)" : "TT 10.77.1.53#53 10.77.1.10#* CR ID \(rest)"
        }
        func v6(_ kind: String, _ rest: String) -> String {
            kind == "CQ" ? "TT fd77:1::10#* fd77:1::53#53 CQ ID \(rest)" : "TT fd77:1::53#53 fd77:1::10#* CR ID \(rest)"
        }
        return [
            Query(arguments: ["@10.77.1.53", "a.lab.test", "A"],
                  expected: [v4("CQ", "00 a.lab.test IN A"), v4("CR", "00 1/1/0/1 a.lab.test IN A 300 10.77.1.100")]),
            Query(arguments: ["@fd77:1::53", "v6.lab.test", "AAAA"],
                  expected: [v6("CQ", "00 v6.lab.test IN AAAA"), v6("CR", "00 1/1/0/1 v6.lab.test IN AAAA 300 fd77:1::100")]),
            Query(arguments: ["@10.77.1.53", "www.lab.test", "A"],
                  expected: [v4("CQ", "00 www.lab.test IN A"),
                             v4("CR", "00 1/2/0/1 www.lab.test IN CNAME 600 web.lab.test (web.lab.test 120 IN A 10.77.1.80)")]),
            Query(arguments: ["@fd77:1::53", "lab.test", "MX"],
                  expected: [v6("CQ", "00 lab.test IN MX"), v6("CR", "00 1/1/0/1 lab.test IN MX 3600 10 mail.lab.test")]),
            Query(arguments: ["@10.77.1.53", "+tcp", "txt.lab.test", "TXT"],
                  expected: [v4("CQ", "00 txt.lab.test IN TXT T"),
                             v4("CR", #"00 1/1/0/1 txt.lab.test IN TXT 60 "hello world" "say \"hi\"" "back\\slash" T"#)]),
            Query(arguments: ["@fd77:1::53", "+tcp", "_sip._udp.lab.test", "SRV"],
                  expected: [v6("CQ", "00 _sip._udp.lab.test IN SRV T"),
                             v6("CR", "00 1/1/0/1 _sip._udp.lab.test IN SRV 300 10 60 5060 sip.lab.test T")]),
            Query(arguments: ["@10.77.1.53", "lab.test", "CAA"],
                  expected: [v4("CQ", "00 lab.test IN CAA"), v4("CR", #"00 1/1/0/1 lab.test IN CAA 3600 0 issue "letsencrypt.org""#)]),
            Query(arguments: ["@10.77.1.53", "-x", "10.77.1.100"],
                  expected: [v4("CQ", "00 100.1.77.10.in-addr.arpa IN PTR"),
                             v4("CR", "00 1/1/0/1 100.1.77.10.in-addr.arpa IN PTR 300 a.lab.test")]),
            Query(arguments: ["@10.77.1.53", "nope.lab.test", "A"],
                  expected: [v4("CQ", "00 nope.lab.test IN A"), v4("CR", "03 1/0/1/1 nope.lab.test IN A")]),
            // TC=1 over UDP (no answer records), then dig retries over TCP.
            Query(arguments: ["@10.77.1.53", "big.lab.test", "TXT"],
                  expected: [v4("CQ", "00 big.lab.test IN TXT"), v4("CR", "00 1/0/0/1 big.lab.test IN TXT"),
                             v4("CQ", "00 big.lab.test IN TXT T"), v4("CR", "00 1/1/0/1 big.lab.test IN TXT 30 \(big) T")]),
            // The whole answer over UDP, in IP fragments: the live filter
            // must let the fragments without ports through (it did not).
            Query(arguments: ["@10.77.1.53", "+bufsize=4096", "big.lab.test", "TXT"],
                  expected: [v4("CQ", "00 big.lab.test IN TXT"), v4("CR", "00 1/1/0/1 big.lab.test IN TXT 30 \(big)")]),
            Query(arguments: ["@fd77:1::53", "+bufsize=4096", "big.lab.test", "TXT"],
                  expected: [v6("CQ", "00 big.lab.test IN TXT"), v6("CR", "00 1/1/0/1 big.lab.test IN TXT 30 \(big)")]),
        ]
    }()

    /// Masks time, ID and client port; checks each masked field's shape and
    /// that every CR answers the CQ before it (same ID, same client port).
    static func mask(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [String] {
        var masked: [String] = []
        var pending: (id: Substring, port: Substring)?
        for text in lines {
            let f = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard f.count == 6, E2E.millisecondOfDay(f[0]) != nil,
                  f[4].count == 4, f[4].allSatisfy({ "0123456789ABCDEF".contains($0) }) else {
                XCTFail("malformed line: \(text)", file: file, line: line); masked.append(text); continue
            }
            let kind = f[3]
            let clientSide = kind == "CQ" ? f[1] : f[2]
            guard let hash = clientSide.lastIndex(of: "#"), let port = UInt16(clientSide[clientSide.index(after: hash)...]) else {
                XCTFail("no client port in: \(text)", file: file, line: line); masked.append(text); continue
            }
            let portText = clientSide[clientSide.index(after: hash)...]
            XCTAssertNotEqual(port, 53, text, file: file, line: line)
            let maskedClient = String(clientSide[...hash]) + "*"
            let src = kind == "CQ" ? maskedClient : String(f[1])
            let dst = kind == "CQ" ? String(f[2]) : maskedClient
            if kind == "CQ" {
                pending = (f[4], portText)
            } else if let p = pending {
                XCTAssertEqual(p.id, f[4], "response ID differs from its query's: \(text)", file: file, line: line)
                XCTAssertEqual(p.port, portText, "response port differs from its query's: \(text)", file: file, line: line)
                pending = nil
            }
            masked.append("TT \(src) \(dst) \(kind) ID \(f[5])")
        }
        return masked
    }

    // MARK: Tests

    func testLiveCaptureLogsEveryQueryAndResponse() throws {
        try E2E.requireLab(["ip", "unbound", "dig"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("live")
        let logDir = work.appendingPathComponent("logs")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }   // also after a failed or half-done up
        try lab.up()

        let startMs = E2E.utcMillisecondOfDay()
        let packetlog = try lab.startPacketlog(binary: binary, dir: logDir, logs: work)
        defer { packetlog.stop() }
        for query in Self.queries {
            let r = try lab.inNamespace(lab.client, ["dig", "+tries=1", "+time=5"] + query.arguments, timeout: 30)
            XCTAssertEqual(r.status, 0, "dig \(query.arguments.joined(separator: " ")): \(r.text)\(r.stderr)")
            XCTAssertTrue(r.text.contains("status: NOERROR") || r.text.contains("status: NXDOMAIN"), r.text)
        }
        usleep(300_000)
        let endMs = E2E.utcMillisecondOfDay()
        packetlog.kill(SIGTERM)
        XCTAssertTrue(packetlog.waitForExit(timeout: 10), "packetlog did not exit after SIGTERM")
        XCTAssertTrue(packetlog.exitedNormally, "packetlog died of a signal")
        XCTAssertEqual(packetlog.status, 0, packetlog.stderrText)

        // Files: dns-YYYYMMDD-HH.log, mode 0600, and each line's time in its file's hour.
        let names = try FileManager.default.contentsOfDirectory(atPath: logDir.path).sorted()
        XCTAssertFalse(names.isEmpty, "no log file")
        for name in names {
            XCTAssertNotNil(name.range(of: #"^dns-[0-9]{8}-[0-9]{2}\.log$"#, options: .regularExpression), "unexpected file \(name)")
            let attributes = try FileManager.default.attributesOfItem(atPath: logDir.appendingPathComponent(name).path)
            XCTAssertEqual((attributes[.posixPermissions] as? Int).map { String($0, radix: 8) }, "600", name)
            let hour = String(name.dropFirst("dns-YYYYMMDD-".count).prefix(2))
            for line in try String(contentsOf: logDir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n") {
                XCTAssertEqual(String(line.prefix(2)), hour, "line outside its file's hour: \(line)")
            }
        }

        let lines = try E2E.logLines(in: logDir)
        for line in lines {
            guard let ms = E2E.millisecondOfDay(line.prefix(12)) else { continue }
            // Capture time within the test's wall-clock window (UTC; midnight wrap tolerated).
            let inWindow = startMs <= endMs ? (ms >= startMs - 1000 && ms <= endMs + 1000) : (ms >= startMs - 1000 || ms <= endMs + 1000)
            XCTAssertTrue(inWindow, "time of \(line.prefix(12)) outside the test's run")
        }
        let expected = Self.queries.flatMap(\.expected)
        let masked = Self.mask(lines)
        XCTAssertEqual(masked.count, expected.count, "line count; got:\n\(lines.joined(separator: "\n"))")
        for (index, want) in expected.enumerated() {
            XCTAssertEqual(index < masked.count ? masked[index] : "<missing>", want, "line \(index + 1)")
        }
        for extra in masked.dropFirst(expected.count) { XCTFail("unexpected line: \(extra)") }

        // The summary.
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        let cq = expected.filter { $0.contains(" CQ ") }.count, cr = expected.filter { $0.contains(" CR ") }.count
        XCTAssertTrue(summary.hasPrefix("packetlog: packets \(c["packets"] ?? 0), dns-logged \(cq + cr), CQ \(cq), CR \(cr), SQ 0, SR 0, dns-malformed 0, "),
                      summary)
        XCTAssertEqual(c["lines-written"], UInt64(cq + cr), summary)
        XCTAssertEqual(c["lines-lost"], 0, summary)
        XCTAssertEqual(c["kernel-dropped"], 0, summary)
        // kernel-received is not compared with packets: libpcap's count can
        // include a packet the ring never delivered. testSigterm... checks
        // for lost packets against tcpdump instead.
        XCTAssertGreaterThan(c["packets"] ?? 0, UInt64(cq + cr), "TCP handshakes are packets too: \(summary)")
        XCTAssertEqual(c["ip-reassembled"], 2, "the two fragmented answers: \(summary)")
        for counter in ["tcp-incomplete-message", "tcp-unfinished-streams", "tcp-discarded-bytes", "other-ports", "truncated", "malformed-ip"] {
            if let value = c[counter] { XCTAssertEqual(value, 0, "\(counter): \(summary)") }
        }
    }

    /// A burst of UDP queries; SIGTERM right after the client has sent the
    /// last one (answers still in flight). Oracle: tcpdump on the same
    /// interface, stopped once the traffic is over. Every
    /// packet the kernel captured before the signal must have its line, the
    /// lines must be exactly tcpdump's first packets in order, and the file,
    /// `dns-logged`, `lines-written` and `packets` must agree. Run with
    /// `--workers 0` (everything on the capture thread); the default
    /// pipeline is what every other live test runs, and
    /// OperationsLiveTests runs this burst with `--workers 2`.
    func testSigtermDuringBusyCaptureLosesNoLine() throws {
        try E2E.requireLab(["ip", "unbound", "dig", "tcpdump", "python3"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("burst")
        let logDir = work.appendingPathComponent("logs")
        let pcap = work.appendingPathComponent("oracle.pcap")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }   // also after a failed or half-done up
        try lab.up()

        let tcpdump = try lab.start(in: lab.resolver, ["tcpdump", "-i", lab.resolverVeth, "-n", "-s", "512", "-B", "65536",
                                                       "-U", "-w", pcap.path, "udp port 53"], logs: work, name: "tcpdump")
        defer { tcpdump.stop() }
        XCTAssertTrue(tcpdump.waitForStderr("listening on", timeout: 15), "tcpdump did not start: \(tcpdump.stderrText)")
        let packetlog = try lab.startPacketlog(binary: binary, dir: logDir, logs: work, extra: ["--workers", "0"])
        defer { packetlog.stop() }

        // The burst, its answers, a short pause (the capture catches up and
        // waits in poll), then a tail of queries; the sender itself signals
        // packetlog the moment the last one is out, with their answers still
        // in flight, and prints the time. The tail is then in a ring block
        // the kernel has not handed over yet: a shutdown that does not keep
        // reading loses it.
        let count = 3000, tail = 100
        let sender = """
        import os, signal, socket, struct, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
        q = b'\\x01a\\x03lab\\x04test\\x00' + struct.pack('>HH', 1, 1)
        def send(ids):
            for i in ids:
                s.sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + q, ('10.77.1.53', 53))
        send(range(\(count)))
        s.settimeout(2)
        try:
            for _ in range(\(count)):
                s.recv(512)
        except socket.timeout:
            pass
        time.sleep(0.3)
        send(range(\(count), \(count + tail)))
        t = time.time_ns() // 1000
        os.kill(\(packetlog.pid), signal.SIGTERM)
        print(t)
        """
        let sent = try lab.inNamespace(lab.client, ["python3", "-c", sender], timeout: 60)
        guard let signalMicros = E2E.finishBurst(sent: sent, packetlog: packetlog, tcpdump: tcpdump) else { return }
        let oracleStats = tcpdump.stderrText

        let oracle = try Self.readUDPDNS(pcap)
        let before = oracle.filter { $0.micros < signalMicros }.count
        XCTAssertGreaterThanOrEqual(before, count + tail, "all \(count + tail) queries were sent before SIGTERM")
        let tcpdumpCaptured = oracleStats.split(separator: "\n").first { $0.hasSuffix(" packets captured") }
            .flatMap { Int($0.split(separator: " ")[0]) }
        XCTAssertEqual(tcpdumpCaptured, oracle.count, oracleStats)

        let lines = try E2E.logLines(in: logDir)
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        XCTAssertEqual(c["kernel-dropped"], 0, summary)
        print("burst: \(oracle.count) packets on the wire, \(before) before SIGTERM, \(lines.count) lines; \(summary)")
        XCTAssertEqual(UInt64(lines.count), c["dns-logged"], "lines in the file vs dns-logged: \(summary)")
        XCTAssertEqual(UInt64(lines.count), c["lines-written"], summary)
        XCTAssertEqual(UInt64(lines.count), c["packets"], "every packet is one DNS message: \(summary)")
        XCTAssertEqual(c["lines-lost"], 0, summary)
        XCTAssertGreaterThanOrEqual(lines.count, before,
                                    "\(before) packets were captured before SIGTERM but only \(lines.count) lines were written (\(summary))")

        // The text of every line, and exactly the packets tcpdump saw: no
        // line twice, none invented. (Two capture sockets may interleave the
        // two directions differently, so lines are compared as a set.)
        func line(for p: OraclePacket) -> String {
            let id = String(format: "%04X", p.id)
            return p.response
                ? "10.77.1.53#53 10.77.1.10#\(p.clientPort) CR \(id) 00 1/1/0/0 a.lab.test IN A 300 10.77.1.100"
                : "10.77.1.10#\(p.clientPort) 10.77.1.53#53 CQ \(id) 00 a.lab.test IN A"
        }
        let seen = oracle.map(line(for:))
        XCTAssertEqual(Set(seen).count, seen.count, "the oracle has duplicate packets")
        let written = lines.map { String($0.dropFirst(13)) }
        let writtenSet = Set(written)
        XCTAssertEqual(writtenSet.count, written.count, "a line was written twice")
        let invented = writtenSet.subtracting(seen)
        XCTAssertTrue(invented.isEmpty, "\(invented.count) lines match no packet, e.g. \(invented.sorted().prefix(3))")
        let lost = oracle.filter { $0.micros < signalMicros }.map(line(for:)).filter { !writtenSet.contains($0) }
        XCTAssertTrue(lost.isEmpty, "\(lost.count) packets captured before SIGTERM have no line, e.g. \(lost.prefix(3))")
        for text in lines where E2E.millisecondOfDay(text.prefix(12)) == nil || text.dropFirst(12).first != " " {
            XCTFail("bad time field: \(text)")
        }
    }

    /// An idle capture (nothing on the wire) stops within about 2 s of SIGTERM.
    func testIdleCaptureStopsPromptlyOnSigterm() throws {
        try E2E.requireLab(["ip", "unbound", "dig"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("idle")
        let logDir = work.appendingPathComponent("logs")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }   // also after a failed or half-done up
        try lab.up()

        let packetlog = try lab.startPacketlog(binary: binary, dir: logDir, logs: work)
        defer { packetlog.stop() }
        usleep(1_000_000)
        XCTAssertTrue(packetlog.isRunning, "packetlog stopped by itself: \(packetlog.stderrText)")
        let start = Date()
        packetlog.kill(SIGTERM)
        let exited = packetlog.waitForExit(timeout: 2.0)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(exited, "packetlog still running \(elapsed) s after SIGTERM")
        guard exited else { return }
        XCTAssertLessThanOrEqual(elapsed, 2.0)
        XCTAssertTrue(packetlog.exitedNormally, "packetlog died of a signal")
        XCTAssertEqual(packetlog.status, 0, packetlog.stderrText)
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        XCTAssertTrue(summary.hasPrefix("packetlog: packets 0, dns-logged 0, CQ 0, CR 0, SQ 0, SR 0, "), summary)
        XCTAssertEqual(c["lines-written"], 0, summary)
        XCTAssertEqual(try E2E.logLines(in: logDir), [])
    }

    // MARK: pcap reading (the oracle, independent of packetlog)

    struct OraclePacket { var micros: Int64; var id: UInt16; var response: Bool; var clientPort: UInt16 }

    /// UDP/IPv4 DNS packets of a classic little-endian µs pcap with Ethernet frames.
    static func readUDPDNS(_ url: URL) throws -> [OraclePacket] {
        let data = [UInt8](try Data(contentsOf: url))
        func u32le(_ o: Int) -> UInt32 { UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24 }
        func u16be(_ o: Int) -> UInt16 { UInt16(data[o]) << 8 | UInt16(data[o + 1]) }
        guard data.count >= 24, u32le(0) == 0xA1B2_C3D4, u32le(20) == 1 else {
            XCTFail("\(url.path): not a little-endian µs Ethernet pcap"); return []
        }
        var packets: [OraclePacket] = []
        var o = 24
        while o + 16 <= data.count {
            let micros = Int64(u32le(o)) * 1_000_000 + Int64(u32le(o + 4))
            let caplen = Int(u32le(o + 8))
            let frame = o + 16
            o = frame + caplen
            guard o <= data.count, caplen >= 14 + 20 + 8 + 12, u16be(frame + 12) == 0x0800 else {
                XCTFail("unexpected frame in the oracle capture"); continue
            }
            let ip = frame + 14
            let udp = ip + Int(data[ip] & 0x0F) * 4
            let sport = u16be(udp), dport = u16be(udp + 2)
            let dns = udp + 8
            let response = data[dns + 2] & 0x80 != 0
            packets.append(OraclePacket(micros: micros, id: u16be(dns), response: response, clientPort: response ? dport : sport))
        }
        return packets
    }
}

extension E2E {
    /// The end of a burst test: the sender (run in the client namespace)
    /// SIGTERMed packetlog and printed the signal time in µs. Checks that
    /// packetlog exited cleanly, stops the tcpdump oracle and checks it
    /// dropped nothing; returns the signal time, or nil after a failure.
    static func finishBurst(sent: Output, packetlog: Background, tcpdump: Background,
                            file: StaticString = #filePath, line: UInt = #line) -> Int64? {
        XCTAssertEqual(sent.status, 0, sent.stderr, file: file, line: line)
        guard let signalMicros = Int64(sent.text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            XCTFail("the sender printed no time: \(sent.text) \(sent.stderr)", file: file, line: line)
            return nil
        }
        XCTAssertTrue(packetlog.waitForExit(timeout: 10), "packetlog did not exit after SIGTERM", file: file, line: line)
        XCTAssertTrue(packetlog.exitedNormally, "packetlog died of a signal", file: file, line: line)
        XCTAssertEqual(packetlog.status, 0, packetlog.stderrText, file: file, line: line)
        usleep(1_500_000)   // the answers are over; tcpdump has them all
        tcpdump.kill(SIGINT)
        XCTAssertTrue(tcpdump.waitForExit(timeout: 10), file: file, line: line)
        let oracleStats = tcpdump.stderrText
        guard oracleStats.contains("\n0 packets dropped by kernel") else {
            XCTFail("tcpdump dropped packets, so there is no oracle:\n\(oracleStats)", file: file, line: line)
            return nil
        }
        return signalMicros
    }
}
