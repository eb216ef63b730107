// MARK: - TCPFlowTable

/// The reassembler's directions by 4-tuple: an open-addressing hash table
/// (linear probing, deletion by backward shift, so no tombstones) with a
/// hash of its own. It replaces a `Dictionary`, whose SipHash cost about
/// 250 instructions per lookup; here a lookup is one keyed multiply-mix of
/// the tuple and a probe or two (`TCPFlowTableTests` hold it to a
/// `Dictionary` over random changes).
///
/// Each slot keeps its key's hash (32 bits, never 0; 0 marks an empty
/// slot), so a probe compares one word before it compares a tuple, and
/// moving or removing entries never hashes a key again. It also keeps the
/// capture time of the direction's last packet and the serial number the
/// reassembler gave the key when it was inserted, so the idle sweep and the
/// eviction order read the slots alone (reading them from each direction's
/// object was a cache miss per direction). A slot's direction is `nil` once
/// the direction ended: the key stays (late segments are ignored until a new
/// SYN or expiry) but its object went back to the reassembler while still
/// in cache. The reassembler works on slot indices (`find`, `value(at:)`,
/// `lastSeen(at:)`, `insertNew`, `remove(at:)`): one probe per packet. A
/// slot index is valid until the next change of the table (a slot is 64
/// bytes: one cache line).
///
/// The slots are one allocation the table owns (it is noncopyable): read
/// through a pointer, a slot's field is read in place. (Over an `Array`, a
/// read of two fields of one slot copied the whole slot, retaining and
/// releasing its direction, and every write checked the array's
/// uniqueness: per packet.)
///
/// The hash is keyed with a random seed per table, so that a sender who
/// does not know the seed cannot aim many tuples at one bucket; the load
/// stays at most 1/2 (the table doubles when it would pass it), where a
/// miss probes about 2.5 slots on average (about 8.5 at 3/4).
struct TCPFlowTable: ~Copyable {
    private struct Slot {
        var key: TCPFlowKey
        /// The key's hash, 0 when the slot is empty.
        var hash: UInt32
        /// The reassembler's serial number for the key (its eviction order entry).
        var serial: UInt32
        /// Capture time (seconds) of the direction's last packet.
        var lastSeen: Int64
        /// `nil`: the direction ended (or the slot is empty).
        var value: TCPStreamDirection?
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private let seed: UInt64
    /// Directions held.
    private(set) var count = 0

    /// Room for `capacity` directions before the table first grows.
    init(capacity: Int) {
        var slotCount = 16
        while slotCount < capacity * 2 { slotCount *= 2 }
        slots = Self.allocateEmpty(slotCount)
        mask = slotCount - 1
        var generator = SystemRandomNumberGenerator()
        seed = generator.next() | 1
    }

    deinit {
        slots.deinitialize(count: mask + 1)   // releases the directions
        slots.deallocate()
    }

    private static func allocateEmpty(_ slotCount: Int) -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(key: .empty, hash: 0, serial: 0, lastSeen: 0, value: nil), count: slotCount)
        return slots
    }

    /// Slots (for tests: the table grows only when it must).
    var slotCount: Int { mask + 1 }

    // MARK: By key

    /// The direction of `key`, or `nil` (absent or ended); setting `nil` removes the key.
    subscript(key: TCPFlowKey) -> TCPStreamDirection? {
        get { find(key).flatMap { value(at: $0) } }
        set {
            switch (find(key), newValue) {
            case let (slot?, value?): slots[slot].value = value
            case let (nil, value?): insertNew(key, value, lastSeen: 0)
            case let (slot?, nil): remove(at: slot)
            case (nil, nil): break
            }
        }
    }

    // MARK: By slot

    /// The slot holding `key`, or `nil`.
    @inline(__always)
    func find(_ key: TCPFlowKey) -> Int? {
        let h = hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let stored = slots[i].hash
            if stored == 0 { return nil }
            if stored == h, slots[i].key == key { return i }
            i = (i &+ 1) & mask
        }
    }

    /// The direction in an occupied slot; `nil` when it ended.
    @inline(__always)
    func value(at slot: Int) -> TCPStreamDirection? { slots[slot].value }

    /// Replaces the direction of an occupied slot (`nil`: it ended, the key stays).
    @inline(__always)
    mutating func setValue(_ value: TCPStreamDirection?, at slot: Int) { slots[slot].value = value }

    /// The serial number an occupied slot's key was inserted with.
    @inline(__always)
    func serial(at slot: Int) -> UInt32 { slots[slot].serial }

    /// Capture time of the last packet of the direction in an occupied slot.
    @inline(__always)
    func lastSeen(at slot: Int) -> Int64 { slots[slot].lastSeen }

    /// Sets the capture time of the last packet of an occupied slot's direction.
    @inline(__always)
    mutating func setLastSeen(at slot: Int, _ time: Int64) { slots[slot].lastSeen = time }

    /// Adds `key`, which the table does not hold; returns its slot.
    @discardableResult
    mutating func insertNew(_ key: TCPFlowKey, _ value: TCPStreamDirection, lastSeen: Int64, serial: UInt32 = 0) -> Int {
        if (count + 1) * 2 > mask + 1 { grow() }
        count += 1
        return place(Slot(key: key, hash: hash(key), serial: serial, lastSeen: lastSeen, value: value))
    }

    /// Empties an occupied slot. Backward shift: later entries of the run
    /// move into the hole when their home slot does not lie between the
    /// hole and them, so every remaining key stays reachable from its home.
    mutating func remove(at slot: Int) {
        count -= 1
        Self.remove(at: slot, in: slots, mask: mask)
    }

    private static func remove(at slot: Int, in s: UnsafeMutablePointer<Slot>, mask: Int) {
        var hole = slot
        s[hole].value = nil
        s[hole].hash = 0
        var i = (hole &+ 1) & mask
        while s[i].hash != 0 {
            let home = Int(truncatingIfNeeded: s[i].hash) & mask
            if (i &- home) & mask >= (i &- hole) & mask {
                // The entry moves into the hole; the hole (hash 0, no value) moves to i.
                let emptied = (s + hole).move()
                (s + hole).moveInitialize(from: s + i, count: 1)
                (s + i).initialize(to: emptied)
                hole = i
            }
            i = (i &+ 1) & mask
        }
    }

    // MARK: Internals

    @inline(__always)
    private func hash(_ key: TCPFlowKey) -> UInt32 {
        // Each word folded in with a multiply by an odd constant and a
        // rotation, then a final avalanche (the low bits pick the slot).
        @inline(__always) func fold(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            return (x << 29) | (x >> 35)
        }
        var h = fold(seed, key.sourceHigh)
        h = fold(h, key.sourceLow)
        h = fold(h, key.destinationHigh)
        h = fold(h, key.destinationLow)
        h = fold(h, key.portsAndFamilies)
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        let folded = UInt32(truncatingIfNeeded: h ^ (h >> 32))
        return folded == 0 ? 1 : folded
    }

    /// Puts an entry whose key is absent into the first empty slot of its
    /// run; returns the slot.
    @discardableResult
    private mutating func place(_ entry: consuming Slot) -> Int {
        var i = Int(truncatingIfNeeded: entry.hash) & mask
        while slots[i].hash != 0 { i = (i &+ 1) & mask }
        slots[i] = entry
        return i
    }

    private mutating func grow() {
        let old = slots, oldCount = mask + 1
        let slotCount = oldCount * 2
        slots = Self.allocateEmpty(slotCount)
        mask = slotCount - 1
        for i in 0..<oldCount where old[i].hash != 0 { place((old + i).move()) }
        // What is left are empty slots (no direction): nothing to release.
        old.deallocate()
    }

    // MARK: Walks

    /// Forgets every direction (keeps the slots).
    mutating func removeAll() {
        for i in 0...mask { slots[i].value = nil; slots[i].hash = 0 }
        count = 0
    }

    /// Calls `body` for every direction with its last packet's time (the
    /// table must not change meanwhile).
    func forEach(_ body: (TCPFlowKey, Int64, TCPStreamDirection?) -> Void) {
        for i in 0...mask where slots[i].hash != 0 { body(slots[i].key, slots[i].lastSeen, slots[i].value) }
    }

    /// Removes every direction for which `shouldRemove` is true, in one
    /// pass and without hashing a key: the walk starts after an empty slot,
    /// so an entry a removal shifts back lands on a slot still ahead of it
    /// or on the one just emptied, which is looked at again.
    /// `shouldRemove` sees the key and its last packet's time only (not the
    /// direction: reading it would touch the object); `removed` gets each
    /// direction taken out (`nil` for an ended one).
    mutating func removeAll(where shouldRemove: (TCPFlowKey, Int64) -> Bool,
                            removed: (TCPStreamDirection?) -> Void = { _ in }) {
        guard count > 0 else { return }
        let mask = self.mask
        var removedCount = 0
        let s = slots
        var start = 0
        while s[start].hash != 0 { start += 1 }   // load ≤ 1/2: an empty slot exists
        var i = (start &+ 1) & mask
        var visited = 0
        while visited < mask {
            let slot = s + i
            if slot.pointee.hash != 0, shouldRemove(slot.pointee.key, slot.pointee.lastSeen) {
                let value = slot.pointee.value
                Self.remove(at: i, in: s, mask: mask)
                removedCount += 1
                removed(value)
                continue   // slot i may now hold an entry shifted back from later in the run
            }
            i = (i &+ 1) & mask
            visited += 1
        }
        count -= removedCount
    }
}

extension TCPFlowKey {
    /// The key of an empty slot (never read: slots are empty by their hash).
    static var empty: TCPFlowKey {
        TCPFlowKey(source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0), sourcePort: 0, destinationPort: 0)
    }
}
