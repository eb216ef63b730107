#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - LocalClock

/// Turns capture timestamps into local-time text and file periods, calling
/// `localtime_r` once per distinct second and caching the rest: the
/// `HH:MM:SS.` prefix, the `YYYY-MM-DD ` date and the hour/day keys.
public struct LocalClock {
    @usableFromInline var cachedSecond: Int64 = .min
    /// `HH:MM:SS.` for `cachedSecond`.
    @usableFromInline var timeText: (UInt64, UInt8) = (0, 0)
    /// `YYYY-MM-DD ` for `cachedSecond`.
    @usableFromInline var dateText: (UInt64, UInt16, UInt8) = (0, 0, 0)
    /// The local calendar fields of `cachedSecond`.
    public private(set) var period = LogPeriod(year: 1970, month: 1, day: 1, hour: 0)

    public init() {}

    /// Updates the cache for `seconds` (cheap when the second is unchanged).
    @inlinable
    public mutating func update(_ seconds: Int64) {
        if _slowPath(seconds != cachedSecond) { recompute(seconds) }
    }

    /// The capture times the clock renders as they are: from 0000-01-02
    /// to 9999-12-30 (UTC), a day inside the four-digit years so that no
    /// time zone's offset leaves them. A time outside (a crafted or broken
    /// capture: pcapng allows any 64-bit time) is rendered as the nearest
    /// end of this range, so every line still has a valid date and goes to
    /// a file with a real, four-digit date in its name (`localtime_r`
    /// failed for years past 2^31 and the file was `…-19000100-00.log`).
    public static let supportedSeconds: ClosedRange<Int64> = -62_167_132_800 ... 253_402_214_399

    @usableFromInline
    mutating func recompute(_ seconds: Int64) {
        var t = time_t(min(max(seconds, Self.supportedSeconds.lowerBound), Self.supportedSeconds.upperBound))
        var parts = tm()
        if localtime_r(&t, &parts) == nil {
            // Not expected inside the range; the epoch rather than a date that does not exist.
            t = 0
            if gmtime_r(&t, &parts) == nil { parts = tm(); parts.tm_year = 70; parts.tm_mday = 1 }
        }
        cachedSecond = seconds
        let year = Int(parts.tm_year) + 1900
        period = LogPeriod(year: year, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday), hour: Int(parts.tm_hour),
                           minute: Int(parts.tm_min))
        withUnsafeMutableBytes(of: &timeText) { b in
            Self.put2(b, 0, Int(parts.tm_hour)); b[2] = 58
            Self.put2(b, 3, Int(parts.tm_min)); b[5] = 58
            Self.put2(b, 6, Int(parts.tm_sec)); b[8] = 46
        }
        withUnsafeMutableBytes(of: &dateText) { b in
            let y = max(0, min(9999, year))
            b[0] = UInt8(48 + y / 1000); b[1] = UInt8(48 + (y / 100) % 10)
            b[2] = UInt8(48 + (y / 10) % 10); b[3] = UInt8(48 + y % 10)
            b[4] = 45; Self.put2(b, 5, period.month); b[7] = 45; Self.put2(b, 8, period.day); b[10] = 32
        }
    }

    @usableFromInline
    static func put2(_ b: UnsafeMutableRawBufferPointer, _ at: Int, _ v: Int) {
        b[at] = UInt8(48 + (v / 10) % 10); b[at + 1] = UInt8(48 + v % 10)
    }

    /// Writes `HH:MM:SS.mmm` at `p` (12 bytes) from `text`, the `timeText`
    /// of the second `time` falls in, and returns 12.
    @inlinable
    static func writeTime(_ time: PacketTime, text timeText: (UInt64, UInt8), to p: UnsafeMutablePointer<UInt8>) -> Int {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: timeText.0, as: UInt64.self)
        raw.storeBytes(of: timeText.1, toByteOffset: 8, as: UInt8.self)
        writeDecimal(UInt64(time.milliseconds), digits: 3, to: p + 9)
        return 12
    }

    /// Appends `HH:MM:SS.mmm` (milliseconds truncated).
    @inlinable
    public mutating func appendTime<S: ByteSink>(_ time: PacketTime, to sink: inout S) {
        update(time.seconds)
        withUnsafeBytes(of: &timeText) { sink.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<9])) }
        sink.appendDecimal(time.milliseconds, width: 3)
    }

    /// Appends `YYYY-MM-DD HH:MM:SS.mmm`.
    @inlinable
    public mutating func appendDateTime<S: ByteSink>(_ time: PacketTime, to sink: inout S) {
        update(time.seconds)
        withUnsafeBytes(of: &dateText) { sink.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<11])) }
        appendTime(time, to: &sink)
    }
}

// MARK: - LogPeriod

/// A local calendar hour; files are named by the period that holds a
/// packet's capture time.
public struct LogPeriod: Hashable, Sendable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int = 0) {
        self.year = year; self.month = month; self.day = day; self.hour = hour; self.minute = minute
    }
    /// A comparable key for the rotation, e.g. 2026112705 hourly, 20261127 daily.
    @inlinable
    public func key(_ rotation: RotationPeriod) -> Int {
        let day = (year * 100 + month) * 100 + self.day
        switch rotation {
        case .daily: return day
        case .hourly: return day * 100 + hour
        case .minutely: return (day * 100 + hour) * 100 + minute
        }
    }

    /// The same period for `rotation`: the fields below it are zeroed, so
    /// two times in one file compare equal.
    @inlinable
    public func truncated(to rotation: RotationPeriod) -> LogPeriod {
        switch rotation {
        case .daily: return LogPeriod(year: year, month: month, day: day, hour: 0)
        case .hourly: return LogPeriod(year: year, month: month, day: day, hour: hour)
        case .minutely: return self
        }
    }
}

/// How often a module's files roll.
public enum RotationPeriod: String, Sendable {
    case hourly, daily
    /// One file per minute: for tests and for shipping logs with little delay.
    case minutely
}
