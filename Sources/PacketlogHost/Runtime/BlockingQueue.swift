import Foundation

// MARK: - BlockingQueue

/// A bounded queue between two threads: `push` waits while full, `pop` waits
/// while empty. Used per chunk of lines, never per packet.
///
/// A queue of work is first in, first out. A pool of free buffers is better
/// last in, first out (`lastInFirstOut`): the buffer handed out is the one
/// just returned, still in cache, and buffers the pipeline never needs at
/// once are never touched (no page faults for a pool's unused tail).
public final class BlockingQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private let lastInFirstOut: Bool

    public init(capacity: Int, lastInFirstOut: Bool = false) {
        items = Array(repeating: nil, count: max(1, capacity))
        self.lastInFirstOut = lastInFirstOut
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
        let element = take()
        condition.broadcast()
        condition.unlock()
        return element
    }

    /// Removes the next element (lock held, `count > 0`).
    private func take() -> Element {
        if lastInFirstOut {
            let index = (head + count - 1) % items.count
            let element = items[index]!
            items[index] = nil
            count -= 1
            return element
        }
        let element = items[head]!
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        return element
    }

    /// Elements waiting now (a snapshot: the other side may change it).
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Pops without waiting; `nil` when empty.
    public func tryPop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        guard count > 0 else { return nil }
        let element = take()
        condition.broadcast()
        return element
    }
}
