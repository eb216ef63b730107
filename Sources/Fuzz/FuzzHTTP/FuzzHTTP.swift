import FuzzSupport
import PacketlogHost
import ProtocolPlugins

// MARK: - FuzzHTTP
//
// The HTTP/1.x module's decoder (port 80). A fresh module per input (it
// keeps per-connection state: which pending requests are HEAD), so every
// finding replays alone. The input is used as:
//   1. a TCP segment in the request direction (client → server:80), then in
//      the response direction (server:80 → client) of the same connection,
//      each through `decode` (per-segment rule), `decodeStream` and a
//      `TCPReassembler` (SYN, the input split in two out of order, FIN);
//   2. a conversation: the input cut before the first line that starts with
//      "HTTP/" — requests before it, responses from it — both directions
//      through reassemblers (so HEAD requests meet their responses).
// Checked after each: every committed line holds only bytes 0x20–0x7E and
// ends with exactly one '\n' (see `checkLines`); AddressSanitizer for the rest.

nonisolated(unsafe) var lines: LineEmitter = { fuzzSetUp(); return LineEmitter() }()
let options = ModuleOptions(values: ["ports": "80"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let v6 = size & 1 == 1
    let client = v6 ? fuzzClient6 : fuzzClient, server = v6 ? fuzzServer6 : fuzzServer
    var http = try! HTTPModule(options: options)

    // 1. The whole input, one direction then the other.
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

    // 2. A conversation: requests, then the responses.
    var cut = size
    var i = 0
    while i + 5 <= size {
        if (i == 0 || input[i - 1] == 0x0A), input[i] == 0x48, input[i + 1] == 0x54, input[i + 2] == 0x54,
           input[i + 3] == 0x50, input[i + 4] == 0x2F {   // "HTTP/" at a line start
            cut = i
            break
        }
        i += 1
    }
    var conversation = try! HTTPModule(options: options)
    let requests = UnsafeRawBufferPointer(rebasing: input[0..<cut])
    let responses = UnsafeRawBufferPointer(rebasing: input[cut...])
    lines.reset()
    feedSplit(TCPReassembler(), payload: requests, split: cut / 3, source: client, sourcePort: 51001,
              destination: server, destinationPort: 80, destinationIsLocal: true, isn: 7) { packet, stream in
        conversation.decodeStream(packet, stream: stream, into: &lines)
    }
    checkLines(lines, "HTTP conversation (requests)")
    lines.reset()
    feedSplit(TCPReassembler(), payload: responses, split: responses.count / 3, source: server, sourcePort: 80,
              destination: client, destinationPort: 51001, sourceIsLocal: true, isn: 0xFFFF_FFF0) { packet, stream in
        conversation.decodeStream(packet, stream: stream, into: &lines)
    }
    checkLines(lines, "HTTP conversation (responses)")
    return 0
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
