#if canImport(Glibc)
import Glibc
#endif

// MARK: - Privileges

/// Dropping root after the capture and the log directories are open, as
/// tcpdump's `-Z` does.
public enum Privileges {
    public struct DropError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Gives the log directories to `user` (so it can create the next
    /// period's files) and, in them, the log files of `stems` already there
    /// (an earlier run as root left them root's: appending to the current
    /// period's file would fail and lose its lines), then switches group
    /// list, group and user. Fails when the user does not exist or root
    /// cannot be given up.
    public static func drop(to user: String, directories: [String], logStems: [String] = []) throws {
        guard let entry = getpwnam(user) else {
            throw DropError(description: "unknown user '\(user)' for -Z: create it (useradd --system \(user)) or name another")
        }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        for directory in directories {
            guard chown(directory, uid, gid) == 0 else {
                throw DropError(description: "cannot give '\(directory)' to \(user): \(String(cString: strerror(errno)))")
            }
            for name in logFiles(in: directory, stems: logStems) {
                // Through a descriptor opened without following a symlink, and
                // only a regular file with one link: the directory may be the
                // user's already, and a planted `dns-….log -> /etc/shadow`
                // must not make root give that file away.
                let fd = open(directory + "/" + name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                var info = stat()
                guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else { continue }
                if fchown(fd, uid, gid) != 0 {
                    throw DropError(description: "cannot give '\(directory)/\(name)' to \(user): \(String(cString: strerror(errno)))")
                }
            }
        }
        guard initgroups(user, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw DropError(description: "cannot switch to user '\(user)': \(String(cString: strerror(errno))) (is packetlog running as root?)")
        }
        if uid != 0 && setuid(0) == 0 {
            throw DropError(description: "root could be regained after switching to '\(user)'; refusing to run")
        }
        // The directory is the user's now, but a parent it cannot enter
        // (`/root` is 0700) still keeps it out: every line would be lost.
        for directory in directories where access(directory, W_OK | X_OK) != 0 {
            throw DropError(description: "user '\(user)' cannot write in '\(directory)' (\(String(cString: strerror(errno)))): a parent directory does not let it in; choose a log directory the user can reach (such as /var/log/packetlog) or another -Z user")
        }
    }

    /// The names in `directory` that are log files of one of `stems`.
    static func logFiles(in directory: String, stems: [String]) -> [String] {
        guard !stems.isEmpty else { return [] }
        return FileIO.names(in: directory).filter { name in stems.contains { FileMaintenance.logGroup(of: name, stem: $0) != nil } }
    }
}
