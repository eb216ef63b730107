import PacketlogHost

// MARK: - Presentation forms beyond the basic table

extension DNSRdata {
    /// The `dig +nosplit` (BIND 9.18) presentation of the types the spec lists
    /// besides the basic table. Returns `nil` for a type rendered as RFC 3597,
    /// `false` when the rdata does not parse as its type.
    ///
    /// Validation follows BIND 9.18's `fromwire` for each type; every write
    /// goes through `sink`, so a `DiscardingSink` run only validates. A
    /// `nil` result is always decided before anything is written.
    @inlinable
    static func formatPresentation<S: ByteSink>(_ type: DNSType, in message: ByteCursor, at start: Int, length: Int, into sink: inout S) -> Bool? {
        guard length >= 0, start >= 0, start + length <= message.bytes.count else { return false }
        var r = RdataReader(message, start: start, end: start + length)
        switch type {
        // Legacy and informational types (DNSRdata+Legacy.swift).
        case .wks: return formatWKS(&r, into: &sink)
        case .rp: return formatNames(2, &r, into: &sink)
        case .nsapPtr: return formatNames(1, &r, into: &sink)
        case .x25: return formatX25(&r, into: &sink)
        case .isdn: return formatISDN(&r, into: &sink)
        case .nsap: return formatNSAP(&r, into: &sink)
        case .px: return formatPX(&r, into: &sink)
        case .gpos: return formatStrings(exactly: 3, &r, into: &sink)
        case .ninfo: return formatStrings(exactly: nil, &r, into: &sink)
        case .naptr: return formatNAPTR(&r, into: &sink)
        case .apl: return formatAPL(&r, into: &sink)
        case .nid, .l64: return formatNID(&r, into: &sink)
        case .l32: return formatL32(&r, into: &sink)
        case .lp: return formatLP(&r, into: &sink)
        case .eui48: return formatEUI(6, &r, into: &sink)
        case .eui64: return formatEUI(8, &r, into: &sink)
        case .amtrelay: return formatAMTRELAY(&r, into: &sink)
        // Location (DNSRdata+LOC.swift).
        case .loc: return formatLOC(&r, into: &sink)
        // Keys, certificates, fingerprints (DNSRdata+Keys.swift).
        case .cert: return formatCERT(&r, into: &sink)
        case .sshfp: return formatSSHFP(&r, into: &sink)
        case .tlsa, .smimea: return formatTLSA(&r, into: &sink)
        case .openpgpkey, .dhcid: return formatBase64Only(&r, into: &sink)
        case .ipseckey: return formatIPSECKEY(&r, into: &sink)
        case .hip: return formatHIP(&r, into: &sink)
        // DNSSEC (DNSRdata+DNSSEC.swift).
        case .ds, .cds, .dlv: return formatDS(&r, into: &sink)
        case .dnskey, .cdnskey: return formatDNSKEY(&r, into: &sink)
        case .rrsig: return formatRRSIG(&r, into: &sink)
        case .nsec: return formatNSEC(&r, into: &sink)
        case .nsec3: return formatNSEC3(&r, into: &sink)
        case .nsec3param: return formatNSEC3PARAM(&r, into: &sink)
        case .csync: return formatCSYNC(&r, into: &sink)
        case .zonemd: return formatZONEMD(&r, into: &sink)
        // Service binding (DNSRdata+SVCB.swift).
        case .svcb, .https: return formatSVCB(&r, into: &sink)
        // Meta types (DNSRdata+Meta.swift).
        case .opt: return formatOPT(&r, into: &sink)
        case .tsig: return formatTSIG(&r, into: &sink)
        case .tkey: return formatTKEY(&r, into: &sink)
        default: return nil
        }
    }

    // MARK: Shared shapes

    /// `count` names separated by spaces that exactly fill the rdata.
    @inlinable
    static func formatNames<S: ByteSink>(_ count: Int, _ r: inout RdataReader, into sink: inout S) -> Bool {
        for i in 0..<count {
            if i > 0 { sink.append(UInt8(ascii: " ")) }
            guard r.name(into: &sink) else { return false }
        }
        return r.isAtEnd
    }

    /// Quoted character-strings separated by spaces that exactly fill the
    /// rdata: `exactly` of them, or at least one when `nil`.
    @inlinable
    static func formatStrings<S: ByteSink>(exactly count: Int?, _ r: inout RdataReader, into sink: inout S) -> Bool {
        var n = 0
        while !r.isAtEnd {
            guard let s = r.characterString() else { return false }
            if n > 0 { sink.append(UInt8(ascii: " ")) }
            DNSCharacterString.appendQuoted(s, to: &sink)
            n += 1
        }
        if let count { return n == count }
        return n > 0
    }
}
