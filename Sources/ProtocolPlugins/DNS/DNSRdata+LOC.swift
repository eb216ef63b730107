import PacketlogHost

// MARK: - LOC (RFC 1876)

extension DNSRdata {
    /// `d m s.fff N|S d m s.fff E|W <alt>m <size>m <hp>m <vp>m` as BIND
    /// prints it. Version 0 only: another version is valid on the wire but
    /// has no text form, so it is RFC 3597 (`nil`, decided before writing).
    /// Each precision byte is a mantissa and a power of ten, both 0–9, and a
    /// zero mantissa only with a zero exponent; latitude must lie within
    /// ±90°, longitude within ±180°; the rdata is exactly 16 bytes.
    @inlinable
    static func formatLOC<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool? {
        guard let version = r.u8() else { return false }
        if version != 0 { return nil }
        guard r.remaining == 15, let size = r.u8(), let horizontal = r.u8(), let vertical = r.u8(),
              let latitude = r.u32(), let longitude = r.u32(), let altitude = r.u32() else { return false }
        guard locPrecisionIsValid(size), locPrecisionIsValid(horizontal), locPrecisionIsValid(vertical) else { return false }
        let equator: UInt32 = 0x8000_0000
        let maxLatitude: UInt32 = 90 * 3_600_000, maxLongitude: UInt32 = 180 * 3_600_000
        guard latitude >= equator - maxLatitude, latitude <= equator + maxLatitude,
              longitude >= equator - maxLongitude, longitude <= equator + maxLongitude else { return false }

        appendLOCAngle(latitude, positive: "N", negative: "S", to: &sink)
        sink.append(UInt8(ascii: " "))
        appendLOCAngle(longitude, positive: "E", negative: "W", to: &sink)
        sink.append(UInt8(ascii: " "))
        // Altitude: centimetres above a base 100000 m below the WGS 84 ellipsoid.
        let base: UInt32 = 10_000_000
        let centimetres: UInt32
        if altitude < base {
            sink.append(UInt8(ascii: "-"))
            centimetres = base - altitude
        } else {
            centimetres = altitude - base
        }
        sink.appendDecimal(centimetres / 100)
        sink.append(UInt8(ascii: "."))
        sink.appendDecimal(centimetres % 100, width: 2)
        sink.append(UInt8(ascii: "m"))
        sink.append(UInt8(ascii: " "))
        appendLOCPrecision(size, to: &sink)
        sink.append(UInt8(ascii: " "))
        appendLOCPrecision(horizontal, to: &sink)
        sink.append(UInt8(ascii: " "))
        appendLOCPrecision(vertical, to: &sink)
        return true
    }

    /// Mantissa and exponent both at most 9; mantissa 0 only with exponent 0.
    @inlinable
    static func locPrecisionIsValid(_ byte: UInt8) -> Bool {
        let mantissa = byte >> 4, exponent = byte & 0x0F
        return mantissa <= 9 && exponent <= 9 && (mantissa != 0 || exponent == 0)
    }

    /// `<degrees> <minutes> <seconds>.<millis> <hemisphere>`; the equator and
    /// the prime meridian count as north and east.
    @inlinable
    static func appendLOCAngle<S: ByteSink>(_ raw: UInt32, positive: Unicode.Scalar, negative: Unicode.Scalar, to sink: inout S) {
        if S.discardsBytes { return }
        let equator: UInt32 = 0x8000_0000
        var value = raw >= equator ? raw - equator : equator - raw
        let millis = value % 1000; value /= 1000
        let seconds = value % 60; value /= 60
        let minutes = value % 60; value /= 60
        sink.appendDecimal(value)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(minutes)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(seconds)
        sink.append(UInt8(ascii: "."))
        sink.appendDecimal(millis, width: 3)
        sink.append(UInt8(ascii: " "))
        sink.append(UInt8(ascii: raw >= equator ? positive : negative))
    }

    /// A size or precision in metres: whole metres from 1 m up, otherwise
    /// with two decimals (`0.00m`, `0.50m`).
    @inlinable
    static func appendLOCPrecision<S: ByteSink>(_ byte: UInt8, to sink: inout S) {
        if S.discardsBytes { return }
        let mantissa = UInt64(byte >> 4)
        let exponent = Int(byte & 0x0F)
        if exponent >= 2 {
            var metres = mantissa
            for _ in 0..<(exponent - 2) { metres *= 10 }
            sink.appendDecimal(metres)
        } else {
            let centimetres = exponent == 1 ? mantissa * 10 : mantissa
            sink.appendDecimal(centimetres / 100)
            sink.append(UInt8(ascii: "."))
            sink.appendDecimal(centimetres % 100, width: 2)
        }
        sink.append(UInt8(ascii: "m"))
    }
}
