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
    static func fileClosed(_ path: String, files: ModuleFiles) {
        var script: String?
        switch (files.compress, files.rotateHook) {
        case (true, let hook?): script = "gzip -f -- \"$1\" && set -- \"$1.gz\"; " + hook
        case (true, nil): script = "exec gzip -f -- \"$1\""
        case (false, let hook?): script = hook
        case (false, nil): script = nil
        }
        if let script { spawnShell(script, argument: path) }
    }

    /// Deletes the module's closed files that the retention policy no longer
    /// keeps. `open` are paths still being written (never deleted).
    static func applyRetention(_ files: ModuleFiles, open: Set<String>, now: Int64) -> Int {
        let policy = files.retention
        guard policy.maxAgeSeconds != nil || policy.maxFiles != nil, let dir = opendir(files.directory) else { return 0 }
        var groups: [String: [String]] = [:]
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let group = logGroup(of: name, stem: files.stem) else { continue }
            groups[group, default: []].append(name)
        }
        closedir(dir)
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

    /// Reaps finished children (non-blocking).
    static func reapChildren() {
        var status: Int32 = 0
        while waitpid(-1, &status, WNOHANG) > 0 {}
    }

    private static func spawnShell(_ script: String, argument: String) {
        let args = ["/bin/sh", "-c", script, "packetlog-rotate", argument]
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", nil, nil, cArgs, environ)
        if result != 0 {
            FileIO.printError("packetlog: cannot run the rotation command for \(argument): \(String(cString: strerror(result)))")
        }
    }
}
