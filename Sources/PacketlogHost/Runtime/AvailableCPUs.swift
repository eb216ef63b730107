import Foundation

// MARK: - Available CPUs

/// How many CPUs the machine offers this process (Foundation's count: the
/// CPUs online, lowered by a cgroup CPU quota). Read once at start-up to
/// choose the default worker count; `--workers` overrides it.
public func availableCPUs() -> Int {
    max(1, ProcessInfo.processInfo.activeProcessorCount)
}
