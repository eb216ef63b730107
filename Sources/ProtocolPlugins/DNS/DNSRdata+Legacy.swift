import PacketlogHost

// MARK: - Legacy, addressing and informational types

extension DNSRdata {
    // MARK: WKS (RFC 1035 §3.4.2)

    /// `<address> <protocol> <port>…`: the protocol as a number and one port
    /// per bit set. BIND rejects an empty-tail bitmap whose last byte is 0
    /// and bitmaps longer than 8 KiB.
    @inlinable
    static func formatWKS<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining >= 5, r.remaining <= 8 * 1024 + 5,
              let address = r.u32(), let proto = r.u8(), let bitmap = r.rest() else { return false }
        if let last = bitmap.last, last == 0 { return false }
        sink.appendIPv4(address)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(proto)
        for (index, byte) in bitmap.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
                sink.append(UInt8(ascii: " "))
                sink.appendDecimal(index * 8 + bit)
            }
        }
        return true
    }

    // MARK: X25, ISDN (RFC 1183)

    /// One quoted PSDN address of at least four digits.
    @inlinable
    static func formatX25<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let address = r.characterString(), r.isAtEnd, address.count >= 4 else { return false }
        for byte in address where !(0x30...0x39).contains(byte) { return false }
        DNSCharacterString.appendQuoted(address, to: &sink)
        return true
    }

    /// The quoted ISDN address and, when present, the quoted subaddress.
    @inlinable
    static func formatISDN<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let address = r.characterString() else { return false }
        DNSCharacterString.appendQuoted(address, to: &sink)
        if r.isAtEnd { return true }
        guard let subaddress = r.characterString(), r.isAtEnd else { return false }
        sink.append(UInt8(ascii: " "))
        DNSCharacterString.appendQuoted(subaddress, to: &sink)
        return true
    }

    // MARK: NSAP, PX (RFC 1706, RFC 2163)

    /// `0x` and the address in lower-case hex, as BIND prints it.
    @inlinable
    static func formatNSAP<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining >= 1, let address = r.rest() else { return false }
        sink.appendLiteral("0x")
        for byte in address {
            sink.append(hexDigitLower(byte >> 4))
            sink.append(hexDigitLower(byte & 0x0F))
        }
        return true
    }

    /// `<preference> <map822> <mapx400>`.
    @inlinable
    static func formatPX<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let preference = r.u16() else { return false }
        sink.appendDecimal(preference)
        sink.append(UInt8(ascii: " "))
        return formatNames(2, &r, into: &sink)
    }

    // MARK: NAPTR (RFC 3403)

    /// `<order> <preference> "<flags>" "<services>" "<regexp>" <replacement>`.
    @inlinable
    static func formatNAPTR<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let order = r.u16(), let preference = r.u16() else { return false }
        sink.appendDecimal(order)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(preference)
        for _ in 0..<3 {
            guard let s = r.characterString() else { return false }
            sink.append(UInt8(ascii: " "))
            DNSCharacterString.appendQuoted(s, to: &sink)
        }
        sink.append(UInt8(ascii: " "))
        return formatNames(1, &r, into: &sink)
    }

    // MARK: APL (RFC 3123)

    /// `[!]<family>:<address>/<prefix>` items separated by spaces. Address
    /// bytes trimmed on the wire are zero-filled. An unknown family (which
    /// BIND accepts on the wire but cannot print) makes the record RFC 3597:
    /// that is decided by a first pass before anything is written.
    @inlinable
    static func formatAPL<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool? {
        // Pass 1: validate everything and look for unknown families.
        var scan = r
        var unknownFamily = false
        while !scan.isAtEnd {
            guard let family = scan.u16(), let prefix = scan.u8(), let lengthByte = scan.u8(),
                  let address = scan.bytes(Int(lengthByte & 0x7F)) else { return false }
            switch family {
            case 1: guard prefix <= 32, address.count <= 4 else { return false }
            case 2: guard prefix <= 128, address.count <= 16 else { return false }
            default: unknownFamily = true
            }
            if let last = address.last, last == 0 { return false }
        }
        if unknownFamily { return nil }
        // Pass 2: print.
        var first = true
        while !r.isAtEnd {
            guard let family = r.u16(), let prefix = r.u8(), let lengthByte = r.u8(),
                  let address = r.bytes(Int(lengthByte & 0x7F)) else { return false }
            if !first { sink.append(UInt8(ascii: " ")) }
            first = false
            if lengthByte & 0x80 != 0 { sink.append(UInt8(ascii: "!")) }
            sink.appendDecimal(family)
            sink.append(UInt8(ascii: ":"))
            if family == 1 {
                var v: UInt32 = 0
                for i in 0..<4 { v = v << 8 | UInt32(i < address.count ? address[i] : 0) }
                sink.appendIPv4(v)
            } else {
                var high: UInt64 = 0, low: UInt64 = 0
                for i in 0..<8 { high = high << 8 | UInt64(i < address.count ? address[i] : 0) }
                for i in 8..<16 { low = low << 8 | UInt64(i < address.count ? address[i] : 0) }
                sink.appendIPv6(high: high, low: low)
            }
            sink.append(UInt8(ascii: "/"))
            sink.appendDecimal(prefix)
        }
        return true
    }

    // MARK: ILNP (RFC 6742)

    /// NID and L64: `<preference> x:x:x:x`, four 16-bit groups in lower-case
    /// hex without leading zeros (as BIND prints them).
    @inlinable
    static func formatNID<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining == 10, let preference = r.u16(), let locator = r.bytes(8) else { return false }
        sink.appendDecimal(preference)
        sink.append(UInt8(ascii: " "))
        for group in 0..<4 {
            if group > 0 { sink.append(UInt8(ascii: ":")) }
            sink.appendHexLower(UInt16(locator[2 * group]) << 8 | UInt16(locator[2 * group + 1]))
        }
        return true
    }

    /// L32: `<preference> <IPv4>`.
    @inlinable
    static func formatL32<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining == 6, let preference = r.u16(), let locator = r.u32() else { return false }
        sink.appendDecimal(preference)
        sink.append(UInt8(ascii: " "))
        sink.appendIPv4(locator)
        return true
    }

    /// LP: `<preference> <fqdn>`.
    @inlinable
    static func formatLP<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let preference = r.u16() else { return false }
        sink.appendDecimal(preference)
        sink.append(UInt8(ascii: " "))
        return formatNames(1, &r, into: &sink)
    }

    // MARK: EUI48, EUI64 (RFC 7043)

    /// Lower-case hex bytes joined by `-`; the rdata is exactly `count` bytes.
    @inlinable
    static func formatEUI<S: ByteSink>(_ count: Int, _ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining == count, let bytes = r.rest() else { return false }
        for (i, byte) in bytes.enumerated() {
            if i > 0 { sink.append(UInt8(ascii: "-")) }
            sink.append(hexDigitLower(byte >> 4))
            sink.append(hexDigitLower(byte & 0x0F))
        }
        return true
    }

    // MARK: AMTRELAY (RFC 8777)

    /// `<precedence> <D-bit> <type> <relay>`: relay `.` (type 0), IPv4,
    /// IPv6 or a name. An unknown relay type is valid on the wire but BIND
    /// has no text for it, so the record is RFC 3597 (`nil`).
    @inlinable
    static func formatAMTRELAY<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool? {
        guard let precedence = r.u8(), let flags = r.u8() else { return false }
        let relayType = flags & 0x7F
        switch relayType {
        case 0: guard r.remaining == 0 else { return false }
        case 1: guard r.remaining == 4 else { return false }
        case 2: guard r.remaining == 16 else { return false }
        case 3: break
        default: return nil
        }
        sink.appendDecimal(precedence)
        sink.appendLiteral(flags & 0x80 != 0 ? " 1 " : " 0 ")
        sink.appendDecimal(relayType)
        switch relayType {
        case 0:
            sink.appendLiteral(" .")
            return true
        case 1:
            guard let v = r.u32() else { return false }
            sink.append(UInt8(ascii: " "))
            sink.appendIPv4(v)
            return true
        case 2:
            guard let h = r.bytes(8), let l = r.bytes(8) else { return false }
            sink.append(UInt8(ascii: " "))
            sink.appendIPv6(high: bigEndian64(h), low: bigEndian64(l))
            return true
        default:
            sink.append(UInt8(ascii: " "))
            return formatNames(1, &r, into: &sink)
        }
    }

    /// The first eight bytes of `bytes` as a big-endian integer (0 past the end).
    @inlinable
    static func bigEndian64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        return v
    }
}
