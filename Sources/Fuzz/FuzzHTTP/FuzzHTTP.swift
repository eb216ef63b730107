import FuzzSupport
import PacketlogHost
import ProtocolPlugins

// MARK: - FuzzHTTP
//
// The HTTP/1.x module's decoder (ports 80). The input is used as a TCP
// segment in the request direction (client → server:80) and in the
// response direction (server:80 → client), each through `decode` (the
// per-segment rule), through `decodeStream`, and through a `TCPReassembler`
// (SYN, the input split in two out of order, FIN).
// Checked after each: every committed line holds only bytes 0x20–0x7E and
// ends with exactly one '\n' (see `checkLines`); AddressSanitizer for the rest.

nonisolated(unsafe) var lines: LineEmitter = { fuzzSetUp(); return LineEmitter() }()
nonisolated(unsafe) var http = try! HTTPModule(options: ModuleOptions(values: ["ports": "80"]))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let v6 = size & 1 == 1
    let client = v6 ? fuzzClient6 : fuzzClient, server = v6 ? fuzzServer6 : fuzzServer

    for response in [false, true] {
        let (src, sport, dst, dport) = response ? (server, UInt16(80), client, UInt16(51000))
                                                : (client, UInt16(51000), server, UInt16(80))
        let segment = PacketContext(time: fuzzTime, source: src, destination: dst, sourcePort: sport, destinationPort: dport,
                                    transport: .tcp, tcpFlags: [.ack, .psh], tcpSequence: 1,
                                    sourceIsLocal: response, destinationIsLocal: !response, payload: input)
        guard http.wants(segment) else { fatalError("the HTTP module does not want port 80") }

        lines.reset()
        http.decode(segment, into: &lines)
        checkLines(lines, response ? "HTTP response (segment)" : "HTTP request (segment)")

        lines.reset()
        _ = http.decodeStream(segment, stream: input, into: &lines)
        checkLines(lines, response ? "HTTP response (stream)" : "HTTP request (stream)")

        let reassembler = TCPReassembler()
        lines.reset()
        feedSplit(reassembler, payload: input, split: size / 2, source: src, sourcePort: sport,
                  destination: dst, destinationPort: dport, sourceIsLocal: response, destinationIsLocal: !response) { packet, stream in
            http.decodeStream(packet, stream: stream, into: &lines)
        }
        checkLines(lines, response ? "HTTP response (reassembled)" : "HTTP request (reassembled)")
    }
    return 0
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
