import FuzzSupport
import PacketlogHost

// MARK: - FuzzHostDecoding
//
// The host's link, IP and transport decoding (`PacketDecoder`), then the
// TCP reassembly of what it produced.
//
// Input: byte 0 picks the link type (Ethernet, Linux SLL, SLL2, raw IP,
// BSD null, BSD loop); the rest is the captured frame. Checked: no
// out-of-bounds read (AddressSanitizer); the payload lies inside the frame;
// exactly one statistics counter moves per frame. A TCP packet is then fed
// to a TCPReassembler (small caps) as is, again as a retransmission, and
// split in two out of order, with a length-prefix consumer.

let linkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .null, .loop]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let link = linkTypes[Int(data[0]) % linkTypes.count]
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var decoder = PacketDecoder(linkType: link)
    let packet = decoder.decode(frame, wireLength: frame.count, time: fuzzTime)

    let s = decoder.statistics
    let counted = s.udp + s.tcp + s.notIP + s.notUDPOrTCP + s.fragments + s.truncated + s.malformedIP + s.malformedTransport
    guard counted == 1 else {
        fatalError("decode counted \(counted) outcomes for one frame: \(s)")
    }
    guard let packet else {
        guard s.udp == 0 && s.tcp == 0 else { fatalError("no packet, yet counted as UDP/TCP: \(s)") }
        return 0
    }
    guard (packet.transport == .udp && s.udp == 1) || (packet.transport == .tcp && s.tcp == 1) else {
        fatalError("packet transport \(packet.transport) disagrees with the statistics \(s)")
    }
    if packet.payload.count > 0 {
        let start = packet.payload.baseAddress! - UnsafeRawPointer(data + 1)
        guard start >= 0, start + packet.payload.count <= frame.count else {
            fatalError("payload [\(start), +\(packet.payload.count)) outside the \(frame.count)-byte frame")
        }
    }
    fuzzSink ^= touch(packet.payload)

    if packet.isTCP { reassemble(packet) }
    return 0
}

/// Small caps, so the cap paths are reachable from one input.
let limits: TCPReassemblyLimits = {
    var l = TCPReassemblyLimits()
    l.maxFlows = 2
    l.maxBytesPerFlow = 1024
    l.maxTotalBytes = 1536
    return l
}()

func reassemble(_ packet: PacketContext) {
    let r = TCPReassembler(limits: limits)
    r.process(packet) { consumeLengthPrefixed($0) }
    r.process(packet) { consumeLengthPrefixed($0) }        // a retransmission
    var reply = packet                                       // the other direction, data and all
    swap(&reply.source, &reply.destination)
    swap(&reply.sourcePort, &reply.destinationPort)
    r.process(reply) { consumeLengthPrefixed($0) }
    r.finishAll()
    guard r.flowCount == 0 else { fatalError("flows left after finishAll: \(r.flowCount)") }

    let split = packet.payload.isEmpty ? 0 : Int(packet.tcpSequence % UInt32(packet.payload.count + 1))
    let r2 = TCPReassembler(limits: limits)
    feedSplit(r2, payload: packet.payload, split: split,
              source: packet.source, sourcePort: packet.sourcePort,
              destination: packet.destination, destinationPort: packet.destinationPort,
              isn: packet.tcpSequence) { _, stream in consumeLengthPrefixed(stream) }
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
