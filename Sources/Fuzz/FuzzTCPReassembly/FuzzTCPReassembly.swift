import FuzzSupport
import PacketlogHost

// MARK: - FuzzTCPReassembly
//
// `TCPReassembler` driven by a script of segments over three connections
// (six directions), with small caps so eviction, byte caps and idle expiry
// are reachable, and sequence numbers that wrap around 2^32.
//
// Input: a sequence of segments, each 4 header bytes then its payload:
//   byte 0: bits 0-1 connection (3 → 0), bit 2 server→client,
//           bit 3 FIN, bit 4 SYN, bit 5 RST, bit 6 ACK, bit 7 +200 s (idle)
//   bytes 1-2: sequence offset from the direction's ISN (signed, big-endian)
//   byte 3: bits 0-5 payload length (0-63), bits 6-7 consumer:
//           0 length-prefixed messages, 1 everything, 2 nothing, 3 everything + 7 (skip)
// Checked: no out-of-bounds access (AddressSanitizer) and nothing left after
// `finishAll`.

let limits: TCPReassemblyLimits = {
    var l = TCPReassemblyLimits()
    l.maxFlows = 4
    l.maxBytesPerFlow = 256
    l.maxTotalBytes = 512
    l.idleTimeoutSeconds = 120
    return l
}()

let clients = [IPAddress(ipv4: 0x0A00_0001), IPAddress(ipv4: 0x0A00_0002), fuzzClient6]
let servers = [IPAddress(ipv4: 0x0A00_0035), IPAddress(ipv4: 0x0A00_0035), fuzzServer6]
/// Initial sequence numbers per direction: close to 2^32 for the clients (wrap), low for servers.
let clientISN: [UInt32] = [0xFFFF_FFE0, 0x7FFF_FFF0, 0]
let serverISN: [UInt32] = [1000, 0xFFFF_FF00, 0xFFFF_FFFF]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let r = TCPReassembler(limits: limits)
    var offset = 0
    var seconds = fuzzTime.seconds
    while size - offset >= 4 {
        let b0 = input[offset], b3 = input[offset + 3]
        let delta = Int16(bitPattern: UInt16(input[offset + 1]) << 8 | UInt16(input[offset + 2]))
        offset += 4
        let length = min(Int(b3 & 0x3F), size - offset)
        let payload = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)])
        offset += length

        let connection = Int(b0 & 0x03) % 3
        let fromServer = b0 & 0x04 != 0
        var flags: TCPFlags = []
        if b0 & 0x08 != 0 { flags.insert(.fin) }
        if b0 & 0x10 != 0 { flags.insert(.syn) }
        if b0 & 0x20 != 0 { flags.insert(.rst) }
        if b0 & 0x40 != 0 { flags.insert(.ack) }
        if b0 & 0x80 != 0 { seconds += 200 }
        let isn = fromServer ? serverISN[connection] : clientISN[connection]
        let client = clients[connection], server = servers[connection]
        let clientPort = UInt16(40000 + connection)
        let packet = PacketContext(time: PacketTime(seconds: seconds, nanoseconds: 0),
                                   source: fromServer ? server : client, destination: fromServer ? client : server,
                                   sourcePort: fromServer ? 53 : clientPort, destinationPort: fromServer ? clientPort : 53,
                                   transport: .tcp, tcpFlags: flags,
                                   tcpSequence: isn &+ UInt32(bitPattern: Int32(delta)), payload: payload)
        let mode = b3 >> 6
        r.process(packet) { stream in
            fuzzSink ^= touch(stream)
            switch mode {
            case 0: return consumeLengthPrefixed(stream)
            case 1: return stream.count
            case 2: return 0
            default: return stream.count + 7
            }
        }
        guard r.flowCount <= limits.maxFlows else {
            fatalError("\(r.flowCount) directions tracked, cap \(limits.maxFlows)")
        }
    }
    r.finishAll()
    guard r.flowCount == 0 else { fatalError("flows left after finishAll: \(r.flowCount)") }
    return 0
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
