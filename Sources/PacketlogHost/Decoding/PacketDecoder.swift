// MARK: - PacketDecoder

/// Decodes link, IP and transport headers once per packet, in place, and
/// produces the `PacketContext` modules see. Anything it cannot use is
/// counted in `statistics`, never trapped on.
///
/// Link types: Ethernet (any number of 802.1Q/802.1ad tags), Linux SLL and
/// SLL2, raw IP, BSD null/loopback. IPv4 with options; fragments are counted,
/// not parsed. IPv6 with extension headers skipped. UDP and TCP. Checksums
/// are not verified (checksum offload leaves them unfinished on the
/// capturing host).
public struct PacketDecoder {
    public let linkType: LinkType
    public var statistics = DecoderStatistics()
    /// Reassembles fragmented datagrams; `nil`: fragments are counted, not parsed.
    public let defragmenter: IPDefragmenter?

    public init(linkType: LinkType, defragmenter: IPDefragmenter? = nil) {
        self.linkType = linkType
        self.defragmenter = defragmenter
    }

    /// Decodes one captured frame. `wireLength` is the original length;
    /// when the capture cut the frame (`captured < wireLength`) and the
    /// transport payload is incomplete, the packet is counted as truncated.
    @inlinable @inline(__always)
    public mutating func decode(_ frame: UnsafeRawBufferPointer, wireLength: Int, time: PacketTime) -> PacketContext? {
        let cursor = ByteCursor(frame)
        guard let (etherType, offset) = linkPayload(cursor) else {
            statistics.notIP &+= 1
            return nil
        }
        switch etherType {
        case .ipv4: return decodeIPv4(cursor, at: offset, wireLength: wireLength, time: time)
        case .ipv6: return decodeIPv6(cursor, at: offset, wireLength: wireLength, time: time)
        default:
            statistics.notIP &+= 1
            return nil
        }
    }

    // MARK: Link layer

    /// The network-layer protocol and where its header starts.
    @inlinable
    func linkPayload(_ c: ByteCursor) -> (EtherType, Int)? {
        switch linkType {
        case .ethernet:
            guard var type: UInt16 = c.getInteger(at: 12) else { return nil }
            var offset = 14
            while type == EtherType.vlan.rawValue || type == EtherType.qinq.rawValue || type == EtherType.qinqLegacy.rawValue {
                guard let inner: UInt16 = c.getInteger(at: offset + 2) else { return nil }
                type = inner
                offset += 4
            }
            return (EtherType(rawValue: type), offset)
        case .linuxSLL:
            guard let type: UInt16 = c.getInteger(at: 14) else { return nil }
            return (EtherType(rawValue: type), 16)
        case .linuxSLL2:
            guard let type: UInt16 = c.getInteger(at: 0) else { return nil }
            return (EtherType(rawValue: type), 20)
        case .raw, .rawOpenBSD, .rawLinktype, .ipv4, .ipv6:
            guard let first = c.getUInt8(at: 0) else { return nil }
            switch first >> 4 {
            case 4: return (.ipv4, 0)
            case 6: return (.ipv6, 0)
            default: return nil
            }
        case .null, .loop:
            // 4-byte address family, host order for DLT_NULL, network order for DLT_LOOP.
            guard let le: UInt32 = c.getLittleEndianInteger(at: 0), let be: UInt32 = c.getInteger(at: 0) else { return nil }
            let family = linkType == .loop ? be : (le < 0x10000 ? le : be)
            switch family {
            case 2: return (.ipv4, 4)
            case 10, 24, 28, 30: return (.ipv6, 4)
            default: return nil
            }
        default:
            return nil
        }
    }

    // MARK: IPv4

    @inlinable @inline(__always)
    mutating func decodeIPv4(_ c: ByteCursor, at start: Int, wireLength: Int, time: PacketTime) -> PacketContext? {
        // The fixed 20 bytes with one bounds check.
        guard let header = c.getPointer(at: start, length: 20), header.load(as: UInt8.self) >> 4 == 4 else {
            statistics.malformedIP &+= 1
            return nil
        }
        let versionIHL = header.load(as: UInt8.self)
        let totalLength: UInt16 = header.loadBigEndian(at: 2)
        let fragment: UInt16 = header.loadBigEndian(at: 6)
        let proto = header.load(fromByteOffset: 9, as: UInt8.self)
        let src = IPAddress(ipv4: header.loadBigEndian(at: 12))
        let dst = IPAddress(ipv4: header.loadBigEndian(at: 16))
        let headerLength = Int(versionIHL & 0x0F) * 4
        // The datagram ends at the total length (Ethernet padding follows).
        // A total length of 0 is a TSO/GSO super-packet captured on the
        // sending host (the length is filled in per segment later, as
        // tcpdump also guesses): the datagram is the rest of the frame as
        // it was on the wire.
        let available = c.bytes.count - start
        // (A fragment never is one: its length must be its own.)
        let declared = totalLength == 0 && fragment & 0x3FFF == 0 ? max(wireLength, c.bytes.count) - start : Int(totalLength)
        guard headerLength >= 20, declared >= headerLength else {
            statistics.malformedIP &+= 1
            return nil
        }
        let end = start + min(declared, available)
        let truncated = declared > available
        if fragment & 0x3FFF != 0 {   // MF set or offset non-zero
            statistics.fragments &+= 1
            guard let defragmenter, !truncated, start + headerLength <= end,
                  let id: UInt16 = c.getInteger(at: start + 4),
                  let data = c.getBytes(at: start + headerLength, length: end - start - headerLength) else { return nil }
            guard let (datagram, upper) = defragmenter.add(source: src, destination: dst, proto: proto, ipv6: false, id: UInt32(id),
                                                           offset: Int(fragment & 0x1FFF) * 8, moreFragments: fragment & 0x2000 != 0,
                                                           data: data, time: time.seconds) else { return nil }
            return decodeTransport(ByteCursor(datagram), at: 0, end: datagram.count, truncated: false,
                                   proto: IPProtocol(rawValue: upper), source: src, destination: dst, time: time)
        }
        return decodeTransport(c, at: start + headerLength, end: end, truncated: truncated,
                               proto: IPProtocol(rawValue: proto), source: src, destination: dst, time: time)
    }

    // MARK: IPv6

    @inlinable @inline(__always)
    mutating func decodeIPv6(_ c: ByteCursor, at start: Int, wireLength: Int, time: PacketTime) -> PacketContext? {
        // The fixed 40 bytes with one bounds check.
        guard let header = c.getPointer(at: start, length: 40), header.load(as: UInt8.self) >> 4 == 6 else {
            statistics.malformedIP &+= 1
            return nil
        }
        let payloadLength: UInt16 = header.loadBigEndian(at: 4)
        var next = header.load(fromByteOffset: 6, as: UInt8.self)
        let src = IPAddress(ipv6High: header.loadBigEndian(at: 8), low: header.loadBigEndian(at: 16))
        let dst = IPAddress(ipv6High: header.loadBigEndian(at: 24), low: header.loadBigEndian(at: 32))
        let available = c.bytes.count - start - 40
        // 0: a jumbogram (or a GSO super-packet): the rest of the frame as it
        // was on the wire, so a snaplen cut still counts as truncated.
        let declared = payloadLength == 0 ? max(wireLength, c.bytes.count) - start - 40 : Int(payloadLength)
        let end = start + 40 + min(declared, available)
        let truncated = declared > available
        var offset = start + 40
        var headers = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:   // hop-by-hop, routing, destination, mobility, HIP, shim6
                guard let n = c.getUInt8(at: offset), let length = c.getUInt8(at: offset + 1) else {
                    statistics.malformedIP &+= 1
                    return nil
                }
                next = n
                offset += (Int(length) + 1) * 8
            case 51:                          // AH: length in 4-byte units minus 2
                guard let n = c.getUInt8(at: offset), let length = c.getUInt8(at: offset + 1) else {
                    statistics.malformedIP &+= 1
                    return nil
                }
                next = n
                offset += (Int(length) + 2) * 4
            case 44:                          // fragment header
                statistics.fragments &+= 1
                guard let defragmenter, !truncated,
                      let upper = c.getUInt8(at: offset), let field: UInt16 = c.getInteger(at: offset + 2),
                      let id: UInt32 = c.getInteger(at: offset + 4), offset + 8 <= end,
                      let data = c.getBytes(at: offset + 8, length: end - offset - 8) else { return nil }
                guard let (datagram, proto) = defragmenter.add(source: src, destination: dst, proto: upper, ipv6: true, id: id,
                                                               offset: Int(field >> 3) * 8, moreFragments: field & 1 != 0,
                                                               data: data, time: time.seconds) else { return nil }
                return decodeTransport(ByteCursor(datagram), at: 0, end: datagram.count, truncated: false,
                                       proto: IPProtocol(rawValue: proto), source: src, destination: dst, time: time)
            default:
                guard offset <= end else {
                    statistics.malformedIP &+= 1
                    return nil
                }
                return decodeTransport(c, at: offset, end: end, truncated: truncated,
                                       proto: IPProtocol(rawValue: next), source: src, destination: dst, time: time)
            }
            headers += 1
            if offset > end || headers > 16 {
                statistics.malformedIP &+= 1
                return nil
            }
        }
    }

    // MARK: Transport

    @inlinable @inline(__always)
    mutating func decodeTransport(_ c: ByteCursor, at start: Int, end: Int, truncated: Bool, proto: IPProtocol,
                                  source: IPAddress, destination: IPAddress, time: PacketTime) -> PacketContext? {
        switch proto {
        case .udp:
            guard let header = c.getPointer(at: start, length: 8), start + 8 <= end else {
                if truncated { statistics.truncated &+= 1 } else { statistics.malformedTransport &+= 1 }
                return nil
            }
            let sport: UInt16 = header.loadBigEndian(at: 0), dport: UInt16 = header.loadBigEndian(at: 2)
            let udpLength: UInt16 = header.loadBigEndian(at: 4)
            // The UDP length bounds the payload; it must fit in the IP datagram.
            let declaredEnd = start + Int(udpLength)
            guard udpLength >= 8 else { statistics.malformedTransport &+= 1; return nil }
            if declaredEnd > end {
                if truncated { statistics.truncated &+= 1 } else { statistics.malformedTransport &+= 1 }
                return nil
            }
            guard let payload = c.getBytes(at: start + 8, length: declaredEnd - start - 8) else {
                statistics.malformedTransport &+= 1
                return nil
            }
            statistics.udp &+= 1
            return PacketContext(time: time, source: source, destination: destination, sourcePort: sport, destinationPort: dport,
                                 transport: .udp, payload: payload)
        case .tcp:
            guard let header = c.getPointer(at: start, length: 14) else {
                if truncated { statistics.truncated &+= 1 } else { statistics.malformedTransport &+= 1 }
                return nil
            }
            let sport: UInt16 = header.loadBigEndian(at: 0), dport: UInt16 = header.loadBigEndian(at: 2)
            let sequence: UInt32 = header.loadBigEndian(at: 4)
            let offsetByte = header.load(fromByteOffset: 12, as: UInt8.self), flags = header.load(fromByteOffset: 13, as: UInt8.self)
            let headerLength = Int(offsetByte >> 4) * 4
            guard headerLength >= 20, start + headerLength <= end else {
                if truncated { statistics.truncated &+= 1 } else { statistics.malformedTransport &+= 1 }
                return nil
            }
            if truncated {
                statistics.truncated &+= 1
                return nil
            }
            guard let payload = c.getBytes(at: start + headerLength, length: end - start - headerLength) else {
                statistics.malformedTransport &+= 1
                return nil
            }
            statistics.tcp &+= 1
            return PacketContext(time: time, source: source, destination: destination, sourcePort: sport, destinationPort: dport,
                                 transport: .tcp, tcpFlags: TCPFlags(rawValue: flags), tcpSequence: sequence, payload: payload)
        default:
            statistics.notUDPOrTCP &+= 1
            return nil
        }
    }
}

// MARK: - DecoderStatistics

/// What the host decoder saw and did not hand to modules.
public struct DecoderStatistics: Sendable {
    public var udp: UInt64 = 0
    public var tcp: UInt64 = 0
    public var notIP: UInt64 = 0
    public var notUDPOrTCP: UInt64 = 0
    public var fragments: UInt64 = 0
    public var truncated: UInt64 = 0
    public var malformedIP: UInt64 = 0
    public var malformedTransport: UInt64 = 0
    public init() {}
}
