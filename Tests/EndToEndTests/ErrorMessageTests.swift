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

    func testUnknownInterface() throws {
        let err = try failure(["--protocol", "dns", "-i", "nosuchif0"])
        XCTAssertTrue(err.contains("packetlog: error: unknown interface 'nosuchif0'"), err)
        XCTAssertTrue(err.contains("-i"), "says how to fix it: \(err)")
        XCTAssertEqual(err.split(separator: "\n").count, 1, "one line: \(err)")
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
