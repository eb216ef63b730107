import PacketlogHost

// MARK: - HTTPPendingRequests

/// Which of a connection's unanswered requests are HEAD, so that the stream
/// rule does not skip a HEAD response's announced Content-Length (RFC 9112
/// §6.3: a response to HEAD has no body; skipping it would swallow the next
/// pipelined response). The per-segment rule never needs this: a body past
/// the segment stops the search there anyway.
///
/// The only state the module keeps per connection, and small: an entry
/// exists only while a connection has requests without a final response,
/// holds at most 64 of them (later ones count as not HEAD), and the table
/// holds at most `capacity` connections (an arbitrary one is dropped when
/// full: a dropped connection's HEAD responses are then framed by their
/// Content-Length).
struct HTTPPendingRequests {
    struct Entry {
        /// Requests seen without a final response yet (at most 64 tracked).
        var count: UInt8 = 0
        /// Bit i: the i-th oldest unanswered request is HEAD.
        var headMask: UInt64 = 0
    }

    static let capacity = 4096
    private(set) var entries: [TCPFlowKey: Entry] = [:]

    /// Room for every entry up front: the table never grows on the per-packet path.
    init() { entries.reserveCapacity(Self.capacity) }

    /// A request (complete header block or given up on) on the connection
    /// whose client → server direction is `key`.
    mutating func requestSeen(_ key: TCPFlowKey, isHEAD: Bool) {
        if entries[key] == nil, entries.count >= Self.capacity {
            entries.remove(at: entries.startIndex)
        }
        entries[key, default: Entry()].record(isHEAD: isHEAD)
    }

    /// The connection whose client → server direction is `key` starts
    /// afresh (its first bytes): earlier requests on these ports are over.
    mutating func forget(_ key: TCPFlowKey) {
        if !entries.isEmpty { entries[key] = nil }
    }

    /// A final (non-1xx) response on the connection whose client → server
    /// direction is `key`: whether it answers a HEAD request.
    mutating func finalResponseSeen(_ key: TCPFlowKey) -> Bool {
        guard var entry = entries[key] else { return false }
        let isHEAD = entry.headMask & 1 != 0
        entry.headMask >>= 1
        entry.count &-= 1
        entries[key] = entry.count == 0 ? nil : entry
        return isHEAD
    }
}

extension HTTPPendingRequests.Entry {
    mutating func record(isHEAD: Bool) {
        guard count < 64 else { return }
        if isHEAD { headMask |= 1 << UInt64(count) }
        count &+= 1
    }
}
