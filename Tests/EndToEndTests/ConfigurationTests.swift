import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// plugins.conf, the environment and the command line, through the built
/// binary: --check-config output (values and sources, compiled filter), the
/// exact error lines, several modules in one run, and -Z. No root needed
/// except for the -Z test; no network. Helpers (E2E) are in LiveCaptureTests.swift.
final class ConfigurationTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = try E2E.temporaryDirectory("config")
        // Readable by an unprivileged user (the -Z test).
        chmod(work.path, 0o755)
    }

    override func tearDown() {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    // MARK: Helpers

    /// Runs packetlog in `cwd` (default: the empty work directory, so no
    /// ./plugins.conf is found) with the test's environment minus every
    /// PACKETLOG_* / DNSLOG_* variable, plus TZ=UTC and `env`.
    func packetlog(_ arguments: [String], env: [String: String] = [:], cwd: URL? = nil,
                   file: StaticString = #filePath, line: UInt = #line) throws -> E2E.Output {
        let out = work.appendingPathComponent("run.stdout"), err = work.appendingPathComponent("run.stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try E2E.binary())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PACKETLOG_") && !$0.key.hasPrefix("DNSLOG_") }
        environment["TZ"] = "UTC"
        environment.merge(env) { $1 }
        process.environment = environment
        process.currentDirectoryURL = cwd ?? work
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("packetlog \(arguments.joined(separator: " ")) did not finish in 60 s", file: file, line: line)
        }
        process.waitUntilExit()
        return E2E.Output(status: process.terminationStatus, stdout: (try? Data(contentsOf: out)) ?? Data(),
                          stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    func writeConfig(_ text: String, name: String = "plugins.conf") throws -> URL {
        let url = work.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The `--check-config` row of `key` in `[section]`: (value text, source text).
    func row(_ output: String, section: String, key: String, file: StaticString = #filePath, line: UInt = #line) -> (value: String, source: String)? {
        var current = ""
        for raw in output.split(separator: "\n") {
            let l = String(raw)
            if l.hasPrefix("[") { current = String(l.dropFirst().prefix { $0 != "]" }); continue }
            guard current == section, l.hasPrefix(key + " = "), let hash = l.range(of: "# ", options: .backwards) else { continue }
            let value = l[l.index(l.startIndex, offsetBy: key.count + 3)..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            return (value, String(l[hash.upperBound...]))
        }
        XCTFail("no row [\(section)] \(key) in:\n\(output)", file: file, line: line)
        return nil
    }

    func assertRow(_ output: String, _ section: String, _ key: String, _ value: String, _ source: String,
                   file: StaticString = #filePath, line: UInt = #line) {
        guard let r = row(output, section: section, key: key, file: file, line: line) else { return }
        XCTAssertEqual(r.value, value, "[\(section)] \(key)", file: file, line: line)
        XCTAssertEqual(r.source, source, "[\(section)] \(key)", file: file, line: line)
    }

    /// A capture with one DNS query over UDP (10.0.0.1 → 10.0.0.53:53) and
    /// one HTTP request over TCP (handshake, request, 10.0.0.1 → 10.0.0.80:80).
    func dnsAndHTTPCapture() throws -> URL {
        var pcap = TinyPcap()
        let client: [UInt8] = [10, 0, 0, 1], resolver: [UInt8] = [10, 0, 0, 53], web: [UInt8] = [10, 0, 0, 80]
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
        pcap.udp(time: 0, from: client, 40001, to: resolver, 53, payload: query)
        pcap.tcp(time: 1, from: client, 40002, to: web, 80, seq: 1000, ack: 0, flags: 0x02, payload: [])
        pcap.tcp(time: 1, from: web, 80, to: client, 40002, seq: 5000, ack: 1001, flags: 0x12, payload: [])
        pcap.tcp(time: 1, from: client, 40002, to: web, 80, seq: 1001, ack: 5001, flags: 0x10, payload: [])
        let request = Array("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: test\r\n\r\n".utf8)
        pcap.tcp(time: 2, from: client, 40002, to: web, 80, seq: 1001, ack: 5001, flags: 0x18, payload: request)
        let url = work.appendingPathComponent("dns-http.pcap")
        try Data(pcap.bytes).write(to: url)
        return url
    }

    let locals = ["--local-address", "10.0.0.53", "--local-address", "10.0.0.80"]

    func files(in dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    func text(_ dir: URL, _ name: String) -> String {
        (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    // MARK: The default file

    func testDefaultFileParsesAndMatchesBuiltInDefaults() throws {
        let conf = E2E.packageRoot.appendingPathComponent("plugins.conf").path
        let r = try packetlog(["--check-config", "--config", conf, "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.text
        XCTAssertTrue(out.contains("# config file: \(conf) (--config)"), out)
        XCTAssertTrue(out.contains("[dns]  # runs"), out)
        XCTAssertTrue(out.contains("[http]  # not run"), out)
        let builtIn = try packetlog(["--check-config", "--protocol", "dns", "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path])
        XCTAssertEqual(builtIn.status, 0, builtIn.stderr)
        XCTAssertTrue(builtIn.text.contains("# config file: none found"), builtIn.text)
        for key in ["directory", "snaplen", "buffer_mb", "local_addresses", "stats_interval", "tcp_reassembly", "ip_defragmentation",
                    "tcp_max_flows", "tcp_max_bytes_per_flow", "tcp_max_total_bytes", "tcp_max_out_of_order_segments", "tcp_idle_timeout", "ip_max_datagrams",
                    "ip_max_total_bytes", "ip_timeout", "filter", "user", "interface", "workers"] {
            XCTAssertEqual(row(out, section: "host", key: key)?.value, row(builtIn.text, section: "host", key: key)?.value, key)
        }
        for section in ["dns", "http", "template"] {
            for key in ["directory", "split", "rotation", "file_mode", "compress", "retention_days", "retention_files", "rotate_hook", "filter"] {
                XCTAssertEqual(row(out, section: section, key: key)?.value, row(builtIn.text, section: section, key: key)?.value, "[\(section)] \(key)")
            }
        }
        assertRow(out, "dns", "enabled", "true", "file \(conf):88")
        assertRow(out, "dns", "ports", "\"53\"", "file \(conf):89")
        assertRow(out, "http", "rotation", "\"daily\"", "file \(conf):103")
        // The file's default filter for a capture file: none.
        XCTAssertTrue(out.contains("filter = (none: a capture file is read whole"), out)
    }

    // MARK: Errors: one line, file:line and key, exit 1, nothing written

    func assertConfigError(_ conf: String, _ expected: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try writeConfig(conf, name: "bad.conf")
        let out = work.appendingPathComponent("never")
        let r = try packetlog(["--config", path.path, "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path, "-d", out.path] + extra)
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr, "packetlog: error: \(path.path):" + expected + "\n", file: file, line: line)
        XCTAssertEqual(r.stdout.count, 0, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a directory was created", file: file, line: line)
    }

    func testABadModuleFilterNamesItsSettingEvenWhenReadingAFile() throws {
        // Reading a file installs no module filter: the mistake went unnoticed;
        // live, libpcap's message did not say which setting held the filter.
        try assertConfigError("[dns]\nenabled = true\nfilter = \"port 5x\"\n",
                              "3: [dns] filter: libpcap rejects the BPF filter 'port 5x': unknown port '5x'; fix it, or remove the key to use the module's own filter")
    }

    func testABadFilterOfAModuleThatDoesNotRunIsStillAnError() throws {
        // The configuration is checked whole: a typo in [http] passed while
        // only dns ran, and broke the day http was switched on.
        try assertConfigError("[http]\nfilter = \"port 53 and and\"\n[dns]\nenabled = true\n",
                              "2: [http] filter: libpcap rejects the BPF filter 'port 53 and and': can't parse filter expression: syntax error; fix it, or remove the key to use the module's own filter")
    }

    func testCRLFLineEndsGiveTheRightLineNumbers() throws {
        // Swift reads "\r\n" as one character: split on "\n" alone, a file
        // written on Windows was one line, and every mistake was at line 1.
        try assertConfigError("[host]\r\nsnaplen = 100\r\n\r\n[dns]\r\nrotation = \"weekly\"\r\n",
                              "5: [dns] rotation: expected \"hourly\", \"daily\" or \"minutely\", got \"weekly\"")
        try assertConfigError("[host]\r\nsnaplen = 100\r\n\r\n[dnss]\r\nenabled = true\r\n",
                              "4: unknown section [dnss] (known: [host], [dns], [http], [template])")
    }

    func testANulByteIsAnErrorNotTheEndOfTheFile() throws {
        // TOMLKit reads a C string: everything after a NUL (a duplicate
        // section, an unknown key, a bad value) was ignored without a word.
        try assertConfigError("[dns]\nenabled = true\n\u{0}\n[dns]\nbogus = 1\n",
                              "3: a NUL byte; a configuration file is text (TOML): remove it")
    }

    func testCountZeroAndStatsIntervalZero() throws {
        // -c 0 logged one packet (the limit is checked after a packet), and
        // live never stopped; --stats-interval 0 is "never", as in the file.
        let pcap = E2E.fixtures.appendingPathComponent("lab-dns.pcap").path
        let zero = try packetlog(["--protocol", "dns", "-r", pcap, "-c", "0", "-d", work.appendingPathComponent("never").path])
        XCTAssertEqual(zero.status, 64, zero.stderr)
        XCTAssertEqual(zero.stderr, "packetlog: error: --count must be at least 1 (see packetlog --help)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("never").path))
        let never = try packetlog(["--protocol", "dns", "-r", pcap, "--stats-interval", "0", "-d", work.appendingPathComponent("logs").path])
        XCTAssertEqual(never.status, 0, never.stderr)
    }

    func testPeriodicStatisticsHaveTheSummarysFields() throws {
        // The periodic lines (--log-every, --stats-interval) of the default
        // pipeline stopped at lines-written: no lines-lost, kernel drops or
        // IP counters, so a service saw a full disk or drops only at its end.
        let pcap = E2E.fixtures.appendingPathComponent("lab-dns.pcap").path
        for workers in ["0", "1", "2"] {
            let r = try packetlog(["--protocol", "dns", "-r", pcap, "--log-every", "10", "--workers", workers,
                                   "-d", work.appendingPathComponent("logs-\(workers)").path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("packetlog: packets ") }
            func names(_ line: Substring) -> [Substring] { line.split(separator: ",").map { $0.split(separator: " ").dropLast().last ?? "" } }
            XCTAssertGreaterThan(lines.count, 2, r.stderr)
            guard let summary = lines.last else { continue }
            XCTAssertTrue(summary.hasSuffix(", lines-lost 0"), String(summary))
            for line in lines.dropLast() {
                XCTAssertEqual(names(line), names(summary), "--workers \(workers): \(line)")
            }
        }
    }

    func testUnknownSection() throws {
        try assertConfigError("[host]\nsnaplen = 1500\n\n[dnss]\nenabled = true\n",
                              "4: unknown section [dnss] (known: [host], [dns], [http], [template])")
    }

    func testUnknownKey() throws {
        try assertConfigError("[dns]\nenabled = true\nrotaton = \"daily\"\n",
                              "3: [dns] rotaton: unknown key (known: enabled, ports, filter, directory, split, rotation, file_mode, compress, retention_days, retention_files, rotate_hook)")
    }

    func testWrongType() throws {
        try assertConfigError("[host]\n# the capture\nsnaplen = \"big\"\n", "3: [host] snaplen: expected an integer from 64 to 2147483647, got \"big\"")
        try assertConfigError("[http]\ncompress = 1\n", "2: [http] compress: expected true or false, got 1")
    }

    func testBadValue() throws {
        let filler = (1...11).map { "# line \($0)" }.joined(separator: "\n")
        try assertConfigError(filler + "\n[dns]\nrotation = \"weekly\"\n", "13: [dns] rotation: expected \"hourly\", \"daily\" or \"minutely\", got \"weekly\"")
        // A module's own key, checked by the module, placed by the host.
        try assertConfigError("[dns]\nenabled = true\nports = [53, 70000]\n", "3: [dns] ports: '70000' is not a port number (1-65535)")
        // A sign is not part of a port number, though Swift's integer parsing takes one.
        try assertConfigError("[dns]\nports = \"53,+54\"\n", "2: [dns] ports: '+54' is not a port number (1-65535)")
    }

    func testMissingConfigFile() throws {
        let missing = work.appendingPathComponent("absent.conf").path
        let r = try packetlog(["--config", missing, "--protocol", "dns", "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path,
                               "-d", work.appendingPathComponent("never").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "packetlog: error: cannot read config file '\(missing)' (--config): no such file\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("never").path))
    }

    func testEnvironmentError() throws {
        let r = try packetlog(["--protocol", "dns", "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path, "-d", work.path],
                              env: ["PACKETLOG_SNAPLEN": "huge"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "packetlog: error: environment variable PACKETLOG_SNAPLEN: expected an integer from 64 to 2147483647, got \"huge\"\n")
    }

    // MARK: Precedence

    func testPrecedenceCommandLineOverEnvironmentOverFileOverDefault() throws {
        let conf = try writeConfig("""
        [host]
        snaplen = 1000
        buffer_mb = 8
        stats_interval = 5
        interface = "lo"

        [dns]
        directory = "/srv/file-dns"
        """)
        let r = try packetlog(["--check-config", "--protocol", "dns", "-s", "3000"],
                              env: ["PACKETLOG_SNAPLEN": "2000", "PACKETLOG_BUFFER_MB": "16", "PACKETLOG_HTTP_DIRECTORY": "/srv/env-http"],
                              cwd: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.text
        XCTAssertTrue(out.contains("# config file: plugins.conf (found by search)"), out)
        assertRow(out, "host", "snaplen", "3000", "cli -s/--snaplen")
        assertRow(out, "host", "buffer_mb", "16", "env PACKETLOG_BUFFER_MB")
        assertRow(out, "host", "stats_interval", "5", "file plugins.conf:4")
        assertRow(out, "host", "ip_timeout", "30", "default")
        assertRow(out, "dns", "directory", "\"/srv/file-dns\"", "file plugins.conf:8")
        assertRow(out, "http", "directory", "\"/srv/env-http\"", "env PACKETLOG_HTTP_DIRECTORY")
        assertRow(out, "template", "directory", "\"/var/log/packetlog\"", "default")
        XCTAssertTrue(out.contains("modules = [\"dns\"]"), out)
        _ = conf
        // -d beats a module's directory from the environment and the file.
        let d = try packetlog(["--check-config", "--protocol", "dns", "-d", "/srv/cli"], env: ["PACKETLOG_DNS_DIRECTORY": "/srv/env-dns"])
        assertRow(d.text, "dns", "directory", "\"/srv/cli\"", "cli -d/--directory")
    }

    func testLegacyDnslogVariables() throws {
        let r = try packetlog(["--check-config", "--protocol", "dns"],
                              env: ["DNSLOG_DEVICE": "lo", "DNSLOG_SNAPLEN": "1500", "DNSLOG_BUFSIZE": "32",
                                    "DNSLOG_FILTER": "not host 10.9.9.9", "DNSLOG_DIR": "/srv/dnslog"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.text
        assertRow(out, "host", "interface", "\"lo\"", "env DNSLOG_DEVICE")
        assertRow(out, "host", "snaplen", "1500", "env DNSLOG_SNAPLEN")
        assertRow(out, "host", "buffer_mb", "32", "env DNSLOG_BUFSIZE")
        assertRow(out, "host", "filter", "\"not host 10.9.9.9\"", "env DNSLOG_FILTER")
        assertRow(out, "dns", "directory", "\"/srv/dnslog\"", "env DNSLOG_DIR")
        XCTAssertTrue(out.contains("filter = \"((port 53) or (ip[6:2] & 0x1fff != 0) or (ip6[6] == 44)) and (not host 10.9.9.9)\""), out)
    }

    // MARK: The compiled filter

    func testCheckConfigShowsCompiledFilter() throws {
        let r = try packetlog(["--check-config", "--protocol", "dns", "-i", "lo"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.text.contains("filter = \"(port 53) or (ip[6:2] & 0x1fff != 0) or (ip6[6] == 44)\"\n# compiled for link type EN10MB (interface lo): "), r.text)
        XCTAssertTrue(r.text.contains("(000) ldh      [12]"), r.text)
        XCTAssertTrue(r.text.contains("jeq      #0x35"), r.text)  // port 53

        let conf = try writeConfig("[host]\nfilter = \"not net 10.99.0.0/16\"\n[http]\nports = [8000]\n", name: "f.conf")
        let two = try packetlog(["--check-config", "--config", conf.path, "--protocol", "dns", "--protocol", "http", "-i", "lo"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertTrue(two.text.contains("filter = \"(((port 53) or (tcp and port 8000)) or (ip[6:2] & 0x1fff != 0) or (ip6[6] == 44)) and (not net 10.99.0.0/16)\""), two.text)
        XCTAssertTrue(two.text.contains("jeq      #0x1f40"), two.text)  // port 8000

        // A filter libpcap rejects is an error naming where it came from, exit 1.
        let bad = try packetlog(["--check-config", "--protocol", "dns", "-i", "lo", "-f", "port nonsense"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "packetlog: error: -f/--filter: libpcap rejects the BPF filter 'port nonsense': unknown port 'nonsense'\n")
    }

    // MARK: Modules

    func testTwoModulesEnabledInTheFile() throws {
        let pcap = try dnsAndHTTPCapture()
        let logs = work.appendingPathComponent("logs")
        _ = try writeConfig("[host]\ndirectory = \"\(logs.path)\"\nlocal_addresses = [\"10.0.0.53\", \"10.0.0.80\"]\n[dns]\nenabled = true\n[http]\nenabled = true\n")
        let r = try packetlog(["-r", pcap.path], cwd: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(files(in: logs), ["dns-20261127-08.log", "http-20261127.log"], r.stderr)
        XCTAssertTrue(r.stderr.contains("packetlog: packets 5, dns."), r.stderr)
    }

    func testTwoProtocolsOnTheCommandLineWriteBothFiles() throws {
        let pcap = try dnsAndHTTPCapture()
        let logs = work.appendingPathComponent("logs")
        let r = try packetlog(["--protocol", "dns", "--protocol", "http", "-r", pcap.path, "-d", logs.path] + locals)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(files(in: logs), ["dns-20261127-08.log", "http-20261127.log"], r.stderr)
        let dns = text(logs, "dns-20261127-08.log")
        XCTAssertEqual(dns, "08:00:00.000 10.0.0.1#40001 10.0.0.53#53 CQ 1234 00 example.com IN A\n")
        XCTAssertEqual(dns.split(separator: "\n").count, 1, dns)
        let http = text(logs, "http-20261127.log")
        XCTAssertEqual(http, "2026-11-27 08:00:02.000 10.0.0.1#40002 10.0.0.80#80 CQ GET /index.html HTTP/1.1 www.example.com test\n")
        XCTAssertEqual(http.split(separator: "\n").count, 1, http)
        guard let (summary, c) = E2E.summaryCounters(r.stderr) else { return XCTFail("no summary: \(r.stderr)") }
        XCTAssertEqual(c["packets"], 5, summary)
        XCTAssertEqual(c["lines-written"], 2, summary)
    }

    /// With -r and no config file anywhere, the run is the one it always was.
    func testNoConfigFileRunsAsBefore() throws {
        let logs = work.appendingPathComponent("logs")
        let r = try packetlog(["--protocol", "dns", "-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path,
                               "--local-address", "10.77.1.53", "--local-address", "fd77:1::53", "-d", logs.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = E2E.fixtures.appendingPathComponent("expected/lab-dns/combined/dns-20261127-08.log")
        XCTAssertEqual(try Data(contentsOf: logs.appendingPathComponent("dns-20261127-08.log")), try Data(contentsOf: expected))
        XCTAssertTrue(r.stderr.hasPrefix("packetlog: packets 80, "), r.stderr)
    }

    func testNoModuleIsAClearError() throws {
        let r = try packetlog(["-r", E2E.fixtures.appendingPathComponent("lab-dns.pcap").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("name a module with --protocol (known: dns, http, template), or set enabled = true in its section of plugins.conf"),
                      r.stderr)
    }

    func testCheckConfigFailsWhereARunWouldOnItsOutput() throws {
        // --check-config said 0 for a log directory a run cannot make and
        // for compress = true without gzip on the PATH; the run then failed.
        let pcap = E2E.fixtures.appendingPathComponent("lab-dns.pcap").path
        let proc = try packetlog(["--check-config", "--protocol", "dns", "-r", pcap, "-d", "/proc/packetlog-nowhere"])
        XCTAssertEqual(proc.status, 1, proc.stderr)
        XCTAssertEqual(proc.stderr, "packetlog: error: cannot write log files in '/proc/packetlog-nowhere': No such file or directory; create it or pick another with -d\n")
        let empty = work.appendingPathComponent("empty-path")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let conf = try writeConfig("[dns]\ncompress = true\n", name: "gz.conf")
        let gz = try packetlog(["--check-config", "--config", conf.path, "--protocol", "dns", "-r", pcap, "-d", work.appendingPathComponent("gz").path],
                               env: ["PATH": empty.path])
        XCTAssertEqual(gz.status, 1, gz.stderr)
        XCTAssertTrue(gz.stderr.hasPrefix("packetlog: error: compress = true (dns) needs gzip, flock, truncate and stat; not on the PATH: gzip (gzip)"), gz.stderr)
        // A directory a run would make is fine, and is not left behind.
        let fresh = work.appendingPathComponent("fresh/logs")
        let ok = try packetlog(["--check-config", "--protocol", "dns", "-r", pcap, "-d", fresh.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("fresh").path), "--check-config left a directory")
    }

    // MARK: File modes

    func testFileModeHoldsUnderAServiceUmask() throws {
        // The shipped unit sets UMask=0077: open(2)'s mode was narrowed by
        // it, so file_mode = "0640" gave 0600 files (and the new log
        // directory 0700), and the group that was to read them could not.
        let pcap = E2E.fixtures.appendingPathComponent("lab-dns.pcap").path
        let logs = work.appendingPathComponent("new/logs")
        let r = try E2E.run("/bin/sh", ["-c", #"umask 077; exec "$0" --protocol dns -r "$1" --file-mode 0640 -d "$2""#,
                                        try E2E.binary(), pcap, logs.path], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        var info = stat()
        for (path, mode) in [(work.appendingPathComponent("new").path, 0o750), (logs.path, 0o750),
                             (logs.appendingPathComponent("dns-20261127-08.log").path, 0o640)] {
            XCTAssertEqual(stat(path, &info), 0, path)
            XCTAssertEqual(String(info.st_mode & 0o777, radix: 8), String(mode, radix: 8), "mode of \(path)")
        }
    }

    // MARK: -Z

    func testDropToNobodyOwnsTheFiles() throws {
        guard getuid() == 0 else { throw XCTSkip("-Z needs root") }
        guard let nobody = getpwnam("nobody") else { throw XCTSkip("no user nobody") }
        let uid = nobody.pointee.pw_uid
        let pcap = try dnsAndHTTPCapture()
        chmod(pcap.path, 0o644)
        let logs = work.appendingPathComponent("logs")
        let r = try packetlog(["--protocol", "dns", "--protocol", "http", "-r", pcap.path, "-d", logs.path, "-Z", "nobody"] + locals)
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = files(in: logs)
        XCTAssertEqual(names, ["dns-20261127-08.log", "http-20261127.log"], r.stderr)
        var info = stat()
        XCTAssertEqual(stat(logs.path, &info), 0)
        XCTAssertEqual(info.st_uid, uid, "directory owner")
        for name in names {
            XCTAssertEqual(stat(logs.appendingPathComponent(name).path, &info), 0)
            XCTAssertEqual(info.st_uid, uid, "owner of \(name)")
            XCTAssertEqual(info.st_mode & 0o777, 0o600, "mode of \(name)")
        }
        // Files an earlier run as root left are given to the user too: the
        // current period's file is appended to, not lost to EACCES. A
        // symlink planted among them is not followed.
        let rootOwned = logs.appendingPathComponent("dns-20261127-08.log").path
        XCTAssertEqual(chown(rootOwned, 0, 0), 0)
        let victim = work.appendingPathComponent("victim").path
        XCTAssertTrue(FileManager.default.createFile(atPath: victim, contents: Data("root's\n".utf8)))
        XCTAssertEqual(symlink(victim, logs.appendingPathComponent("dns-20261127-07.log").path), 0)
        let again = try packetlog(["--protocol", "dns", "-r", pcap.path, "-d", logs.path, "-Z", "nobody"] + locals)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("lines-lost 0"), again.stderr)
        XCTAssertEqual(stat(rootOwned, &info), 0)
        XCTAssertEqual(info.st_uid, uid, "an existing log file is handed over")
        XCTAssertEqual(stat(victim, &info), 0)
        XCTAssertEqual(info.st_uid, 0, "a symlink's target is not given away")

        // A directory the user cannot reach (its parent is root's, 0700)
        // fails at start-up, not with every line lost and status 0.
        let closed = work.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        chmod(closed.path, 0o700)
        let unreachable = try packetlog(["--protocol", "dns", "-r", pcap.path, "-d", closed.appendingPathComponent("logs").path, "-Z", "nobody"] + locals)
        XCTAssertEqual(unreachable.status, 1, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("user 'nobody' cannot write in '\(closed.path)/logs' (Permission denied): a parent directory does not let it in"),
                      unreachable.stderr)
        XCTAssertEqual(files(in: closed.appendingPathComponent("logs")), [], "nothing written")

        // An unknown user fails before anything is written.
        let bad = try packetlog(["--protocol", "dns", "-r", pcap.path, "-d", work.appendingPathComponent("never").path, "-Z", "no-such-user-x"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "packetlog: error: -Z/--user: no such user \"no-such-user-x\": create it (useradd --system no-such-user-x) or name another\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("never").path))
    }
}

// MARK: - A tiny pcap writer

/// Ethernet/IPv4 frames in a classic pcap file (µs timestamps), enough to
/// build test captures from bytes. Times are seconds after 2026-11-27 08:00:00 UTC.
struct TinyPcap {
    static let base: UInt32 = 1_795_766_400
    private(set) var bytes: [UInt8] = []

    init() {
        append32(0xA1B2_C3D4); append16(2); append16(4); append32(0); append32(0); append32(65_535); append32(1)
    }

    mutating func append16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func append32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(s)) & 0xFF)) } }

    mutating func frame(time: UInt32, _ frame: [UInt8]) {
        append32(Self.base + time); append32(0); append32(UInt32(frame.count)); append32(UInt32(frame.count))
        bytes += frame
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func ipv4(protocol proto: UInt8, from src: [UInt8], to dst: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        var h: [UInt8] = [0x45, 0] + be16(20 + payload.count) + [0, 1, 0x40, 0, 64, proto, 0, 0] + src + dst
        var sum = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += Int(h[i]) << 8 | Int(h[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let c = be16(~sum & 0xFFFF)
        h[10] = c[0]; h[11] = c[1]
        let ethernet: [UInt8] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]
        return ethernet + h + payload
    }

    mutating func udp(time: UInt32, from src: [UInt8], _ sport: Int, to dst: [UInt8], _ dport: Int, payload: [UInt8]) {
        let udp = Self.be16(sport) + Self.be16(dport) + Self.be16(8 + payload.count) + [0, 0] + payload
        frame(time: time, Self.ipv4(protocol: 17, from: src, to: dst, udp))
    }

    mutating func tcp(time: UInt32, from src: [UInt8], _ sport: Int, to dst: [UInt8], _ dport: Int,
                      seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8]) {
        let tcp = Self.be16(sport) + Self.be16(dport) + Self.be32(seq) + Self.be32(ack) + [0x50, flags] + Self.be16(65_535) + [0, 0, 0, 0] + payload
        frame(time: time, Self.ipv4(protocol: 6, from: src, to: dst, tcp))
    }
}
