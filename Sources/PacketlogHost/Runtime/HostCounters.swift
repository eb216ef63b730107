import CPcap
import Synchronization

// MARK: - Host counters

/// The host's own counters, as summary parts (shared by both engines).
func hostCounters(decoder: PacketDecoder, pcap: PcapHandle, writer: LogWriter) -> [String] {
    var parts: [String] = []
    let d = decoder.statistics
    parts.append("not-ip \(d.notIP)")
    parts.append("not-udp-tcp \(d.notUDPOrTCP)")
    parts.append("ip-fragments \(d.fragments)")
    if let f = decoder.defragmenter?.statistics {
        parts.append("ip-reassembled \(f.reassembled)")
        parts.append("ip-fragments-dropped \(f.timedOut + f.evicted + f.invalid)")
    }
    parts.append("truncated \(d.truncated)")
    parts.append("malformed-ip \(d.malformedIP + d.malformedTransport)")
    if let kernel = pcap.statistics() {
        parts.append("kernel-received \(kernel.received)")
        parts.append("kernel-dropped \(kernel.dropped)")
        parts.append("interface-dropped \(kernel.interfaceDropped)")
    }
    parts.append("lines-written \(writer.linesWritten.load(ordering: .relaxed))")
    parts.append("lines-lost \(writer.linesLost.load(ordering: .relaxed))")
    return parts
}
