import Foundation

// MARK: - BlockingQueue

/// A bounded FIFO between two threads: `push` waits while full, `pop` waits
/// while empty. Used per chunk of lines, never per packet.
public final class BlockingQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element?]
    private var head = 0
    private var count = 0

    public init(capacity: Int) {
        items = Array(repeating: nil, count: max(1, capacity))
    }

    public func push(_ element: Element) {
        condition.lock()
        while count == items.count { condition.wait() }
        items[(head + count) % items.count] = element
        count += 1
        condition.broadcast()
        condition.unlock()
    }

    public func pop() -> Element {
        condition.lock()
        while count == 0 { condition.wait() }
        let element = items[head]!
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        condition.broadcast()
        condition.unlock()
        return element
    }

    /// Pops without waiting; `nil` when empty.
    public func tryPop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        guard count > 0 else { return nil }
        let element = items[head]!
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        condition.broadcast()
        return element
    }
}
