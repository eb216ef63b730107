import XCTest
import PacketlogHost
@testable import ProtocolPlugins
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Harness

/// Runs `HTTPModule.decode` on hand-made segments and returns the committed
/// lines as text. The client 10.80.1.10#33032 talks to the local server
/// 10.80.1.80#80 at 2026-11-27 06:37:29.878 UTC (the spec's first example).
struct HTTPHarness {
    static let time = PacketTime(seconds: 1_795_761_449, nanoseconds: 878_999_999)
    static let client = IPAddress(ipv4: 0x0A50_010A)   // 10.80.1.10
    static let server = IPAddress(ipv4: 0x0A50_0150)   // 10.80.1.80
    /// The start of a request line (client → local server).
    static let cq = "2026-11-27 06:37:29.878 10.80.1.10#33032 10.80.1.80#80 CQ "
    /// The start of a response line (local server → client).
    static let cr = "2026-11-27 06:37:29.878 10.80.1.80#80 10.80.1.10#33032 CR "

    var module: HTTPModule

    init(ports: String? = nil) {
        var values: [String: String] = [:]
        if let ports { values["ports"] = ports }
        module = try! HTTPModule(options: ModuleOptions(values: values))
    }

    /// A segment from the client to the server's port 80.
    mutating func request(_ text: String) -> [String] { decode(Array(text.utf8), toServer: true) }
    /// A segment from the server's port 80 to the client.
    mutating func response(_ text: String) -> [String] { decode(Array(text.utf8), toServer: false) }

    mutating func decode(_ payload: [UInt8], toServer: Bool = true, transport: IPProtocol = .tcp,
                         sourcePort: UInt16? = nil, destinationPort: UInt16? = nil,
                         source: IPAddress? = nil, destination: IPAddress? = nil,
                         destinationIsLocal: Bool? = nil, time: PacketTime = Self.time) -> [String] {
        let packet = { (bytes: UnsafeRawBufferPointer) in
            PacketContext(time: time,
                          source: source ?? (toServer ? Self.client : Self.server),
                          destination: destination ?? (toServer ? Self.server : Self.client),
                          sourcePort: sourcePort ?? (toServer ? 33032 : 80),
                          destinationPort: destinationPort ?? (toServer ? 80 : 33032),
                          transport: transport, tcpFlags: [.ack, .psh],
                          sourceIsLocal: !toServer, destinationIsLocal: destinationIsLocal ?? toServer,
                          payload: bytes)
        }
        var emitter = LineEmitter(capacity: 1024)
        defer { emitter.deallocate() }
        payload.withUnsafeBytes { bytes in
            let context = packet(bytes)
            if module.wants(context) { module.decode(context, into: &emitter) }
        }
        return emitter.records.map { record in
            let bytes = emitter.buffer.bytes(from: record.start, to: record.end)
            XCTAssertEqual(bytes.last, UInt8(ascii: "\n"), "a line ends with exactly one LF")
            XCTAssertTrue(bytes.dropLast().allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "a line holds only 0x20–0x7E")
            return String(decoding: bytes.dropLast(), as: UTF8.self)
        }
    }

    /// A counter by its statistics name.
    func counter(_ name: String) -> UInt64 {
        module.counters.first { $0.name == name }?.value ?? .max
    }
}

/// Sets `TZ=UTC` so the expected times do not depend on the machine.
class HTTPTestCase: XCTestCase {
    var http = HTTPHarness()
    override func setUp() {
        super.setUp()
        setenv("TZ", "UTC", 1)
        tzset()
        http = HTTPHarness()
    }
}

// MARK: - Module contract

final class HTTPModuleTests: HTTPTestCase {
    func testDescriptorNamesHTTPWithDailyFiles() {
        let d = HTTPModule.descriptor
        XCTAssertEqual(d.name, "http")
        XCTAssertEqual(d.configSection, "http")
        XCTAssertEqual(d.fileStem, "http")
        XCTAssertEqual(d.rotation, .daily)
        XCTAssertEqual(d.defaultFilter, "tcp and (port 80 or port 8080)")
    }

    func testIsRegistered() {
        XCTAssertTrue(registeredModules.contains { $0.descriptor.name == "http" })
    }

    func testFilterIsBuiltFromTheConfiguredPorts() throws {
        XCTAssertEqual(http.module.filter, HTTPModule.descriptor.defaultFilter)
        XCTAssertEqual(try HTTPModule(options: ModuleOptions(values: ["ports": "8000"])).filter, "tcp and port 8000")
        XCTAssertEqual(try HTTPModule(options: ModuleOptions(values: ["ports": "81,8081"])).filter, "tcp and (port 81 or port 8081)")
    }

    func testBadPortOptionIsRejected() {
        // A typo in plugins.conf must stop start-up, not silently log nothing.
        XCTAssertThrowsError(try HTTPModule(options: ModuleOptions(values: ["ports": "eighty"])))
        XCTAssertThrowsError(try HTTPModule(options: ModuleOptions(values: ["ports": "0"])))
    }

    func testOnlyTCPWithAServicePortAtEitherEndIsExamined() {
        let get = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        // UDP on port 80 (QUIC) is not HTTP/1.x.
        XCTAssertEqual(http.decode(get, transport: .udp), [])
        // Port 8088 is no service port.
        XCTAssertEqual(http.decode(get, sourcePort: 40000, destinationPort: 8088), [])
        // The source port alone is enough (a response from 8080).
        XCTAssertEqual(http.decode(Array("HTTP/1.0 200 OK\r\n\r\n".utf8), toServer: false, sourcePort: 8080, destinationPort: 40000).count, 1)
        XCTAssertEqual(http.decode(get, sourcePort: 40000, destinationPort: 8080).count, 1)
    }

    func testConfiguredPortsReplaceTheDefaults() {
        // Ports are configuration: with `ports = 8000`, 80 is no longer examined.
        var custom = HTTPHarness(ports: "8000")
        let get = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        XCTAssertEqual(custom.decode(get), [])
        XCTAssertEqual(custom.decode(get, destinationPort: 8000).count, 1)
    }

    func testSpecExampleLinesAreReproducedExactly() {
        // The three example lines of spec "HTTP/1.x", byte for byte.
        XCTAssertEqual(http.request("GET /a.txt HTTP/1.1\r\nHost: 10.80.1.80\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \\back\\slash\r\n\r\n"),
                       ["2026-11-27 06:37:29.878 10.80.1.10#33032 10.80.1.80#80 CQ GET /a.txt HTTP/1.1 10.80.1.80 Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \\\\back\\\\slash"])
        let server = IPAddress(ipv4: 0x0A50_0214), client = IPAddress(ipv4: 0x0A50_0250)
        XCTAssertEqual(http.decode(Array("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 17\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".utf8),
                                   toServer: false, sourcePort: 80, destinationPort: 47192, source: server, destination: client, destinationIsLocal: true),
                       ["2026-11-27 06:37:29.878 10.80.2.20#80 10.80.2.80#47192 SR HTTP/1.1 500 Internal Server Error 17 text/plain;\\032charset=utf-8"])
        // `\011\012` are decimal escapes: VT and FF (a TAB is \009, an LF never reaches a value).
        XCTAssertEqual(http.decode(Array("GET /inject HTTP/1.1\r\nHost: evil\u{0B}\u{0C}.lab.test\r\nUser-Agent: line1\rFORGED\r\n\r\n".utf8),
                                   sourcePort: 59702, time: PacketTime(seconds: 1_795_761_465, nanoseconds: 630_000_000)),
                       ["2026-11-27 06:37:45.630 10.80.1.10#59702 10.80.1.80#80 CQ GET /inject HTTP/1.1 evil\\011\\012.lab.test line1\\013FORGED"])
    }

    func testKindFollowsMessageTypeAndDestinationOnly() {
        // The direction table: request to local = CQ, to remote = SQ; response to local = SR, to remote = CR.
        let get = Array("GET / HTTP/1.1\r\n\r\n".utf8), ok = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        XCTAssertTrue(http.decode(get, destinationIsLocal: true)[0].contains(" CQ GET "))
        XCTAssertTrue(http.decode(get, destinationIsLocal: false)[0].contains(" SQ GET "))
        XCTAssertTrue(http.decode(ok, toServer: false, destinationIsLocal: true)[0].contains(" SR HTTP/1.1 "))
        XCTAssertTrue(http.decode(ok, toServer: false, destinationIsLocal: false)[0].contains(" CR HTTP/1.1 "))
        XCTAssertEqual([http.counter("CQ"), http.counter("SQ"), http.counter("SR"), http.counter("CR")], [1, 1, 1, 1])
    }

    func testIPv6EndpointsAreCanonical() {
        // fd00:80:41::77 → fd00:80:41::5, RFC 5952 text as for DNS.
        let client = IPAddress(ipv6High: 0xFD00_0080_0041_0000, low: 0x77)
        let server = IPAddress(ipv6High: 0xFD00_0080_0041_0000, low: 0x5)
        XCTAssertEqual(http.decode(Array("GET / HTTP/1.1\r\n\r\n".utf8), sourcePort: 44216, destinationPort: 8080, source: client, destination: server),
                       ["2026-11-27 06:37:29.878 fd00:80:41::77#44216 fd00:80:41::5#8080 CQ GET / HTTP/1.1 - -"])
    }

    func testCountersHaveTheStatisticsNames() {
        let names = http.module.counters.map(\.name)
        for name in ["http-logged", "CQ", "CR", "SQ", "SR", "http-no-message-start", "http-cut-start-line",
                     "http-incomplete-header-block", "http-bytes-after-message", "tcp-no-payload"] {
            XCTAssertTrue(names.contains(name), name)
        }
    }

    func testSegmentWithoutPayloadIsCounted() {
        // A bare ACK on port 80 is the most common packet of all; it is counted, never examined.
        XCTAssertEqual(http.decode([]), [])
        XCTAssertEqual(http.counter("tcp-no-payload"), 1)
        XCTAssertEqual(http.counter("http-no-message-start"), 0)
    }
}
