#if canImport(Glibc)
import Glibc
#endif

// MARK: - Thin wrappers over write(2) and open(2)

/// An errno with the call that failed, in the style of swift-system's `Errno`.
public struct SystemError: Error, CustomStringConvertible {
    public var call: String
    public var errno: Int32
    public var path: String?
    public var description: String {
        "\(call)\(path.map { " '\($0)'" } ?? ""): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

public enum FileIO {
    /// Opens `path` for appending, creating it with `mode`; retries on EINTR.
    public static func openAppend(_ path: String, mode: mode_t) throws(SystemError) -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SystemError(call: "open", errno: errno, path: path)
        }
    }

    /// Writes all of `bytes`, retrying on EINTR and short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw SystemError(call: "write", errno: n < 0 ? errno : EIO, path: nil)
        }
    }

    /// Cuts the file back to `size` (after a failed write), retrying on
    /// EINTR; a failure is reported, since the file may then end in part of
    /// a line.
    public static func truncate(_ fd: Int32, to size: off_t) {
        while ftruncate(fd, size) != 0 {
            if errno == EINTR { continue }
            printError("packetlog: cannot cut a log file back after a failed write: \(String(cString: strerror(errno))) (errno \(errno)); its last line may be incomplete")
            return
        }
    }

    /// The entry names of `directory` (none when it cannot be read).
    public static func names(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            })
        }
        return names
    }

    /// Writes a diagnostic to standard error (Swift 6: no `print` to stderr).
    public static func printError(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            try? writeAll(2, UnsafeRawBufferPointer(raw))
        }
    }

    /// Creates `path` and its parents (mode 0700 for new directories).
    public static func makeDirectories(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw SystemError(call: "mkdir", errno: errno, path: current)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError(call: "mkdir", errno: ENOTDIR, path: path)
        }
        guard access(path, W_OK | X_OK) == 0 else { throw SystemError(call: "access", errno: errno, path: path) }
    }
}
