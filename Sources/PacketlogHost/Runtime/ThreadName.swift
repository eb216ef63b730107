#if canImport(Glibc)
import Glibc
#endif

// MARK: - Thread names

/// Names the calling thread as `top -H`, `ps -L` and `/proc` show it (at
/// most 15 bytes). Foundation's `Thread.name` does not reach the kernel on
/// Linux, and `pthread_setname_np` is not visible to Swift's Glibc module,
/// so this writes `/proc/thread-self/comm`; failure only loses the name.
func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
