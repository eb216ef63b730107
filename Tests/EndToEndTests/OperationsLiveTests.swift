import Foundation
import XCTest
import PacketlogHost
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers for the operations tests (the shared E2E and Lab helpers live in LiveCaptureTests.swift)

enum Ops {
    typealias Query = LiveCaptureTests.Query

    /// A UDP/IPv4 query from the client to the lab's unbound and its masked lines.
    static func udp(_ name: String, _ type: String, answer: String) -> Query {
        Query(arguments: ["@10.77.1.53", name, type],
              expected: ["TT 10.77.1.10#* 10.77.1.53#53 CQ ID 00 \(name) IN \(type)",
                         "TT 10.77.1.53#53 10.77.1.10#* CR ID \(answer)"])
    }

    static let a = udp("a.lab.test", "A", answer: "00 1/1/0/1 a.lab.test IN A 300 10.77.1.100")
    static let web = udp("web.lab.test", "A", answer: "00 1/1/0/1 web.lab.test IN A 120 10.77.1.80")
    static let mail = udp("mail.lab.test", "A", answer: "00 1/1/0/1 mail.lab.test IN A 300 10.77.1.25")
    static let ns = udp("ns.lab.test", "A", answer: "00 1/1/0/1 ns.lab.test IN A 3600 10.77.1.53")
    static let v6 = udp("v6.lab.test", "AAAA", answer: "00 1/1/0/1 v6.lab.test IN AAAA 300 fd77:1::100")
    static let nope = udp("nope.lab.test", "A", answer: "03 1/0/1/1 nope.lab.test IN A")
    static let mx = udp("lab.test", "MX", answer: "00 1/1/0/1 lab.test IN MX 3600 10 mail.lab.test")

    /// Runs the queries from the client namespace, one dig each.
    static func dig(_ lab: Lab, _ queries: [Query], file: StaticString = #filePath, line: UInt = #line) throws {
        for query in queries {
            let r = try lab.inNamespace(lab.client, ["dig", "+tries=1", "+time=3"] + query.arguments, timeout: 30)
            XCTAssertEqual(r.status, 0, "dig \(query.arguments.joined(separator: " ")): \(r.text)\(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.text.contains("status: NOERROR") || r.text.contains("status: NXDOMAIN"), r.text, file: file, line: line)
        }
    }

    /// Seconds since the epoch, wall clock.
    static var now: Double { Date().timeIntervalSince1970 }

    /// When the next multiple of `period` seconds (UTC) is less than
    /// `margin` seconds away, sleeps until just after it: the test's files
    /// then all fall into one period.
    static func avoidBoundary(period: Double, margin: Double) {
        let left = period - now.truncatingRemainder(dividingBy: period)
        if left < margin { usleep(useconds_t((left + 0.3) * 1_000_000)) }
    }

    /// Sleeps until the wall clock reaches `time` (seconds since the epoch).
    static func sleep(until time: Double) {
        let left = time - now
        if left > 0 { usleep(useconds_t(left * 1_000_000)) }
    }

    /// `time` in UTC with a DateFormatter pattern (`yyyyMMdd-HHmm`).
    static func utc(_ time: Double, _ format: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        return f.string(from: Date(timeIntervalSince1970: time))
    }

    /// The names in `dir`, sorted.
    static func names(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    /// The lines of one file; fails when the file does not end with a newline (half a line).
    static func lines(of url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let data = try Data(contentsOf: url)
        return lines(of: data, name: url.lastPathComponent, file: file, line: line)
    }

    static func lines(of data: Data, name: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        guard !data.isEmpty else { return [] }
        XCTAssertEqual(data.last, UInt8(ascii: "\n"), "\(name) does not end with a newline (half a line)", file: file, line: line)
        let text = String(decoding: data, as: UTF8.self)
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    static func mode(_ url: URL) -> String? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.posixPermissions] as? Int).map { String($0, radix: 8) }
    }

    /// SIGTERM, then a clean exit with status 0.
    static func stop(_ p: E2E.Background, file: StaticString = #filePath, line: UInt = #line) {
        p.kill(SIGTERM)
        XCTAssertTrue(p.waitForExit(timeout: 10), "packetlog did not exit after SIGTERM", file: file, line: line)
        XCTAssertTrue(p.exitedNormally, "packetlog died of a signal: \(p.stderrText)", file: file, line: line)
        XCTAssertEqual(p.status, 0, p.stderrText, file: file, line: line)
    }

    /// Compares masked lines with the expected ones, line by line.
    static func assertLines(_ masked: [String], _ expected: [String], _ what: String, raw: [String],
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(masked.count, expected.count, "\(what): line count; got:\n\(raw.joined(separator: "\n"))", file: file, line: line)
        for (index, want) in expected.enumerated() {
            XCTAssertEqual(index < masked.count ? masked[index] : "<missing>", want, "\(what): line \(index + 1)", file: file, line: line)
        }
        for extra in masked.dropFirst(expected.count) { XCTFail("\(what): unexpected line: \(extra)", file: file, line: line) }
    }

    /// HTTP lines with the date and time masked ("DT") and the client's port
    /// masked; checks the date is `date` (YYYY-MM-DD), the time's shape, and
    /// that every response goes to the port of the request before it.
    static func maskHTTP(_ lines: [String], date: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        var masked: [String] = []
        var pendingPort: Substring?
        for text in lines {
            let f = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard f.count == 6, E2E.millisecondOfDay(f[1]) != nil, f[4].count == 2 else {
                XCTFail("malformed HTTP line: \(text)", file: file, line: line); masked.append(text); continue
            }
            XCTAssertEqual(String(f[0]), date, "date of \(text)", file: file, line: line)
            let kind = f[4]
            let clientSide = kind == "CQ" ? f[2] : f[3]
            guard let hash = clientSide.lastIndex(of: "#"), let port = UInt16(clientSide[clientSide.index(after: hash)...]) else {
                XCTFail("no client port in: \(text)", file: file, line: line); masked.append(text); continue
            }
            XCTAssertNotEqual(port, 80, text, file: file, line: line)
            let portText = clientSide[clientSide.index(after: hash)...]
            let maskedClient = String(clientSide[...hash]) + "*"
            if kind == "CQ" {
                pendingPort = portText
            } else {
                XCTAssertEqual(pendingPort, portText, "response port differs from its request's: \(text)", file: file, line: line)
                pendingPort = nil
            }
            let src = kind == "CQ" ? maskedClient : String(f[2])
            let dst = kind == "CQ" ? String(f[3]) : maskedClient
            masked.append("DT \(src) \(dst) \(kind) \(f[5])")
        }
        return masked
    }
}

extension Lab {
    /// packetlog in the resolver namespace with `arguments` (plus -v), once
    /// its set-up line ("... on <veth>") is out and its handlers are in place.
    func startCapture(binary: String, arguments: [String], logs: URL, name: String = "packetlog") throws -> E2E.Background {
        let p = try start(in: resolver, [binary] + arguments + ["-v"], logs: logs, name: name)
        guard p.waitForStderr(" on \(resolverVeth) ", timeout: 15) else {
            p.stop()
            XCTFail("packetlog did not start: \(p.stderrText)")
            throw XCTSkip("packetlog did not start")
        }
        usleep(300_000)
        return p
    }
}

// MARK: - Operations tests

/// Live tests of how packetlog behaves in operation: two modules in one
/// process, timer-driven rotation with compression and a hook, SIGHUP after
/// a logrotate-style rename, a full disk, and SIGTERM under the parallel
/// pipeline. Root and the lab's tools; skipped without them (failed under CI=true).
final class OperationsLiveTests: XCTestCase {

    // MARK: 1. DNS and HTTP in one process

    static let userAgent = "packetlog-ops/1.0 (live test)"

    /// A small HTTP/1.1 server with fixed answers (keep-alive, Content-Length).
    static let httpServer = #"""
    import http.server
    ROUTES = {
        ("GET", "/index.html"): (200, "text/html", b"<p>hello</p>\n"),
        ("GET", "/api/items?id=7&sort=asc"): (200, "application/json", b'{"id":7}'),
        ("POST", "/upload"): (201, "text/plain", b"stored\n"),
    }
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args):
            pass
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            code, ctype, body = ROUTES.get((self.command, self.path), (404, "text/plain; charset=utf-8", b"not found\n"))
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        do_GET = answer
        do_POST = answer
    server = http.server.HTTPServer(("10.77.1.53", 80), Handler)
    print("ready", flush=True)
    server.serve_forever()
    """#

    /// Three requests on one keep-alive connection, one on a second connection.
    static let httpClient = #"""
    import http.client
    UA = "packetlog-ops/1.0 (live test)"
    def request(conn, method, path, body=None, host=None):
        headers = {"User-Agent": UA}
        if host:
            headers["Host"] = host
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        print(method, path, r.status, len(data), r.getheader("Content-Type"))
    c = http.client.HTTPConnection("10.77.1.53", 80, timeout=5)
    request(c, "GET", "/index.html")
    request(c, "GET", "/api/items?id=7&sort=asc")
    request(c, "POST", "/upload", body=b"abc")
    c.close()
    c = http.client.HTTPConnection("10.77.1.53", 80, timeout=5)
    request(c, "GET", "/missing", host="www.lab.test")
    c.close()
    """#

    func testDNSAndHTTPModulesInOneProcessOnALiveInterface() throws {
        try E2E.requireLab(["ip", "unbound", "dig", "python3"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("ops-two")
        let logDir = work.appendingPathComponent("logs")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }
        try lab.up()

        let serverScript = work.appendingPathComponent("server.py"), clientScript = work.appendingPathComponent("client.py")
        try Self.httpServer.write(to: serverScript, atomically: true, encoding: .utf8)
        try Self.httpClient.write(to: clientScript, atomically: true, encoding: .utf8)
        let server = try lab.start(in: lab.resolver, ["python3", serverScript.path], logs: work, name: "httpd")
        defer { server.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !String(decoding: server.stdoutData, as: UTF8.self).contains("ready"), Date() < deadline, server.isRunning { usleep(20_000) }
        guard String(decoding: server.stdoutData, as: UTF8.self).contains("ready") else {
            return XCTFail("the HTTP server did not start: \(server.stderrText)")
        }

        Ops.avoidBoundary(period: 3600, margin: 20)   // one dns file (hourly), one http file (daily)
        let startTime = Ops.now
        let packetlog = try lab.startCapture(binary: binary, arguments: ["--protocol", "dns", "--protocol", "http",
                                                                         "-i", lab.resolverVeth, "-d", logDir.path], logs: work)
        defer { packetlog.stop() }
        let dnsFirst = [Ops.a, Ops.v6], dnsSecond = [Ops.mx, Ops.nope]
        try Ops.dig(lab, dnsFirst)
        let client = try lab.inNamespace(lab.client, ["python3", clientScript.path], timeout: 30)
        XCTAssertEqual(client.status, 0, client.stderr)
        XCTAssertEqual(client.text, """
            GET /index.html 200 13 text/html
            GET /api/items?id=7&sort=asc 200 8 application/json
            POST /upload 201 7 text/plain
            GET /missing 404 10 text/plain; charset=utf-8

            """, "the HTTP client's view")
        try Ops.dig(lab, dnsSecond)
        usleep(300_000)
        Ops.stop(packetlog)

        let dnsName = "dns-\(Ops.utc(startTime, "yyyyMMdd-HH")).log", httpName = "http-\(Ops.utc(startTime, "yyyyMMdd")).log"
        XCTAssertEqual(Ops.names(logDir), [dnsName, httpName])
        XCTAssertEqual(Ops.mode(logDir.appendingPathComponent(dnsName)), "600")
        XCTAssertEqual(Ops.mode(logDir.appendingPathComponent(httpName)), "600")

        let dnsLines = try Ops.lines(of: logDir.appendingPathComponent(dnsName))
        let dnsExpected = (dnsFirst + dnsSecond).flatMap(\.expected)
        Ops.assertLines(LiveCaptureTests.mask(dnsLines), dnsExpected, dnsName, raw: dnsLines)

        let ua = Self.userAgent
        func request(_ rest: String) -> String { "DT 10.77.1.10#* 10.77.1.53#80 CQ \(rest)" }
        func response(_ rest: String) -> String { "DT 10.77.1.53#80 10.77.1.10#* CR \(rest)" }
        let httpExpected = [
            request("GET /index.html HTTP/1.1 10.77.1.53 \(ua)"), response("HTTP/1.1 200 OK 13 text/html"),
            request("GET /api/items?id=7&sort=asc HTTP/1.1 10.77.1.53 \(ua)"), response("HTTP/1.1 200 OK 8 application/json"),
            request("POST /upload HTTP/1.1 10.77.1.53 \(ua)"), response("HTTP/1.1 201 Created 7 text/plain"),
            request("GET /missing HTTP/1.1 www.lab.test \(ua)"), response(#"HTTP/1.1 404 Not Found 10 text/plain;\032charset=utf-8"#),
        ]
        let httpLines = try Ops.lines(of: logDir.appendingPathComponent(httpName))
        Ops.assertLines(Ops.maskHTTP(httpLines, date: Ops.utc(startTime, "yyyy-MM-dd")), httpExpected, httpName, raw: httpLines)

        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        XCTAssertEqual(c["dns.dns-logged"], UInt64(dnsLines.count), summary)
        XCTAssertEqual(c["dns.dns-logged"], UInt64(dnsExpected.count), summary)
        XCTAssertEqual(c["dns.CQ"], 4, summary)
        XCTAssertEqual(c["dns.CR"], 4, summary)
        XCTAssertEqual(c["http.http-logged"], UInt64(httpLines.count), summary)
        XCTAssertEqual(c["http.http-logged"], UInt64(httpExpected.count), summary)
        XCTAssertEqual(c["http.CQ"], 4, summary)
        XCTAssertEqual(c["http.CR"], 4, summary)
        XCTAssertEqual(c["http.http-requests"], 4, summary)
        XCTAssertEqual(c["http.http-responses"], 4, summary)
        XCTAssertNil(c["dns-logged"], "with two modules every module counter carries the module's name: \(summary)")
        XCTAssertEqual(c["lines-written"], UInt64(dnsExpected.count + httpExpected.count), summary)
        XCTAssertEqual(c["lines-lost"], 0, summary)
        XCTAssertEqual(c["kernel-dropped"], 0, summary)
        for counter in ["dns.dns-malformed", "http.http-no-message-start", "http.http-cut-start-line", "http.http-incomplete-header-block",
                        "other-ports", "truncated", "malformed-ip"] {
            if let value = c[counter] { XCTAssertEqual(value, 0, "\(counter): \(summary)") }
        }
    }

    // MARK: 2. Timer-driven rotation

    /// Minutely files, compressed, with a hook: once the minute is over, with
    /// no packet arriving, the file is closed, gzipped and handed to the hook
    /// while packetlog keeps running.
    func testMinutelyRotationClosesCompressesAndHooksWhileIdle() throws {
        try E2E.requireLab(["ip", "unbound", "dig", "gzip"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("ops-rotate")
        let logDir = work.appendingPathComponent("logs")
        let hookLog = work.appendingPathComponent("hook.log")
        let config = work.appendingPathComponent("plugins.conf")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }
        try lab.up()
        try """
            [dns]
            rotation = "minutely"
            compress = true
            rotate_hook = "echo $1 >> \(hookLog.path)"

            """.write(to: config, atomically: true, encoding: .utf8)

        let packetlog = try lab.startCapture(binary: binary, arguments: ["--config", config.path, "--protocol", "dns",
                                                                         "-i", lab.resolverVeth, "-d", logDir.path], logs: work)
        defer { packetlog.stop() }
        // The queries must all fall into one minute; late in a minute, wait for the next one.
        if Ops.now.truncatingRemainder(dividingBy: 60) > 50 { Ops.avoidBoundary(period: 60, margin: 11) }
        let minute = (Ops.now / 60).rounded(.down)
        let queries = [Ops.a, Ops.web, Ops.nope]
        try Ops.dig(lab, queries)
        guard (Ops.now / 60).rounded(.down) == minute else { return XCTFail("the queries took longer than expected: they span two minutes") }
        let name = "dns-\(Ops.utc(minute * 60, "yyyyMMdd-HHmm")).log"
        // Before the minute is over, the file is open and plain (nothing closed early).
        if (minute + 1) * 60 - Ops.now > 2.5 {
            usleep(1_200_000)
            XCTAssertEqual(Ops.names(logDir), [name], "during its minute")
            XCTAssertEqual(try Ops.lines(of: logDir.appendingPathComponent(name)).count, 2 * queries.count, "lines flushed during the minute")
            XCTAssertFalse(FileManager.default.fileExists(atPath: hookLog.path), "the hook ran before the minute was over")
        }

        // Idle until the minute is over, plus the grace the writer leaves for
        // late lines, plus 3 s (it closes old periods once a second).
        Ops.sleep(until: (minute + 1) * 60 + Double(LogWriter.lateLineGraceSeconds) + 3)
        let gz = logDir.appendingPathComponent(name + ".gz")
        let hookDeadline = Ops.now + 3   // gzip and the hook run in the background
        while Ops.now < hookDeadline, (try? String(contentsOf: hookLog, encoding: .utf8))?.hasSuffix("\n") != true { usleep(50_000) }

        XCTAssertTrue(packetlog.isRunning, "packetlog stopped: \(packetlog.stderrText)")
        XCTAssertEqual(Ops.names(logDir), [name + ".gz"], "the minute's file closed and compressed; no other file (no packet arrived)")
        let gunzip = try E2E.run(E2E.which("gzip")!, ["-dc", gz.path], timeout: 10)
        XCTAssertEqual(gunzip.status, 0, gunzip.stderr)
        let lines = Ops.lines(of: gunzip.stdout, name: name + ".gz")
        Ops.assertLines(LiveCaptureTests.mask(lines), queries.flatMap(\.expected), name + ".gz", raw: lines)
        XCTAssertEqual(Ops.mode(gz), "600", "the compressed file keeps the log file's mode")
        XCTAssertEqual(try? String(contentsOf: hookLog, encoding: .utf8), gz.path + "\n", "the hook ran once, with the .gz path")

        Ops.stop(packetlog)
        XCTAssertEqual(Ops.names(logDir), [name + ".gz"], "no file appeared at shutdown")
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        XCTAssertEqual(c["dns-logged"], UInt64(lines.count), summary)
        XCTAssertEqual(c["lines-written"], UInt64(lines.count), summary)
        XCTAssertEqual(c["lines-lost"], 0, summary)
    }

    // MARK: 3. SIGHUP after a rename

    /// logrotate's way: rename the open file, SIGHUP; the old lines stay in
    /// the renamed file, the new ones go to a new file of the same name.
    func testSighupReopensAfterRename() throws {
        try E2E.requireLab(["ip", "unbound", "dig"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("ops-hup")
        let logDir = work.appendingPathComponent("logs")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }
        try lab.up()

        Ops.avoidBoundary(period: 3600, margin: 20)
        let packetlog = try lab.startCapture(binary: binary, arguments: ["--protocol", "dns", "-i", lab.resolverVeth, "-d", logDir.path],
                                             logs: work)
        defer { packetlog.stop() }
        let first = [Ops.a, Ops.web, Ops.v6], second = [Ops.mail, Ops.ns, Ops.nope]
        try Ops.dig(lab, first)
        usleep(1_500_000)   // lines reach the file at least once a second
        let names = Ops.names(logDir)
        guard names.count == 1, let name = names.first else { return XCTFail("expected one log file, got \(names)") }
        let current = logDir.appendingPathComponent(name), rotated = logDir.appendingPathComponent(name + ".1")
        XCTAssertEqual(try Ops.lines(of: current).count, 6, "the first batch is in the file before the rename")
        let mv = try E2E.run("/bin/mv", [current.path, rotated.path])
        XCTAssertEqual(mv.status, 0, mv.stderr)
        packetlog.kill(SIGHUP)
        usleep(600_000)   // the loop looks at the flag every 200 ms
        XCTAssertTrue(packetlog.isRunning, "SIGHUP stopped packetlog: \(packetlog.stderrText)")
        try Ops.dig(lab, second)
        usleep(300_000)
        Ops.stop(packetlog)

        XCTAssertEqual(Ops.names(logDir), [name, name + ".1"])
        let old = try Ops.lines(of: rotated), new = try Ops.lines(of: current)
        Ops.assertLines(LiveCaptureTests.mask(old), first.flatMap(\.expected), name + ".1", raw: old)
        Ops.assertLines(LiveCaptureTests.mask(new), second.flatMap(\.expected), name + " (re-created)", raw: new)
        XCTAssertEqual(Ops.mode(current), "600", "the re-created file")
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        XCTAssertEqual(c["dns-logged"], 12, summary)
        XCTAssertEqual(c["lines-written"], 12, summary)
        XCTAssertEqual(c["lines-lost"], 0, summary)
    }

    // MARK: 4. A full disk

    /// The log directory is a 64 KiB tmpfs. A first batch is written, then a
    /// filler takes every free page: the log file's last page still has ~3.7
    /// KiB free, so the next chunk (200 lines, ~15 KiB) is a short write and
    /// then ENOSPC — the file must be cut back to the whole lines that fitted
    /// and the chunk's other lines counted as lost. Once the filler is gone, writing resumes by itself.
    func testFullDiskIsSurvivedAndWritingResumes() throws {
        try E2E.requireLab(["ip", "unbound", "dig", "mount", "umount", "dd", "python3"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("ops-full")
        let logDir = work.appendingPathComponent("logs")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }
        try lab.up()
        try FileManager.default.createDirectory(at: logDir, withIntermediateDirectories: true)
        let mount = try E2E.run(E2E.which("mount")!, ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", logDir.path])
        guard mount.status == 0 else { return XCTFail("cannot mount a tmpfs: \(mount.stderr)") }
        defer {
            let r = try? E2E.run(E2E.which("umount")!, [logDir.path])
            if r?.status != 0 { _ = try? E2E.run(E2E.which("umount")!, ["-l", logDir.path]) }
        }

        Ops.avoidBoundary(period: 3600, margin: 20)
        let packetlog = try lab.startCapture(binary: binary, arguments: ["--protocol", "dns", "-i", lab.resolverVeth, "-d", logDir.path],
                                             logs: work)
        defer { packetlog.stop() }
        let first = [Ops.a, Ops.web], last = [Ops.mail, Ops.v6, Ops.nope]
        try Ops.dig(lab, first)
        usleep(1_500_000)   // written before the disk fills
        let filler = logDir.appendingPathComponent("filler")
        let dd = try E2E.run(E2E.which("dd")!, ["if=/dev/zero", "of=\(filler.path)", "bs=4k"], timeout: 30)
        XCTAssertNotEqual(dd.status, 0, "dd filled the disk")
        XCTAssertTrue(dd.stderr.contains("No space left on device"), dd.stderr)

        // 100 queries (and their answers) in a few milliseconds: one large chunk.
        let burst = 100
        let sender = """
        import socket, struct
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        q = b'\\x02ns\\x03lab\\x04test\\x00' + struct.pack('>HH', 1, 1)
        for i in range(\(burst)):
            s.sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + q, ('10.77.1.53', 53))
        n = 0
        try:
            while n < \(burst):
                s.recv(512)
                n += 1
        except socket.timeout:
            pass
        print(n)
        """
        let sent = try lab.inNamespace(lab.client, ["python3", "-c", sender], timeout: 30)
        XCTAssertEqual(sent.status, 0, sent.stderr)
        XCTAssertEqual(sent.text, "\(burst)\n", "answers received")
        usleep(2_200_000)   // the writer tries (and fails) at the next flush
        XCTAssertTrue(packetlog.isRunning, "packetlog stopped on a full disk: \(packetlog.stderrText)")
        XCTAssertTrue(packetlog.stderrText.contains("packetlog: cannot write log lines ("),
                      "the failure is reported while it lasts: \(packetlog.stderrText)")
        try FileManager.default.removeItem(at: filler)
        try Ops.dig(lab, last)
        usleep(1_500_000)
        Ops.stop(packetlog)

        let stderr = packetlog.stderrText
        XCTAssertTrue(stderr.contains("packetlog: cannot write log lines ("), stderr)
        XCTAssertTrue(stderr.contains("lines lost so far; free disk space (or raise the quota); writing resumes by itself"), stderr)
        // A live capture is a service: lines lost are counted, a stop is no failure (Ops.stop checked status 0).
        XCTAssertFalse(stderr.contains("lines could not be written"), stderr)
        let names = Ops.names(logDir)
        XCTAssertEqual(names.count, 1, "one log file: \(names)")
        XCTAssertTrue(names.allSatisfy { $0.range(of: #"^dns-[0-9]{8}-[0-9]{2}\.log$"#, options: .regularExpression) != nil }, "\(names)")
        var lines: [String] = []
        for name in names { lines += try Ops.lines(of: logDir.appendingPathComponent(name)) }   // ends with a newline

        // Whole lines only: the first batch, whichever whole lines of the
        // burst fitted, the last batch.
        let firstExpected = first.flatMap(\.expected), lastExpected = last.flatMap(\.expected)
        guard lines.count >= firstExpected.count + lastExpected.count else {
            return XCTFail("lines missing; got:\n\(lines.joined(separator: "\n"))")
        }
        Ops.assertLines(LiveCaptureTests.mask(Array(lines.prefix(firstExpected.count))), firstExpected, "before the disk filled",
                        raw: lines)
        Ops.assertLines(LiveCaptureTests.mask(Array(lines.suffix(lastExpected.count))), lastExpected, "after space was freed", raw: lines)
        let middle = lines.dropFirst(firstExpected.count).dropLast(lastExpected.count)
        let burstLines: Set<String> = ["TT 10.77.1.10#* 10.77.1.53#53 CQ ID 00 ns.lab.test IN A",
                                       "TT 10.77.1.53#53 10.77.1.10#* CR ID 00 1/1/0/0 ns.lab.test IN A 3600 10.77.1.53"]
        for text in middle where !burstLines.contains(LiveCaptureTests.mask([text]).first ?? "") {
            XCTFail("not a whole line of the burst: \(text)")
        }
        XCTAssertEqual(Set(middle).count, middle.count, "a line of the burst was written twice")

        guard let (summary, c) = E2E.summaryCounters(stderr) else { return XCTFail("no summary on stderr: \(stderr)") }
        let logged = c["dns-logged"] ?? 0, written = c["lines-written"] ?? 0, lost = c["lines-lost"] ?? 0
        XCTAssertEqual(logged, UInt64(firstExpected.count + 2 * burst + lastExpected.count), summary)
        XCTAssertGreaterThan(lost, 0, summary)
        XCTAssertEqual(written + lost, logged, "every line logged is written or counted as lost: \(summary)")
        XCTAssertEqual(written, UInt64(lines.count), "lines-written vs the file: \(summary)")
        XCTAssertEqual(UInt64(middle.count) + lost, UInt64(2 * burst), "only lines of the burst are lost: \(summary)")
        print("full disk: \(middle.count) of \(2 * burst) burst lines written, \(lost) lost; \(summary)")
    }

    /// `--stdout` redirected to a file on a disk that fills: the failed
    /// write is cut back to whole lines, and the descriptor's offset must
    /// go back with it — else the next write, once space is freed, lands
    /// past the end and leaves a hole of NUL bytes in the middle of the
    /// log. A 128 KiB tmpfs; the capture comes through a pipe (`-r -`, its
    /// lines flushed once a second), so the disk is filled and freed
    /// between its parts: the lab fixture 3 times, 20 times, 5 times.
    func testStandardOutputToAFileOnAFullDiskKeepsWholeLinesAndNoHole() throws {
        try standardOutputOnAFullDisk(appending: false)
    }

    /// The same with `>> file` (O_APPEND) over an earlier run's lines, the
    /// disk full from the start: the descriptor's offset is 0 until the
    /// first write, so the cut of that failed write, measured from it,
    /// truncated the file to nothing — the earlier lines gone.
    func testStandardOutputAppendedToAFileOnAFullDiskKeepsTheEarlierLines() throws {
        try standardOutputOnAFullDisk(appending: true)
    }

    private func standardOutputOnAFullDisk(appending: Bool) throws {
        try E2E.requireLab(["mount", "umount", "dd", "python3"])
        let work = try E2E.temporaryDirectory("ops-stdout-full")
        let disk = work.appendingPathComponent("disk")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mount = try E2E.run(E2E.which("mount")!, ["-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", disk.path])
        guard mount.status == 0 else { return XCTFail("cannot mount a tmpfs: \(mount.stderr)") }
        defer {
            let r = try? E2E.run(E2E.which("umount")!, [disk.path])
            if r?.status != 0 { _ = try? E2E.run(E2E.which("umount")!, ["-l", disk.path]) }
        }
        // `>> file` appends to an earlier run's lines; `> file` starts empty.
        let earlier = Array(repeating: "an earlier run's line\n", count: appending ? 100 : 0)
        let split = #"""
        import sys
        data = open(sys.argv[1], 'rb').read()
        header, records = data[:24], data[24:]
        parts = [header + records * 3, records * 20, records * 5]
        for i, part in enumerate(parts):
            open(f"{sys.argv[2]}/part{i + 1}", 'wb').write(part)
        open(f"{sys.argv[2]}/all.pcap", 'wb').write(b''.join(parts))
        """#
        let script = [
            #"set -e"#,
            #"python3 -c "$SPLIT" "$PCAP" "$WORK""#,
            #""$BIN" --protocol dns -r "$WORK/all.pcap" --stdout > "$WORK/reference.log" 2>/dev/null"#,
            #"mkfifo "$WORK/fifo""#,
            #"yes "an earlier run's line" | head -n "$EARLIER" > "$DISK/out.log""#,
            #"if [ "$APPEND" = 1 ]; then"#,
            #"  "$BIN" --protocol dns -r - --stdout < "$WORK/fifo" >> "$DISK/out.log" 2> "$WORK/stderr" & pl=$!"#,
            #"else"#,
            #"  "$BIN" --protocol dns -r - --stdout < "$WORK/fifo" > "$DISK/out.log" 2> "$WORK/stderr" & pl=$!"#,
            #"fi"#,
            #"exec 3> "$WORK/fifo""#,
            // Appending: the disk is full from the start (the first write fails).
            #"[ "$APPEND" = 1 ] && { dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true; }"#,
            #"cat "$WORK/part1" >&3; sleep 2.5"#,
            #"[ "$APPEND" = 1 ] || dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true"#,
            #"cat "$WORK/part2" >&3; sleep 3"#,
            #"rm "$DISK/filler""#,
            #"cat "$WORK/part3" >&3; exec 3>&-"#,
            #"status=0; wait $pl || status=$?; echo $status > "$WORK/status""#,
        ].joined(separator: "\n")
        let r = try E2E.run("/usr/bin/env", ["SPLIT=\(split)", "PCAP=\(E2E.fixtures.appendingPathComponent("lab-dns.pcap").path)",
                                             "WORK=\(work.path)", "DISK=\(disk.path)", "BIN=\(try E2E.binary())",
                                             "APPEND=\(appending ? 1 : 0)", "EARLIER=\(earlier.count)",
                                             "/bin/sh", "-c", script], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let stderr = (try? String(contentsOf: work.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        let out = try Data(contentsOf: disk.appendingPathComponent("out.log"))
        XCTAssertFalse(out.contains(0), "a hole of NUL bytes in the output")
        let reference = try String(contentsOf: work.appendingPathComponent("reference.log"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var text = String(decoding: out, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(earlier.joined()), "the earlier run's lines are kept")
        text = String(text.dropFirst(earlier.joined().count))
        XCTAssertTrue(text.hasSuffix("\n"), "ends with a whole line")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // Whole lines of the reference, in its order, the last one included.
        var next = reference.startIndex
        for line in lines {
            guard let found = reference[next...].firstIndex(of: line) else { return XCTFail("not a line of the reference, or out of order: \(line)") }
            next = found + 1
        }
        XCTAssertEqual(lines.last, reference.last, "the lines after the space was freed are written")
        if !appending {
            XCTAssertEqual(Array(lines.prefix(120)), Array(reference.prefix(120)), "the lines before the disk filled are written")
        }
        guard let (summary, c) = E2E.summaryCounters(stderr) else { return XCTFail("no summary: \(stderr)") }
        XCTAssertTrue(stderr.contains("packetlog: cannot write log lines ("), stderr)
        // Lines were lost: the run is a failure (a script must not take the log for whole).
        XCTAssertEqual(try String(contentsOf: work.appendingPathComponent("status"), encoding: .utf8), "1\n", stderr)
        XCTAssertTrue(stderr.contains("packetlog: error: \(c["lines-lost"] ?? 0) lines could not be written (last error: write: No space left on device (errno 28))"), stderr)
        XCTAssertGreaterThan(c["lines-lost"] ?? 0, 0, summary)
        XCTAssertEqual(c["lines-written"], UInt64(lines.count), summary)
        XCTAssertEqual((c["lines-written"] ?? 0) + (c["lines-lost"] ?? 0), UInt64(reference.count), summary)
    }

    /// `packetlog --stdout | head -1`: once the reader of standard output
    /// is gone nothing can be written any more, so the capture stops (exit
    /// 0, the summary on standard error). It kept reading for ever, saying
    /// "Broken pipe … (free disk space?)" once a minute. The capture comes
    /// through a pipe that stays open, so only the closed output can end it.
    func testClosedStandardOutputStopsTheCapture() throws {
        try E2E.requireLab(["python3"])
        let driver = #"""
        import subprocess, sys
        p = subprocess.Popen([sys.argv[1], "--protocol", "dns", "-r", "-", "--stdout"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(open(sys.argv[2], "rb").read()); p.stdin.flush()
        first = p.stdout.readline()
        p.stdout.close()                      # the reader goes away; stdin stays open
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait(); rc = "still running"
        sys.stdout.write(f"{rc}\n{first.decode()}{p.stderr.read().decode()}")
        """#
        let r = try E2E.run(E2E.which("python3")!, ["-c", driver, try E2E.binary(), E2E.fixtures.appendingPathComponent("lab-dns.pcap").path],
                            timeout: 60)
        let lines = r.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "0", "exit status: \(r.text)")
        XCTAssertTrue(lines.count > 1 && lines[1].hasSuffix(" IN A"), "the first line was read: \(r.text)")
        XCTAssertTrue(r.text.contains("packetlog: standard output was closed by its reader: stopping\n"), r.text)
        XCTAssertTrue(r.text.contains("packetlog: packets 80, "), "the summary: \(r.text)")
        XCTAssertFalse(r.text.contains("lines could not be written"), r.text)
    }

    // MARK: 5. SIGTERM with --workers 2

    /// The parallel pipeline on the live veth: a burst of queries from eight
    /// sockets (so both workers get flows), SIGTERM the moment the last one
    /// is out. Every packet tcpdump saw before the signal has its line, no
    /// line is invented or doubled, and the lines are in capture order.
    func testSigtermWithTwoWorkersLosesNoLineAndKeepsOrder() throws {
        try E2E.requireLab(["ip", "unbound", "dig", "tcpdump", "python3"])
        let binary = try E2E.binary()
        let lab = Lab()
        let work = try E2E.temporaryDirectory("ops-workers")
        let logDir = work.appendingPathComponent("logs")
        let pcap = work.appendingPathComponent("oracle.pcap")
        defer { try? FileManager.default.removeItem(at: work) }
        defer { lab.down() }
        try lab.up()

        let tcpdump = try lab.start(in: lab.resolver, ["tcpdump", "-i", lab.resolverVeth, "-n", "-s", "512", "-B", "65536",
                                                       "-U", "-w", pcap.path, "udp port 53"], logs: work, name: "tcpdump")
        defer { tcpdump.stop() }
        XCTAssertTrue(tcpdump.waitForStderr("listening on", timeout: 15), "tcpdump did not start: \(tcpdump.stderrText)")
        Ops.avoidBoundary(period: 3600, margin: 15)   // one file, no midnight wrap in the times
        let packetlog = try lab.startCapture(binary: binary, arguments: ["--protocol", "dns", "--workers", "2",
                                                                         "-i", lab.resolverVeth, "-d", logDir.path], logs: work)
        defer { packetlog.stop() }

        let count = 2000, sockets = 8
        let sender = """
        import os, signal, socket, struct, time
        socks = []
        for _ in range(\(sockets)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            socks.append(s)
        q = b'\\x01a\\x03lab\\x04test\\x00' + struct.pack('>HH', 1, 1)
        for i in range(\(count)):
            socks[i % \(sockets)].sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + q, ('10.77.1.53', 53))
        t = time.time_ns() // 1000
        os.kill(\(packetlog.pid), signal.SIGTERM)
        print(t)
        """
        let sent = try lab.inNamespace(lab.client, ["python3", "-c", sender], timeout: 60)
        guard let signalMicros = E2E.finishBurst(sent: sent, packetlog: packetlog, tcpdump: tcpdump) else { return }
        let oracle = try LiveCaptureTests.readUDPDNS(pcap)
        let before = oracle.filter { $0.micros < signalMicros }
        XCTAssertGreaterThanOrEqual(before.filter { !$0.response }.count, count, "all \(count) queries were sent before SIGTERM")

        var lines: [String] = []
        for name in Ops.names(logDir) {
            XCTAssertNotNil(name.range(of: #"^dns-[0-9]{8}-[0-9]{2}\.log$"#, options: .regularExpression), "unexpected file \(name)")
            lines += try Ops.lines(of: logDir.appendingPathComponent(name))
        }
        guard let (summary, c) = E2E.summaryCounters(packetlog.stderrText) else {
            return XCTFail("no summary on stderr: \(packetlog.stderrText)")
        }
        print("workers 2: \(oracle.count) packets on the wire, \(before.count) before SIGTERM, \(lines.count) lines; \(summary)")
        XCTAssertEqual(c["kernel-dropped"], 0, summary)
        XCTAssertEqual(UInt64(lines.count), c["dns-logged"], "lines in the files vs dns-logged: \(summary)")
        XCTAssertEqual(UInt64(lines.count), c["lines-written"], summary)
        XCTAssertEqual(UInt64(lines.count), c["packets"], "every packet is one DNS message: \(summary)")
        XCTAssertEqual(c["lines-lost"], 0, summary)

        func line(for p: LiveCaptureTests.OraclePacket) -> String {
            let id = String(format: "%04X", p.id)
            return p.response
                ? "10.77.1.53#53 10.77.1.10#\(p.clientPort) CR \(id) 00 1/1/0/0 a.lab.test IN A 300 10.77.1.100"
                : "10.77.1.10#\(p.clientPort) 10.77.1.53#53 CQ \(id) 00 a.lab.test IN A"
        }
        let seen = Set(oracle.map(line(for:)))
        XCTAssertEqual(seen.count, oracle.count, "the oracle has duplicate packets")
        let written = lines.map { String($0.dropFirst(13)) }
        let writtenSet = Set(written)
        XCTAssertEqual(writtenSet.count, written.count, "a line was written twice")
        let invented = writtenSet.subtracting(seen)
        XCTAssertTrue(invented.isEmpty, "\(invented.count) lines match no packet, e.g. \(invented.sorted().prefix(3))")
        let missing = before.map(line(for:)).filter { !writtenSet.contains($0) }
        XCTAssertTrue(missing.isEmpty, "\(missing.count) packets captured before SIGTERM have no line, e.g. \(missing.prefix(3))")

        // Order. The queries came from one thread, so they reached the
        // interface in send order: the CQ lines are IDs 0, 1, 2, ... in order.
        let queryIDs = written.filter { $0.contains(" CQ ") }.compactMap { Int($0.split(separator: " ")[3], radix: 16) }
        XCTAssertEqual(queryIDs, Array(0..<count), "the query lines are not in capture order")
        // Capture times never go back (1 ms of slack: the kernel stamps the
        // two directions on two CPUs after taking their ring slots).
        var latest = -1
        var backwards: [String] = []
        for text in lines {
            guard let ms = E2E.millisecondOfDay(text.prefix(12)), text.dropFirst(12).first == " " else {
                XCTFail("bad time field: \(text)"); continue
            }
            if ms < latest - 1 { backwards.append(text) }
            latest = max(latest, ms)
        }
        XCTAssertTrue(backwards.isEmpty, "\(backwards.count) lines earlier than a line before them, e.g. \(backwards.prefix(3))")
    }
}
