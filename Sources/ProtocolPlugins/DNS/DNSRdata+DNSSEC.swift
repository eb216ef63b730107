import PacketlogHost

// MARK: - DNSSEC types

extension DNSRdata {
    // MARK: DS, CDS, DLV (RFC 4034 §5)

    /// `<key tag> <algorithm> <digest type> <HEX>`: a non-empty digest, of
    /// the exact length for SHA-1 (20), SHA-256 (32), GOST (32) and SHA-384 (48).
    @inlinable
    static func formatDS<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let keyTag = r.u16(), let algorithm = r.u8(), let digestType = r.u8(),
              let digest = r.rest(), digest.count > 0 else { return false }
        switch digestType {
        case 1: guard digest.count == 20 else { return false }
        case 2, 3: guard digest.count == 32 else { return false }
        case 4: guard digest.count == 48 else { return false }
        default: break
        }
        sink.appendDecimal(keyTag)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(digestType)
        sink.append(UInt8(ascii: " "))
        sink.appendHexUpper(digest)
        return true
    }

    // MARK: DNSKEY, CDNSKEY (RFC 4034 §2)

    /// `<flags> <protocol> <algorithm> <base64 key>`; the key is not empty
    /// and, for PRIVATEDNS (253), starts with a valid name.
    @inlinable
    static func formatDNSKEY<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let flags = r.u16(), let proto = r.u8(), let algorithm = r.u8(),
              let key = r.rest(), key.count > 0 else { return false }
        if algorithm == 253 {
            // PRIVATEDNS: the key starts with the algorithm's domain name.
            var probe = RdataReader(r.message, start: r.offset - key.count, end: r.end)
            guard probe.skipName() else { return false }
        }
        sink.appendDecimal(flags)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(proto)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(key)
        return true
    }

    // MARK: RRSIG (RFC 4034 §3)

    /// `<type covered> <algorithm> <labels> <original TTL> <expiration>
    /// <inception> <key tag> <signer> <base64 signature>`, times as
    /// `YYYYMMDDHHMMSS` (UTC).
    @inlinable
    static func formatRRSIG<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let covered = r.u16(), let algorithm = r.u8(), let labels = r.u8(), let originalTTL = r.u32(),
              let expiration = r.u32(), let inception = r.u32(), let keyTag = r.u16() else { return false }
        sink.appendDNSType(DNSType(rawValue: covered))
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(labels)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(originalTTL)
        sink.append(UInt8(ascii: " "))
        appendDNSSECTime(expiration, to: &sink)
        sink.append(UInt8(ascii: " "))
        appendDNSSECTime(inception, to: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(keyTag)
        sink.append(UInt8(ascii: " "))
        guard r.name(into: &sink), let signature = r.rest(), signature.count > 0 else { return false }
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(signature)
        return true
    }

    /// Seconds since 1970 (unsigned 32-bit) as `YYYYMMDDHHMMSS` in UTC.
    @inlinable
    static func appendDNSSECTime<S: ByteSink>(_ value: UInt32, to sink: inout S) {
        if S.discardsBytes { return }
        let seconds = Int64(value)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Civil date from a day count (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        sink.appendDecimal(year, width: 4)
        sink.appendDecimal(month, width: 2)
        sink.appendDecimal(day, width: 2)
        sink.appendDecimal(secondOfDay / 3600, width: 2)
        sink.appendDecimal(secondOfDay % 3600 / 60, width: 2)
        sink.appendDecimal(secondOfDay % 60, width: 2)
    }

    // MARK: NSEC, NSEC3, NSEC3PARAM (RFC 4034 §4, RFC 5155)

    /// `<next name> <type>…`; the bitmap may not be empty.
    @inlinable
    static func formatNSEC<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.name(into: &sink) else { return false }
        return appendTypeBitmap(&r, allowEmpty: false, into: &sink)
    }

    /// `<hash algorithm> <flags> <iterations> <salt HEX or -> <next hashed
    /// owner in base32hex> <type>…`; the hash is not empty (20 bytes for SHA-1),
    /// the bitmap may be empty.
    @inlinable
    static func formatNSEC3<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let algorithm = r.u8(), let flags = r.u8(), let iterations = r.u16(),
              let salt = r.characterString(), let hash = r.characterString(), hash.count > 0,
              algorithm != 1 || hash.count == 20 else { return false }
        appendNSEC3Parameters(algorithm, flags, iterations, salt, to: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendBase32HexUpper(hash)
        return appendTypeBitmap(&r, allowEmpty: true, into: &sink)
    }

    /// `<hash algorithm> <flags> <iterations> <salt HEX or ->`, exactly.
    @inlinable
    static func formatNSEC3PARAM<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let algorithm = r.u8(), let flags = r.u8(), let iterations = r.u16(),
              let salt = r.characterString(), r.isAtEnd else { return false }
        appendNSEC3Parameters(algorithm, flags, iterations, salt, to: &sink)
        return true
    }

    @inlinable
    static func appendNSEC3Parameters<S: ByteSink>(_ algorithm: UInt8, _ flags: UInt8, _ iterations: UInt16, _ salt: UnsafeRawBufferPointer, to sink: inout S) {
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(flags)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(iterations)
        sink.append(UInt8(ascii: " "))
        if salt.count == 0 { sink.append(UInt8(ascii: "-")) } else { sink.appendHexUpper(salt) }
    }

    // MARK: CSYNC (RFC 7477)

    /// `<SOA serial> <flags> <type>…`; the bitmap may be empty.
    @inlinable
    static func formatCSYNC<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let serial = r.u32(), let flags = r.u16() else { return false }
        sink.appendDecimal(serial)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(flags)
        return appendTypeBitmap(&r, allowEmpty: true, into: &sink)
    }

    // MARK: ZONEMD (RFC 8976)

    /// `<serial> <scheme> <hash algorithm> <HEX digest>`: the digest is at
    /// least 12 bytes, exactly 48 for SHA-384 and 64 for SHA-512.
    @inlinable
    static func formatZONEMD<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let serial = r.u32(), let scheme = r.u8(), let algorithm = r.u8(),
              let digest = r.rest(), digest.count >= 12 else { return false }
        switch algorithm {
        case 1: guard digest.count == 48 else { return false }
        case 2: guard digest.count == 64 else { return false }
        default: break
        }
        sink.appendDecimal(serial)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(scheme)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendHexUpper(digest)
        return true
    }

    // MARK: Type bitmaps (RFC 4034 §4.1.2)

    /// Reads the rest of the rdata as a type bitmap and writes ` <type>` for
    /// every bit set. Windows must be strictly increasing, 1–32 bytes long,
    /// with a non-zero last byte (BIND's `typemap_test`), and must fill the
    /// rdata exactly.
    @inlinable
    static func appendTypeBitmap<S: ByteSink>(_ r: inout RdataReader, allowEmpty: Bool, into sink: inout S) -> Bool {
        // Validate everything first so nothing is written for a bad bitmap.
        var scan = r
        var previous = -1
        while !scan.isAtEnd {
            guard let window = scan.u8(), let length = scan.u8(), Int(window) > previous,
                  length >= 1, length <= 32, let bits = scan.bytes(Int(length)),
                  let last = bits.last, last != 0 else { return false }
            previous = Int(window)
        }
        if previous < 0 && !allowEmpty { return false }
        while !r.isAtEnd {
            guard let window = r.u8(), let length = r.u8(), let bits = r.bytes(Int(length)) else { return false }
            for (index, byte) in bits.enumerated() where byte != 0 {
                for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
                    sink.append(UInt8(ascii: " "))
                    sink.appendDNSType(DNSType(rawValue: UInt16(window) << 8 | UInt16(index * 8 + bit)))
                }
            }
        }
        return true
    }
}
