import CPcap
#if canImport(Glibc)
import Glibc
#endif

// MARK: - CaptureError

/// A capture problem a user can hit, with one message naming cause and fix.
public struct CaptureError: Error, CustomStringConvertible {
    private enum Reason {
        case permission(String)
        case noSuchDevice(String)
        case interfaceDown(String)
        case badFilter(String, String)
        case openFile(String, String)
        case unsupportedLink(Int32)
        case other(String)
    }
    private let reason: Reason

    public var description: String {
        switch reason {
        case .permission(let device):
            return "no permission to capture on '\(device)': run as root or grant the capability: setcap cap_net_raw,cap_net_admin=eip $(command -v packetlog)"
        case .noSuchDevice(let device):
            return "unknown interface '\(device)': list interfaces with 'ip link' and pass one with -i"
        case .interfaceDown(let device):
            return "interface '\(device)' is down: bring it up (ip link set \(device) up) or capture on another with -i"
        case .badFilter(let filter, let why):
            return "libpcap rejects the BPF filter '\(filter)': \(why)"
        case .openFile(let path, let why):
            return "cannot read capture file '\(path)': \(why)"
        case .unsupportedLink(let dlt):
            return "unsupported link type \(dlt) (\(pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unnamed")): packetlog decodes Ethernet, Linux SLL/SLL2, raw IP and BSD loopback"
        case .other(let message):
            return message
        }
    }

    static func permission(_ d: String) -> CaptureError { CaptureError(reason: .permission(d)) }
    static func noSuchDevice(_ d: String) -> CaptureError { CaptureError(reason: .noSuchDevice(d)) }
    static func interfaceDown(_ d: String) -> CaptureError { CaptureError(reason: .interfaceDown(d)) }
    static func badFilter(_ f: String, _ w: String) -> CaptureError { CaptureError(reason: .badFilter(f, w)) }
    static func openFile(_ p: String, _ w: String) -> CaptureError { CaptureError(reason: .openFile(p, w)) }
    static func unsupportedLink(_ l: Int32) -> CaptureError { CaptureError(reason: .unsupportedLink(l)) }
    static func other(_ m: String) -> CaptureError { CaptureError(reason: .other(m)) }
}

// MARK: - PcapHandle

/// A thin owner of one `pcap_t`: open live or from a file, filter, read,
/// statistics. Not thread-safe: one capture thread uses it.
public final class PcapHandle {
    @usableFromInline let handle: OpaquePointer
    public let linkType: LinkType
    public let isLive: Bool
    /// The device name (live) or file path.
    public let source: String
    /// The stdio buffer of a capture file's `FILE` (owned here, freed after
    /// `pcap_close`), or `nil`.
    private let fileBuffer: UnsafeMutableRawPointer?
    /// A capture file that is a pipe or FIFO: its reads wait with `poll`
    /// (`CaptureLoop.runFile` sets what happens while they wait).
    let pipeInput: PipeInput?

    private init(handle: OpaquePointer, isLive: Bool, source: String, fileBuffer: UnsafeMutableRawPointer? = nil,
                 pipeInput: PipeInput? = nil) throws {
        // Checked before any stored property is set: once all are, a throw
        // still runs `deinit`, which would close and free them a second time.
        let linkType = LinkType(rawValue: pcap_datalink(handle))
        guard linkType.isSupported else {
            pcap_close(handle)
            fileBuffer?.deallocate()
            throw CaptureError.unsupportedLink(linkType.rawValue)
        }
        self.handle = handle
        self.isLive = isLive
        self.source = source
        self.fileBuffer = fileBuffer
        self.pipeInput = pipeInput
        self.linkType = linkType
    }

    deinit {
        pcap_close(handle)
        fileBuffer?.deallocate()
    }

    /// The stdio buffer for reading capture files. libpcap reads a file
    /// with `fread`, and glibc's default buffer (4 KiB) costs one `read`
    /// system call per 4 KiB; 64 KiB takes a quarter less CPU for reading a
    /// 385 MB file (measured: 0.31 s → 0.23 s), while 256 KiB and more no
    /// longer fit the caches and are slower than the default.
    public static let fileReadBufferBytes = 64 * 1024

    /// Opens a capture file (pcap or pcapng, µs or ns) with nanosecond
    /// timestamps; `-` is standard input. A pipe or FIFO is read through a
    /// `PipeInput` (reads that wait with `poll`).
    public static func openFile(_ path: String) throws -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        func failure(_ libpcapReason: String) -> CaptureError {
            var why = libpcapReason
            if path != "-" && access(path, F_OK) != 0 {
                why = "no such file"
            } else if path != "-" && access(path, R_OK) != 0 {
                why = "permission denied"
            }
            return CaptureError.openFile(path, why)
        }
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        var status = stat()
        let isRegular = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        let pipeInput = isRegular ? nil : PipeInput(descriptor: descriptor, ownsDescriptor: path != "-")
        // Standard input as a regular file (`-r - < file.pcap`): a duplicate,
        // so closing the stream leaves descriptor 0 to the process.
        let streamDescriptor = pipeInput == nil && path == "-" ? dup(descriptor) : descriptor
        let stream = pipeInput.map { $0.openStream() } ?? (streamDescriptor >= 0 ? fdopen(streamDescriptor, "rb") : nil)
        guard let file = stream else {
            let why = String(cString: strerror(errno))
            if pipeInput == nil && streamDescriptor >= 0 && streamDescriptor != STDIN_FILENO { close(streamDescriptor) }
            throw failure(why)
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: fileReadBufferBytes, alignment: 64)
        _ = setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, fileReadBufferBytes)
        // Only the capture thread reads this FILE: libpcap's two `fread`s per
        // packet need not take the stream's lock.
        _ = __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
        guard let h = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            fclose(file)   // libpcap leaves the FILE to its caller when it fails
            buffer.deallocate()
            throw failure(String(cString: errbuf))
        }
        return try PcapHandle(handle: h, isLive: false, source: path, fileBuffer: buffer, pipeInput: pipeInput)
    }

    /// Opens a live interface: TPACKET_V3 ring of `bufferBytes`, `snaplen`,
    /// a read timeout that retires ring blocks, non-blocking reads (the
    /// caller waits with `poll` on `selectableFileDescriptor`).
    public static func openLive(device: String, snaplen: Int32, bufferBytes: Int32, timeoutMilliseconds: Int32 = 100) throws -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(device, &errbuf) else {
            throw CaptureError.other("cannot open interface '\(device)': \(String(cString: errbuf))")
        }
        pcap_set_snaplen(h, snaplen)
        pcap_set_promisc(h, 0)
        pcap_set_timeout(h, timeoutMilliseconds)
        pcap_set_buffer_size(h, bufferBytes)
        _ = pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(h)
        if status < 0 {
            let message = String(cString: pcap_geterr(h))
            pcap_close(h)
            switch status {
            case PCAP_ERROR_PERM_DENIED: throw CaptureError.permission(device)
            case PCAP_ERROR_NO_SUCH_DEVICE: throw CaptureError.noSuchDevice(device)
            case PCAP_ERROR_IFACE_NOT_UP: throw CaptureError.interfaceDown(device)
            default: throw CaptureError.other("cannot capture on '\(device)': \(message)")
            }
        }
        if pcap_setnonblock(h, 1, &errbuf) != 0 {
            let message = String(cString: errbuf)
            pcap_close(h)
            throw CaptureError.other("cannot make capture on '\(device)' non-blocking: \(message)")
        }
        return try PcapHandle(handle: h, isLive: true, source: device)
    }

    /// Compiles and installs a BPF filter; the error carries libpcap's reason.
    public func setFilter(_ filter: String) throws {
        var program = bpf_program()
        if pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw CaptureError.badFilter(filter, String(cString: pcap_geterr(handle)))
        }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(handle, &program) != 0 {
            throw CaptureError.badFilter(filter, String(cString: pcap_geterr(handle)))
        }
    }

    /// The file descriptor to `poll` for readability (live capture), or -1.
    public var selectableFileDescriptor: Int32 { pcap_get_selectable_fd(handle) }

    /// The timestamp precision of the handle (nanoseconds when available).
    public var nanosecondTimestamps: Bool { pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO) }

    /// Kernel statistics: packets received by the filter, dropped by the
    /// kernel, dropped by the interface. `nil` for files.
    public func statistics() -> (received: UInt64, dropped: UInt64, interfaceDropped: UInt64)? {
        guard isLive else { return nil }
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return (UInt64(s.ps_recv), UInt64(s.ps_drop), UInt64(s.ps_ifdrop))
    }

    /// The last libpcap error text.
    public var lastError: String { String(cString: pcap_geterr(handle)) }

    /// Reads a capture file's packets to its end (libpcap's `pcap_dispatch`
    /// with no count: libpcap loops, one call here instead of one per
    /// packet), calling `callback` with `user` for each, until the end, an
    /// error or `breakLoop()`. Returns the packets read, 0 at the end of
    /// the file, -1 on an error (`lastError`), -2 when broken off before any.
    public func readAll(user: UnsafeMutableRawPointer, _ callback: pcap_handler) -> Int32 {
        pcap_dispatch(handle, -1, callback, user.assumingMemoryBound(to: UInt8.self))
    }

    /// Makes `readAll` return after the packet being handled.
    public func breakLoop() { pcap_breakloop(handle) }

    /// The next packet: 1 with header and data, 0 when none is ready
    /// (non-blocking live), -2 at the end of a file, -1 on error.
    @inlinable
    public func next(_ header: inout UnsafeMutablePointer<pcap_pkthdr>?, _ data: inout UnsafePointer<UInt8>?) -> Int32 {
        pcap_next_ex(handle, &header, &data)
    }
}

// MARK: - Interfaces

public enum CaptureInterfaces {
    /// The interface of the default IPv4 route (from /proc/net/route), else
    /// libpcap's first device.
    public static func defaultInterface() -> String? {
        if let table = try? readFile("/proc/net/route") {
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count > 2, fields[1] == "00000000" { return String(fields[0]) }
            }
        }
        var devices: UnsafeMutablePointer<pcap_if_t>?
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard pcap_findalldevs(&devices, &errbuf) == 0, let first = devices else { return nil }
        defer { pcap_freealldevs(devices) }
        return String(cString: first.pointee.name)
    }

    /// Whether `name` is something a capture can open: a network interface
    /// of the system, or one of libpcap's own devices (`any`, `nflog`,
    /// `usbmon1` …, which have no interface index).
    public static func exists(_ name: String) -> Bool {
        if if_nametoindex(name) != 0 { return true }
        var devices: UnsafeMutablePointer<pcap_if_t>?
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard pcap_findalldevs(&devices, &errbuf) == 0 else { return false }
        defer { pcap_freealldevs(devices) }
        var device = devices
        while let d = device {
            if String(cString: d.pointee.name) == name { return true }
            device = d.pointee.next
        }
        return false
    }
}

/// Reads a whole small file as text (start-up only).
public func readFile(_ path: String) throws -> String {
    guard let f = fopen(path, "r") else { throw CaptureError.other("cannot read \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var result = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        result.append(contentsOf: chunk[0..<n])
    }
    if ferror(f) != 0 { throw CaptureError.other("cannot read \(path): \(String(cString: strerror(errno)))") }
    return String(decoding: result, as: UTF8.self)
}
