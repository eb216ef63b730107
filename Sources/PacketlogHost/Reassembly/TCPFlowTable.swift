// MARK: - TCPFlowTable

/// The reassembler's directions by 4-tuple: an open-addressing hash table
/// (linear probing, deletion by backward shift, so no tombstones) with a
/// hash of its own. It replaces a `Dictionary`, whose SipHash cost about
/// 250 instructions per lookup; here a lookup is one keyed multiply-mix of
/// the tuple and a probe or two (`TCPFlowTableTests` hold it to a
/// `Dictionary` over random changes).
///
/// The hash is keyed with a random seed per table, so that a sender who
/// does not know the seed cannot aim many tuples at one bucket; the load
/// stays at most 1/2 (the table doubles when it would pass it), where a
/// miss probes about 2.5 slots on average (about 8.5 at 3/4).
struct TCPFlowTable {
    private var keys: [TCPFlowKey]
    private var values: [TCPStreamDirection?]
    private var mask: Int
    private let seed: UInt64
    /// Directions held.
    private(set) var count = 0

    /// Room for `capacity` directions before the table first grows.
    init(capacity: Int) {
        var slots = 16
        while slots < capacity * 2 { slots *= 2 }
        let empty = TCPFlowKey.empty
        keys = Array(repeating: empty, count: slots)
        values = Array(repeating: nil, count: slots)
        mask = slots - 1
        var generator = SystemRandomNumberGenerator()
        seed = generator.next() | 1
    }

    /// Slots (for tests: the table grows only when it must).
    var slotCount: Int { mask + 1 }

    // MARK: Lookup

    /// The direction of `key`, or `nil`.
    subscript(key: TCPFlowKey) -> TCPStreamDirection? {
        get {
            guard let slot = slot(of: key) else { return nil }
            return values[slot]
        }
        set {
            if let newValue { insert(key, newValue) } else { remove(key) }
        }
    }

    @inline(__always)
    private func home(_ key: TCPFlowKey) -> Int {
        // Each word folded in with a multiply by an odd constant and a
        // rotation, then a final avalanche (the top bits pick the slot).
        @inline(__always) func fold(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            return (x << 29) | (x >> 35)
        }
        var h = fold(seed, key.source.high)
        h = fold(h, key.source.low)
        h = fold(h, key.destination.high)
        h = fold(h, key.destination.low)
        h = fold(h, UInt64(key.sourcePort) << 32 | UInt64(key.destinationPort) << 16 | (key.source.isIPv6 ? 1 : 0))
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    @inline(__always)
    private func slot(of key: TCPFlowKey) -> Int? {
        var i = home(key)
        while values[i] != nil {
            if keys[i] == key { return i }
            i = (i &+ 1) & mask
        }
        return nil
    }

    // MARK: Changes

    private mutating func insert(_ key: TCPFlowKey, _ value: TCPStreamDirection) {
        if let existing = slot(of: key) {
            values[existing] = value
            return
        }
        if (count + 1) * 2 > mask + 1 { grow() }
        var i = home(key)
        while values[i] != nil { i = (i &+ 1) & mask }
        keys[i] = key
        values[i] = value
        count += 1
    }

    private mutating func remove(_ key: TCPFlowKey) {
        guard var hole = slot(of: key) else { return }
        values[hole] = nil
        count -= 1
        // Backward shift: pull later entries of the run into the hole when
        // their home slot does not lie between the hole and them.
        var i = (hole &+ 1) & mask
        while values[i] != nil {
            let h = home(keys[i])
            if (i &- h) & mask >= (i &- hole) & mask {
                keys[hole] = keys[i]
                values[hole] = values[i]
                values[i] = nil
                hole = i
            }
            i = (i &+ 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let slots = (mask + 1) * 2
        keys = Array(repeating: TCPFlowKey.empty, count: slots)
        values = Array(repeating: nil, count: slots)
        mask = slots - 1
        count = 0
        for i in oldValues.indices {
            if let value = oldValues[i] { insert(oldKeys[i], value) }
        }
    }

    /// Forgets every direction (keeps the slots).
    mutating func removeAll() {
        for i in values.indices { values[i] = nil }
        count = 0
    }

    // MARK: Walks

    /// Calls `body` for every direction (the table must not change meanwhile).
    func forEach(_ body: (TCPFlowKey, TCPStreamDirection) -> Void) {
        for i in values.indices {
            if let value = values[i] { body(keys[i], value) }
        }
    }
}

extension TCPFlowKey {
    /// The key of an empty slot (never read: slots are empty by their value).
    static var empty: TCPFlowKey {
        TCPFlowKey(source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0), sourcePort: 0, destinationPort: 0)
    }

    init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16) {
        self.source = source; self.destination = destination
        self.sourcePort = sourcePort; self.destinationPort = destinationPort
    }
}
