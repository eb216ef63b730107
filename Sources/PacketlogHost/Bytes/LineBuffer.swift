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
}

/// A sink that keeps nothing: formatting code run against it only validates.
public struct DiscardingSink: ByteSink {
    @inlinable public init() {}
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

    /// Frees the storage; the buffer must not be used afterwards.
    public func deallocate() { base.deallocate() }

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
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
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

    /// Decimal digits of an unsigned value, written right to left in place.
    @inlinable
    mutating func appendUnsignedDecimal(_ value: UInt64) {
        if value < 10 { append(UInt8(truncatingIfNeeded: value) &+ 48); return }
        var digits = 2
        var limit: UInt64 = 100
        while digits < 20, value >= limit { digits &+= 1; limit = limit &* 10 }
        appendWithReservedCapacity(digits) { p in
            var v = value
            var i = digits
            while i > 0 {
                i &-= 1
                p[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            return digits
        }
    }

    /// Decimal digits left-padded with zeros to `width`.
    @inlinable
    mutating func appendDecimal<T: BinaryInteger>(_ value: T, width: Int) {
        var digits = 1
        var limit: UInt64 = 10
        let v = UInt64(value)
        while digits < 20, v >= limit { digits += 1; limit = limit &* 10 }
        var pad = width - digits
        while pad > 0 { append(UInt8(ascii: "0")); pad -= 1 }
        appendUnsignedDecimal(v)
    }

    /// Two upper-case hex digits.
    @inlinable
    mutating func appendHexUpper(_ byte: UInt8) {
        append(hexDigitUpper(byte >> 4))
        append(hexDigitUpper(byte & 0x0F))
    }

    /// Upper-case hex of every byte, one word.
    @inlinable
    mutating func appendHexUpper(_ bytes: UnsafeRawBufferPointer) {
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
