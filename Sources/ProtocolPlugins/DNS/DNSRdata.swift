import PacketlogHost

// MARK: - Rdata presentation

/// Writes an RR's rdata in the spec's presentation form. Every function here
/// also validates: it returns `false` when the rdata does not parse as its
/// type (the message is then malformed). Run against a `DiscardingSink` it
/// only validates.
public enum DNSRdata {
    /// The rdata of `type` at `[start, start + length)` of `message`.
    public static func format<S: ByteSink>(_ type: DNSType, in message: ByteCursor, at start: Int, length: Int, into sink: inout S) -> Bool {
        let end = start + length
        guard length >= 0, end <= message.bytes.count else { return false }
        switch type {
        case .a:
            guard length == 4, let v: UInt32 = message.getInteger(at: start) else { return false }
            sink.appendIPv4(v)
            return true
        case .aaaa:
            guard length == 16, let h: UInt64 = message.getInteger(at: start), let l: UInt64 = message.getInteger(at: start + 8) else { return false }
            sink.appendIPv6(high: h, low: l)
            return true
        case .ns, .cname, .ptr, .dname:
            return names(1, in: message, at: start, end: end, into: &sink)
        case .mx, .afsdb, .rt, .kx:
            guard length >= 2, let preference: UInt16 = message.getInteger(at: start) else { return false }
            sink.appendDecimal(preference)
            sink.append(UInt8(ascii: " "))
            return names(1, in: message, at: start + 2, end: end, into: &sink)
        case .soa:
            guard let afterNames = namesOffset(2, in: message, at: start, end: end, into: &sink),
                  afterNames + 20 == end else { return false }
            sink.appendLiteral(" (")
            for i in 0..<5 {
                if i > 0 { sink.append(UInt8(ascii: " ")) }
                sink.appendDecimal(message.getInteger(at: afterNames + 4 * i, as: UInt32.self)!)
            }
            sink.append(UInt8(ascii: ")"))
            return true
        case .txt, .spf, .hinfo, .avc:
            var offset = start
            var count = 0
            while offset < end {
                guard let (bytes, next) = DNSCharacterString.read(in: message, at: offset, limit: end) else { return false }
                if count > 0 { sink.append(UInt8(ascii: " ")) }
                DNSCharacterString.appendQuoted(bytes, to: &sink)
                offset = next
                count += 1
            }
            if type == .hinfo { return count == 2 }
            return count > 0
        case .srv:
            guard length >= 6 else { return false }
            for i in 0..<3 {
                sink.appendDecimal(message.getInteger(at: start + 2 * i, as: UInt16.self)!)
                sink.append(UInt8(ascii: " "))
            }
            return names(1, in: message, at: start + 6, end: end, into: &sink)
        case .uri:
            guard length >= 4 else { return false }
            sink.appendDecimal(message.getInteger(at: start, as: UInt16.self)!)
            sink.append(UInt8(ascii: " "))
            sink.appendDecimal(message.getInteger(at: start + 2, as: UInt16.self)!)
            sink.append(UInt8(ascii: " "))
            DNSCharacterString.appendQuoted(message.getBytes(at: start + 4, length: length - 4)!, to: &sink)
            return true
        case .caa:
            guard length >= 2, let flags = message.getUInt8(at: start), let tagLength = message.getUInt8(at: start + 1),
                  tagLength > 0, 2 + Int(tagLength) <= length else { return false }
            let tag = message.getBytes(at: start + 2, length: Int(tagLength))!
            for byte in tag {
                // RFC 8659: the tag is letters and digits only.
                guard (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) else { return false }
            }
            sink.appendDecimal(flags)
            sink.append(UInt8(ascii: " "))
            sink.append(contentsOf: tag)
            sink.append(UInt8(ascii: " "))
            let valueStart = start + 2 + Int(tagLength)
            DNSCharacterString.appendQuoted(message.getBytes(at: valueStart, length: end - valueStart)!, to: &sink)
            return true
        default:
            if let handled = formatPresentation(type, in: message, at: start, length: length, into: &sink) {
                return handled
            }
            appendUnknown(message.getBytes(at: start, length: length)!, to: &sink)
            return true
        }
    }

    /// RFC 3597: `\# <length> <HEX>`, `\# 0` when empty.
    public static func appendUnknown<S: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout S) {
        if S.discardsBytes { return }
        sink.appendLiteral("\\# ")
        sink.appendDecimal(bytes.count)
        if bytes.count > 0 {
            sink.append(UInt8(ascii: " "))
            sink.appendHexUpper(bytes)
        }
    }

    /// `count` names separated by spaces that exactly fill `[start, end)`.
    static func names<S: ByteSink>(_ count: Int, in message: ByteCursor, at start: Int, end: Int, into sink: inout S) -> Bool {
        namesOffset(count, in: message, at: start, end: end, into: &sink) == end
    }

    /// `count` names separated by spaces starting at `start`, all inside
    /// `[start, end)`; returns the offset after the last.
    static func namesOffset<S: ByteSink>(_ count: Int, in message: ByteCursor, at start: Int, end: Int, into sink: inout S) -> Int? {
        var offset = start
        for i in 0..<count {
            if i > 0 { sink.append(UInt8(ascii: " ")) }
            guard offset < end, let next = DNSName.read(in: message, at: offset, into: &sink), next <= end else { return nil }
            offset = next
        }
        return offset
    }
}
