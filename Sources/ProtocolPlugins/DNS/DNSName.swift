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
    /// its length. Labels are copied 8 bytes at a time while the bytes are
    /// letters, digits, `-` or `_` (checked for 8 bytes at once), and byte by
    /// byte, with escaping, otherwise.
    @usableFromInline
    static func write(in message: ByteCursor, at offset: Int, to out: UnsafeMutablePointer<UInt8>, written: inout Int) -> Int? {
        let count = message.bytes.count
        var o = 0
        let next = walk(in: message, at: offset) { base, start, n in
            if o > 0 { out[o] = UInt8(ascii: "."); o &+= 1 }
            var i = start
            let stop = start &+ n
            while i < stop {
                let left = stop &- i
                if i &+ 8 <= count {
                    // Eight readable bytes (some may lie past the label):
                    // copy them all, keep the label's, if all of those are common.
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let wanted: UInt64 = left >= 8 ? highBits : highBits & ((1 &<< UInt64(left &* 8)) &- 1)
                    if commonNameBytes(word) & wanted == wanted {
                        UnsafeMutableRawPointer(out + o).storeBytes(of: word, as: UInt64.self)
                        let taken = left >= 8 ? 8 : left
                        o &+= taken
                        i &+= taken
                        continue
                    }
                }
                let byte = base[i]
                if isPlain(byte) {
                    out[o] = byte; o &+= 1
                } else {
                    o = appendEscaped(byte, to: out, at: o)
                }
                i &+= 1
            }
        }
        guard let next else { return nil }
        if o == 0 { out[0] = UInt8(ascii: "."); o = 1 }   // the root
        written = o
        return next
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

    /// A byte that is not plain: `\c` for a printable one, `\DDD` otherwise.
    @usableFromInline
    static func appendEscaped(_ byte: UInt8, to p: UnsafeMutablePointer<UInt8>, at out: Int) -> Int {
        if byte >= 0x21 && byte <= 0x7E {
            p[out] = UInt8(ascii: "\\"); p[out &+ 1] = byte
            return out &+ 2
        }
        p[out] = UInt8(ascii: "\\"); p[out &+ 1] = 48 &+ byte / 100
        p[out &+ 2] = 48 &+ (byte / 10) % 10; p[out &+ 3] = 48 &+ byte % 10
        return out &+ 4
    }
}

extension DNSName {
    /// A label byte printed as itself: 0x21–0x7E except `"().;\\@$`.
    /// (Two 64-bit masks picked without a branch: this runs for every name
    /// byte, and letters and digits fall on different masks.)
    @inlinable @inline(__always)
    static func isPlain(_ byte: UInt8) -> Bool {
        let mask = byte & 0x40 == 0 ? plainLow : plainHigh
        return byte < 0x80 && (mask >> UInt64(byte & 0x3F)) & 1 != 0
    }

    /// The high bit of every byte.
    @usableFromInline static var highBits: UInt64 { 0x8080_8080_8080_8080 }

    /// For the 8 bytes of `word` (memory order), the high bit of each byte
    /// that is a letter, a digit, `-` or `_` — the bytes of nearly every
    /// name, all printed as themselves. Other bytes (including every plain
    /// byte outside this set) get 0 and take the byte-by-byte path.
    @inlinable @inline(__always)
    static func commonNameBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = word & ~highBits            // so no byte carries into the next below
        @inline(__always) func within(_ x: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
            // Byte ≥ lo sets its high bit in the first sum, byte > hi in the second.
            (x &+ ones &* (0x80 &- lo)) & ~(x &+ ones &* (0x7F &- hi))
        }
        let letters = within(low7 | ones &* 0x20, 0x61, 0x7A)   // A–Z folded onto a–z
        let digits = within(low7, 0x30, 0x39)
        let dash = within(low7, 0x2D, 0x2D)
        let underscore = within(low7, 0x5F, 0x5F)
        return (letters | digits | dash | underscore) & ~word & highBits
    }

    /// Bits 0x21–0x3F except `"` `$` `(` `)` `.` `;`.
    @usableFromInline static var plainLow: UInt64 { 0xF7FFBCEA00000000 }
    /// Bits 0x40–0x7E (as 0–62) except `@` and backslash.
    @usableFromInline static var plainHigh: UInt64 { 0x7FFFFFFFEFFFFFFE }
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
