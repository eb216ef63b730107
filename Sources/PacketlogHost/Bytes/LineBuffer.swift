// MARK: - ByteSink

/// Somewhere formatted bytes go. `LineBuffer` keeps them; `DiscardingSink`
/// drops them, so one generic formatter can both validate and print.
public protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeRawBufferPointer)
    /// Makes room for at most `maxCount` bytes and lets `body` write them at
    /// the pointer it gets; `body` returns how many it wrote. A sink that
    /// keeps nothing may skip `body`, so it must only write.
    mutating func appendWithReservedCapacity(_ maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int)
    /// `true` for a sink that keeps nothing: a formatter may then take a
    /// validate-only path (it must still validate exactly as much).
    static var discardsBytes: Bool { get }
}

public extension ByteSink {
    @inlinable static var discardsBytes: Bool { false }
}

/// A sink that keeps nothing: formatting code run against it only validates.
public struct DiscardingSink: ByteSink {
    @inlinable public init() {}
    @inlinable public static var discardsBytes: Bool { true }
    @inlinable public mutating func append(_ byte: UInt8) {}
    @inlinable public mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {}
    @inlinable public mutating func appendWithReservedCapacity(_ maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {}
}

// MARK: - LineBuffer

/// A growable byte buffer the host owns and reuses for every packet. Modules
/// append a line's bytes to it; it is never shrunk, so in the steady state
/// appending allocates nothing.
///
/// It is a plain struct over a raw allocation: whoever creates it calls
/// `deallocate()` exactly once (the host does, at shutdown).
public struct LineBuffer: ByteSink {
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    /// Number of bytes written.
    public var count: Int

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        self.count = 0
    }

    /// A placeholder that owns no storage (capacity 0): appending to it
    /// allocates, `deallocate()` does nothing.
    @usableFromInline static var empty: LineBuffer { LineBuffer(unallocated: ()) }

    @usableFromInline init(unallocated: Void) {
        capacity = 0
        base = UnsafeMutableRawPointer(bitPattern: 16)!
        count = 0
    }

    /// Frees the storage; the buffer must not be used afterwards.
    public func deallocate() { if capacity > 0 { base.deallocate() } }

    /// The bytes written so far (valid until the next append).
    @inlinable
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Bytes `range` of what was written.
    @inlinable
    public func bytes(from start: Int, to end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: end - start)
    }

    /// Forgets everything written (keeps the storage).
    @inlinable public mutating func removeAll() { count = 0 }

    /// Forgets everything written after `newCount` bytes.
    @inlinable public mutating func truncate(to newCount: Int) {
        if newCount < count { count = max(0, newCount) }
    }

    @inlinable
    public mutating func reserve(_ extra: Int) {
        if _slowPath(count &+ extra > capacity) { grow(minimum: count + extra) }
    }

    @usableFromInline
    mutating func grow(minimum: Int) {
        var newCapacity = Swift.max(capacity * 2, 64)
        while newCapacity < minimum { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        if capacity > 0 { base.deallocate() }
        base = newBase
        capacity = newCapacity
    }

    // MARK: Raw appends

    @inlinable
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inlinable
    public mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress else { return }
        let n = bytes.count
        reserve(n)
        let dst = base + count
        if n <= 16 {
            // Short fields: a byte loop beats a call to memmove.
            var i = 0
            while i < n { dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self); i &+= 1 }
        } else {
            dst.copyMemory(from: src, byteCount: n)
        }
        count &+= n
    }

    @inlinable
    public mutating func appendWithReservedCapacity(_ maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maxCount)
        let written = body((base + count).assumingMemoryBound(to: UInt8.self))
        count &+= written
    }

    /// Appends an ASCII literal (`"IN"`, `" T"`).
    @inlinable
    public mutating func append(_ literal: StaticString) {
        append(contentsOf: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Writes a byte at an absolute offset already written (for patching).
    @inlinable
    public mutating func set(_ byte: UInt8, at offset: Int) {
        guard offset >= 0, offset < count else { return }
        base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
    }
}

// MARK: - Number and text formatting shared by every sink

public extension ByteSink {
    /// Appends an ASCII literal (`"IN"`, `" T"`) to any sink.
    @inlinable
    mutating func appendLiteral(_ literal: StaticString) {
        if Self.discardsBytes { return }
        append(contentsOf: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Decimal digits of `value`, no padding.
    @inlinable
    mutating func appendDecimal<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendUnsignedDecimal(UInt64(0 &- Int64(value)))
        } else {
            appendUnsignedDecimal(UInt64(value))
        }
    }

    /// Decimal digits of an unsigned value, written right to left in place,
    /// two at a time.
    @inlinable
    mutating func appendUnsignedDecimal(_ value: UInt64) {
        if Self.discardsBytes { return }
        if value < 10 { append(UInt8(truncatingIfNeeded: value) &+ 48); return }
        let digits = decimalDigitCount(value)
        appendWithReservedCapacity(digits) { p in
            writeDecimal(value, digits: digits, to: p)
            return digits
        }
    }

    /// Decimal digits left-padded with zeros to `width`.
    @inlinable
    mutating func appendDecimal<T: BinaryInteger>(_ value: T, width: Int) {
        let v = UInt64(value)
        let digits = Swift.max(decimalDigitCount(v), width)
        appendWithReservedCapacity(digits) { p in
            writeDecimal(v, digits: digits, to: p)
            return digits
        }
    }
    /// Two upper-case hex digits.
    @inlinable
    mutating func appendHexUpper(_ byte: UInt8) {
        if Self.discardsBytes { return }
        append(hexDigitUpper(byte >> 4))
        append(hexDigitUpper(byte & 0x0F))
    }

    /// Upper-case hex of every byte, one word.
    @inlinable
    mutating func appendHexUpper(_ bytes: UnsafeRawBufferPointer) {
        if Self.discardsBytes { return }
        appendWithReservedCapacity(bytes.count * 2) { p in
            var i = 0
            for b in bytes {
                p[i] = hexDigitUpper(b >> 4); p[i &+ 1] = hexDigitUpper(b & 0x0F)
                i &+= 2
            }
            return i
        }
    }

    /// Lower-case hex digits of `value`, no leading zeros (IPv6 groups).
    @inlinable
    mutating func appendHexLower(_ value: UInt16) {
        if Self.discardsBytes { return }
        var started = false
        var shift = 12
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0x0F
            if nibble != 0 || started || shift == 0 {
                append(hexDigitLower(nibble))
                started = true
            }
            shift -= 4
        }
    }

    /// `\DDD` for one byte.
    @inlinable
    mutating func appendDecimalEscape(_ byte: UInt8) {
        if Self.discardsBytes { return }
        append(UInt8(ascii: "\\"))
        append(48 &+ byte / 100)
        append(48 &+ (byte / 10) % 10)
        append(48 &+ byte % 10)
    }
}

@inlinable
public func hexDigitUpper(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 &+ nibble : 55 &+ nibble }
@inlinable
public func hexDigitLower(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 &+ nibble : 87 &+ nibble }

// MARK: - Decimal digits

/// How many decimal digits `value` has (at least 1).
@inlinable
public func decimalDigitCount(_ value: UInt64) -> Int {
    var digits = 1
    var limit: UInt64 = 10
    while digits < 20, value >= limit { digits &+= 1; limit = limit &* 10 }
    return digits
}

/// The decimal digits of a 16-bit value (a port, a DNS count) at `p`;
/// returns how many (1–5). Counts the digits by comparisons instead of
/// `decimalDigitCount`'s loop: two ports per packet on the hot path.
@inlinable @inline(__always)
public func writeDecimal16(_ value: UInt16, to p: UnsafeMutablePointer<UInt8>) -> Int {
    let digits = value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : 5
    writeDecimal(UInt64(value), digits: digits, to: p)
    return digits
}

/// Writes the last `digits` decimal digits of `value` at `p` (zero-padded
/// on the left), two digits per division.
@inlinable
public func writeDecimal(_ value: UInt64, digits: Int, to p: UnsafeMutablePointer<UInt8>) {
    let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    let table = pairs.utf8Start
    var v = value
    var i = digits
    while i >= 2 {
        let r = Int(v % 100)
        v /= 100
        i &-= 2
        p[i] = table[r &* 2]
        p[i &+ 1] = table[r &* 2 &+ 1]
    }
    if i == 1 { p[0] = UInt8(truncatingIfNeeded: v % 10) &+ 48 }
}
