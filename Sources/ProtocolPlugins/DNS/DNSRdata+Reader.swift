import PacketlogHost

// MARK: - RdataReader

/// A forward-only reader over one rdata `[offset, end)` inside a whole DNS
/// message. Every read is bounds-checked against both the rdata's end and the
/// message (through `ByteCursor`) and returns `nil` instead of trapping.
/// It is a small value on the stack: reading never allocates.
@usableFromInline
struct RdataReader {
    @usableFromInline let message: ByteCursor
    /// Absolute offset of the next unread byte.
    @usableFromInline var offset: Int
    /// Absolute offset just past the rdata.
    @usableFromInline let end: Int

    @inlinable
    init(_ message: ByteCursor, start: Int, end: Int) {
        self.message = message
        self.offset = start
        self.end = end
    }

    /// Bytes left in the rdata.
    @inlinable var remaining: Int { end &- offset }

    /// Whether every byte of the rdata has been read.
    @inlinable var isAtEnd: Bool { offset >= end }

    // MARK: Fixed-size fields

    @inlinable
    mutating func u8() -> UInt8? {
        guard remaining >= 1, let v = message.getUInt8(at: offset) else { return nil }
        offset &+= 1
        return v
    }

    @inlinable
    mutating func u16() -> UInt16? {
        guard remaining >= 2, let v: UInt16 = message.getInteger(at: offset) else { return nil }
        offset &+= 2
        return v
    }

    @inlinable
    mutating func u32() -> UInt32? {
        guard remaining >= 4, let v: UInt32 = message.getInteger(at: offset) else { return nil }
        offset &+= 4
        return v
    }

    /// A 48-bit big-endian integer (TSIG time signed).
    @inlinable
    mutating func u48() -> UInt64? {
        guard remaining >= 6, let high: UInt16 = message.getInteger(at: offset),
              let low: UInt32 = message.getInteger(at: offset &+ 2) else { return nil }
        offset &+= 6
        return UInt64(high) << 32 | UInt64(low)
    }

    // MARK: Byte runs

    /// The next `count` bytes (no copy).
    @inlinable
    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining, let b = message.getBytes(at: offset, length: count) else { return nil }
        offset &+= count
        return b
    }

    /// Everything left in the rdata (possibly empty).
    @inlinable
    mutating func rest() -> UnsafeRawBufferPointer? {
        bytes(remaining)
    }

    /// One length-prefixed character-string.
    @inlinable
    mutating func characterString() -> UnsafeRawBufferPointer? {
        guard let length = u8() else { return nil }
        return bytes(Int(length))
    }

    // MARK: Names

    /// A domain name that starts inside the rdata and whose in-place bytes end
    /// inside it (compression pointers may point anywhere earlier in the
    /// message); writes its presentation form.
    @inlinable
    mutating func name<S: ByteSink>(into sink: inout S) -> Bool {
        guard offset < end, let next = DNSName.read(in: message, at: offset, into: &sink), next <= end else { return false }
        offset = next
        return true
    }

    /// Skips a name (validating it) without writing anything.
    @inlinable
    mutating func skipName() -> Bool {
        var discard = DiscardingSink()
        return name(into: &discard)
    }
}
