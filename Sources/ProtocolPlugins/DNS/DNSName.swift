import PacketlogHost

// MARK: - Domain names on the wire

/// Reads RFC 1035 domain names, following compression pointers, and writes
/// them in presentation form.
///
/// Rules (what a malformed name is):
/// - a label is at most 63 bytes; label types 0x40 and 0x80 are rejected;
/// - a pointer must point before the start of the name and before every
///   earlier pointer's target (BIND's rule), so pointers only go backwards and
///   no loop is possible;
/// - the name's wire length (labels plus length bytes plus the root) is at
///   most 255;
/// - every byte must lie inside the message.
public enum DNSName {
    /// Maximum wire length of a name.
    public static let maxWireLength = 255

    /// Reads the name at `offset` in `message` and writes its presentation form
    /// (no final dot; the root is `.`). Returns the offset just past the name
    /// at its original position, or `nil` when the name is malformed.
    public static func read<S: ByteSink>(in message: ByteCursor, at offset: Int, into sink: inout S) -> Int? {
        var position = offset
        var end = -1                 // offset after the name in place, once a pointer is taken
        var pointerLimit = offset    // every pointer must point below this
        var wireLength = 0
        var labels = 0
        while true {
            guard let length = message.getUInt8(at: position) else { return nil }
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    wireLength += 1
                    if labels == 0 { sink.append(UInt8(ascii: ".")) }
                    return end >= 0 ? end : position + 1
                }
                let count = Int(length)
                wireLength += count + 1
                guard wireLength < maxWireLength,
                      let label = message.getBytes(at: position + 1, length: count) else { return nil }
                if labels > 0 { sink.append(UInt8(ascii: ".")) }
                appendLabel(label, to: &sink)
                labels += 1
                position += count + 1
            case 0xC0:
                guard let low = message.getUInt8(at: position + 1) else { return nil }
                let target = Int(length & 0x3F) << 8 | Int(low)
                guard target < pointerLimit else { return nil }
                if end < 0 { end = position + 2 }
                pointerLimit = target
                position = target
            default:
                return nil
            }
        }
    }

    /// The offset after the name at `offset`, or `nil` when it is malformed.
    public static func skip(in message: ByteCursor, at offset: Int) -> Int? {
        var sink = DiscardingSink()
        return read(in: message, at: offset, into: &sink)
    }

    /// One label's bytes with the spec's escaping: `"().;\@$` and `.` get a
    /// backslash, bytes outside 0x21–0x7E become `\DDD`.
    public static func appendLabel<S: ByteSink>(_ label: UnsafeRawBufferPointer, to sink: inout S) {
        sink.appendWithReservedCapacity(label.count &* 4) { p in
            var out = 0
            for byte in label {
                if isPlain(byte) {
                    p[out] = byte; out &+= 1
                } else if byte >= 0x21 && byte <= 0x7E {
                    p[out] = UInt8(ascii: "\\"); p[out &+ 1] = byte; out &+= 2
                } else {
                    p[out] = UInt8(ascii: "\\"); p[out &+ 1] = 48 &+ byte / 100
                    p[out &+ 2] = 48 &+ (byte / 10) % 10; p[out &+ 3] = 48 &+ byte % 10
                    out &+= 4
                }
            }
            return out
        }
    }
}

extension DNSName {
    /// A label byte printed as itself: 0x21–0x7E except `"().;\\@$`.
    /// (Two 64-bit masks instead of a switch: this runs for every name byte.)
    static func isPlain(_ byte: UInt8) -> Bool {
        if byte < 64 { return (plainLow >> UInt64(byte)) & 1 != 0 }
        if byte < 128 { return (plainHigh >> UInt64(byte &- 64)) & 1 != 0 }
        return false
    }

    /// Bits 0x21–0x3F except `"` `$` `(` `)` `.` `;`.
    static var plainLow: UInt64 { 0xF7FFBCEA00000000 }
    /// Bits 0x40–0x7E (as 0–62) except `@` and backslash.
    static var plainHigh: UInt64 { 0x7FFFFFFFEFFFFFFE }
}

// MARK: - Character-strings

public enum DNSCharacterString {
    /// Writes `bytes` double-quoted: `"` and `\` backslash-escaped, bytes
    /// outside 0x20–0x7E as `\DDD` (a space stays a space).
    public static func appendQuoted<S: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout S) {
        sink.appendWithReservedCapacity(bytes.count &* 4 &+ 2) { p in
            p[0] = UInt8(ascii: "\"")
            var out = 1
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    p[out] = UInt8(ascii: "\\"); p[out &+ 1] = byte; out &+= 2
                case 0x20...0x7E:
                    p[out] = byte; out &+= 1
                default:
                    p[out] = UInt8(ascii: "\\"); p[out &+ 1] = 48 &+ byte / 100
                    p[out &+ 2] = 48 &+ (byte / 10) % 10; p[out &+ 3] = 48 &+ byte % 10
                    out &+= 4
                }
            }
            p[out] = UInt8(ascii: "\"")
            return out &+ 1
        }
    }

    /// Reads one length-prefixed character-string at `offset` that must end
    /// by `limit`; returns its bytes and the offset after it.
    public static func read(in message: ByteCursor, at offset: Int, limit: Int) -> (bytes: UnsafeRawBufferPointer, next: Int)? {
        guard offset < limit, let length = message.getUInt8(at: offset) else { return nil }
        let next = offset + 1 + Int(length)
        guard next <= limit, let bytes = message.getBytes(at: offset + 1, length: Int(length)) else { return nil }
        return (bytes, next)
    }
}
