import XCTest
import PacketlogHost
@testable import ProtocolPlugins

// MARK: - Helpers

/// Formats `rdata` (hex) of `type` placed at the end of a message that
/// starts with `prefix` (hex), through both sinks; checks that validation and
/// printing agree and returns the printed text, or `nil` when malformed.
private func present(_ type: UInt16, _ rdataHex: String, after prefixHex: String = "") -> String? {
    let message = bytes(prefixHex) + bytes(rdataHex)
    let start = message.count - bytes(rdataHex).count
    return message.withUnsafeBytes { raw -> String? in
        let cursor = ByteCursor(raw)
        var discard = DiscardingSink()
        let valid = DNSRdata.format(DNSType(rawValue: type), in: cursor, at: start, length: raw.count - start, into: &discard)
        var line = LineBuffer(capacity: 256)
        defer { line.deallocate() }
        let printed = DNSRdata.format(DNSType(rawValue: type), in: cursor, at: start, length: raw.count - start, into: &line)
        XCTAssertEqual(valid, printed, "validation and printing disagree for type \(type) \(rdataHex)")
        return printed ? String(decoding: line.bytes, as: UTF8.self) : nil
    }
}

/// Bytes of an even-length hex string (test data only).
private func bytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8? = nil
    for c in hex.utf8 {
        let v: UInt8 = switch c { case 48...57: c - 48; case 65...70: c - 55; case 97...102: c - 87; default: 0 }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return out
}

final class DNSRdataPresentationTests: XCTestCase {
    // MARK: Exact output

    /// Wire rdata and the text `dig +nosplit` of BIND 9.18.49 printed for it
    /// (names without the final dot). Built with dnspython and checked
    /// against dig; the HTTPS/SVCB/DS/DNSKEY/LOC/APL/... rows include the
    /// rdata behind the expected capture lines.
    static let bindCases: [(name: String, type: UInt16, hex: String, text: String)] = [
        ("WKS", 11, "0A000001060000004000000000000080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000010", "10.0.0.1 6 25 80 443"),
        ("WKS", 11, "0A0000011100000000000004", "10.0.0.1 17 53"),
        ("RP", 17, "0561646D696E076578616D706C6503636F6D000672702D747874076578616D706C6503636F6D00", "admin.example.com rp-txt.example.com"),
        ("RP", 17, "0000", ". ."),
        ("X25", 19, "0C333131303631373030393536", "\"311061700956\""),
        ("ISDN", 20, "0F31353038363230323830303332313703303034", "\"150862028003217\" \"004\""),
        ("ISDN", 20, "0F313530383632303238303033323137", "\"150862028003217\""),
        ("NSAP", 22, "47000580005A0000000001E133FFFFFF00016200", "0x47000580005a0000000001e133ffffff00016200"),
        ("NSAP-PTR", 23, "03666F6F076578616D706C6503636F6D00", "foo.example.com"),
        ("PX", 26, "000A046E657432026974000950524D442D6E6574320941444D442D7034303004432D697400", "10 net2.it PRMD-net2.ADMD-p400.C-it"),
        ("GPOS", 27, "082D33322E36383832083131362E383635320431302E30", "\"-32.6882\" \"116.8652\" \"10.0\""),
        ("LOC", 29, "000016138B3CF018810CBCE0009895B8", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"),
        ("LOC", 29, "0033161389172FC470BE14C400988D20", "42 21 54.500 N 71 6 18.300 W -24.00m 30m 10000m 10m"),
        ("LOC", 29, "001224527317DCA07AB5EF603C336080", "60 9 0.000 S 24 39 0.000 W 10000000.00m 1m 200m 5m"),
        ("NAPTR", 35, "000A00640175074532552B7369701B215E2E2A24217369703A696E666F406578616D706C652E636F6D2100", "10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" ."),
        ("NAPTR", 35, "0066000A0153075349502B44325400045F736970045F746370076578616D706C6503636F6D00", "102 10 \"S\" \"SIP+D2T\" \"\" _sip._tcp.example.com"),
        ("CERT", 37, "0001000000E8948CCBE31F16DC6B0B572ACDB5119A9D1555F607F3CFDAE3B333ED08E8EAC84992B755B7DB1BFE3AF895F0BFD00D36", "PKIX 0 0 6JSMy+MfFtxrC1cqzbURmp0VVfYH88/a47Mz7Qjo6shJkrdVt9sb/jr4lfC/0A02"),
        ("CERT", 37, "0003303908010203040506", "PGP 12345 RSASHA256 AQIDBAUG"),
        ("CERT", 37, "00FD000100687474703A2F2F6578616D706C652E636F6D2F", "URI 1 0 aHR0cDovL2V4YW1wbGUuY29tLw=="),
        ("CERT", 37, "FDE80001C801", "65000 1 200 AQ=="),
        ("APL", 42, "000110020A3500022004FD000053000118830A3509", "1:10.53.0.0/16 2:fd00:53::/32 !1:10.53.9.0/24"),
        ("APL", 42, "0001000000020000", "1:0.0.0.0/0 2:::/0"),
        ("APL", 42, "00011904C0A801800002809020010DB8000000000000000000000001", "1:192.168.1.128/25 !2:2001:db8::1/128"),
        ("DS", 43, "E47D0D02665E5E7AB640854D06408604C3AF7F2A61FB717B739CD3433968C9DB78DF2FEC", "58493 13 2 665E5E7AB640854D06408604C3AF7F2A61FB717B739CD3433968C9DB78DF2FEC"),
        ("DS", 43, "02680D042AB2FF81CADB9613CD587BF9EF1342E5897B5C4F054B81ED0949DB021FBA2A5F29B8E6BA90B8A08583F5AD4ACAE1F3F8", "616 13 4 2AB2FF81CADB9613CD587BF9EF1342E5897B5C4F054B81ED0949DB021FBA2A5F29B8E6BA90B8A08583F5AD4ACAE1F3F8"),
        ("DS", 43, "000108010123456789ABCDEF0123456789ABCDEF01234567", "1 8 1 0123456789ABCDEF0123456789ABCDEF01234567"),
        ("SSHFP", 44, "0101594273057EE88ADE084CF49E2DEED580ECFE2D1D", "1 1 594273057EE88ADE084CF49E2DEED580ECFE2D1D"),
        ("SSHFP", 44, "04028DDF1C371BD5FEA6E05600478FFAD1669921FC3CD5CE44634D3EFE49F3706F04", "4 2 8DDF1C371BD5FEA6E05600478FFAD1669921FC3CD5CE44634D3EFE49F3706F04"),
        ("IPSECKEY", 45, "0A0102C0000226010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
        ("IPSECKEY", 45, "0A0002010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
        ("IPSECKEY", 45, "0A0302096D7967617465776179076578616D706C6503636F6D00010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801", "10 3 2 mygateway.example.com AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
        ("IPSECKEY", 45, "0A020220010DB8000080020000000020000001010351537986ED35533B6064478EEEB27B5BD74DAE149B6E81BA3A0521AF82AB7801", "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
        ("RRSIG", 46, "00010D020000012C6B0E0E006AE681003039076578616D706C6503636F6D0047DAA1F7BD88F6F4EAA6D405DDCB0D862383D7CF36D6B41816D60E60FE6B5C7D9B2FA1A0BA5CC7D595E4393C69EEF605051107EF8FF8996CE58469E5CDF3EFE4", "A 13 2 300 20261201000000 20261101000000 12345 example.com R9qh972I9vTqptQF3csNhiOD18821rQYFtYOYP5rXH2bL6GgulzH1ZXkOTxp7vYFBREH74/4mWzlhGnlzfPv5A=="),
        ("RRSIG", 46, "FFFE080000015180386D438000000000000100000000", "TYPE65534 8 0 86400 20000101000000 19700101000000 1 . AAAA"),
        ("RRSIG", 46, "00330803000000007FFFFFFF80000000FFFF01610162016300000102030405", "NSEC3PARAM 8 3 0 20380119031407 20380119031408 65535 a.b.c AAECAwQF"),
        ("NSEC", 47, "04686F7374076578616D706C6503636F6D000006400100000003041B000000000000000000000000000000000000000000000000000020", "host.example.com A MX RRSIG NSEC TYPE1234"),
        ("NSEC", 47, "016100000700000000000010010140FF200000000000000000000000000000000000000000000000000000000000000001", "a NSEC3PARAM CAA TYPE65535"),
        ("DNSKEY", 48, "0101030D47DAA1F7BD88F6F4EAA6D405DDCB0D862383D7CF36D6B41816D60E60FE6B5C7D9B2FA1A0BA5CC7D595E4393C69EEF605051107EF8FF8996CE58469E5CDF3EFE4", "257 3 13 R9qh972I9vTqptQF3csNhiOD18821rQYFtYOYP5rXH2bL6GgulzH1ZXkOTxp7vYFBREH74/4mWzlhGnlzfPv5A=="),
        ("DNSKEY", 48, "0100030803010001B38503197E2E4B7450C825662CCA102D40C54BBCCE58FAE4A61AB51E7005632B875F136332BF8A0E98D6DE584D608EEBC6F29E8AE936EF5FA8D1402D7EDB565F7F8326C0D2FD04845F9D8179A851F457EE4B0C1A006FB5F6B6FD8F5ADE495734BAA44ECCC84383C43150A3B6BCA5D7D05EF7F3E415E0BD2138E031142C421981", "256 3 8 AwEAAbOFAxl+Lkt0UMglZizKEC1AxUu8zlj65KYatR5wBWMrh18TYzK/ig6Y1t5YTWCO68bynorpNu9fqNFALX7bVl9/gybA0v0EhF+dgXmoUfRX7ksMGgBvtfa2/Y9a3klXNLqkTszIQ4PEMVCjtryl19Be9/PkFeC9ITjgMRQsQhmB"),
        ("DHCID", 49, "000201636FC0B8271C82825BB1AC5C41CF5351AA69B4FEBD94E8F17CDB95000DA48C40", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
        ("NSEC3", 50, "0101000C04AABBCCDD14174EB2409FE28BCB4887A1836F957F0A8425E27B000722010000000290", "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM"),
        ("NSEC3", 50, "010000000014174EB2409FE28BCB4887A1836F957F0A8425E27B", "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"),
        ("NSEC3PARAM", 51, "01000005045BAA30A5", "1 0 5 5BAA30A5"),
        ("NSEC3PARAM", 51, "0100000000", "1 0 0 -"),
        ("TLSA", 52, "030101DE078885AF1F972E71A6EEAF2D178C811D0B04D58ACCF3CA7E46C2A89AFCA6F3", "3 1 1 DE078885AF1F972E71A6EEAF2D178C811D0B04D58ACCF3CA7E46C2A89AFCA6F3"),
        ("SMIMEA", 53, "0301017020E6CEAD7CCE64ADF78E81FD3B425B2F563FDBD9AD76ED4C8120CE42DF8202", "3 1 1 7020E6CEAD7CCE64ADF78E81FD3B425B2F563FDBD9AD76ED4C8120CE42DF8202"),
        ("HIP", 55, "10020084200100107B1A74DF365639CC39F1D57803010001B771CA136E4AEB5CE44333C53B3D2C13C22243851FC708BCCE29F7E2EB5787B5F56CCAD34F8223ACC10904DDB56B2EC4A6D6232F3B50EA094F0914B3B941BBE529AF582C36BBADEFDAF2ADAF9B4911906F5B2522603C615272B880EC8FB930CC6EE39C444DAA75B1678F005A4B2499D1DA5433F805C7A5AD3237ACC5DD5C5E430472767331076578616D706C6503636F6D000472767332076578616D706C6503636F6D00", "2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D rvs1.example.com rvs2.example.com"),
        ("NINFO", 56, "016103622063", "\"a\" \"b c\""),
        ("CDS", 59, "0000000000", "0 0 0 00"),
        ("CDNSKEY", 60, "0000030000", "0 3 0 AA=="),
        ("OPENPGPKEY", 61, "A089A01DBC2BF89D6BC4F4C6911EED2162948543335B7EDDCF5AD212F11F09431D1074C842D1827631E09F624F992C0CCC5FB3B21A535439291FD323", "oImgHbwr+J1rxPTGkR7tIWKUhUMzW37dz1rSEvEfCUMdEHTIQtGCdjHgn2JPmSwMzF+zshpTVDkpH9Mj"),
        ("CSYNC", 62, "000000420003000460000008", "66 3 A NS AAAA"),
        ("CSYNC", 62, "000000010000", "1 0"),
        ("ZONEMD", 63, "7848B91C0101FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE", "2018031900 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE"),
        ("ZONEMD", 63, "0000000101F00123456789ABCDEF01234567", "1 1 240 0123456789ABCDEF01234567"),
        ("HTTPS", 65, "00010000010006026832026833000400040A35035000060010FD000053000000030000000000000080", "1 . alpn=\"h2,h3\" ipv4hint=10.53.3.80 ipv6hint=fd00:53:0:3::80"),
        ("HTTPS", 65, "000003777777076578616D706C6503636F6D00", "0 www.example.com"),
        ("SVCB", 64, "000103646F6806636C6F756479036F72670000010003026832000700102F646E732D71756572797B3F646E737D", "1 doh.cloudy.org alpn=\"h2\" key7=\"/dns-query{?dns}\""),
        ("SVCB", 64, "000103646E73076578616D706C6503636F6D000001000803646F7403646F71000300020355", "1 dns.example.com alpn=\"dot,doq\" port=853"),
        ("SVCB", 64, "001003666F6F076578616D706C65036F7267000000000400010004000100090268320568332D31390002000000040008C0000201C0000202", "16 foo.example.org mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" no-default-alpn ipv4hint=192.0.2.1,192.0.2.2"),
        ("SVCB", 64, "000103666F6F076578616D706C6503636F6D00029B000968656C6C6FD2716F6F", "1 foo.example.com key667=\"hello\\210qoo\""),
        ("SVCB", 64, "000103666F6F076578616D706C6503636F6D000006002020010DB800000000000000000000000120010DB8000000000000000000530001", "1 foo.example.com ipv6hint=2001:db8::1,2001:db8::53:1"),
        ("SVCB", 64, "000100FFFF0000", "1 . key65535"),
        ("SVCB", 64, "0001000001000C08665C6F6F2C626172026832", "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\""),
        ("NID", 104, "000A00144FFFFF20EE64", "10 14:4fff:ff20:ee64"),
        ("L32", 105, "000A0A010200", "10 10.1.2.0"),
        ("L64", 106, "000A20010DB811401000", "10 2001:db8:1140:1000"),
        ("LP", 107, "000A0B6C36342D7375626E657431076578616D706C6503636F6D00", "10 l64-subnet1.example.com"),
        ("EUI48", 108, "00005E00532A", "00-00-5e-00-53-2a"),
        ("EUI64", 109, "00005EEF1000002A", "00-00-5e-ef-10-00-00-2a"),
        ("AMTRELAY", 260, "0000", "0 0 0 ."),
        ("AMTRELAY", 260, "0A81CB00710F", "10 1 1 203.0.113.15"),
        ("AMTRELAY", 260, "800220010DB8000000000000000000000015", "128 0 2 2001:db8::15"),
        ("AMTRELAY", 260, "0A0309616D7472656C617973076578616D706C6503636F6D00", "10 0 3 amtrelays.example.com"),
        ("HTTPS", 65, "000100000100060268330268320003000220FB0005002813B425B2D96921EF0BBAD8644EBBC8F870D0BE6A7E174C17D1EEEE7B8F65558EECC7ADA1F59C6F19", "1 . alpn=\"h3,h2\" port=8443 ech=E7QlstlpIe8LuthkTrvI+HDQvmp+F0wX0e7ue49lVY7sx62h9ZxvGQ=="),
        ("DLV", 32769, "E47D0D02665E5E7AB640854D06408604C3AF7F2A61FB717B739CD3433968C9DB78DF2FEC", "58493 13 2 665E5E7AB640854D06408604C3AF7F2A61FB717B739CD3433968C9DB78DF2FEC"),
        ("TKEY", 249, "0000000001000000020003000000000000", ". 1 2 3 NOERROR 0  0"),
        ("TKEY", 249, "0000000001000000020003001100020102000101", ". 1 2 3 BADKEY 2 AQI= 1 AQ=="),
    ]

    func testEveryExtendedTypePrintsExactlyWhatBIND918Prints() {
        for c in Self.bindCases {
            XCTAssertEqual(present(c.type, c.hex), c.text, "\(c.name) \(c.hex)")
        }
    }

    func testCaptureLinesForHTTPSAndSVCBAreReproduced() {
        XCTAssertEqual(present(65, "00010000010006026832026833000400040A35025A"), "1 . alpn=\"h2,h3\" ipv4hint=10.53.2.90")
        XCTAssertEqual(present(65, "000100000100030268320006001" + "0FD000053000000030000000000000101"), "1 . alpn=\"h2\" ipv6hint=fd00:53:0:3::101")
    }

    func testNULLAndTypesWithoutTextFormFallBackToRFC3597() {
        var discard = DiscardingSink()
        XCTAssertNil(DNSRdata.formatPresentation(.null, in: ByteCursor(UnsafeRawBufferPointer(start: nil, count: 0)), at: 0, length: 0, into: &discard))
        XCTAssertEqual(present(10, "010203"), "\\# 3 010203")
        XCTAssertEqual(present(29, "0112161380000000800000000098968000"), "\\# 17 0112161380000000800000000098968000", "LOC version 1")
        XCTAssertEqual(present(260, "0A04AABB"), "\\# 4 0A04AABB", "AMTRELAY relay type 4")
        XCTAssertEqual(present(42, "0003100101"), "\\# 5 0003100101", "APL address family 3")
    }

    func testObsoleteMailboxTypesAreRFC3597NotNames() {
        // MD, MF, MB, MG and MR are in neither of the spec's presentation
        // lists: their rdata is hex, and a bad name inside it is no reason
        // to drop the message.
        for type: UInt16 in [3, 4, 7, 8, 9] {
            XCTAssertEqual(present(type, "046D61696C076578616D706C6500"), "\\# 14 046D61696C076578616D706C6500", "type \(type)")
            XCTAssertEqual(present(type, "C0FF"), "\\# 2 C0FF", "type \(type): a forward pointer is just bytes")
        }
    }

    // MARK: Names inside rdata

    func testNamesInRdataFollowCompressionPointersToEarlierInTheMessage() {
        // Offset 0: "example.com"; the RP rdata is "admin" + pointer to 0, then a pointer to 0.
        XCTAssertEqual(present(17, "0561646D696EC000C000", after: "076578616D706C6503636F6D00"), "admin.example.com example.com")
        XCTAssertEqual(present(46, "00010D020000012C6B0E0E006AE6810030390474657374C000AABB", after: "076578616D706C6503636F6D00"),
                       "A 13 2 300 20261201000000 20261101000000 12345 test.example.com qrs=")
    }

    func testPointerThatDoesNotPointBackwardsIsMalformed() {
        XCTAssertNil(present(17, "C002C000"))
        XCTAssertNil(present(23, "C000"))
    }

    func testNameRunningPastTheRdataIsMalformed() {
        // PX: the second name's bytes continue past the rdata end.
        XCTAssertNil(present(26, "000A0161000162"))
        XCTAssertNil(present(35, "000A00640000000161"))
    }

    // MARK: Malformed input

    /// Rdatas BIND 9.18.49 rejects (dig reports FORMERR, "out of range",
    /// "extra input data", …): truncations, wrong lengths, bad bitmaps, bad
    /// SvcParam order and shapes, invalid dohpath, bad LOC precisions, …
    static let bindRejects: [(type: UInt16, hex: String)] = [
        (50, "01000005045BAA30A5055294A5294A000140"),
        (11, "0A000001"),
        (17, "0161000162"),
        (17, "0161"),
        (19, "043331303400"),
        (20, "03313233033030"),
        (20, "0331323303303034033030"),
        (20, ""),
        (23, "01610000"),
        (26, "000A016100"),
        (26, "000A0161000162"),
        (27, "0131013201"),
        (27, "01310132013301"),
        (29, "00121613"),
        (35, "000A0064017507453255"),
        (35, "000A0064000003616263036465660000"),
        (35, "000A00640000000000"),
        (37, "0001000000"),
        (42, "0001210100"),
        (42, "000180050A00000001"),
        (42, "00011001"),
        (42, "000110020A00"),
        (42, "0003100100"),
        (42, "00018302"),
        (43, "0001080100"),
        (43, "00010802AABB"),
        (43, "00010801"),
        (44, "0101"),
        (44, "0102"),
        (44, "01"),
        (44, "0101AABB"),
        (45, "0A0402AA"),
        (45, "0A0102C000"),
        (45, "0A0002"),
        (45, "0A010200000000"),
        (45, "0A0302016100"),
        (45, "0A03020161"),
        (46, "00010D020000012C6A000000690000003039"),
        (48, "0101030D"),
        (48, "0101"),
        (48, "C000030D"),
        (48, "01010300"),
        (48, "010103FDAABB"),
        (49, ""),
        (51, "0100000504AABB"),
        (51, "0100000500AA"),
        (51, "01000005"),
        (52, "030101"),
        (52, "0301"),
        (53, "030101"),
        (55, "0002000000"),
        (55, "00020001AA"),
        (55, "01020002AABB"),
        (55, "01020001AABB0161"),
        (55, "01020001AABB01610001"),
        (56, ""),
        (61, ""),
        (62, "0000000100"),
        (62, "00000001000300"),
        (62, "0000000100030001"),
        (63, "000000010101AABB"),
        (63, "0000000101010123456789ABCDEF01234567"),
        (63, "00000001010F0123456789ABCDEF012345"),
        (63, "000000010102"),
        (64, "0000016100000100020000"),
        (64, "000001610000"),
        (64, "0001016100000100030268330001000302683300"),
        (64, "00010161000001000302683300000100030268330000"),
        (64, "00010161000003000100"),
        (64, "000101610000030003000050"),
        (64, "00010161000002000000"),
        (64, "0001016100000100030268330002000000"),
        (64, "0001016100000100030268330002000001"),
        (64, "00010161000004000300000A"),
        (64, "0001016100000600040000"),
        (64, "0001016100000000020001000100030268330000"),
        (64, "0001016100000000020003000100030268330000"),
        (64, "0001016100000000020000"),
        (64, "00010161000000000200040001000302683300"),
        (64, "000101610000000000"),
        (64, "00010161000000000300010000"),
        (64, "00010161000000000400030001000100030268330003000201BB"),
        (64, "00010161000001000100"),
        (64, "0001016100000100030002683300"),
        (64, "000101610000070000"),
        (64, "0001016100000700036162630008000000"),
        (64, "0001C00C00"),
        (104, "000A00144FFFFF20EE"),
        (104, "000A00144FFFFF20EE6400"),
        (105, "000A0A0102"),
        (107, "000A"),
        (107, "000A0161"),
        (108, "00005E00532A00"),
        (109, "00005E00532A"),
        (260, "0A0000"),
        (260, "0A8001CB00710F"),
        (260, "0A02CB00710F"),
        (260, "0A030161"),
        (260, "0A"),
        (249, "00000000010000000200030000000000"),
        (249, "000000000100000002000300FF0000000001AA"),
        (249, "000000000100000002000300160000000001"),
        (249, "000000000100000002000300170000000001"),
        (249, "00000000010000000200030010000000000000"),
        (249, "000000000100000002000300000000"),
        (64, "0001016100000700012F"),
        (64, "00010161000007000A2F646E732D7175657279"),
        (64, "00010161000007000F646E732D71756572797B3F646E737D"),
        (64, "0001016100000700092F717B3F646E73787D"),
        (64, "0001016100000700092F717B3F78646E737D"),
        (64, "0001016100000700072F717B3F646E73"),
        (64, "00010161000007000A2F7120257B3F646E737D"),
        (64, "00010161000007000A2F7125347B3F646E737D"),
        (64, "0001016100000700082F717B3F444E537D"),
        (64, "0001016100000700082F717B3D646E737D"),
        (64, "00010161000007000B2F717B3F7D7B3F646E737D"),
        (64, "0001016100000700092F717B3F646E737DFF"),
        (64, "0001016100000700092F717B203F646E737D"),
        (64, "0001016100000700092F717B3F646E73207D"),
        (64, "00010161000007000F2F717B3F642E6E737D7B3F646E737D"),
        (64, "00010161000007000A2F717B3F646E732E787D"),
        (64, "00010161000007000A2F717B3F646E733A307D"),
        (64, "00010161000007000E2F717B3F646E733A31303030307D"),
        (64, "00010161000007000A2F717B3F646E732A2A7D"),
        (64, "00010161000007000A2F717B646E732C3D787D"),
        (64, "00010161000007000B2F717B3F646E733A352A7D"),
        (64, "00010161000007000B2F717B3F646E732A3A357D"),
        (64, "0001016100000700092F717B3F646E732C7D"),
        (64, "0001016100000700092F717B3F2C646E737D"),
        (64, "00010161000007000B2F717B3F646E733A30357D"),
        (64, "0001016100000700092F717B3F3F646E737D"),
        (64, "00010161000007000D2F717B3F25347D7B3F646E737D"),
        (64, "00010161000007000F2F717B3F642534477D7B3F646E737D"),
        (64, "00010161000007000D2F717B3FC3A97D7B3F646E737D"),
        (64, "00010161000007000A2F71C0AF7B3F646E737D"),
        (64, "00010161000007000D2F717B3F783A7D7B3F646E737D"),
        (64, "00010161000007000A2F717B7D7B3F646E737D"),
        (64, "0001016100000700092F717B3F646E737D7B"),
        (64, "0001016100000700092F717B7B3F646E737D"),
        (64, "00010161000007000B2F71257A7A7B3F646E737D"),
        (64, "0001016100000700092F71257B3F646E737D"),
        (64, "00010161000007000A2F717B3F646E2537337D"),
        (64, "0001016100000700082F717B21646E737D"),
        (64, "0001016100000700082F717B40646E737D"),
        (64, "0001016100000700082F717B7C646E737D"),
        (64, "0001016100000700082F717B2C646E737D"),
        (11, "0A0000010600"),
        (11, "0A0000011100004000"),
        (19, "0561626364"),
        (22, ""),
        (29, "00AA161380000000800000000098968000"),
        (29, "009A161380000000800000000098968000"),
        (29, "0012161380000000800000000098968000"),
        (29, "0000000080000001800000000098968000"),
        (29, "0012161391599400800000000098968000"),
        (29, "00121613800000003A4C3A8000989680"),
        (29, "001216138000000037D55A7F00989680"),
        (47, "016100"),
        (47, "01610000014001000140"),
        (47, "01610001014000010140"),
        (47, "016100000100"),
        (47, "0161000021FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
        (19, "03333130"),
        (19, "00"),
        (29, "0012161380000000C5B3A58000989680"),
        (29, "001216138000000045A1A28100989680"),
        (29, "0009161380000000800000000098968C"),
        (47, "0161000001"),
        (47, "00"),
        (29, "00011613800000008000000000989680"),
        (29, "00021613800000008000000000989680"),
        (29, "00031613800000008000000000989680"),
        (29, "00A01613800000008000000000989680"),
        (50, "010000050001AB"),
        (50, "010000050001AB000140"),
        (50, "010000050005ABABABABAB"),
        (50, "010000050005ABABABABAB000140"),
        (50, "01000005000AABABABABABABABABABAB"),
        (50, "01000005000AABABABABABABABABABAB000140"),
        (50, "01000005000FABABABABABABABABABABABABABABAB"),
        (50, "01000005000FABABABABABABABABABABABABABABAB000140"),
        (50, "010000050010ABABABABABABABABABABABABABABABAB"),
        (50, "010000050010ABABABABABABABABABABABABABABABAB000140"),
        (50, "010000050011ABABABABABABABABABABABABABABABABAB"),
        (50, "010000050011ABABABABABABABABABABABABABABABABAB000140"),
        (50, "010000050012ABABABABABABABABABABABABABABABABABAB"),
        (50, "010000050012ABABABABABABABABABABABABABABABABABAB000140"),
        (50, "010000050013ABABABABABABABABABABABABABABABABABABAB"),
        (50, "010000050013ABABABABABABABABABABABABABABABABABABAB000140"),
        (50, "010000050015ABABABABABABABABABABABABABABABABABABABABAB"),
        (50, "010000050015ABABABABABABABABABABABABABABABABABABABABAB000140"),
        (50, "010000050020ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"),
        (50, "010000050020ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB000140"),
        (42, "00031001010001080100"),
    ]

    func testEveryRdataBINDRejectsIsMalformed() {
        for c in Self.bindRejects {
            XCTAssertNil(present(c.type, c.hex), "type \(c.type) \(c.hex) should be malformed")
        }
    }

    func testTypeBitmapsMustHaveIncreasingWindowsNonEmptyLengthsAndNonZeroLastByte() {
        XCTAssertEqual(present(47, "016100000140"), "a A")
        XCTAssertNil(present(47, "01610001014000010140"), "windows out of order")
        XCTAssertNil(present(47, "01610000014000010140"), "window repeated")
        XCTAssertNil(present(47, "0161000000"), "zero-length window")
        XCTAssertNil(present(47, "016100000100"), "last byte zero")
        XCTAssertNil(present(47, "016100"), "NSEC bitmap may not be empty")
        XCTAssertEqual(present(62, "000000010003"), "1 3", "CSYNC bitmap may be empty")
        XCTAssertNil(present(50, "010000000014174EB2409FE28BCB4887A1836F957F0A8425E27B0001"), "NSEC3 truncated window")
    }

    func testSvcParamsMustBeStrictlyIncreasingAndWellFormed() {
        XCTAssertNil(present(64, "00010161000003000200"), "truncated value")
        XCTAssertNil(present(64, "000101610000030002005000010003026833"), "alpn after port")
        XCTAssertNil(present(64, "0001016100000300020050000300020051"), "duplicate key")
        XCTAssertNil(present(64, "00010161000003000100"), "port of one byte")
        XCTAssertNil(present(64, "00010161000002000000"), "no-default-alpn without alpn")
        XCTAssertNil(present(64, "00010161000000000200040001000302683300"), "mandatory key missing")
        XCTAssertNil(present(64, "0001016100000000020000"), "mandatory names itself")
        XCTAssertNil(present(64, "0000016100000100020000"), "alias form with parameters")
        XCTAssertNil(present(64, "000101610000070000"), "empty dohpath")
        XCTAssertEqual(present(64, "00010161000000000400010003000100030268330003000201BB"), "1 a mandatory=alpn,port alpn=\"h3\" port=443")
    }

    func testLOCRejectsPrecisionsAndCoordinatesOutOfRange() {
        XCTAssertNil(present(29, "00A01613800000008000000000989680"), "mantissa 10")
        XCTAssertNil(present(29, "00011613800000008000000000989680"), "zero mantissa with exponent")
        XCTAssertNil(present(29, "00121613800000003A4C3A8000989680"), "longitude beyond 180 degrees")
        XCTAssertNil(present(29, "0012161380000000800000000098968000"), "17 bytes")
        XCTAssertEqual(present(29, "00121613800000008000000000989680"), "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m")
    }

    func testDigestAndFingerprintLengthsAreExactForKnownAlgorithms() {
        XCTAssertNil(present(43, "00010802AABB"), "SHA-256 DS of 2 bytes")
        XCTAssertNil(present(44, "0101AABB"), "SHA-1 SSHFP of 2 bytes")
        XCTAssertNil(present(63, "000000010101AABB"), "ZONEMD SHA-384 of 2 bytes")
        XCTAssertNil(present(50, "01000005045BAA30A5055294A5294A000140"), "NSEC3 SHA-1 hash of 5 bytes")
    }

    /// Every strict prefix and every one-byte corruption of every valid case
    /// either parses or is malformed: nothing traps, and the validating and
    /// printing runs always agree.
    func testTruncatedAndCorruptedRdataNeverTraps() {
        for c in Self.bindCases {
            let full = bytes(c.hex)
            for cut in 0..<full.count {
                _ = present(c.type, hexString(Array(full[0..<cut])))
            }
            for i in 0..<full.count {
                for v: UInt8 in [0x00, 0x01, 0x3F, 0x80, 0xC0, 0xFF] {
                    var mutated = full
                    mutated[i] = v
                    _ = present(c.type, hexString(mutated))
                }
            }
        }
    }

    func testTruncatedFixedLayoutRdataIsMalformed() {
        for c in Self.bindCases where [17, 26, 29, 43, 44, 51, 63, 65, 104, 105, 106, 107, 108, 109, 249, 260].contains(Int(c.type)) {
            let full = bytes(c.hex)
            XCTAssertNil(present(c.type, hexString(Array(full.dropLast()))), "\(c.name) without its last byte")
        }
    }

    // MARK: Meta types (from BIND 9.18 totext/fromwire source)

    func testOPTPrintsCodeLengthAndBase64PerOption() {
        XCTAssertEqual(present(41, "000A00080102030405060708000C0000"), "10 8 AQIDBAUGBwg= 12 0")
        XCTAssertEqual(present(41, "0008000700011800C00002"), "8 7 AAEYAMAAAg==")
        XCTAssertEqual(present(41, ""), "")
        XCTAssertNil(present(41, "000A0004010203"), "option longer than rdata")
        XCTAssertNil(present(41, "000A000401020304"), "cookie of 4 bytes")
        XCTAssertNil(present(41, "0008000700011700C00003"), "ECS bits beyond the prefix")
        XCTAssertNil(present(41, "000F00040000C328"), "EDE text not UTF-8")
        XCTAssertNil(present(41, "000F00050000EFBBBF"), "EDE text with a byte order mark")
        XCTAssertNil(present(41, "000A"), "truncated option header")
    }

    func testTSIGPrintsAsBINDTotextAnyTSIG() {
        // hmac-sha256. time 1700000000 fudge 300, MAC 4 bytes, id 4660, NOERROR, no other data.
        let rdata = "0B686D61632D73686132353600" + "00006553F100" + "012C" + "0004DEADBEEF" + "1234" + "0000" + "0000"
        XCTAssertEqual(present(250, rdata), "hmac-sha256 1700000000 300 4 3q2+7w== 4660 NOERROR 0 ")
        XCTAssertEqual(present(250, "00" + "000000000001" + "012C" + "0000" + "0001" + "0012" + "0006000065530000"),
                       ". 1 300 0  1 BADTIME 6 AABlUwAA")
        XCTAssertNil(present(250, "00" + "000000000001" + "012C" + "0004DEAD"), "truncated MAC")
    }

    // MARK: Type and class fields

    /// Every one of the 65,536 type codes prints as its IANA mnemonic or as
    /// `TYPE<n>`: the table the common codes are printed from must never
    /// disagree with the mnemonic list (a wrong length would glue the next
    /// field on or leave a stray byte in the line).
    func testEveryTypeCodePrintsItsMnemonicOrTYPEn() {
        var line = LineBuffer(capacity: 64)
        defer { line.deallocate() }
        for code in 0...Int(UInt16.max) {
            let type = DNSType(rawValue: UInt16(code))
            line.removeAll()
            line.appendDNSType(type)
            line.append(UInt8(ascii: "|"))
            let expected = (type.mnemonic.map { "\($0)" } ?? "TYPE\(code)") + "|"
            guard String(decoding: line.bytes, as: UTF8.self) == expected else {
                return XCTFail("type \(code): \(String(decoding: line.bytes, as: UTF8.self)) instead of \(expected)")
            }
        }
    }

    // MARK: Helpers for times

    func testDNSSECTimesAreUTCCalendarDates() {
        var line = LineBuffer(capacity: 64)
        defer { line.deallocate() }
        for (value, text) in [(UInt32(0), "19700101000000"), (0x7FFF_FFFF, "20380119031407"),
                              (1_709_164_800, "20240229000000"), (4_102_444_799, "20991231235959")] {
            line.removeAll()
            DNSRdata.appendDNSSECTime(value, to: &line)
            XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self), text)
        }
    }
}

private func hexString(_ b: [UInt8]) -> String {
    var s = ""
    for x in b {
        s.append(Character(Unicode.Scalar(hexDigitUpper(x >> 4))))
        s.append(Character(Unicode.Scalar(hexDigitUpper(x & 0x0F))))
    }
    return s
}
