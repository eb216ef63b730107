#if canImport(Glibc)
import Glibc
#endif

// MARK: - FileMaintenance

/// What happens to a log file once its period is over: gzip in the
/// background, the rotation hook, and the retention policy. Runs on the
/// writer thread, never on the capture thread; child processes are not
/// waited for (they are reaped later), so a slow gzip never blocks writing.
public enum FileMaintenance {
    /// Starts compression and/or the hook for a file just closed, once
    /// per file and run (`steps`).
    ///
    /// A line that arrives after its period's file was closed (later than
    /// the writer's grace) reopens the file and is appended; when it is
    /// closed again nothing more runs: its lines stay in the plain file
    /// beside the `.gz`, none lost, and neither gzip nor the hook runs a
    /// second time (a hook that ships files would ship the lines twice; a
    /// crafted capture cycling through periods would start a process per
    /// packet).
    ///
    /// Compression first renames the file (`<name>.closing-<pid>-<n>`, so
    /// a late line starts a new file instead of being appended while gzip
    /// reads it), then appends it as a gzip member to `<name>.gz`, created
    /// with the log's mode — never replacing a `.gz` an earlier run left
    /// (`zcat` reads every member); see `compressionScript`. If gzip fails,
    /// the renamed file stays. The hook runs after compression, on the
    /// `.gz`, as its own `/bin/sh -c` script.
    static func fileClosed(_ path: String, files: ModuleFiles, steps: inout ClosingSteps) {
        guard files.compress || files.rotateHook != nil else { return }
        // Renamed away since (logrotate, then SIGHUP): nothing to do here.
        guard access(path, F_OK) == 0, steps.isFirstClosing(of: path) else { return }
        guard files.compress else {
            if let hook = files.rotateHook { _ = spawnShell(hook, arguments: [path]) }
            return
        }
        let gz = path + ".gz"
        let closing = path + ".closing-\(getpid())-\(steps.nextSerial())"
        guard rename(path, closing) == 0 else {
            FileIO.printError("packetlog: cannot compress \(path): rename: \(String(cString: strerror(errno)))")
            return
        }
        startCompression(of: closing, into: gz, files: files, steps: &steps)
    }

    /// Appends `closing` to `gz` as a gzip member, then removes it and runs
    /// the hook (`compressionScript`, in the background); `steps` records
    /// the `.gz` as busy until the script is reaped (retention leaves it).
    private static func startCompression(of closing: String, into gz: String, files: ModuleFiles, steps: inout ClosingSteps) {
        // Created here, with the log's mode (the shell would use its umask).
        if let created = try? FileIO.openAppend(gz, mode: files.fileMode) { close(created) }
        if let pid = spawnShell(compressionScript, arguments: [closing, gz, files.rotateHook ?? ""]) { steps.compressing[pid] = gz }
    }

    /// `$1` the renamed log file, `$2` the `.gz`, `$3` the hook ("" when
    /// none). Under an exclusive `flock` on the `.gz` (two appends to one
    /// `.gz` never interleave: a restarted run's and an earlier run's, or a
    /// resumed one's), in the `.gz`'s directory (names without glob
    /// characters):
    ///
    /// 1. an append to this `.gz` that was cut short — gzip killed with the
    ///    service's process group, a crash, a full disk — left its file
    ///    renamed `…-at-<size of the .gz before it>`: the `.gz` is cut back
    ///    to that size (a partial member breaks `zcat` of everything after
    ///    it) and the file appended again;
    /// 2. the file is renamed to record where its member begins
    ///    (`…-at-<size>`), appended, and removed; if gzip fails the `.gz` is
    ///    cut back at once and the file stays for step 1 of the next
    ///    compression of this `.gz` or the next start
    ///    (`resumeInterruptedCompressions`);
    /// 3. the lock is let go, and the hook starts, in the background, if
    ///    anything was appended: the script ends at once, so the `.gz` is
    ///    no longer busy and a stop does not wait for a slow hook (an
    ///    upload); the hook goes on by itself.
    ///
    /// Any failure leaves the file, with every line, for a later run.
    static let compressionScript = #"""
        exec 9>>"$2" && flock -x 9 && cd -- "${2%/*}" || exit 1
        gz=${2##*/}; appended=
        for f in "${gz%.gz}".closing-*-at-*; do
            [ -e "$f" ] || continue
            n=${f##*-at-}
            truncate -s "<$n" -- "$gz" || exit 1
            gzip -n -c -- "$f" >> "$gz" || { truncate -s "<$n" -- "$gz"; exit 1; }
            rm -f -- "$f"; appended=1
        done
        f=${1##*/}
        if [ -e "$f" ]; then
            n=$(stat -c %s -- "$gz") && mv -- "$f" "$f-at-$n" || exit 1
            gzip -n -c -- "$f-at-$n" >> "$gz" || { truncate -s "<$n" -- "$gz"; exit 1; }
            rm -f -- "$f-at-$n"; appended=1
        fi
        exec 9>&-
        if [ -n "$appended" ] && [ -n "$3" ]; then /bin/sh -c "$3" packetlog-rotate "$2" & fi
        exit 0
        """#

    /// The commands `compressionScript` runs, each with what provides it,
    /// that are not on the `PATH` (checked at start-up when a module
    /// compresses, so a missing one is an error, not files piling up).
    public static func missingCompressionTools() -> [String] {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init)
        return [("gzip", "gzip"), ("flock", "util-linux"), ("truncate", "coreutils"), ("stat", "coreutils")].compactMap { tool, package in
            directories.contains { access($0 + "/" + tool, X_OK) == 0 } ? nil : "\(tool) (\(package))"
        }
    }

    /// Compressions an earlier run started and did not finish (packetlog,
    /// or the gzip it started, killed before the end): every
    /// `<name>.log.closing-…` file of the module's logs left in its
    /// directory is compressed into `<name>.log.gz` again, after the `.gz`
    /// is cut back to where the interrupted member began. Runs once, when
    /// the writer starts; a compression still running (of a run that just
    /// stopped) holds the `.gz`'s lock, and the resumed one then finds the
    /// file gone and does nothing. With compression off the files are
    /// left as they are (plain text, every line in them).
    static func resumeInterruptedCompressions(_ files: ModuleFiles, steps: inout ClosingSteps) {
        guard files.compress else { return }
        for name in FileIO.names(in: files.directory) {
            guard let marker = name.firstRange(of: ".log.closing-") else { continue }
            let log = String(name[..<marker.lowerBound]) + ".log"
            guard logGroup(of: log, stem: files.stem) != nil else { continue }
            startCompression(of: files.directory + "/" + name, into: files.directory + "/" + log + ".gz", files: files, steps: &steps)
        }
    }

    /// Deletes the module's closed files that the retention policy no longer
    /// keeps. `open` are paths still being written, `busy` the `.gz` files
    /// a compression is appending to (never deleted: the compression's
    /// `stat` of a `.gz` deleted under it failed and left its file behind;
    /// a later closing, or the end of the run, deletes them once done).
    static func applyRetention(_ files: ModuleFiles, open: Set<String>, busy: Set<String> = [], now: Int64) -> Int {
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
            // `retention_files` counts closed files: an open one (the
            // current period's) takes no place, or `retention_files = 1`
            // deleted each file the moment it closed. A `.gz` being
            // appended to is closed: it takes its place, but stays.
            var closedIndex = 0
            for name in names.sorted(by: >) {
                let path = files.directory + "/" + name
                if open.contains(path) || open.contains(String(path.dropLast(3))) { continue }
                let index = closedIndex
                closedIndex += 1
                if busy.contains(path) { continue }
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

// MARK: - ClosingSteps

/// The files whose closing step (compression, hook) already ran in this
/// run, and the reaping of finished children (writer thread only).
struct ClosingSteps {
    private var done: Set<String> = []
    private var serial = 0
    /// Compressions running: the script's pid and its `.gz`.
    var compressing: [pid_t: String] = [:]
    /// The `.gz` files compressions are appending to.
    var busy: Set<String> { Set(compressing.values) }

    mutating func nextSerial() -> Int { serial &+= 1; return serial }

    /// Whether `path`'s closing step has not run yet; records that it runs
    /// now. (Forgets everything past 10,000 files: at worst a file closed
    /// again long after gets a second member.)
    mutating func isFirstClosing(of path: String) -> Bool {
        if done.count >= 10_000 { done.removeAll() }
        return done.insert(path).inserted
    }

    /// Reaps finished children (non-blocking).
    mutating func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid < 0, errno == ECHILD {
                // No child at all: whatever was recorded has ended (reaped
                // by someone else); nothing is busy any more.
                compressing.removeAll()
                break
            }
            guard pid > 0 else { break }
            compressing[pid] = nil
        }
    }

    /// Waits (reaping) until no compression runs or `milliseconds` passed.
    mutating func waitForCompressions(milliseconds: Int) {
        let deadline = monotonicMilliseconds() + Int64(milliseconds)
        reap()
        while !compressing.isEmpty, monotonicMilliseconds() < deadline {
            usleep(20_000)
            reap()
        }
    }
}
