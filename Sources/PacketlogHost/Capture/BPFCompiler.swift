import CPcap
#if canImport(Glibc)
import Glibc
#endif

// MARK: - BPFCompiler

/// Compiles a BPF filter without capturing (`--check-config`): against a
/// dead handle of a given link type, so the result is what a capture of that
/// link type would install.
public enum BPFCompiler {
    /// The compiled program: its instructions in tcpdump's `-d` form.
    public struct Program: Sendable {
        public var linkType: LinkType
        public var linkTypeName: String
        public var instructions: [String]
    }

    /// Compiles `filter` for `linkType`; the error carries libpcap's reason.
    public static func compile(_ filter: String, linkType: LinkType, snaplen: Int32 = 262_144) throws -> Program {
        guard let handle = pcap_open_dead(linkType.rawValue, snaplen) else {
            throw CaptureError.other("libpcap cannot compile for link type \(linkType.rawValue)")
        }
        defer { pcap_close(handle) }
        var program = bpf_program()
        if pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw CaptureError.badFilter(filter, String(cString: pcap_geterr(handle)))
        }
        defer { pcap_freecode(&program) }
        var lines: [String] = []
        for i in 0..<Int(program.bf_len) {
            if let text = bpf_image(program.bf_insns.advanced(by: i), Int32(i)) { lines.append(String(cString: text)) }
        }
        return Program(linkType: linkType, linkTypeName: name(of: linkType), instructions: lines)
    }

    /// libpcap's name of a link type (`EN10MB`).
    public static func name(of linkType: LinkType) -> String {
        pcap_datalink_val_to_name(linkType.rawValue).map { String(cString: $0) } ?? "DLT \(linkType.rawValue)"
    }

    /// The link type libpcap would report for a live capture on `interface`,
    /// read from `/sys/class/net/<interface>/type` (no capture opened, so no
    /// privilege needed): `any` is Linux cooked (SLL); unknown → nil.
    public static func linkType(ofInterface interface: String) -> LinkType? {
        if interface == "any" { return .linuxSLL }
        guard !interface.contains("/"), let text = try? readFile("/sys/class/net/\(interface)/type"),
              let arphrd = Int(text.filter { $0 != "\n" && $0 != " " }) else { return nil }
        switch arphrd {
        case 1, 772: return .ethernet                   // ARPHRD_ETHER, ARPHRD_LOOPBACK
        case 65534, 65535, 776, 778: return .raw        // none (tun), void, sit, gre
        case 512: return .linuxSLL                      // ARPHRD_PPP
        default: return nil
        }
    }

    /// The link type of a capture file (opened and closed again).
    public static func linkType(ofFile path: String) throws -> LinkType {
        try PcapHandle.openFile(path).linkType
    }
}
