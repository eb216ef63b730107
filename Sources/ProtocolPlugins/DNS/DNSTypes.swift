import PacketlogHost

// MARK: - DNSType

/// A DNS RR type. Unknown codes print as `TYPE<n>` (RFC 3597).
public struct DNSType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let md = DNSType(rawValue: 3)
    public static let mf = DNSType(rawValue: 4)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let mb = DNSType(rawValue: 7)
    public static let mg = DNSType(rawValue: 8)
    public static let mr = DNSType(rawValue: 9)
    public static let null = DNSType(rawValue: 10)
    public static let wks = DNSType(rawValue: 11)
    public static let ptr = DNSType(rawValue: 12)
    public static let hinfo = DNSType(rawValue: 13)
    public static let minfo = DNSType(rawValue: 14)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let rp = DNSType(rawValue: 17)
    public static let afsdb = DNSType(rawValue: 18)
    public static let x25 = DNSType(rawValue: 19)
    public static let isdn = DNSType(rawValue: 20)
    public static let rt = DNSType(rawValue: 21)
    public static let nsap = DNSType(rawValue: 22)
    public static let nsapPtr = DNSType(rawValue: 23)
    public static let sig = DNSType(rawValue: 24)
    public static let key = DNSType(rawValue: 25)
    public static let px = DNSType(rawValue: 26)
    public static let gpos = DNSType(rawValue: 27)
    public static let aaaa = DNSType(rawValue: 28)
    public static let loc = DNSType(rawValue: 29)
    public static let nxt = DNSType(rawValue: 30)
    public static let srv = DNSType(rawValue: 33)
    public static let naptr = DNSType(rawValue: 35)
    public static let kx = DNSType(rawValue: 36)
    public static let cert = DNSType(rawValue: 37)
    public static let a6 = DNSType(rawValue: 38)
    public static let dname = DNSType(rawValue: 39)
    public static let opt = DNSType(rawValue: 41)
    public static let apl = DNSType(rawValue: 42)
    public static let ds = DNSType(rawValue: 43)
    public static let sshfp = DNSType(rawValue: 44)
    public static let ipseckey = DNSType(rawValue: 45)
    public static let rrsig = DNSType(rawValue: 46)
    public static let nsec = DNSType(rawValue: 47)
    public static let dnskey = DNSType(rawValue: 48)
    public static let dhcid = DNSType(rawValue: 49)
    public static let nsec3 = DNSType(rawValue: 50)
    public static let nsec3param = DNSType(rawValue: 51)
    public static let tlsa = DNSType(rawValue: 52)
    public static let smimea = DNSType(rawValue: 53)
    public static let hip = DNSType(rawValue: 55)
    public static let ninfo = DNSType(rawValue: 56)
    public static let cds = DNSType(rawValue: 59)
    public static let cdnskey = DNSType(rawValue: 60)
    public static let openpgpkey = DNSType(rawValue: 61)
    public static let csync = DNSType(rawValue: 62)
    public static let zonemd = DNSType(rawValue: 63)
    public static let svcb = DNSType(rawValue: 64)
    public static let https = DNSType(rawValue: 65)
    public static let spf = DNSType(rawValue: 99)
    public static let nid = DNSType(rawValue: 104)
    public static let l32 = DNSType(rawValue: 105)
    public static let l64 = DNSType(rawValue: 106)
    public static let lp = DNSType(rawValue: 107)
    public static let eui48 = DNSType(rawValue: 108)
    public static let eui64 = DNSType(rawValue: 109)
    public static let tkey = DNSType(rawValue: 249)
    public static let tsig = DNSType(rawValue: 250)
    public static let ixfr = DNSType(rawValue: 251)
    public static let axfr = DNSType(rawValue: 252)
    public static let mailb = DNSType(rawValue: 253)
    public static let maila = DNSType(rawValue: 254)
    public static let any = DNSType(rawValue: 255)
    public static let uri = DNSType(rawValue: 256)
    public static let caa = DNSType(rawValue: 257)
    public static let avc = DNSType(rawValue: 258)
    public static let doa = DNSType(rawValue: 259)
    public static let amtrelay = DNSType(rawValue: 260)
    public static let ta = DNSType(rawValue: 32768)
    public static let dlv = DNSType(rawValue: 32769)

    /// The IANA mnemonic, or `nil` for a code without one.
    public var mnemonic: StaticString? {
        switch rawValue {
        case 1: "A"; case 2: "NS"; case 3: "MD"; case 4: "MF"; case 5: "CNAME"; case 6: "SOA"
        case 7: "MB"; case 8: "MG"; case 9: "MR"; case 10: "NULL"; case 11: "WKS"; case 12: "PTR"
        case 13: "HINFO"; case 14: "MINFO"; case 15: "MX"; case 16: "TXT"; case 17: "RP"
        case 18: "AFSDB"; case 19: "X25"; case 20: "ISDN"; case 21: "RT"; case 22: "NSAP"
        case 23: "NSAP-PTR"; case 24: "SIG"; case 25: "KEY"; case 26: "PX"; case 27: "GPOS"
        case 28: "AAAA"; case 29: "LOC"; case 30: "NXT"; case 31: "EID"; case 32: "NIMLOC"
        case 33: "SRV"; case 34: "ATMA"; case 35: "NAPTR"; case 36: "KX"; case 37: "CERT"
        case 38: "A6"; case 39: "DNAME"; case 40: "SINK"; case 41: "OPT"; case 42: "APL"
        case 43: "DS"; case 44: "SSHFP"; case 45: "IPSECKEY"; case 46: "RRSIG"; case 47: "NSEC"
        case 48: "DNSKEY"; case 49: "DHCID"; case 50: "NSEC3"; case 51: "NSEC3PARAM"
        case 52: "TLSA"; case 53: "SMIMEA"; case 55: "HIP"; case 56: "NINFO"; case 57: "RKEY"
        case 58: "TALINK"; case 59: "CDS"; case 60: "CDNSKEY"; case 61: "OPENPGPKEY"
        case 62: "CSYNC"; case 63: "ZONEMD"; case 64: "SVCB"; case 65: "HTTPS"; case 66: "DSYNC"; case 67: "HHIT"; case 68: "BRID"
        case 99: "SPF"; case 100: "UINFO"; case 101: "UID"; case 102: "GID"; case 103: "UNSPEC"
        case 104: "NID"; case 105: "L32"; case 106: "L64"; case 107: "LP"; case 108: "EUI48"
        case 109: "EUI64"; case 128: "NXNAME"; case 249: "TKEY"; case 250: "TSIG"; case 251: "IXFR"; case 252: "AXFR"
        case 253: "MAILB"; case 254: "MAILA"; case 255: "ANY"; case 256: "URI"; case 257: "CAA"
        case 258: "AVC"; case 259: "DOA"; case 260: "AMTRELAY"; case 261: "RESINFO"; case 262: "WALLET"; case 263: "CLA"; case 264: "IPN"; case 32768: "TA"; case 32769: "DLV"
        default: nil
        }
    }
}

// MARK: - DNSClass

/// A DNS class. Unknown codes print as `CLASS<n>` (RFC 3597).
public struct DNSClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let internet = DNSClass(rawValue: 1)
    public static let chaos = DNSClass(rawValue: 3)
    public static let hesiod = DNSClass(rawValue: 4)
    public static let none = DNSClass(rawValue: 254)
    public static let any = DNSClass(rawValue: 255)

    public var mnemonic: StaticString? {
        switch rawValue {
        case 1: "IN"; case 3: "CH"; case 4: "HS"; case 254: "NONE"; case 255: "ANY"
        default: nil
        }
    }
}

// MARK: - Printing

extension DNSType {
    /// The mnemonics of codes 0–69 (every type a resolver sees daily) as
    /// two words each and a length (0: no mnemonic), built once from
    /// `mnemonic`: printing one is two stores, not a switch and a byte loop.
    /// (A pointer to memory kept for the whole run: read per line, an
    /// `Array` was retained and released around every read. Written once,
    /// by the initialiser every thread waits for; only read afterwards.)
    @usableFromInline
    nonisolated(unsafe) static let mnemonicWords: UnsafeBufferPointer<(UInt64, UInt64, Int)> = {
        let table = UnsafeMutableBufferPointer<(UInt64, UInt64, Int)>.allocate(capacity: 70)
        for code in 0..<70 {
            guard let m = DNSType(rawValue: UInt16(code)).mnemonic, m.utf8CodeUnitCount <= 16 else {
                table[code] = (0, 0, 0)
                continue
            }
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: m.utf8Start, count: m.utf8CodeUnitCount)) }
            table[code] = (words.0, words.1, m.utf8CodeUnitCount)
        }
        return UnsafeBufferPointer(table)
    }()
}

public extension ByteSink {
    /// The type's mnemonic or `TYPE<n>`.
    mutating func appendDNSType(_ type: DNSType) {
        if Self.discardsBytes { return }
        let table = DNSType.mnemonicWords
        let code = Int(type.rawValue)
        if code < table.count, table[code].2 > 0 {
            let (low, high, count) = table[code]
            appendWithReservedCapacity(16) { p in
                UnsafeMutableRawPointer(p).storeBytes(of: low, as: UInt64.self)
                UnsafeMutableRawPointer(p).storeBytes(of: high, toByteOffset: 8, as: UInt64.self)
                return count
            }
            return
        }
        if let m = type.mnemonic {
            append(contentsOf: UnsafeRawBufferPointer(start: m.utf8Start, count: m.utf8CodeUnitCount))
        } else {
            append(contentsOf: UnsafeRawBufferPointer(start: ("TYPE" as StaticString).utf8Start, count: 4))
            appendDecimal(type.rawValue)
        }
    }

    /// The class's mnemonic or `CLASS<n>`.
    mutating func appendDNSClass(_ dnsClass: DNSClass) {
        if Self.discardsBytes { return }
        if dnsClass.rawValue == 1 {   // IN: nearly every record
            appendWithReservedCapacity(2) { p in p[0] = UInt8(ascii: "I"); p[1] = UInt8(ascii: "N"); return 2 }
            return
        }
        if let m = dnsClass.mnemonic {
            append(contentsOf: UnsafeRawBufferPointer(start: m.utf8Start, count: m.utf8CodeUnitCount))
        } else {
            append(contentsOf: UnsafeRawBufferPointer(start: ("CLASS" as StaticString).utf8Start, count: 5))
            appendDecimal(dnsClass.rawValue)
        }
    }
}
