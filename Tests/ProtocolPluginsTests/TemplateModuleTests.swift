import XCTest
import PacketlogHost
@testable import ProtocolPlugins
#if canImport(Glibc)
import Glibc
#endif

// MARK: - TemplateModule: the module a newcomer copies must itself work

final class TemplateModuleTests: XCTestCase {
    /// 2026-11-27 06:51:02.123 UTC.
    let time = PacketTime(seconds: 1_795_762_262, nanoseconds: 123_456_789)
    let client = IPAddress(ipv4: 0x0A00_0001)   // 10.0.0.1
    let server = IPAddress(ipv4: 0x0A00_0002)   // 10.0.0.2

    override func setUp() {
        super.setUp()
        setenv("TZ", "UTC", 1)
        tzset()
    }

    /// Runs one datagram through `module` and returns its lines as text.
    func lines(_ module: inout TemplateModule, _ payload: [UInt8], toServer: Bool = true,
               transport: IPProtocol = .udp, serverPort: UInt16 = 7) -> [String] {
        var emitter = LineEmitter(capacity: 256)
        defer { emitter.deallocate() }
        payload.withUnsafeBytes { bytes in
            let packet = PacketContext(time: time, source: toServer ? client : server, destination: toServer ? server : client,
                                       sourcePort: toServer ? 40000 : serverPort, destinationPort: toServer ? serverPort : 40000,
                                       transport: transport, destinationIsLocal: toServer, payload: bytes)
            if module.wants(packet) { module.decode(packet, into: &emitter) }
        }
        return emitter.records.map {
            String(decoding: emitter.buffer.bytes(from: $0.start, to: $0.end - 1), as: UTF8.self)
        }
    }

    func testQueryAndResponseLines() throws {
        // The documented example line, and its echo back (a response to a non-local client is CR).
        var module = try TemplateModule(options: ModuleOptions())
        XCTAssertEqual(lines(&module, Array("hello".utf8)), ["06:51:02.123 10.0.0.1#40000 10.0.0.2#7 CQ 5 68656C6C6F"])
        XCTAssertEqual(lines(&module, Array("hello".utf8), toServer: false), ["06:51:02.123 10.0.0.2#7 10.0.0.1#40000 CR 5 68656C6C6F"])
        XCTAssertEqual(module.counters.first { $0.name == "template-logged" }?.value, 2)
    }

    func testOnlyTheFirstSixteenBytesAreShownButTheFullLengthIsWritten() throws {
        // A jumbo datagram must not make a jumbo line.
        var module = try TemplateModule(options: ModuleOptions())
        let payload = [UInt8](repeating: 0xAB, count: 9000)
        XCTAssertEqual(lines(&module, payload), ["06:51:02.123 10.0.0.1#40000 10.0.0.2#7 CQ 9000 " + String(repeating: "AB", count: 16)])
    }

    func testControlBytesCannotBreakTheLine() throws {
        // LF, NUL and 0xFF in the payload come out as hex digits only.
        var module = try TemplateModule(options: ModuleOptions())
        XCTAssertEqual(lines(&module, [0x0A, 0x00, 0xFF]), ["06:51:02.123 10.0.0.1#40000 10.0.0.2#7 CQ 3 0A00FF"])
    }

    func testEmptyDatagramIsCountedNotLogged() throws {
        // Zero-length UDP is legal; it has nothing to show.
        var module = try TemplateModule(options: ModuleOptions())
        XCTAssertEqual(lines(&module, []), [])
        XCTAssertEqual(module.counters.first { $0.name == "template-empty" }?.value, 1)
    }

    func testPortsOptionAndFilter() throws {
        // The `ports` option replaces the default and the filter follows it.
        var module = try TemplateModule(options: ModuleOptions(values: ["ports": "9999"]))
        XCTAssertEqual(module.filter, "udp and port 9999")
        XCTAssertEqual(lines(&module, [1]), [])
        XCTAssertEqual(lines(&module, [1], serverPort: 9999).count, 1)
        XCTAssertThrowsError(try TemplateModule(options: ModuleOptions(values: ["ports": "seven"])))
    }

    func testTCPIsNotWanted() throws {
        // The template is UDP-only; TCP on port 7 belongs to no one here.
        var module = try TemplateModule(options: ModuleOptions())
        XCTAssertEqual(lines(&module, [1, 2], transport: .tcp), [])
    }

    func testRegisteredAndDescribed() {
        XCTAssertTrue(registeredModules.contains { $0.descriptor.name == "template" })
        XCTAssertEqual(TemplateModule.descriptor.fileStem, "template")
        XCTAssertEqual(TemplateModule.descriptor.defaultFilter, "udp and port 7")
    }
}
