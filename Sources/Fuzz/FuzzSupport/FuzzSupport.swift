#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PacketlogHost

// MARK: - Shared pieces of the libFuzzer targets
//
// Each fuzz target under Sources/Fuzz/ defines `LLVMFuzzerTestOneInput`.
// Built by scripts/fuzz.sh (`--sanitize fuzzer --sanitize address
// -Xswiftc -DPACKETLOG_FUZZING`) libFuzzer supplies `main`; in a plain
// `swift build` each target instead gets a small `main` (`FuzzReplay`) that
// runs the same function over the files or directories it is given, so a
// crash file can be replayed without libFuzzer.

/// The capture time every fuzz packet carries (2026-11-27 05:39:26.815 UTC).
public let fuzzTime = PacketTime(seconds: 1_795_757_966, nanoseconds: 815_123_456)

public let fuzzClient = IPAddress(ipv4: 0x0A35_640A)      // 10.53.100.10
public let fuzzServer = IPAddress(ipv4: 0x0A35_6435)      // 10.53.100.53
public let fuzzClient6 = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 0x10)   // 2001:db8::10
public let fuzzServer6 = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 0x53)   // 2001:db8::53

/// Fixes the time zone once, so line times do not depend on the machine.
public func fuzzSetUp() {
    setenv("TZ", "UTC", 1)
    tzset()
}

// MARK: Checking lines

/// Traps (so libFuzzer reports the input) unless every committed line of
/// `lines` is well-formed: only bytes 0x20–0x7E, then exactly one '\n';
/// records back to back from offset 0; the `<kind>` field, when marked,
/// where the record says it is.
public func checkLines(_ lines: LineEmitter, _ what: StaticString) {
    var expectedStart = 0
    for (index, r) in lines.records.enumerated() {
        guard r.start == expectedStart, r.end > r.start, r.end <= lines.buffer.count else {
            fatalError("\(what): line \(index) record [\(r.start), \(r.end)) out of place (expected start \(expectedStart), buffer \(lines.buffer.count))")
        }
        let bytes = lines.buffer.bytes(from: r.start, to: r.end)
        guard bytes[bytes.count - 1] == 0x0A else {
            fatalError("\(what): line \(index) does not end with a newline: \(describe(bytes))")
        }
        for i in 0..<(bytes.count - 1) where bytes[i] < 0x20 || bytes[i] > 0x7E {
            fatalError("\(what): line \(index) has byte 0x\(String(bytes[i], radix: 16)) at \(i): \(describe(bytes))")
        }
        if r.kindOffset >= 0 {
            let label = r.kind.label
            let at = r.kindOffset - r.start
            guard at >= 0, at + label.utf8CodeUnitCount + 1 < bytes.count,
                  label.withUTF8Buffer({ l in l.indices.allSatisfy { bytes[at + $0] == l[$0] } }),
                  bytes[at + label.utf8CodeUnitCount] == 0x20 else {
                fatalError("\(what): line \(index) kind offset \(r.kindOffset) does not hold \(label): \(describe(bytes))")
            }
        }
        expectedStart = r.end
    }
}

/// A line for a failure message: printable ASCII as is, the rest as \xHH.
public func describe(_ bytes: UnsafeRawBufferPointer) -> String {
    var s = ""
    for b in bytes.prefix(2048) {
        if b >= 0x20 && b <= 0x7E && b != UInt8(ascii: "\\") { s.unicodeScalars.append(Unicode.Scalar(b)) }
        else { s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16) }
    }
    return s
}

/// Reads every byte of `bytes` (so AddressSanitizer checks the whole range)
/// and returns a value the optimizer cannot drop.
@inline(never)
public func touch(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
    var x: UInt8 = 0
    for b in bytes { x ^= b }
    return x
}

nonisolated(unsafe) public var fuzzSink: UInt8 = 0

// MARK: Length-prefixed consumer

/// Consumes every complete 2-byte-length-prefixed message at the start of
/// `stream` (as DNS over TCP does); returns the bytes they span.
public func consumeLengthPrefixed(_ stream: UnsafeRawBufferPointer) -> Int {
    var offset = 0
    while stream.count - offset >= 2 {
        let length = Int(stream[offset]) << 8 | Int(stream[offset + 1])
        guard stream.count - offset - 2 >= length else { break }
        fuzzSink ^= touch(UnsafeRawBufferPointer(rebasing: stream[(offset + 2)..<(offset + 2 + length)]))
        offset += 2 + length
    }
    return offset
}

// MARK: Splitting a payload into segments

/// Feeds `payload` to `reassembler` as one direction of a connection that
/// starts with a SYN: split in two at `split`, the second half first (out of
/// order), then the first half, then a FIN. `consume` gets each stream.
public func feedSplit(_ reassembler: TCPReassembler, payload: UnsafeRawBufferPointer, split: Int,
                      source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
                      sourceIsLocal: Bool = false, destinationIsLocal: Bool = false,
                      isn: UInt32 = 0xFFFF_FF00,
                      consume: (PacketContext, UnsafeRawBufferPointer) -> Int) {
    func packet(_ flags: TCPFlags, _ sequence: UInt32, _ bytes: UnsafeRawBufferPointer) -> PacketContext {
        PacketContext(time: fuzzTime, source: source, destination: destination, sourcePort: sourcePort,
                      destinationPort: destinationPort, transport: .tcp, tcpFlags: flags, tcpSequence: sequence,
                      sourceIsLocal: sourceIsLocal, destinationIsLocal: destinationIsLocal, payload: bytes)
    }
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    let cut = min(max(0, split), payload.count)
    let first = UnsafeRawBufferPointer(rebasing: payload[0..<cut])
    let second = UnsafeRawBufferPointer(rebasing: payload[cut...])
    let data = isn &+ 1   // the sequence number of the first stream byte (wraps: isn is near 2^32)
    let steps = [packet([.syn], isn, empty),
                 packet([.ack, .psh], data &+ UInt32(cut), second),
                 packet([.ack, .psh], data, first),
                 packet([.ack, .fin], data &+ UInt32(payload.count), empty)]
    for p in steps {
        reassembler.process(p) { consume(p, $0) }
    }
    reassembler.finishAll()
}

// MARK: Replay without libFuzzer

/// `main` of a fuzz target in a plain build: runs `body` over each file
/// given (directories: every file in them) and prints how many it ran.
public enum FuzzReplay {
    public static func run(_ body: (UnsafePointer<UInt8>, Int) -> CInt) {
        var paths: [String] = []
        for argument in CommandLine.arguments.dropFirst() where !argument.hasPrefix("-") {
            paths += files(at: argument)
        }
        if paths.isEmpty {
            print("usage: \(CommandLine.arguments[0]) FILE|DIR...   (replays inputs; build with scripts/fuzz.sh to fuzz)")
            exit(2)
        }
        for path in paths {
            var bytes = read(path)
            bytes.append(0)   // never hand a zero-length buffer's nil base to body
            _ = bytes.withUnsafeBufferPointer { body($0.baseAddress!, $0.count - 1) }
        }
        print("ran \(paths.count) input(s)")
    }

    static func files(at path: String) -> [String] {
        var st = stat()
        guard stat(path, &st) == 0 else { print("cannot read \(path)"); exit(2) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return [path] }
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            out += files(at: path + "/" + name)
        }
        return out.sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { print("cannot read \(path)"); exit(2) }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }
}
