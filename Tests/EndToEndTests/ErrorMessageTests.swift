import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Every error a user can hit prints one line naming the cause and the fix,
/// exits non-zero, and writes no log file.
final class ErrorMessageTests: XCTestCase {
    var pcap: String { E2E.fixtures.appendingPathComponent("lab-dns.pcap").path }

    /// Runs packetlog expecting failure; returns its standard error.
    func failure(_ arguments: [String], directory: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dir = try directory ?? E2E.temporaryDirectory("err")
        let out = try E2E.run(try E2E.binary(), arguments + ["-d", dir.appendingPathComponent("logs").path], timeout: 30)
        XCTAssertNotEqual(out.status, 0, "exit status", file: file, line: line)
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("logs").path)) ?? []
        XCTAssertEqual(logs.filter { $0.hasSuffix(".log") }, [], "nothing half-written", file: file, line: line)
        return out.stderr
    }

    func testUnknownProtocolNamesTheKnownOnes() throws {
        let err = try failure(["--protocol", "smtp", "-r", pcap])
        XCTAssertTrue(err.contains("unknown protocol 'smtp'"), err)
        XCTAssertTrue(err.contains("dns"), err)
        XCTAssertTrue(err.contains("http"), err)
    }

    func testCommandLineMistakesAreOneLineWithExitCode64() throws {
        // ArgumentParser printed "Error: …", the usage and a hint: three
        // lines unlike every other error; exit 64 (EX_USAGE) is kept.
        for (arguments, message) in [(["--protocol", "smtp", "-r", pcap], "unknown protocol 'smtp' (known: dns, http, template)"),
                                     (["--bogus"], "Unknown option '--bogus'"),
                                     (["--protocol", "dns", "--snaplen"], "Missing value for '--snaplen <bytes>'"),
                                     (["--protocol", "dns", "--workers", "99", "-r", pcap], "--workers must be between 0 and 16")] {
            let out = try E2E.run(try E2E.binary(), arguments, timeout: 30)
            XCTAssertEqual(out.status, 64, out.stderr)
            XCTAssertEqual(out.stderr, "packetlog: error: \(message) (see packetlog --help)\n")
        }
        let help = try E2E.run(try E2E.binary(), ["--help"], timeout: 30)
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.text.hasPrefix("OVERVIEW: "), help.text)
    }

    func testUnknownInterface() throws {
        let err = try failure(["--protocol", "dns", "-i", "nosuchif0"])
        XCTAssertTrue(err.contains("packetlog: error: unknown interface 'nosuchif0'"), err)
        XCTAssertTrue(err.contains("-i"), "says how to fix it: \(err)")
        XCTAssertEqual(err.split(separator: "\n").count, 1, "one line: \(err)")
    }

    func testUnknownInterfaceFailsCheckConfigToo() throws {
        // --check-config said only "link type unknown" and exited 0.
        let out = try E2E.run(try E2E.binary(), ["--protocol", "dns", "-i", "nosuchif0", "--check-config"], timeout: 30)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("packetlog: error: unknown interface 'nosuchif0': list interfaces with 'ip link' and pass one with -i"), out.stderr)
    }

    func testLibpcapsOwnDevicesAreNotUnknownInterfaces() throws {
        // `any` and `nflog` have no interface index (if_nametoindex fails):
        // --check-config called them unknown interfaces.
        for device in ["any", "nflog"] {
            let out = try E2E.run(try E2E.binary(), ["--protocol", "dns", "-i", device, "--check-config"], timeout: 30)
            XCTAssertFalse(out.stderr.contains("unknown interface"), "\(device): \(out.stderr)")
            if device == "any" { XCTAssertEqual(out.status, 0, out.stderr) }
        }
    }

    func testInterfaceThatIsDownNamesTheFix() throws {
        // A new network namespace's lo is down: libpcap's "That device is
        // not up" named the cause but not the fix.
        guard getuid() == 0, let ip = E2E.which("ip") else { throw XCTSkip("needs root and ip") }
        let ns = "pl-err-down-\(getpid())"
        guard try E2E.run(ip, ["netns", "add", ns]).status == 0 else { throw XCTSkip("cannot create a network namespace") }
        defer { _ = try? E2E.run(ip, ["netns", "delete", ns]) }
        let dir = try E2E.temporaryDirectory("err-down")
        let out = try E2E.run(ip, ["netns", "exec", ns, try E2E.binary(), "--protocol", "dns", "-i", "lo",
                                   "-d", dir.appendingPathComponent("logs").path], timeout: 30)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertEqual(out.stderr, "packetlog: error: interface 'lo' is down: bring it up (ip link set lo up) or capture on another with -i\n")
    }

    func testBadFilterCarriesLibpcapsReason() throws {
        let err = try failure(["--protocol", "dns", "-r", pcap, "-f", "port fifty-three"])
        XCTAssertTrue(err.contains("packetlog: error: -f/--filter: libpcap rejects the BPF filter 'port fifty-three': "), err)
        XCTAssertEqual(err.split(separator: "\n").count, 1, "one line: \(err)")
    }

    func testMissingAndNonPcapFiles() throws {
        var err = try failure(["--protocol", "dns", "-r", "/nonexistent/capture.pcap"])
        XCTAssertTrue(err.contains("packetlog: error: cannot read capture file '/nonexistent/capture.pcap': no such file"), err)
        let notPcap = try E2E.temporaryDirectory("notpcap").appendingPathComponent("notes.txt")
        try Data("this is not a capture\n".utf8).write(to: notPcap)
        err = try failure(["--protocol", "dns", "-r", notPcap.path])
        XCTAssertTrue(err.contains("packetlog: error: cannot read capture file '\(notPcap.path)': "), err)
    }

    func testAnUnsupportedLinkTypeIsAnErrorNotACrash() throws {
        // A capture of link type 147 (user-defined): the handle was closed
        // and its buffer freed twice (the initializer's throw ran deinit
        // too), an abort instead of the message — from a file and a pipe.
        let dir = try E2E.temporaryDirectory("link147")
        defer { try? FileManager.default.removeItem(at: dir) }
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let capture = dir.appendingPathComponent("user.pcap")
        try Data(le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65_535) + le32(147)
                 + le32(1) + le32(0) + le32(4) + le32(4) + [1, 2, 3, 4]).write(to: capture)
        let fromFile = try failure(["--protocol", "dns", "-r", capture.path], directory: dir)
        XCTAssertEqual(fromFile, "packetlog: error: unsupported link type 147 (unnamed): packetlog decodes Ethernet, Linux SLL/SLL2, raw IP and BSD loopback\n")
        let piped = try E2E.run("/bin/sh", ["-c", #"cat "$1" | "$2" --protocol dns -r - -d "$3""#, "sh", capture.path, try E2E.binary(),
                                            dir.appendingPathComponent("logs").path], timeout: 30)
        XCTAssertEqual(piped.status, 1)
        XCTAssertEqual(piped.stderr, fromFile)
    }

    func testCompressionWithoutItsToolsIsRefusedAtStart() throws {
        // Without flock, truncate or gzip every compression would fail in
        // the background and the renamed files pile up, never deleted.
        let dir = try E2E.temporaryDirectory("no-tools")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("compress.conf")
        try Data("[dns]\ncompress = true\n".utf8).write(to: config)
        let out = try E2E.run("/usr/bin/env", ["PATH=\(dir.path)", try E2E.binary(), "--config", config.path, "--protocol", "dns",
                                               "-r", pcap, "-d", dir.appendingPathComponent("logs").path], timeout: 30)
        XCTAssertEqual(out.status, 1)
        XCTAssertEqual(out.stderr, "packetlog: error: compress = true (dns) needs gzip, flock, truncate and stat; not on the PATH: gzip (gzip), flock (util-linux), truncate (coreutils), stat (coreutils): install them or set compress = false\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("logs").path), "nothing written")
    }

    func testUnwritableDirectory() throws {
        // A regular file where the directory should be: no directory can be created there.
        let dir = try E2E.temporaryDirectory("unwritable")
        let blocker = dir.appendingPathComponent("logs")
        try Data("x".utf8).write(to: blocker)
        let out = try E2E.run(try E2E.binary(), ["--protocol", "dns", "-r", pcap, "-d", blocker.appendingPathComponent("sub").path], timeout: 30)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("packetlog: error: cannot write log files in '\(blocker.appendingPathComponent("sub").path)'"), out.stderr)
        XCTAssertTrue(out.stderr.contains("-d"), "says how to fix it: \(out.stderr)")
    }

    func testNoPermissionToCaptureSaysRootOrCapability() throws {
        // As an unprivileged user, opening a live capture must fail with the fix spelled out.
        guard getuid() == 0, let setpriv = E2E.which("setpriv") else { throw XCTSkip("needs root and setpriv to run as nobody") }
        let dir = try E2E.temporaryDirectory("perm")
        chmod(dir.path, 0o777)
        let out = try E2E.run(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                        try E2E.binary(), "--protocol", "dns", "-i", "lo", "-d", dir.appendingPathComponent("logs").path],
                              timeout: 30)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("no permission to capture on 'lo': run as root or grant the capability"), out.stderr)
        XCTAssertTrue(out.stderr.contains("setcap cap_net_raw,cap_net_admin=eip"), out.stderr)
    }
}
