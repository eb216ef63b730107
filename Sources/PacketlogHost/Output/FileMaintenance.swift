#if canImport(Glibc)
import Glibc
#endif

// MARK: - FileMaintenance

/// What happens to a log file once its period is over: gzip in the
/// background, the rotation hook, and the retention policy. Runs on the
/// writer thread, never on the capture thread; child processes are not
/// waited for (they are reaped later), so a slow gzip never blocks writing.
enum FileMaintenance {
    /// Starts compression and/or the hook for a file just closed.
    ///
    /// Compression never replaces an existing `.gz`: the file is first
    /// renamed (`<name>.closing-<pid>-<n>`, so that a late line for its
    /// period starts a new file instead of being appended while gzip reads
    /// it) and compressed as one more gzip member appended to `<name>.gz`
    /// (`gzip -dc` and `zcat` read all members in order), after the
    /// previous compression of the same `.gz` has ended. The `.gz` is
    /// created with the log's mode. If gzip fails, the renamed file stays.
    static func fileClosed(_ path: String, files: ModuleFiles, jobs: inout CompressionJobs) {
        guard files.compress else {
            if let hook = files.rotateHook { _ = spawnShell(hook, arguments: [path]) }
            return
        }
        let gz = path + ".gz"
        let closing = path + ".closing-\(getpid())-\(jobs.nextSerial())"
        guard rename(path, closing) == 0 else {
            FileIO.printError("packetlog: cannot compress \(path): rename: \(String(cString: strerror(errno)))")
            return
        }
        let created = open(gz, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, files.fileMode)
        if created >= 0 { close(created) }
        // $1 the renamed file, $2 the .gz, $3 the pid of the .gz's previous compression (0: none).
        var script = #"while [ "$3" != 0 ] && kill -0 "$3" 2>/dev/null; do sleep 0.2; done; "#
            + #"gzip -n -c -- "$1" >> "$2" && rm -f -- "$1""#
        if let hook = files.rotateHook { script += #" && set -- "$2" && "# + "{ " + hook + "\n}" }
        let previous = jobs.running(for: gz) ?? 0
        if let pid = spawnShell(script, arguments: [closing, gz, String(previous)]) { jobs.started(pid, for: gz) }
    }

    /// Deletes the module's closed files that the retention policy no longer
    /// keeps. `open` are paths still being written (never deleted).
    static func applyRetention(_ files: ModuleFiles, open: Set<String>, now: Int64) -> Int {
        let policy = files.retention
        guard policy.maxAgeSeconds != nil || policy.maxFiles != nil else { return 0 }
        var groups: [String: [String]] = [:]
        for name in FileIO.names(in: files.directory) {
            guard let group = logGroup(of: name, stem: files.stem) else { continue }
            groups[group, default: []].append(name)
        }
        var deleted = 0
        for (_, names) in groups {
            // Names carry the date, so name order is age order; newest first.
            let sorted = names.sorted(by: >)
            for (index, name) in sorted.enumerated() {
                let path = files.directory + "/" + name
                if open.contains(path) || open.contains(String(path.dropLast(3))) { continue }
                var remove = false
                if let maxFiles = policy.maxFiles, index >= maxFiles { remove = true }
                if let maxAge = policy.maxAgeSeconds {
                    var info = stat()
                    if stat(path, &info) == 0, now - Int64(info.st_mtim.tv_sec) > maxAge { remove = true }
                }
                if remove, unlink(path) == 0 { deleted += 1 }
            }
        }
        return deleted
    }

    /// `dns-CQ` for `dns-CQ-20261127-05.log.gz`, `dns` for `dns-20261127-05.log`;
    /// `nil` for a file that is not one of the module's logs.
    static func logGroup(of name: String, stem: String) -> String? {
        guard name.hasPrefix(stem + "-"), name.hasSuffix(".log") || name.hasSuffix(".log.gz") else { return nil }
        let rest = name.dropFirst(stem.count + 1)
        for kind in ["CQ-", "CR-", "SQ-", "SR-"] where rest.hasPrefix(kind) {
            return stem + "-" + kind.dropLast()
        }
        guard let first = rest.first, first.isNumber else { return nil }
        return stem
    }

    /// Runs `script` with `/bin/sh -c`, `arguments` as `$1`…; the child's
    /// pid, or `nil` (reported) when it cannot start.
    private static func spawnShell(_ script: String, arguments: [String]) -> pid_t? {
        let args = ["/bin/sh", "-c", script, "packetlog-rotate"] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", nil, nil, cArgs, environ)
        if result != 0 {
            FileIO.printError("packetlog: cannot run the rotation command for \(arguments.first ?? ""): \(String(cString: strerror(result)))")
            return nil
        }
        return pid
    }
}

// MARK: - CompressionJobs

/// The writer's running compressions by `.gz` path (writer thread only), and
/// the reaping of every finished child.
struct CompressionJobs {
    private var byPath: [String: pid_t] = [:]
    private var serial = 0

    mutating func nextSerial() -> Int { serial &+= 1; return serial }

    /// The compression of `gz` still running (or finished and not yet reaped).
    func running(for gz: String) -> pid_t? { byPath[gz] }

    mutating func started(_ pid: pid_t, for gz: String) { byPath[gz] = pid }

    /// Reaps finished children (non-blocking) and forgets their compressions.
    mutating func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            if let path = byPath.first(where: { $0.value == pid })?.key { byPath[path] = nil }
        }
    }
}
