import PacketlogHost

// MARK: - Binary-to-text encodings for rdata

extension ByteSink {
    /// RFC 4648 base64 with padding, as one word (no line breaks).
    @inlinable
    mutating func appendBase64(_ bytes: UnsafeRawBufferPointer) {
        if Self.discardsBytes { return }
        var i = 0
        let n = bytes.count
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            append(base64Digit(v >> 18)); append(base64Digit(v >> 12))
            append(base64Digit(v >> 6)); append(base64Digit(v))
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            append(base64Digit(v >> 18)); append(base64Digit(v >> 12))
            append(UInt8(ascii: "=")); append(UInt8(ascii: "="))
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            append(base64Digit(v >> 18)); append(base64Digit(v >> 12))
            append(base64Digit(v >> 6)); append(UInt8(ascii: "="))
        }
    }

    /// RFC 4648 "base32hex" upper-case without padding (NSEC3 next hashed owner).
    @inlinable
    mutating func appendBase32HexUpper(_ bytes: UnsafeRawBufferPointer) {
        if Self.discardsBytes { return }
        var buffer: UInt64 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                append(base32HexDigit(UInt8(truncatingIfNeeded: buffer >> UInt64(bits)) & 0x1F))
            }
        }
        if bits > 0 {
            append(base32HexDigit(UInt8(truncatingIfNeeded: buffer << UInt64(5 - bits)) & 0x1F))
        }
    }
}

/// The base64 digit for the low six bits of `value`.
@inlinable
func base64Digit(_ value: UInt32) -> UInt8 {
    let v = UInt8(truncatingIfNeeded: value & 0x3F)
    switch v {
    case 0..<26: return 65 &+ v          // A-Z
    case 26..<52: return 97 &+ (v &- 26) // a-z
    case 52..<62: return 48 &+ (v &- 52) // 0-9
    case 62: return UInt8(ascii: "+")
    default: return UInt8(ascii: "/")
    }
}

/// The base32hex digit (`0-9A-V`) for a value below 32.
@inlinable
func base32HexDigit(_ value: UInt8) -> UInt8 {
    value < 10 ? 48 &+ value : 55 &+ value
}
