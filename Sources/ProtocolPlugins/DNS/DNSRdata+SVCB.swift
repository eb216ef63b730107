import PacketlogHost

// MARK: - SVCB, HTTPS (RFC 9460)

extension DNSRdata {
    /// `<priority> <target> <key>[=<value>]…` as BIND 9.18 prints it.
    ///
    /// Validation (BIND's `fromwire`): alias form (priority 0) has no
    /// parameters; keys strictly increase; every key named by `mandatory` is
    /// present (and `mandatory` does not name itself); `no-default-alpn` needs
    /// `alpn` before it; each known key's value has its exact shape.
    @inlinable
    static func formatSVCB<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let priority = r.u16() else { return false }
        sink.appendDecimal(priority)
        sink.append(UInt8(ascii: " "))
        guard r.name(into: &sink) else { return false }
        if priority == 0 { return r.isAtEnd }
        guard validateSvcParams(r) else { return false }
        while !r.isAtEnd {
            guard let key = r.u16(), let length = r.u16(), let value = r.bytes(Int(length)) else { return false }
            sink.append(UInt8(ascii: " "))
            appendSvcParamKey(key, to: &sink)
            if length == 0 { continue }
            if key != 2 { sink.append(UInt8(ascii: "=")) }
            appendSvcParamValue(key, value, to: &sink)
        }
        return true
    }

    /// The checks of BIND's `generic_fromwire_in_svcb` over the parameters.
    @inlinable
    static func validateSvcParams(_ reader: RdataReader) -> Bool {
        var r = reader
        var lastKey = -1
        var haveALPN = false
        var mandatory = RdataReader(r.message, start: 0, end: 0) // remaining mandatory keys
        var nextMandatory = -1
        while !r.isAtEnd {
            guard let key = r.u16(), Int(key) > lastKey else { return false }
            if nextMandatory >= 0 {
                guard Int(key) <= nextMandatory else { return false }
                if Int(key) == nextMandatory { nextMandatory = mandatory.u16().map { Int($0) } ?? -1 }
            }
            if key == 1 { haveALPN = true } else if key == 2 && !haveALPN { return false }
            lastKey = Int(key)
            guard let length = r.u16(), Int(length) <= r.remaining else { return false }
            let valueStart = r.offset
            guard let value = r.bytes(Int(length)) else { return false }
            if key == 0 {
                mandatory = RdataReader(r.message, start: valueStart, end: valueStart + Int(length))
                guard let first = mandatory.u16(), first != 0 else { return false }
                nextMandatory = Int(first)
            }
            guard svcParamValueIsValid(key, value) else { return false }
        }
        return nextMandatory < 0
    }

    /// BIND's `svcb_validate`: the shape of a known key's value.
    @inlinable
    static func svcParamValueIsValid(_ key: UInt16, _ value: UnsafeRawBufferPointer) -> Bool {
        switch key {
        case 0: // mandatory: a non-empty, strictly increasing key list
            guard value.count > 0, value.count % 2 == 0 else { return false }
            var previous = -1
            var i = 0
            while i + 1 < value.count {
                let k = Int(value[i]) << 8 | Int(value[i + 1])
                guard k > previous else { return false }
                previous = k
                i += 2
            }
            return true
        case 1: // alpn: non-empty, non-empty ids that fit
            guard value.count > 0 else { return false }
            var i = 0
            while i < value.count {
                let idLength = Int(value[i])
                guard idLength > 0, i + 1 + idLength <= value.count else { return false }
                i += 1 + idLength
            }
            return true
        case 2: return value.count == 0
        case 3: return value.count == 2
        case 4: return value.count > 0 && value.count % 4 == 0
        case 6: return value.count > 0 && value.count % 16 == 0
        case 7: return dohPathIsValid(value)
        default: return true
        }
    }

    /// BIND 9.18's check of `dohpath` (key 7, RFC 9461): valid UTF-8, a
    /// leading `/`, `%` only as `%XX`, and RFC 6570 expressions
    /// `{[op]var[:N|*],…}` (op one of `+#./;?&`, var of letters, digits, `_`
    /// and `%XX`, N in 1–9999) of which one names the variable `dns`.
    @inlinable
    static func dohPathIsValid(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count > 0, value[0] == UInt8(ascii: "/"), isValidUTF8(value) else { return false }
        func isHex(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b) }
        func isVarChar(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "_")
        }
        let n = value.count
        var i = 0
        var haveDNS = false
        while i < n {
            let b = value[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < n, isHex(value[i + 1]), isHex(value[i + 2]) else { return false }
                i += 3
                continue
            }
            if b != UInt8(ascii: "{") { i += 1; continue }
            i += 1
            // One expression: varspecs separated by commas, closed by `}`.
            while true {
                guard i < n else { return false }
                switch value[i] {
                case UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "."), UInt8(ascii: "/"),
                     UInt8(ascii: ";"), UInt8(ascii: "?"), UInt8(ascii: "&"):
                    i += 1
                default: break
                }
                let nameStart = i
                var plain = true // the name has no %XX
                while i < n {
                    if isVarChar(value[i]) { i += 1; continue }
                    if value[i] == UInt8(ascii: "%") {
                        guard i + 2 < n, isHex(value[i + 1]), isHex(value[i + 2]) else { return false }
                        plain = false
                        i += 3
                        continue
                    }
                    break
                }
                guard i > nameStart, i < n else { return false }
                if plain, i - nameStart == 3, value[nameStart] == UInt8(ascii: "d"),
                   value[nameStart + 1] == UInt8(ascii: "n"), value[nameStart + 2] == UInt8(ascii: "s") {
                    haveDNS = true
                }
                if value[i] == UInt8(ascii: "*") {
                    i += 1
                } else if value[i] == UInt8(ascii: ":") {
                    i += 1
                    let digitsStart = i
                    while i < n, (0x30...0x39).contains(value[i]) { i += 1 }
                    let digits = i - digitsStart
                    guard digits >= 1, digits <= 4, value[digitsStart] != UInt8(ascii: "0") else { return false }
                }
                guard i < n else { return false }
                if value[i] == UInt8(ascii: ",") { i += 1; continue }
                guard value[i] == UInt8(ascii: "}") else { return false }
                i += 1
                break
            }
        }
        return haveDNS
    }

    /// `mandatory`, `alpn`, … or `key<N>`.
    @inlinable
    static func appendSvcParamKey<S: ByteSink>(_ key: UInt16, to sink: inout S) {
        if S.discardsBytes { return }
        switch key {
        case 0: sink.appendLiteral("mandatory")
        case 1: sink.appendLiteral("alpn")
        case 2: sink.appendLiteral("no-default-alpn")
        case 3: sink.appendLiteral("port")
        case 4: sink.appendLiteral("ipv4hint")
        case 5: sink.appendLiteral("ech")
        case 6: sink.appendLiteral("ipv6hint")
        default:
            sink.appendLiteral("key")
            sink.appendDecimal(key)
        }
    }

    /// A validated, non-empty value in the key's presentation.
    @inlinable
    static func appendSvcParamValue<S: ByteSink>(_ key: UInt16, _ value: UnsafeRawBufferPointer, to sink: inout S) {
        if S.discardsBytes { return }
        switch key {
        case 0:
            var i = 0
            while i + 1 < value.count {
                if i > 0 { sink.append(UInt8(ascii: ",")) }
                appendSvcParamKey(UInt16(value[i]) << 8 | UInt16(value[i + 1]), to: &sink)
                i += 2
            }
        case 1:
            sink.append(UInt8(ascii: "\""))
            var i = 0
            while i < value.count {
                if i > 0 { sink.append(UInt8(ascii: ",")) }
                let idLength = Int(value[i])
                var j = i + 1
                while j < i + 1 + idLength && j < value.count {
                    appendALPNByte(value[j], to: &sink)
                    j += 1
                }
                i += 1 + idLength
            }
            sink.append(UInt8(ascii: "\""))
        case 3:
            sink.appendDecimal(UInt16(value[0]) << 8 | UInt16(value[1]))
        case 4:
            var i = 0
            while i + 4 <= value.count {
                if i > 0 { sink.append(UInt8(ascii: ",")) }
                sink.appendIPv4(UInt32(value[i]) << 24 | UInt32(value[i + 1]) << 16 | UInt32(value[i + 2]) << 8 | UInt32(value[i + 3]))
                i += 4
            }
        case 5:
            sink.appendBase64(value)
        case 6:
            var i = 0
            while i + 16 <= value.count {
                if i > 0 { sink.append(UInt8(ascii: ",")) }
                let h = UnsafeRawBufferPointer(rebasing: value[i..<(i + 8)])
                let l = UnsafeRawBufferPointer(rebasing: value[(i + 8)..<(i + 16)])
                sink.appendIPv6(high: bigEndian64(h), low: bigEndian64(l))
                i += 16
            }
        default:
            DNSCharacterString.appendQuoted(value, to: &sink)
        }
    }

    /// One ALPN id byte as BIND's `commatxt_totext` writes it inside the
    /// quotes: a comma as `\\,`, a backslash as `\\\\`, a quote as `\"`,
    /// bytes outside 0x21–0x7E as `\DDD`.
    @inlinable
    static func appendALPNByte<S: ByteSink>(_ byte: UInt8, to sink: inout S) {
        if S.discardsBytes { return }
        switch byte {
        case UInt8(ascii: ","):
            sink.append(UInt8(ascii: "\\")); sink.append(UInt8(ascii: "\\")); sink.append(byte)
        case UInt8(ascii: "\\"):
            sink.append(UInt8(ascii: "\\")); sink.append(UInt8(ascii: "\\"))
            sink.append(UInt8(ascii: "\\")); sink.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "\""):
            sink.append(UInt8(ascii: "\\")); sink.append(byte)
        case 0x21...0x7E:
            sink.append(byte)
        default:
            sink.appendDecimalEscape(byte)
        }
    }
}
