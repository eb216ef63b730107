import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Signals

/// Set by SIGINT/SIGTERM: the capture loop stops, flushes and exits.
public let stopRequested = Atomic<Bool>(false)
/// Set by SIGHUP: the writer reopens every file.
public let reopenRequested = Atomic<Bool>(false)

public enum Signals {
    /// Installs the handlers. They only set flags (async-signal-safe); the
    /// capture loop looks at them at least every 200 ms, even when idle.
    public static func install() {
        var stop = sigaction()
        stop.__sigaction_handler.sa_handler = { _ in stopRequested.store(true, ordering: .relaxed) }
        sigemptyset(&stop.sa_mask)
        stop.sa_flags = 0
        sigaction(SIGINT, &stop, nil)
        sigaction(SIGTERM, &stop, nil)
        var hup = sigaction()
        hup.__sigaction_handler.sa_handler = { _ in reopenRequested.store(true, ordering: .relaxed) }
        sigemptyset(&hup.sa_mask)
        // Restarted: a read blocked on a pipe (`-r -`) goes on after a
        // SIGHUP instead of failing with EINTR and ending the capture.
        // (SIGINT/SIGTERM do interrupt it: that read is how they stop it.)
        hup.sa_flags = Int32(SA_RESTART)
        sigaction(SIGHUP, &hup, nil)
        signal(SIGPIPE, SIG_IGN)
        // A file size limit (`ulimit -f`, systemd's LimitFSIZE=) then fails
        // the write with EFBIG, which the writer handles (whole lines cut
        // back, counted as lost), instead of killing the process mid-line.
        signal(SIGXFSZ, SIG_IGN)
        // A parent that ignored SIGCHLD (`trap '' CHLD`, some supervisors)
        // passes that on: the kernel then reaps the compressions itself,
        // `waitpid` never reports them, and every stop waited for them in
        // vain. Compressions are this process's own children: reaped here.
        signal(SIGCHLD, SIG_DFL)
    }
}
