import PacketlogHost

// MARK: - Certificates, fingerprints and public keys

extension DNSRdata {
    // MARK: CERT (RFC 4398)

    /// `<type> <key tag> <algorithm> <base64>`: type and algorithm as BIND's
    /// mnemonics when it has one, else decimal; the certificate is not empty.
    @inlinable
    static func formatCERT<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard r.remaining >= 6, let certType = r.u16(), let keyTag = r.u16(), let algorithm = r.u8(),
              let certificate = r.rest() else { return false }
        if let m = certTypeMnemonic(certType) { sink.appendLiteral(m) } else { sink.appendDecimal(certType) }
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(keyTag)
        sink.append(UInt8(ascii: " "))
        appendSecAlgorithm(algorithm, to: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(certificate)
        return true
    }

    /// RFC 4398 certificate type mnemonics, as BIND names them.
    @inlinable
    static func certTypeMnemonic(_ value: UInt16) -> StaticString? {
        switch value {
        case 1: "PKIX"; case 2: "SPKI"; case 3: "PGP"; case 4: "IPKIX"; case 5: "ISPKI"
        case 6: "IPGP"; case 7: "ACPKIX"; case 8: "IACPKIX"; case 253: "URI"; case 254: "OID"
        default: nil
        }
    }

    /// A DNSSEC algorithm as BIND's `dns_secalg_totext` prints it.
    @inlinable
    static func appendSecAlgorithm<S: ByteSink>(_ value: UInt8, to sink: inout S) {
        if S.discardsBytes { return }
        let name: StaticString
        switch value {
        case 1: name = "RSAMD5"; case 2: name = "DH"; case 3: name = "DSA"; case 5: name = "RSASHA1"
        case 6: name = "NSEC3DSA"; case 7: name = "NSEC3RSASHA1"; case 8: name = "RSASHA256"
        case 10: name = "RSASHA512"; case 12: name = "ECCGOST"; case 13: name = "ECDSAP256SHA256"
        case 14: name = "ECDSAP384SHA384"; case 15: name = "ED25519"; case 16: name = "ED448"
        case 252: name = "INDIRECT"; case 253: name = "PRIVATEDNS"; case 254: name = "PRIVATEOID"
        default:
            sink.appendDecimal(value)
            return
        }
        sink.appendLiteral(name)
    }

    // MARK: SSHFP (RFC 4255)

    /// `<algorithm> <fingerprint type> <HEX>`; SHA-1 and SHA-256
    /// fingerprints must have their exact lengths.
    @inlinable
    static func formatSSHFP<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let algorithm = r.u8(), let fingerprintType = r.u8(), let fingerprint = r.rest() else { return false }
        switch fingerprintType {
        case 1: guard fingerprint.count == 20 else { return false }
        case 2: guard fingerprint.count == 32 else { return false }
        default: break
        }
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(fingerprintType)
        if fingerprint.count > 0 {
            sink.append(UInt8(ascii: " "))
            sink.appendHexUpper(fingerprint)
        }
        return true
    }

    // MARK: TLSA, SMIMEA (RFC 6698, RFC 8162)

    /// `<usage> <selector> <matching type> <HEX>`.
    @inlinable
    static func formatTLSA<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let usage = r.u8(), let selector = r.u8(), let matching = r.u8(),
              let data = r.rest(), data.count > 0 else { return false }
        sink.appendDecimal(usage)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(selector)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(matching)
        sink.append(UInt8(ascii: " "))
        sink.appendHexUpper(data)
        return true
    }

    // MARK: OPENPGPKEY, DHCID (RFC 7929, RFC 4701)

    /// The whole (non-empty) rdata in base64.
    @inlinable
    static func formatBase64Only<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let data = r.rest(), data.count > 0 else { return false }
        sink.appendBase64(data)
        return true
    }

    // MARK: IPSECKEY (RFC 4025)

    /// `<precedence> <gateway type> <algorithm> <gateway> <base64 key>`,
    /// the gateway `.` (type 0), IPv4, IPv6 or a name. Unknown gateway types
    /// and an empty key are rejected, as BIND does.
    @inlinable
    static func formatIPSECKEY<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let precedence = r.u8(), let gatewayType = r.u8(), let algorithm = r.u8(), gatewayType <= 3 else { return false }
        sink.appendDecimal(precedence)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(gatewayType)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        switch gatewayType {
        case 0:
            sink.append(UInt8(ascii: "."))
        case 1:
            guard let v = r.u32() else { return false }
            sink.appendIPv4(v)
        case 2:
            guard let h = r.bytes(8), let l = r.bytes(8) else { return false }
            sink.appendIPv6(high: bigEndian64(h), low: bigEndian64(l))
        default:
            guard r.name(into: &sink) else { return false }
        }
        guard let key = r.rest(), key.count > 0 else { return false }
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(key)
        return true
    }

    // MARK: HIP (RFC 8005)

    /// `<PK algorithm> <HIT in HEX> <base64 public key> [<rendezvous server>…]`;
    /// HIT and key are not empty.
    @inlinable
    static func formatHIP<S: ByteSink>(_ r: inout RdataReader, into sink: inout S) -> Bool {
        guard let hitLength = r.u8(), let algorithm = r.u8(), let keyLength = r.u16(),
              hitLength > 0, keyLength > 0,
              let hit = r.bytes(Int(hitLength)), let key = r.bytes(Int(keyLength)) else { return false }
        sink.appendDecimal(algorithm)
        sink.append(UInt8(ascii: " "))
        sink.appendHexUpper(hit)
        sink.append(UInt8(ascii: " "))
        sink.appendBase64(key)
        while !r.isAtEnd {
            sink.append(UInt8(ascii: " "))
            guard r.name(into: &sink) else { return false }
        }
        return true
    }
}
