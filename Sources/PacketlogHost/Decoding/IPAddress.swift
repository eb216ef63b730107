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
        if Self.discardsBytes { return }
        appendWithReservedCapacity(15) { p in IPv4Text.write(v, to: p) }
    }

    /// RFC 5952 canonical IPv6 text: lower-case, no leading zeros, the longest
    /// run (leftmost on a tie) of two or more zero groups as `::`, and
    /// IPv4-mapped addresses (`::ffff:a.b.c.d`) with a dotted tail.
    @inlinable
    mutating func appendIPv6(high: UInt64, low: UInt64) {
        if Self.discardsBytes { return }
        if high == 0, low >> 32 == 0xFFFF {
            appendLiteral("::ffff:")
            appendIPv4(UInt32(truncatingIfNeeded: low))
            return
        }
        appendWithReservedCapacity(39) { p in IPv6Text.write(high: high, low: low, to: p) }
    }

    @inlinable
    mutating func appendAddress(_ address: IPAddress) {
        if Self.discardsBytes { return }
        if address.isIPv6 { appendIPv6(high: address.high, low: address.low) } else { appendIPv4(address.ipv4) }
    }
}

// MARK: - Address text into raw memory

/// Dotted-quad text, written at a pointer (room for 15 bytes).
public enum IPv4Text {
    @inlinable
    public static func write(_ v: UInt32, to p: UnsafeMutablePointer<UInt8>) -> Int {
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

public extension IPAddress {
    /// The address's text (what `appendAddress` writes) at a pointer with
    /// room for 39 bytes; returns its length.
    @inlinable
    func writeText(to p: UnsafeMutablePointer<UInt8>) -> Int {
        guard isIPv6 else { return IPv4Text.write(ipv4, to: p) }
        if high == 0, low >> 32 == 0xFFFF {
            let prefix: StaticString = "::ffff:"
            for i in 0..<7 { p[i] = prefix.utf8Start[i] }
            return 7 &+ IPv4Text.write(UInt32(truncatingIfNeeded: low), to: p + 7)
        }
        return IPv6Text.write(high: high, low: low, to: p)
    }
}

// MARK: - IPv6 text

/// The RFC 5952 writer behind `appendIPv6` (not the IPv4-mapped form).
public enum IPv6Text {
    /// Writes the text of the address into `p` (room for 39 bytes); returns its length.
    @inlinable
    public static func write(high: UInt64, low: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        @inline(__always) func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) &>> UInt64((3 &- (i & 3)) &* 16))
        }
        // The longest run of zero groups (leftmost on a tie), from a bit mask.
        var zeros: UInt32 = 0
        for i in 0..<8 where group(i) == 0 { zeros |= 1 &<< UInt32(i) }
        var skipStart = -1, skipLength = 0
        if zeros != 0 {
            var run = zeros
            var length = 0
            // After k steps of `run &= run >> 1`, a bit survives where a run of k+1 zeros starts.
            while run != 0 { length &+= 1; let next = run & (run &>> 1); if next == 0 { break }; run = next }
            if length >= 2 {
                skipStart = run.trailingZeroBitCount
                skipLength = length
            }
        }
        let hex = ("0123456789abcdef" as StaticString).utf8Start
        var out = 0
        var i = 0
        while i < 8 {
            if i == skipStart {
                p[out] = UInt8(ascii: ":"); p[out &+ 1] = UInt8(ascii: ":"); out &+= 2
                i &+= skipLength
                continue
            }
            if i > 0, i != skipStart &+ skipLength { p[out] = UInt8(ascii: ":"); out &+= 1 }
            let g = group(i)
            // Hex digits without leading zeros: 1 to 4 of them, written from the last.
            let digits = g == 0 ? 1 : (19 &- g.leadingZeroBitCount) &>> 2
            var value = g
            var k = digits
            while k > 0 {
                k &-= 1
                p[out &+ k] = hex[Int(value & 0x0F)]
                value &>>= 4
            }
            out &+= digits
            i &+= 1
        }
        return out
    }
}
