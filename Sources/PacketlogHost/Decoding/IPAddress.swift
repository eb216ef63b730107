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
        appendWithReservedCapacity(15) { p in
            var i = 0
            var shift: UInt32 = 24
            while true {
                let octet = UInt8(truncatingIfNeeded: v >> shift)
                if octet >= 100 {
                    p[i] = 48 &+ octet / 100; p[i &+ 1] = 48 &+ (octet / 10) % 10; p[i &+ 2] = 48 &+ octet % 10; i &+= 3
                } else if octet >= 10 {
                    p[i] = 48 &+ octet / 10; p[i &+ 1] = 48 &+ octet % 10; i &+= 2
                } else {
                    p[i] = 48 &+ octet; i &+= 1
                }
                if shift == 0 { return i }
                p[i] = UInt8(ascii: "."); i &+= 1
                shift &-= 8
            }
        }
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
        let skipStart = bestStart, skipLength = bestLength
        appendWithReservedCapacity(39) { p in
            var out = 0
            var i = 0
            while i < 8 {
                if i == skipStart {
                    p[out] = UInt8(ascii: ":"); p[out &+ 1] = UInt8(ascii: ":"); out &+= 2
                    i &+= skipLength
                    continue
                }
                if i > 0, i != skipStart &+ skipLength || skipStart < 0 { p[out] = UInt8(ascii: ":"); out &+= 1 }
                let group = address.group(i)
                var shift: UInt16 = 12
                var started = false
                while true {
                    let nibble = UInt8(truncatingIfNeeded: group >> shift) & 0x0F
                    if nibble != 0 || started || shift == 0 {
                        p[out] = hexDigitLower(nibble); out &+= 1
                        started = true
                    }
                    if shift == 0 { break }
                    shift &-= 4
                }
                i &+= 1
            }
            return out
        }
    }

    @inlinable
    mutating func appendAddress(_ address: IPAddress) {
        if address.isIPv6 { appendIPv6(high: address.high, low: address.low) } else { appendIPv4(address.ipv4) }
    }
}
