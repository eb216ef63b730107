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
    /// Opens `path` for appending; retries on EINTR. A file it creates gets
    /// exactly `mode` (`file_mode`), whatever the umask (a service's
    /// `UMask=0077` made 0640 into 0600); an existing file keeps its own.
    public static func openAppend(_ path: String, mode: mode_t) throws(SystemError) -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            guard errno == ENOENT else { throw SystemError(call: "open", errno: errno, path: path) }
            let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, mode)
            if created >= 0 {
                _ = fchmod(created, mode)
                return created
            }
            if errno == EINTR || errno == EEXIST { continue }   // made meanwhile: open it
            throw SystemError(call: "open", errno: errno, path: path)
        }
    }

    /// The mode of a directory made for files of `fileMode`: whoever may
    /// read the files may enter it (0640 gives 0750, 0600 gives 0700).
    public static func directoryMode(forFiles fileMode: mode_t) -> mode_t {
        let read = fileMode & 0o044
        return 0o700 | read | (read >> 2)
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

    /// Creates `path` and its parents; new directories get exactly `mode`
    /// (not narrowed by the umask). Returns the directories it created,
    /// parents first.
    @discardableResult
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(SystemError) -> [String] {
        var current = path.hasPrefix("/") ? "" : "."
        var created: [String] = []
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) == 0 {
                created.append(current)
                _ = chmod(current, mode)
            } else if errno != EEXIST {
                throw SystemError(call: "mkdir", errno: errno, path: current)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError(call: "mkdir", errno: ENOTDIR, path: path)
        }
        guard access(path, W_OK | X_OK) == 0 else { throw SystemError(call: "access", errno: errno, path: path) }
        return created
    }
}
