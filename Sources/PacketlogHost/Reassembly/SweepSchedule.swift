// MARK: - Capture-time arithmetic for the reassembly tables

/// Seconds from `earlier` to `now`, saturating at `Int64.max` / `Int64.min`:
/// capture times come from the file or the kernel and may lie anywhere in
/// `Int64` (a crafted pcapng), where a plain subtraction traps.
@inlinable
func secondsElapsed(from earlier: Int64, to now: Int64) -> Int64 {
    let (difference, overflow) = now.subtractingReportingOverflow(earlier)
    return overflow ? (now > earlier ? .max : .min) : difference
}

/// When a table's idle sweep is due, on capture time: once `interval`
/// seconds have passed since the last sweep. A step back in time (a clock
/// step, concatenated or merged files) starts the schedule over from it:
/// it expires nothing new, and sweeping at every step would make times
/// alternating back and forth walk the table per packet. Owned by the
/// table (the reassembler, the defragmenter) on its thread.
struct SweepSchedule {
    private(set) var last: Int64 = .min

    /// Whether to sweep at `now`; if so, the sweep counts as done.
    @inline(__always)
    mutating func isDue(at now: Int64, every interval: Int64) -> Bool {
        if now < last { last = now; return false }
        guard secondsElapsed(from: last, to: now) > interval else { return false }
        last = now
        return true
    }
}
