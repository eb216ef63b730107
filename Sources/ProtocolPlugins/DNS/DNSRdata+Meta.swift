import PacketlogHost

// MARK: - Meta types: OPT, TSIG, TKEY

extension DNSRdata {
    // MARK: OPT (RFC 6891)

    /// `<code> <length> [<base64 data>]` per option, separated by spaces (BIND
    /// 9.18's `totext_opt`). Validation follows its `fromwire_opt`: options
    /// fill the rdata, and LLQ, CLIENT-SUBNET, EXPIRE, COOKIE, KEY-TAG, EDE,
    /// CLIENT-TAG and SERVER-TAG have their required shapes.
    @inlinable
    static func formatOPT<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        var first = true
        while !r.isAtEnd {
            guard let code = r.u16(), let length = r.u16(), let data = r.bytes(Int(length)),
                  ednsOptionIsValid(code, data) else { return false }
            if !first { sink.append(UInt8(ascii: " ")) }
            first = false
            sink.appendDecimal(code)
            sink.append(UInt8(ascii: " "))
            sink.appendDecimal(length)
            if length > 0 {
                sink.append(UInt8(ascii: " "))
                sink.appendBase64(data)
            }
        }
        return true
    }

    /// BIND 9.18's per-option checks in `fromwire_opt`.
    @inlinable
    static func ednsOptionIsValid(_ code: UInt16, _ data: UnsafeRawBufferPointer) -> Bool {
        let n = data.count
        switch code {
        case 1: // LLQ
            return n == 18
        case 8: // CLIENT-SUBNET
            guard n >= 4 else { return false }
            let family = UInt16(data[0]) << 8 | UInt16(data[1])
            let source = Int(data[2]), scope = Int(data[3])
            switch family {
            case 0: guard source == 0, scope == 0 else { return false }
            case 1: guard source <= 32, scope <= 32 else { return false }
            case 2: guard source <= 128, scope <= 128 else { return false }
            default: return false
            }
            let addressBytes = (source + 7) / 8
            guard addressBytes + 4 == n else { return false }
            if addressBytes > 0, source % 8 != 0 {
                // Bits beyond the source prefix must be zero.
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - source % 8))
                guard data[3 + addressBytes] & ~mask == 0 else { return false }
            }
            return true
        case 9: // EXPIRE
            return n == 0 || n == 4
        case 10: // COOKIE
            return n == 8 || (n >= 16 && n <= 40)
        case 14: // KEY-TAG
            return n > 0 && n % 2 == 0
        case 15: // EDE: info code, then UTF-8 text without a byte order mark
            guard n >= 2 else { return false }
            let text = UnsafeRawBufferPointer(rebasing: data[2...])
            if text.count >= 3, text[0] == 0xEF, text[1] == 0xBB, text[2] == 0xBF { return false }
            return isValidUTF8(text)
        case 16, 17: // CLIENT-TAG, SERVER-TAG
            return n == 2
        default:
            return true
        }
    }

    /// BIND's `isc_utf8_valid`: well-formed sequences, no overlong forms,
    /// nothing above U+10FFFF.
    @inlinable
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            if b & 0xE0 == 0xC0, i + 1 < n, bytes[i + 1] & 0xC0 == 0x80 {
                let w = UInt32(b & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                guard w >= 0x80 else { return false }
                i += 2
                continue
            }
            if b & 0xF0 == 0xE0, i + 2 < n, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80 {
                let w = UInt32(b & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                guard w >= 0x800 else { return false }
                i += 3
                continue
            }
            if b & 0xF8 == 0xF0, i + 3 < n, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80, bytes[i + 3] & 0xC0 == 0x80 {
                let w = UInt32(b & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                guard w >= 0x10000, w <= 0x10FFFF else { return false }
                i += 4
                continue
            }
            return false
        }
        return true
    }

    // MARK: TSIG (RFC 8945)

    /// `<algorithm> <time signed> <fudge> <MAC size> <base64 MAC> <original
    /// ID> <error> <other size> <base64 other>`, spaced exactly as BIND's
    /// `totext_any_tsig` (so an empty MAC leaves two spaces and an empty
    /// other-data a trailing space).
    @inlinable
    static func formatTSIG<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.name(into: &sink), let timeSigned = r.u48(), let fudge = r.u16(),
              let macSize = r.u16(), let mac = r.bytes(Int(macSize)),
              let originalID = r.u16(), let error = r.u16(),
              let otherSize = r.u16(), let other = r.bytes(Int(otherSize)), r.isAtEnd else { return false }
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(timeSigned)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(fudge)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(macSize)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(mac)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(originalID)
        sink.append(UInt8(ascii: " "))
        appendTSIGError(error, to: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(otherSize)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(other)
        return true
    }

    // MARK: TKEY (RFC 2930)

    /// `<algorithm> <inception> <expiration> <mode> <error> <key size>
    /// <base64 key> <other size>[ <base64 other>]`, spaced as BIND's
    /// `totext_tkey` (times as plain numbers).
    @inlinable
    static func formatTKEY<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.name(into: &sink), let inception = r.u32(), let expiration = r.u32(),
              let mode = r.u16(), let error = r.u16(),
              let keySize = r.u16(), let key = r.bytes(Int(keySize)),
              let otherSize = r.u16(), let other = r.bytes(Int(otherSize)), r.isAtEnd else { return false }
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(inception)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(expiration)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(mode)
        sink.append(UInt8(ascii: " "))
        appendTSIGError(error, to: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(keySize)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(key)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(otherSize)
        if otherSize > 0 {
            sink.append(UInt8(ascii: " "))
            sink.appendBase64(other)
        }
        return true
    }

    /// A TSIG/TKEY error as BIND's `dns_tsigrcode_totext` prints it.
    @inlinable
    static func appendTSIGError<S: ByteSink>(_ value: UInt16, to sink: inout S) {
        if S.discardsBytes { return }
        let name: StaticString
        switch value {
        case 0: name = "NOERROR"; case 1: name = "FORMERR"; case 2: name = "SERVFAIL"
        case 3: name = "NXDOMAIN"; case 4: name = "NOTIMP"; case 5: name = "REFUSED"
        case 6: name = "YXDOMAIN"; case 7: name = "YXRRSET"; case 8: name = "NXRRSET"
        case 9: name = "NOTAUTH"; case 10: name = "NOTZONE"
        case 11: name = "RESERVED11"; case 12: name = "RESERVED12"; case 13: name = "RESERVED13"
        case 14: name = "RESERVED14"; case 15: name = "RESERVED15"
        case 16: name = "BADSIG"; case 17: name = "BADKEY"; case 18: name = "BADTIME"
        case 19: name = "BADMODE"; case 20: name = "BADNAME"; case 21: name = "BADALG"
        case 22: name = "BADTRUNC"
        default:
            sink.appendDecimal(value)
            return
        }
        sink.appendLiteral(name)
    }
}
