import CPcap
#if canImport(Glibc)
import Glibc
#endif

// MARK: - PipeInput

/// A capture file that is not a regular file (`-r -`, a FIFO), read through
/// a stdio stream whose reads wait with `poll` and call `whileWaiting`
/// before each wait (and every 200 ms while no byte arrives). libpcap blocks
/// in `fread` until a whole packet is there; this lets the capture thread
/// hand the lines it has to the writer and act on signals meanwhile, so a
/// quiet `tcpdump -w - | packetlog -r -` still logs within a second.
///
/// Owned by the `PcapHandle` that reads it (the stream holds an unretained
/// pointer to it); used on the capture thread only.
final class PipeInput {
    let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Called on the capture thread, between packets, before each wait for
    /// bytes; `false` ends the read (it fails with EINTR, and the capture
    /// loop reports why it stopped). Set by the capture loop; until then
    /// (libpcap reading the file's header) a stop signal ends the read.
    var whileWaiting: () -> Bool = { !stopRequested.load(ordering: .relaxed) }
    /// The longest wait before `whileWaiting` is called again.
    static let pollMilliseconds: Int32 = 200

    init(descriptor: Int32, ownsDescriptor: Bool) {
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    /// A read-only stream over this input (closing it leaves the descriptor
    /// open: this object closes it). `nil` when glibc cannot make one.
    func openStream() -> UnsafeMutablePointer<FILE>? {
        var functions = packetlog_cookie_functions()
        functions.read = { cookie, buffer, size in
            guard let cookie, let buffer else { return -1 }
            return Unmanaged<PipeInput>.fromOpaque(cookie)._withUnsafeGuaranteedRef { $0.read(into: buffer, count: size) }
        }
        return packetlog_fopencookie(Unmanaged.passUnretained(self).toOpaque(), "r", functions)
    }

    /// The stream's read: waits for bytes (calling `whileWaiting` before each
    /// wait), then reads what is there. Returns the bytes read, 0 at the end
    /// of the input, -1 with `errno` set on an error or a stop.
    func read(into buffer: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            guard whileWaiting() else {
                errno = EINTR
                return -1
            }
            let status = poll(&ready, 1, Self.pollMilliseconds)
            if status == 0 || (status < 0 && errno == EINTR) { continue }
            if status < 0 { return -1 }
            let count = Glibc.read(descriptor, buffer, count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return count
        }
    }
}
