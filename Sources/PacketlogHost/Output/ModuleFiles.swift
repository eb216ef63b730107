#if canImport(Glibc)
import Glibc
#endif

// MARK: - ModuleFiles

/// Where and how one module's lines are written, and what happens to a file
/// once its period is over. One per module in the run (from the command
/// line and the module's section of `plugins.conf`).
public struct ModuleFiles: Sendable {
    /// File names start with this (`dns`).
    public var stem: String
    /// Hourly or daily files.
    public var rotation: RotationPeriod
    /// The module's log directory.
    public var directory: String
    /// Four files per period, one per kind, without the kind field.
    public var split: Bool
    /// Mode of new files.
    public var fileMode: mode_t
    /// gzip a file in the background once its period is over.
    public var compress: Bool
    /// Which closed files to delete.
    public var retention: RetentionPolicy
    /// A command run (through `/bin/sh -c`) once a file is closed, with the
    /// file's path as `$1` (after compression, the `.gz` path).
    public var rotateHook: String?

    public init(stem: String, rotation: RotationPeriod, directory: String = ".", split: Bool = false, fileMode: mode_t = 0o600,
                compress: Bool = false, retention: RetentionPolicy = RetentionPolicy(), rotateHook: String? = nil) {
        self.stem = stem; self.rotation = rotation; self.directory = directory; self.split = split
        self.fileMode = fileMode; self.compress = compress; self.retention = retention; self.rotateHook = rotateHook
    }
}

/// Which closed log files a module keeps: none of these set keeps all.
public struct RetentionPolicy: Sendable, Equatable {
    /// Delete files last modified longer ago than this.
    public var maxAgeSeconds: Int64?
    /// Keep at most this many files per kind (the newest).
    public var maxFiles: Int?
    public init(maxAgeSeconds: Int64? = nil, maxFiles: Int? = nil) {
        self.maxAgeSeconds = maxAgeSeconds; self.maxFiles = maxFiles
    }
}
