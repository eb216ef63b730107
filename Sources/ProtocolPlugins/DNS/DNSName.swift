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

    /// The longest presentation a name can have: at most 253 label bytes,
    /// each at most 4 characters (`\DDD`), plus the dots between labels.
    @inlinable public static var maxPresentationLength: Int { 4 * 253 + 127 }

    /// Reads the name at `offset` in `message` and writes its presentation form
    /// (no final dot; the root is `.`). Returns the offset just past the name
    /// at its original position, or `nil` when the name is malformed (and
    /// then nothing is written).
    @inlinable
    public static func read<S: ByteSink>(in message: ByteCursor, at offset: Int, into sink: inout S) -> Int? {
        if S.discardsBytes { return skip(in: message, at: offset) }
        var next: Int?
        sink.appendWithReservedCapacity(maxPresentationLength &+ 8) { out in
            var written = 0
            next = write(in: message, at: offset, to: out, written: &written)
            return next == nil ? 0 : written
        }
        return next
    }

    /// The name's presentation into `out` (room for `maxPresentationLength`
    /// bytes plus 8 of slack), in one pass over the wire bytes; `written` is
    /// its length. A label is copied 8 bytes at a time while the escape
    /// table is looked up for the same 8 bytes (bytes past the label's end
    /// are taken as a letter, and the word's bytes past it are overwritten
    /// by what follows): a fixed amount of work per word rather than a loop
    /// over each byte, whose varying trip count the branch predictor missed
    /// once per label or so (a benchmark over the project's capture's
    /// names: −20 % time). A label that needs an escape — almost never — is
    /// written again byte by byte with its escapes.
    @usableFromInline
    static func write(in message: ByteCursor, at offset: Int, to out: UnsafeMutablePointer<UInt8>, written: inout Int) -> Int? {
        let count = message.bytes.count
        let classes = escapeClasses.utf8Start
        var o = 0
        let next = walk(in: message, at: offset) { base, start, n in
            var p = out + o
            if o > 0 { p.pointee = UInt8(ascii: "."); p += 1 }
            let first = p
            let stop = start &+ n
            var escapes: UInt8 = 0
            var i = start
            while i < stop {
                guard i &+ 8 <= count else {
                    // The label's last bytes end the message: byte by byte.
                    while i < stop { let byte = base[i]; escapes |= classes[Int(byte)]; p.pointee = byte; p += 1; i &+= 1 }
                    break
                }
                var word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let left = stop &- i
                if left < 8 {
                    let keep: UInt64 = (1 &<< UInt64(truncatingIfNeeded: left &* 8)) &- 1
                    word = (word & keep) | (0x6161_6161_6161_6161 & ~keep)   // past the label: "a"
                }
                let c0 = classes[Int(word & 0xFF)] | classes[Int((word >> 8) & 0xFF)]
                let c1 = classes[Int((word >> 16) & 0xFF)] | classes[Int((word >> 24) & 0xFF)]
                let c2 = classes[Int((word >> 32) & 0xFF)] | classes[Int((word >> 40) & 0xFF)]
                let c3 = classes[Int((word >> 48) & 0xFF)] | classes[Int(word >> 56)]
                escapes |= (c0 | c1) | (c2 | c3)
                UnsafeMutableRawPointer(p).storeBytes(of: word, as: UInt64.self)
                let taken = Swift.min(8, left)
                p += taken
                i &+= taken
            }
            if escapes & 3 != 0 {
                p = first
                i = start
                while i < stop {
                    let byte = base[i]
                    switch classes[Int(byte)] & 3 {
                    case 0: p.pointee = byte; p += 1
                    case 1: p[0] = UInt8(ascii: "\\"); p[1] = byte; p += 2
                    default:
                        p[0] = UInt8(ascii: "\\"); p[1] = 48 &+ byte / 100
                        p[2] = 48 &+ (byte / 10) % 10; p[3] = 48 &+ byte % 10
                        p += 4
                    }
                    i &+= 1
                }
            }
            o = p - out
        }
        guard let next else { return nil }
        if o == 0 { out[0] = UInt8(ascii: "."); o = 1 }   // the root
        written = o
        return next
    }

    /// How each byte value is printed in a label, as ASCII digits indexed by
    /// the byte: `0` as itself (0x21–0x7E except `"().;\\@$`), `1` as `\c`
    /// (those eight), `2` as `\DDD` (everything else, space included).
    @usableFromInline
    static var escapeClasses: StaticString {
        "2222222222222222222222222222222220101000110000100000000000010000100000000000000000000000000010000000000000000000000000000000000222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222"
    }

    /// The offset after the name at `offset`, or `nil` when it is malformed
    /// (the same rules as `read`, nothing written).
    public static func skip(in message: ByteCursor, at offset: Int) -> Int? {
        walk(in: message, at: offset) { _, _, _ in }
    }

    /// The one place the rules above are checked: follows the name at
    /// `offset` through its labels and pointers, hands each label to `label`
    /// (the message's bytes, the label's first byte, its length: inside the
    /// message) and returns the offset after the name in place, or `nil`
    /// when the name is malformed (`label` may then have run for the labels
    /// before the fault).
    @inline(__always)
    static func walk(in message: ByteCursor, at offset: Int,
                     label: (_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Void) -> Int? {
        guard let base = message.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let count = message.bytes.count
        var position = offset
        var end = -1                 // offset after the name in place, once a pointer is taken
        var pointerLimit = offset    // every pointer must point below this
        var wireLength = 0
        while true {
            guard position >= 0, position < count else { return nil }
            let length = base[position]
            if length == 0 { return end >= 0 ? end : position &+ 1 }
            if length < 0x40 {
                let n = Int(length)
                wireLength &+= n &+ 1
                guard wireLength < maxWireLength, n < count &- position else { return nil }
                label(UnsafePointer(base), position &+ 1, n)
                position &+= n &+ 1
            } else if length >= 0xC0 {
                guard position &+ 1 < count else { return nil }
                let target = Int(length & 0x3F) << 8 | Int(base[position &+ 1])
                guard target < pointerLimit else { return nil }
                if end < 0 { end = position &+ 2 }
                pointerLimit = target
                position = target
            } else {
                return nil
            }
        }
    }
}

// MARK: - Character-strings

public enum DNSCharacterString {
    /// Writes `bytes` double-quoted: `"` and `\` backslash-escaped, bytes
    /// outside 0x20–0x7E as `\DDD` (a space stays a space).
    public static func appendQuoted<S: ByteSink>(_ bytes: UnsafeRawBufferPointer, to sink: inout S) {
        if S.discardsBytes { return }
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
