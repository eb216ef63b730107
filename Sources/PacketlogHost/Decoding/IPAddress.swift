// MARK: - IPAddress

/// An IPv4 or IPv6 address held inline (no allocation): IPv4 in the low 32
/// bits of `low`, IPv6 as two big-endian halves.
public struct IPAddress: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64
    public var isIPv6: Bool

    @inlinable
    public init(ipv4 value: UInt32) {
        high = 0; low = UInt64(value); isIPv6 = false
    }

    @inlinable
    public init(ipv6High high: UInt64, low: UInt64) {
        self.high = high; self.low = low; isIPv6 = true
    }

    /// The IPv4 value (meaningful when `!isIPv6`).
    @inlinable public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Reads 4 or 16 network-order bytes at `index`; `nil` if out of range.
    @inlinable
    public static func ipv4(in cursor: ByteCursor, at index: Int) -> IPAddress? {
        guard let v: UInt32 = cursor.getInteger(at: index) else { return nil }
        return IPAddress(ipv4: v)
    }

    @inlinable
    public static func ipv6(in cursor: ByteCursor, at index: Int) -> IPAddress? {
        guard let h: UInt64 = cursor.getInteger(at: index), let l: UInt64 = cursor.getInteger(at: index + 8) else { return nil }
        return IPAddress(ipv6High: h, low: l)
    }

    /// The 16-bit group `i` (0...7) of an IPv6 address.
    @inlinable
    public func group(_ i: Int) -> UInt16 {
        let word = i < 4 ? high : low
        return UInt16(truncatingIfNeeded: word >> UInt64((3 - (i & 3)) * 16))
    }
}

// MARK: - Text form

public extension ByteSink {
    /// Dotted quad.
    @inlinable
    mutating func appendIPv4(_ v: UInt32) {
        appendDecimal(UInt8(truncatingIfNeeded: v >> 24)); append(UInt8(ascii: "."))
        appendDecimal(UInt8(truncatingIfNeeded: v >> 16)); append(UInt8(ascii: "."))
        appendDecimal(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(ascii: "."))
        appendDecimal(UInt8(truncatingIfNeeded: v))
    }

    /// RFC 5952 canonical IPv6 text: lower-case, no leading zeros, the longest
    /// run (leftmost on a tie) of two or more zero groups as `::`, and
    /// IPv4-mapped addresses (`::ffff:a.b.c.d`) with a dotted tail.
    @inlinable
    mutating func appendIPv6(high: UInt64, low: UInt64) {
        let address = IPAddress(ipv6High: high, low: low)
        if high == 0, low >> 32 == 0xFFFF {
            appendLiteral("::ffff:")
            appendIPv4(UInt32(truncatingIfNeeded: low))
            return
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0..<8 {
            if address.group(i) == 0 {
                if runStart < 0 { runStart = i }
                let length = i - runStart + 1
                if length > bestLength { bestLength = length; bestStart = runStart }
            } else {
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var i = 0
        while i < 8 {
            if i == bestStart {
                append(UInt8(ascii: ":")); append(UInt8(ascii: ":"))
                i += bestLength
                continue
            }
            if i > 0, i != bestStart + bestLength || bestStart < 0 { append(UInt8(ascii: ":")) }
            appendHexLower(address.group(i))
            i += 1
        }
    }

    @inlinable
    mutating func appendAddress(_ address: IPAddress) {
        if address.isIPv6 { appendIPv6(high: address.high, low: address.low) } else { appendIPv4(address.ipv4) }
    }
}
