import XCTest
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
        XCTAssertEqual(clock.period, LogPeriod(year: 2026, month: 11, day: 27, hour: 5))
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
            let writer = LogWriter(target: .files(mode: 0o600), chunkCount: 4, chunkCapacity: 4096)
            writer.start()
            var router = OutputRouter(writer: writer, modules: [.init(stem: "dns", rotation: .hourly, directory: dir, split: split)], toStandardOutput: false)
            var emitter = LineEmitter()
            emitter.reset()
            emit(&emitter, .clientQuery, "q1")
            emit(&emitter, .clientResponse, "r1")
            emitter.discardLine()
            emitter.beginLine(); emitter.buffer.append(UInt8(ascii: "x")) ; emitter.discardLine() // never half-logged
            router.route(emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 5))
            router.route(emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 6))
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

    func testFilesAreAppendedNotTruncated() {
        // A restart must never lose what an earlier run wrote.
        let dir = tempDirectory()
        for round in 0..<2 {
            let writer = LogWriter(target: .files(mode: 0o600), chunkCount: 2, chunkCapacity: 1024)
            writer.start()
            var router = OutputRouter(writer: writer, modules: [.init(stem: "dns", rotation: .hourly, directory: dir)], toStandardOutput: false)
            var emitter = LineEmitter()
            emitter.reset()
            emit(&emitter, .clientQuery, "round\(round)")
            router.route(emitter, period: LogPeriod(year: 2026, month: 11, day: 27, hour: 5))
            router.flushAll()
            writer.finish()
            emitter.deallocate()
        }
        XCTAssertEqual(read(dir + "/dns-20261127-05.log"), "05:39:26.000 CQ round0\n05:39:26.000 CQ round1\n")
    }
}
