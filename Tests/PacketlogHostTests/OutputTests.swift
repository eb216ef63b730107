import XCTest
import Foundation
@testable import PacketlogHost

/// Time text, file names, routing into combined and split files, and the writer.
final class OutputTests: XCTestCase {
    override func setUp() { setenv("TZ", "UTC", 1); tzset() }

    func testTimeTextIsTruncatedToMilliseconds() {
        var clock = LocalClock()
        var b = LineBuffer(capacity: 64)
        defer { b.deallocate() }
        clock.appendDateTime(PacketTime(seconds: 1_795_757_966, nanoseconds: 815_999_999), to: &b)
        XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), "2026-11-27 05:39:26.815")
        b.removeAll()
        clock.appendTime(PacketTime(seconds: 1_795_757_967, nanoseconds: 5_000_000), to: &b)
        XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), "05:39:27.005")
        XCTAssertEqual(clock.period, LogPeriod(year: 2026, month: 11, day: 27, hour: 5, minute: 39))
    }

    func testTimesPastTheFourDigitYearsAreClampedToValidDates() {
        // pcapng can carry any 64-bit time: localtime_r fails past year
        // 2^31, and the file was named after the date 1900-01-00.
        var clock = LocalClock()
        var b = LineBuffer(capacity: 64)
        defer { b.deallocate() }
        for (seconds, text, period) in [
            (Int64.max, "9999-12-30 23:59:59.000", LogPeriod(year: 9999, month: 12, day: 30, hour: 23, minute: 59)),
            (253_402_300_799, "9999-12-30 23:59:59.000", LogPeriod(year: 9999, month: 12, day: 30, hour: 23, minute: 59)),
            (Int64.min, "0000-01-02 00:00:00.000", LogPeriod(year: 0, month: 1, day: 2, hour: 0, minute: 0)),
            (-1, "1969-12-31 23:59:59.000", LogPeriod(year: 1969, month: 12, day: 31, hour: 23, minute: 59)),
        ] {
            b.removeAll()
            clock.appendDateTime(PacketTime(seconds: seconds, nanoseconds: 0), to: &b)
            XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), text, "\(seconds)")
            XCTAssertEqual(clock.period, period, "\(seconds)")
        }
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: nil, rotation: .hourly, period: clock.period).fileName,
                       "dns-19691231-23.log")
        clock.update(.max)
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: nil, rotation: .hourly, period: clock.period).fileName,
                       "dns-99991230-23.log")
        clock.update(.min)
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: nil, rotation: .hourly, period: clock.period).fileName,
                       "dns-00000102-00.log")
    }

    func testLocalTimeZoneIsHonoured() {
        // TZ decides both the time text and the file's hour.
        setenv("TZ", "Asia/Seoul", 1); tzset()
        defer { setenv("TZ", "UTC", 1); tzset() }
        var clock = LocalClock()
        var b = LineBuffer(capacity: 64)
        defer { b.deallocate() }
        clock.appendTime(PacketTime(seconds: 1_795_757_966, nanoseconds: 0), to: &b)
        XCTAssertEqual(String(decoding: b.bytes, as: UTF8.self), "14:39:26.000")
        XCTAssertEqual(clock.period.hour, 14)
    }

    func testFileNames() {
        let period = LogPeriod(year: 2026, month: 11, day: 7, hour: 5)
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: nil, rotation: .hourly, period: period).fileName, "dns-20261107-05.log")
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: .serverResponse, rotation: .hourly, period: period).fileName, "dns-SR-20261107-05.log")
        XCTAssertEqual(LogDestination(module: 1, stem: "http", kind: nil, rotation: .daily, period: period).fileName, "http-20261107.log")
    }

    func emit(_ emitter: inout LineEmitter, _ kind: MessageKind, _ body: String) {
        emitter.beginLine()
        emitter.appendTime(PacketTime(seconds: 1_795_757_966, nanoseconds: 0))
        emitter.buffer.append(UInt8(ascii: " "))
        emitter.appendKind(kind)
        for b in body.utf8 { emitter.buffer.append(b) }
        emitter.commitLine()
    }

    func tempDirectory() -> String {
        var template = Array("/tmp/packetlog-test-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }

    func read(_ path: String) -> String { (try? readFile(path)) ?? "<missing>" }

    func testSplitFilesDropTheKindFieldAndCombinedKeepsIt() {
        for split in [false, true] {
            let dir = tempDirectory()
            let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, split: split)]
            let writer = LogWriter(target: .files(files), chunkCount: 4, chunkCapacity: 4096)
            writer.start()
            var router = OutputRouter(writer: writer, modules: files, toStandardOutput: false)
            var emitter = LineEmitter()
            emitter.reset()
            emit(&emitter, .clientQuery, "q1")
            emit(&emitter, .clientResponse, "r1")
            emitter.discardLine()
            emitter.beginLine(); emitter.buffer.append(UInt8(ascii: "x")) ; emitter.discardLine() // never half-logged
            router.route(&emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 5))
            router.route(&emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 6))
            router.flushAll()
            writer.finish()
            emitter.deallocate()
            if split {
                XCTAssertEqual(read(dir + "/dns-CQ-20261127-05.log"), "05:39:26.000 q1\n")
                XCTAssertEqual(read(dir + "/dns-CR-20261127-05.log"), "05:39:26.000 r1\n")
                XCTAssertEqual(read(dir + "/dns-CR-20261127-06.log"), "05:39:26.000 r1\n")
            } else {
                XCTAssertEqual(read(dir + "/dns-20261127-05.log"), "05:39:26.000 CQ q1\n05:39:26.000 CR r1\n")
                XCTAssertEqual(read(dir + "/dns-20261127-06.log"), "05:39:26.000 CQ q1\n05:39:26.000 CR r1\n")
                var info = stat()
                XCTAssertEqual(stat(dir + "/dns-20261127-05.log", &info), 0)
                XCTAssertEqual(info.st_mode & 0o777, 0o600)
            }
            XCTAssertEqual(writer.linesWritten.load(ordering: .relaxed), 4)
        }
    }

    /// A buffer handed over whole (the pipeline's path for a batch whose
    /// lines all go to one file) must land between the lines routed before
    /// and after it, in its hour's file, and the caller must get an empty
    /// buffer back; split files have no whole-buffer slot (their lines lose
    /// the kind field, so they are always copied).
    func testHandedOverBufferKeepsLineOrder() {
        let dir = tempDirectory()
        let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir)]
        let writer = LogWriter(target: .files(files), chunkCount: 4, chunkCapacity: 4096)
        writer.start()
        var router = OutputRouter(writer: writer, modules: files, toStandardOutput: false)
        let five = LogPeriod(year: 2026, month: 11, day: 27, hour: 5), six = LogPeriod(year: 2026, month: 11, day: 27, hour: 6)
        var emitter = LineEmitter()
        emitter.reset()
        emit(&emitter, .clientQuery, "before")
        router.route(&emitter, period: five)
        emitter.reset()
        emit(&emitter, .clientQuery, "whole1")
        emit(&emitter, .clientResponse, "whole2")
        XCTAssertNotNil(router.combinedSlot(module: 0, period: five))
        XCTAssertEqual(router.combinedSlot(module: 0, period: five)?.slot, router.combinedSlot(module: 0, period: six)?.slot)
        XCTAssertNotEqual(router.combinedSlot(module: 0, period: five)?.key, router.combinedSlot(module: 0, period: six)?.key)
        router.handOver(&emitter.buffer, lines: emitter.records.count, module: 0, period: five)
        XCTAssertEqual(emitter.buffer.count, 0, "the caller gets an empty buffer back")
        emitter.reset()
        emit(&emitter, .clientQuery, "after")
        router.route(&emitter, period: five)
        emitter.reset()
        emit(&emitter, .clientQuery, "next-hour")
        router.handOver(&emitter.buffer, lines: 1, module: 0, period: six)
        router.flushAll()
        writer.finish()
        emitter.deallocate()
        XCTAssertEqual(read(dir + "/dns-20261127-05.log"),
                       "05:39:26.000 CQ before\n05:39:26.000 CQ whole1\n05:39:26.000 CR whole2\n05:39:26.000 CQ after\n")
        XCTAssertEqual(read(dir + "/dns-20261127-06.log"), "05:39:26.000 CQ next-hour\n")
        XCTAssertEqual(writer.linesWritten.load(ordering: .relaxed), 5)

        let splitFiles = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, split: true)]
        let splitRouter = OutputRouter(writer: writer, modules: splitFiles, toStandardOutput: false)
        XCTAssertNil(splitRouter.combinedSlot(module: 0, period: five))
    }

    /// Free-buffer pools hand out the buffer returned last (still in cache;
    /// the pool's tail is never touched), work queues stay first in, first out.
    func testBufferPoolsAreLastInFirstOut() {
        let pool = BlockingQueue<Int>(capacity: 4, lastInFirstOut: true)
        let work = BlockingQueue<Int>(capacity: 4)
        for i in 1...3 { pool.push(i); work.push(i) }
        XCTAssertEqual([pool.pop(), pool.pop()], [3, 2])
        XCTAssertEqual([work.pop(), work.pop()], [1, 2])
        pool.push(7); work.push(7)
        XCTAssertEqual([pool.pop(), pool.tryPop(), pool.tryPop()], [7, 1, nil])
        XCTAssertEqual([work.pop(), work.tryPop(), work.tryPop()], [3, 7, nil])
    }

    func testFilesAreAppendedNotTruncated() {
        // A restart must never lose what an earlier run wrote.
        let dir = tempDirectory()
        for round in 0..<2 {
            let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir)]
            let writer = LogWriter(target: .files(files), chunkCount: 2, chunkCapacity: 1024)
            writer.start()
            var router = OutputRouter(writer: writer, modules: files, toStandardOutput: false)
            var emitter = LineEmitter()
            emitter.reset()
            emit(&emitter, .clientQuery, "round\(round)")
            router.route(&emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 5))
            router.flushAll()
            writer.finish()
            emitter.deallocate()
        }
        XCTAssertEqual(read(dir + "/dns-20261127-05.log"), "05:39:26.000 CQ round0\n05:39:26.000 CQ round1\n")
    }
}

/// What happens to a file once its period is over.
final class FileMaintenanceTests: XCTestCase {
    override func setUp() { setenv("TZ", "UTC", 1); tzset() }

    func tempDirectory() -> String {
        var template = Array("/tmp/packetlog-maint-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }

    func write(_ files: [ModuleFiles], hours: [Int]) {
        let writer = LogWriter(target: .files(files), chunkCount: 2, chunkCapacity: 1024)
        writer.start()
        var router = OutputRouter(writer: writer, modules: files, toStandardOutput: false)
        var emitter = LineEmitter()
        for hour in hours {
            emitter.reset()
            emitter.beginLine(); emitter.buffer.append(UInt8(ascii: "x")); emitter.commitLine()
            router.route(&emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: hour))
            router.flushAll()
        }
        writer.finish()
        emitter.deallocate()
    }

    func waitFor(_ path: String, seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if access(path, F_OK) == 0 { return true }
            usleep(20_000)
        }
        return false
    }

    func testClosedFilesAreCompressedAndTheHookRuns() {
        // The hour's file is gzipped once the next hour starts; the hook gets the .gz path.
        let dir = tempDirectory()
        let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                 rotateHook: "echo \"$1\" > \"$(dirname \"$1\")/hook.txt\"")]
        write(files, hours: [5, 6])
        XCTAssertTrue(waitFor(dir + "/dns-20261127-05.log.gz"))
        XCTAssertTrue(waitFor(dir + "/hook.txt"))
        XCTAssertEqual(try? readFile(dir + "/hook.txt"), dir + "/dns-20261127-05.log.gz\n")
        XCTAssertEqual(access(dir + "/dns-20261127-06.log", F_OK), 0, "the current hour stays uncompressed")
    }

    /// A writer and router over `files`, routing one line of `text` into
    /// `hour`'s file (2026-11-27, UTC) per call.
    final class Lines {
        let writer: LogWriter
        var router: OutputRouter
        var emitter = LineEmitter()
        init(_ files: [ModuleFiles]) {
            writer = LogWriter(target: .files(files), chunkCount: 2, chunkCapacity: 1024)
            writer.start()
            router = OutputRouter(writer: writer, modules: files, toStandardOutput: false)
        }
        func line(_ text: String, hour: Int) {
            emitter.reset()
            emitter.beginLine(); for b in text.utf8 { emitter.buffer.append(b) }; emitter.commitLine()
            router.route(&emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: hour))
            router.flushAll()
        }
        func finish() { writer.finish(); emitter.deallocate() }
    }

    /// `gzip -dc path` (every member), or `<missing>`.
    func gunzip(_ path: String) -> String {
        guard access(path, F_OK) == 0 else { return "<missing>" }
        let gzip = Process(), out = Pipe()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", path]
        gzip.standardOutput = out
        guard (try? gzip.run()) != nil else { return "<gzip failed>" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits until no file of `dir` is being compressed (no `.closing-` file left).
    func waitForCompressions(_ dir: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            if !names.contains(where: { $0.contains(".closing-") }) { return true }
            usleep(20_000)
        }
        return false
    }

    func testALateLineForACompressedHourKeepsItsGzipAndStaysInThePlainFile() {
        // Regression: the hour's file was reopened for the late line and,
        // closed again, `gzip -f` replaced the hour's .gz with the late line
        // alone. Now the .gz stays whole and the late line stays in the
        // reopened plain file (the closing step runs once per file).
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)])
        for hour in 5...(5 + LogWriter.periodsOpenPerFile) { lines.line("hour \(hour)", hour: hour) }
        XCTAssertTrue(waitFor(dir + "/dns-20261127-05.log.gz"), "the oldest hour is closed once a newer one would be one too many")
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "hour 5\n")
        lines.line("late for hour 5", hour: 5)
        lines.finish()
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "hour 5\n", "the .gz is not replaced")
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-05.log"), "late for hour 5\n", "the late line is kept, beside it")
    }

    /// `gzip -n -c` of `text`.
    func gzipped(_ text: String) -> [UInt8] {
        let gzip = Process(), input = Pipe(), out = Pipe()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-n", "-c"]
        gzip.standardInput = input
        gzip.standardOutput = out
        guard (try? gzip.run()) != nil else { return [] }
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        return [UInt8](data)
    }

    func testACompressionCutShortIsResumedWhenTheWriterStarts() {
        // A gzip killed mid-append (systemd stopping the service with its
        // process group, a crash) left part of a member at the end of the
        // .gz — which breaks `zcat` of whatever is appended after it — and
        // the renamed file beside it, which nothing picked up again.
        let dir = tempDirectory(), stem = dir + "/dns-20261127-"
        let whole = gzipped("earlier run\n"), cut = gzipped("interrupted\n")
        XCTAssertTrue(FileManager.default.createFile(atPath: stem + "05.log.gz", contents: Data(whole + cut.prefix(cut.count / 2))))
        // The interrupted append had recorded where its member began.
        XCTAssertTrue(FileManager.default.createFile(atPath: stem + "05.log.closing-4242-1-at-\(whole.count)", contents: Data("interrupted\n".utf8)))
        // Stopped before its append began: renamed, no .gz yet.
        XCTAssertTrue(FileManager.default.createFile(atPath: stem + "06.log.closing-4242-2", contents: Data("not begun\n".utf8)))
        // Another module's file is not this writer's to touch.
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/http-20261127-06.log.closing-4242-3", contents: Data("http\n".utf8)))
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                       rotateHook: "echo \"$1\" >> \"$(dirname \"$1\")/hook.txt\"")])
        lines.finish()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains(where: { $0.hasPrefix("dns-") && $0.contains(".closing-") }) {
            usleep(20_000)
        }
        usleep(300_000)   // the hooks have had time to run
        XCTAssertEqual(gunzip(stem + "05.log.gz"), "earlier run\ninterrupted\n", "the partial member is cut off and the file appended whole")
        XCTAssertEqual(gunzip(stem + "06.log.gz"), "not begun\n")
        XCTAssertEqual(access(stem + "06.log.closing-4242-2", F_OK), -1)
        XCTAssertEqual(((try? readFile(dir + "/http-20261127-06.log.closing-4242-3")) ?? "<missing>"), "http\n")
        XCTAssertEqual(((try? readFile(dir + "/hook.txt")) ?? "").split(separator: "\n").sorted(), [stem + "05.log.gz", stem + "06.log.gz"].map { Substring($0) })
        var info = stat()
        XCTAssertEqual(stat(stem + "06.log.gz", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600, "a .gz made when resuming has the log's mode")
    }

    /// Waits until no `dns-` file of `dir` is waiting for compression.
    func waitForDNSCompressions(_ dir: String) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains(where: { $0.hasPrefix("dns-") && $0.contains(".closing-") }) {
            usleep(20_000)
        }
    }

    func testAResumedPlainLeftoverIsNotCutOffByTheRepairOfAnEarlierAppend() {
        // Two leftovers for one .gz — an append cut short (…-at-N) and a file
        // whose append never began — are resumed by one script each, in
        // either order: the plain one, first to the lock, was appended after
        // the partial member and then cut off with it by the repair.
        for plainFirst in [true, false] {
            let dir = tempDirectory(), stem = dir + "/dns-20261127-05.log"
            let whole = gzipped("earliest\n"), cut = gzipped("cut short\n")
            XCTAssertTrue(FileManager.default.createFile(atPath: stem + ".gz", contents: Data(whole + cut.prefix(cut.count / 2))))
            // The serial orders the directory listing, so the resume order.
            let (a, b) = plainFirst ? ("1", "2") : ("2", "1")
            XCTAssertTrue(FileManager.default.createFile(atPath: stem + ".closing-77-\(b)-at-\(whole.count)", contents: Data("cut short\n".utf8)))
            XCTAssertTrue(FileManager.default.createFile(atPath: stem + ".closing-78-\(a)", contents: Data("never begun\n".utf8)))
            Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)]).finish()
            waitForDNSCompressions(dir)
            XCTAssertEqual(gunzip(stem + ".gz"), "earliest\ncut short\nnever begun\n", "plain first: \(plainFirst)")
        }
    }

    func testAFailedGzipLeavesTheGzipWholeAndTheFileForTheNextStart() throws {
        // gzip failing mid-append (a full disk) left its partial member at
        // the end of the .gz until the next start: `zcat` of the hour broke.
        let dir = tempDirectory(), tools = tempDirectory(), stem = dir + "/dns-20261127-05.log"
        let fake = tools + "/gzip"
        XCTAssertTrue(FileManager.default.createFile(atPath: fake, contents: Data("#!/bin/sh\nprintf 'half a member'\ntouch \"$0.ran\"\nexit 1\n".utf8),
                                                    attributes: [.posixPermissions: 0o755]))
        let path = String(cString: getenv("PATH"))
        setenv("PATH", tools + ":" + path, 1)
        let failing = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)])
        for hour in 5...(5 + LogWriter.periodsOpenPerFile) { failing.line("hour \(hour)", hour: hour) }   // hour 5 is closed
        failing.finish()
        XCTAssertTrue(waitFor(fake + ".ran"), "the failing gzip ran")
        usleep(300_000)   // and the script after it
        setenv("PATH", path, 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(names.filter { $0.hasPrefix("dns-20261127-05.log.closing-") && $0.hasSuffix("-at-0") }.count, 1, "\(names)")
        var info = stat()
        XCTAssertEqual(stat(stem + ".gz", &info), 0)
        XCTAssertEqual(info.st_size, 0, "the partial member is cut off at once")
        // The next start finishes it with a working gzip.
        Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)]).finish()
        waitForDNSCompressions(dir)
        XCTAssertEqual(gunzip(stem + ".gz"), "hour 5\n")
    }

    func testACaptureCyclingThroughHoursRunsEachFilesClosingStepOnce() {
        // Packets whose times cycle through six hours (a crafted or merged
        // capture): every line kept, and gzip and the hook run once per
        // file, not once per late packet.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                       rotateHook: "echo \"$1\" >> \"$(dirname \"$1\")/hook.txt\"")])
        for round in 0..<20 { for hour in 5...10 { lines.line("\(hour):\(round)", hour: hour) } }
        lines.finish()
        XCTAssertTrue(waitForCompressions(dir))
        usleep(300_000)   // the hooks have had time to run
        var kept: [String] = []
        for hour in 5...10 {
            let name = dir + "/dns-20261127-" + (hour < 10 ? "0" : "") + "\(hour).log"
            kept += ((access(name + ".gz", F_OK) == 0 ? gunzip(name + ".gz") : "") + ((try? readFile(name)) ?? "")).split(separator: "\n").map(String.init)
        }
        XCTAssertEqual(kept.count, 120, "every line is in its hour's .gz or plain file")
        let hooks = ((try? readFile(dir + "/hook.txt")) ?? "").split(separator: "\n")
        XCTAssertEqual(hooks.count, Set(hooks).count, "no file's hook ran twice: \(hooks)")
        XCTAssertEqual(hooks.count, 5, "each hour but the newest was closed")
    }

    func testSIGHUPGivesAnEndedPeriodItsClosingStep() {
        // A reopen within the grace after an hour's end closed that hour's
        // file without compressing it, and nothing closed it again.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)])
        lines.line("a", hour: 5); lines.line("b", hour: 6)
        lines.writer.reopen()
        XCTAssertTrue(waitFor(dir + "/dns-20261127-05.log.gz"), "compressed at the reopen, not at the end of the run")
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "a\n")
        lines.line("c", hour: 6)
        lines.finish()
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-06.log"), "b\nc\n", "the current hour is reopened and appended to")
    }

    func testASlowHookDoesNotHoldUpTheEndOfTheRun() {
        // A hook that uploads for minutes: the end of a run waits for the
        // compressions (their .gz must be whole), not for hooks. The hook
        // ran in the compression's own process, so the run waited its full
        // 5 s for it and the .gz stayed "busy" for retention meanwhile.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                       rotateHook: "exec >/dev/null 2>&1; sleep 8; echo \"$1\" > \"$(dirname \"$1\")/hook.txt\"")])
        lines.line("a", hour: 5); lines.line("b", hour: 6)
        let started = Date()
        lines.finish()
        let took = Date().timeIntervalSince(started)
        XCTAssertLessThan(took, 4, "the end of the run waited for the hook")
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "a\n", "the compression finished before the run ended")
    }

    func testCompressionsEndTheRunPromptlyWhenSIGCHLDIsIgnored() {
        // A parent that ignores SIGCHLD passes that on: the kernel reaps the
        // compressions, waitpid reports ECHILD, and the end of the run
        // waited 5 s for compressions long gone.
        let dir = tempDirectory()
        signal(SIGCHLD, SIG_IGN)
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)])
        lines.line("a", hour: 5); lines.line("b", hour: 6)
        let started = Date()
        lines.finish()
        let took = Date().timeIntervalSince(started)
        signal(SIGCHLD, SIG_DFL)   // before gunzip: Process waits for its child
        XCTAssertLessThan(took, 4, "the end of the run waited for compressions that were over")
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "a\n")
    }

    func testAHookThatIsOnlyACommentDoesNotStopCompression() {
        // The hook runs as its own script: a comment-only hook used to make
        // the whole compression script a syntax error.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true, rotateHook: "# off")])
        lines.line("a", hour: 5); lines.line("b", hour: 6)
        lines.finish()
        XCTAssertTrue(waitFor(dir + "/dns-20261127-05.log.gz"))
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "a\n")
    }

    func testLinesOutOfTimeOrderAcrossAnHourEndGoToTheirFilesEachCompressedOnce() {
        // A capture's packets around an hour's end are not always in time
        // order: switching back and forth must neither close and compress a
        // file early nor lose a line.
        let dir = tempDirectory()
        let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                 rotateHook: "echo \"$1\" >> \"$(dirname \"$1\")/hook.txt\"")]
        let lines = Lines(files)
        for (n, hour) in [5, 6, 5, 6, 5, 7].enumerated() { lines.line("line \(n)", hour: hour) }
        lines.finish()
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertTrue(waitFor(dir + "/hook.txt"))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "line 0\nline 2\nline 4\n")
        XCTAssertEqual(gunzip(dir + "/dns-20261127-06.log.gz"), "line 1\nline 3\n")
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-07.log"), "line 5\n", "the newest hour stays open and plain")
        usleep(300_000)   // both hooks have had time to run
        let hooks = ((try? readFile(dir + "/hook.txt")) ?? "").split(separator: "\n").sorted()
        XCTAssertEqual(hooks, [dir + "/dns-20261127-05.log.gz", dir + "/dns-20261127-06.log.gz"], "one closing per file")
    }

    func testTheTimerClosesAnHourOnlyAfterTheGraceForLateLines() {
        // Lines of packets captured just before the hour's end may still be
        // in the pipeline when the clock passes it.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true)])
        lines.line("before the end", hour: 5)
        let endOfHour5: Int64 = 1_795_759_200   // 2026-11-27 06:00:00 UTC
        lines.writer.rollover(now: endOfHour5 + LogWriter.lateLineGraceSeconds - 1)
        lines.line("late but within the grace", hour: 5)
        usleep(300_000)
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-05.log"), "before the end\nlate but within the grace\n",
                       "still open and plain within the grace")
        lines.writer.rollover(now: endOfHour5 + LogWriter.lateLineGraceSeconds)
        XCTAssertTrue(waitFor(dir + "/dns-20261127-05.log.gz"))
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "before the end\nlate but within the grace\n")
        lines.finish()
    }

    func testRetentionKeepsTheNewestFilesPerKind() {
        let dir = tempDirectory()
        for name in ["dns-20261120-01.log.gz", "dns-20261121-01.log", "other.txt", "dns-CQ-20261101-00.log"] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("old\n".utf8))
        }
        let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, retention: RetentionPolicy(maxFiles: 2))]
        write(files, hours: [5, 6, 7])
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        // The two newest closed files, and the one being written (07).
        XCTAssertEqual(left, ["dns-20261127-05.log", "dns-20261127-06.log", "dns-20261127-07.log", "other.txt", "dns-CQ-20261101-00.log"])
    }

    func testRetentionOfOneFileKeepsTheFileThatJustClosed() {
        // The open file took one of retention_files' places: with 1, each
        // file was deleted the moment it closed (its hook never ran).
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                       retention: RetentionPolicy(maxFiles: 1),
                                       rotateHook: "echo \"$1\" >> \"$(dirname \"$1\")/hook.txt\"")])
        lines.line("hour 5", hour: 5); lines.line("hour 6", hour: 6)
        lines.finish()
        XCTAssertTrue(waitForCompressions(dir))
        XCTAssertEqual(gunzip(dir + "/dns-20261127-05.log.gz"), "hour 5\n", "the one closed file is kept")
        XCTAssertTrue(waitFor(dir + "/hook.txt"), "its hook ran")
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-06.log"), "hour 6\n")
    }

    func testRetentionWithCompressionNeitherBreaksACompressionNorLeavesFilesBehind() {
        // Retention deleted the .gz a compression had just begun to append
        // to: the script's `stat` failed (raw shell errors on stderr), its
        // renamed log stayed behind, and the next run made more .gz files
        // than retention_files allows.
        let dir = tempDirectory()
        let lines = Lines([ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, compress: true,
                                       retention: RetentionPolicy(maxFiles: 2))])
        for hour in 5...10 { lines.line("hour \(hour)", hour: hour) }
        lines.finish()
        XCTAssertTrue(waitForCompressions(dir))
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        XCTAssertEqual(left, ["dns-20261127-08.log.gz", "dns-20261127-09.log.gz", "dns-20261127-10.log"],
                       "the two newest closed files and the one being written, nothing half done")
        XCTAssertEqual(gunzip(dir + "/dns-20261127-08.log.gz"), "hour 8\n")
        XCTAssertEqual(gunzip(dir + "/dns-20261127-09.log.gz"), "hour 9\n")
        XCTAssertEqual(try? readFile(dir + "/dns-20261127-10.log"), "hour 10\n")
    }

    func testRetentionByAgeUsesModificationTime() {
        let dir = tempDirectory()
        let old = dir + "/dns-20200101-00.log"
        FileManager.default.createFile(atPath: old, contents: Data("old\n".utf8))
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, old, &times, 0), 0)
        let files = [ModuleFiles(stem: "dns", rotation: .hourly, directory: dir, retention: RetentionPolicy(maxAgeSeconds: 3600))]
        write(files, hours: [5, 6])
        XCTAssertNotEqual(access(old, F_OK), 0, "a file older than the limit is deleted")
        XCTAssertEqual(access(dir + "/dns-20261127-05.log", F_OK), 0)
    }
}

/// Periods: a file holds exactly its period, whatever the rotation.
final class RotationPeriodTests: XCTestCase {
    func testMinutesInsideAnHourShareTheHourlyFile() {
        // Regression: a new minute must not close (and compress) the hour's file.
        let a = LogPeriod(year: 2026, month: 11, day: 27, hour: 5, minute: 1)
        let b = LogPeriod(year: 2026, month: 11, day: 27, hour: 5, minute: 59)
        XCTAssertEqual(a.key(.hourly), b.key(.hourly))
        XCTAssertNotEqual(a.key(.minutely), b.key(.minutely))
        XCTAssertEqual(a.truncated(to: .hourly), b.truncated(to: .hourly))
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: nil, rotation: .minutely, period: a).fileName, "dns-20261127-0501.log")
        XCTAssertEqual(LogDestination(module: 0, stem: "dns", kind: .clientQuery, rotation: .daily, period: a).fileName, "dns-CQ-20261127.log")
    }
}
