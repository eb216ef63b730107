import Foundation
import XCTest

/// Golden-file comparison shared by the DNS and HTTP golden-file tests.
extension XCTestCase {
    /// Every file of `expected` exists in `actual` with the same bytes, mode
    /// 0600, and `actual` holds nothing else.
    func assertSameFiles(_ actual: URL, _ expected: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let fm = FileManager.default
        let want = try fm.contentsOfDirectory(atPath: expected.path).sorted()
        let got = try fm.contentsOfDirectory(atPath: actual.path).sorted()
        XCTAssertFalse(want.isEmpty, "no expected files in \(expected.path)", file: file, line: line)
        XCTAssertEqual(got, want, "file names", file: file, line: line)
        for name in want where got.contains(name) {
            let path = actual.appendingPathComponent(name).path
            let mode = (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
            XCTAssertEqual(String(mode, radix: 8), "600", "mode of \(name)", file: file, line: line)
            let a = try Data(contentsOf: URL(fileURLWithPath: path))
            let e = try Data(contentsOf: expected.appendingPathComponent(name))
            if a != e { XCTFail("\(name) differs: \(XCTestCase.firstDifference(a, e))", file: file, line: line) }
        }
    }

    static func firstDifference(_ actual: Data, _ expected: Data) -> String {
        let a = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(a.count, e.count) {
            let x = i < a.count ? String(a[i]) : "<end>", y = i < e.count ? String(e[i]) : "<end>"
            if x != y { return "line \(i + 1):\n  got      \(x)\n  expected \(y)" }
        }
        return "same lines, different bytes"
    }

}
