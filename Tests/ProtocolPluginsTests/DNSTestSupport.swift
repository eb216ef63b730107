import Foundation
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Building DNS messages for tests

/// Builds DNS wire messages byte by byte, so tests can craft both normal and
/// hostile messages.
struct DNSWire {
    var bytes: [UInt8] = []

    init(id: UInt16, flags: UInt16, qd: UInt16, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) {
        u16(id); u16(flags); u16(qd); u16(an); u16(ns); u16(ar)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }
    mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    /// A name from labels given as byte arrays (root when empty).
    mutating func name(_ labels: [[UInt8]]) {
        for l in labels { u8(UInt8(l.count)); raw(l) }
        u8(0)
    }

    mutating func name(_ dotted: String) {
        name(dotted == "." ? [] : dotted.split(separator: ".").map { Array($0.utf8) })
    }

    mutating func pointer(_ offset: Int) { u16(0xC000 | UInt16(offset)) }

    mutating func question(_ qname: String, type: UInt16, cls: UInt16 = 1) {
        name(qname); u16(type); u16(cls)
    }

    /// A record with an owner name given as text and rdata built by `rdata`.
    mutating func record(_ owner: String, type: UInt16, cls: UInt16 = 1, ttl: UInt32, rdata: (inout DNSWire) -> Void) {
        name(owner)
        recordBody(type: type, cls: cls, ttl: ttl, rdata: rdata)
    }

    mutating func recordBody(type: UInt16, cls: UInt16 = 1, ttl: UInt32, rdata: (inout DNSWire) -> Void) {
        u16(type); u16(cls); u32(ttl)
        let lengthAt = bytes.count
        u16(0)
        let start = bytes.count
        rdata(&self)
        let length = bytes.count - start
        bytes[lengthAt] = UInt8(length >> 8); bytes[lengthAt + 1] = UInt8(length & 0xFF)
    }

    /// The message with a 2-byte length prefix (DNS over TCP).
    var tcpFramed: [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
}

// MARK: - Running the module

/// Runs a module over one packet and returns its lines as text.
struct ModuleHarness<M: PacketlogModule> {
    var module: M
    var emitter = LineEmitter()

    init(_ module: M) {
        setenv("TZ", "UTC", 1)
        tzset()
        self.module = module
    }

    /// 2026-11-27 05:39:26.815 UTC
    static var sampleTime: PacketTime { PacketTime(seconds: 1_795_757_966, nanoseconds: 815_123_456) }

    mutating func lines(payload: [UInt8], transport: IPProtocol = .udp,
                        source: String = "10.53.100.10", sourcePort: UInt16 = 33974,
                        destination: String = "10.53.100.53", destinationPort: UInt16 = 53,
                        local: [String] = ["10.53.100.53"]) -> [String] {
        emitter.reset()
        var locals = LocalAddressSet()
        for l in local { try! locals.add(l) }
        let src = IPAddress(text: source)!, dst = IPAddress(text: destination)!
        payload.withUnsafeBytes { raw in
            let packet = PacketContext(time: Self.sampleTime, source: src, destination: dst,
                                       sourcePort: sourcePort, destinationPort: destinationPort, transport: transport,
                                       sourceIsLocal: locals.contains(src), destinationIsLocal: locals.contains(dst),
                                       payload: raw)
            module.decode(packet, into: &emitter)
        }
        return emitter.records.map { r in
            String(decoding: emitter.buffer.bytes(from: r.start, to: r.end - 1), as: UTF8.self)
        }
    }
}
