import FuzzSupport
import PacketlogHost
import ProtocolPlugins

// MARK: - FuzzDNS
//
// The DNS module's decoder. The input is used as:
//   1. a UDP DNS payload (query to a local server, port 53; IPv4 or IPv6
//      by the input length's parity);
//   2. a TCP segment (per-segment rule: length-prefixed messages);
//   3. a reassembled stream handed to `decodeStream` directly;
//   4. a TCP connection through a `TCPReassembler` (SYN, then the input
//      split in two and sent out of order, then FIN), the reassembler
//      calling `decodeStream`.
// Checked after each: every committed line holds only bytes 0x20–0x7E and
// ends with exactly one '\n' (see `checkLines`); `decodeStream` consumes
// no more than it was given; AddressSanitizer for the rest.

nonisolated(unsafe) var lines: LineEmitter = { fuzzSetUp(); return LineEmitter() }()
nonisolated(unsafe) var dns = try! DNSModule(options: ModuleOptions())

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let v6 = size & 1 == 1
    let client = v6 ? fuzzClient6 : fuzzClient, server = v6 ? fuzzServer6 : fuzzServer

    // 1. UDP datagram.
    let udp = PacketContext(time: fuzzTime, source: client, destination: server, sourcePort: 33974, destinationPort: 53,
                            transport: .udp, destinationIsLocal: true, payload: input)
    lines.reset()
    dns.decode(udp, into: &lines)
    checkLines(lines, "DNS over UDP")

    // 2. One TCP segment, server to client.
    let segment = PacketContext(time: fuzzTime, source: server, destination: client, sourcePort: 53, destinationPort: 33974,
                                transport: .tcp, tcpFlags: [.ack, .psh], tcpSequence: 1, sourceIsLocal: true, payload: input)
    lines.reset()
    dns.decode(segment, into: &lines)
    checkLines(lines, "DNS over TCP (segment)")

    // 3. A reassembled stream.
    lines.reset()
    let consumed = dns.decodeStream(segment, stream: input, into: &lines)
    guard consumed >= 0 && consumed <= size else { fatalError("decodeStream consumed \(consumed) of \(size) bytes") }
    checkLines(lines, "DNS over TCP (stream)")

    // 4. Through the reassembler, split out of order.
    let reassembler = TCPReassembler()
    lines.reset()
    feedSplit(reassembler, payload: input, split: size / 3, source: client, sourcePort: 33974,
              destination: server, destinationPort: 53, destinationIsLocal: true) { packet, stream in
        let used = dns.decodeStream(packet, stream: stream, into: &lines)
        guard used >= 0 && used <= stream.count else { fatalError("decodeStream consumed \(used) of \(stream.count) bytes") }
        return used
    }
    checkLines(lines, "DNS over TCP (reassembled)")
    return 0
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
