import Foundation
import XCTest
@testable import PacketlogHost

final class ThreadNameTests: XCTestCase {
    /// Operators tell packetlog's threads apart in `top -H` and `ps -L`
    /// (which one is busy: reader, worker, merger or writer): the name must
    /// reach the kernel, cut to its 15-byte limit.
    func testThreadNameReachesTheKernelCutTo15Bytes() {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen: [String] = []
        let thread = Thread {
            for name in ["pl-worker-3", "a-name-longer-than-fifteen"] {
                nameCurrentThread(name)
                let text = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                seen.append(text.trimmingCharacters(in: .newlines))
            }
            done.signal()
        }
        thread.start()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(seen, ["pl-worker-3", "a-name-longer-t"])
    }
}
