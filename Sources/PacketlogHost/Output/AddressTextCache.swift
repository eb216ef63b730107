// MARK: - AddressTextCache

/// The text of recently printed IP addresses. On a resolver or a web front
/// end one side of nearly every packet is the same local address, and
/// clients repeat: copying 40 cached bytes is cheaper than formatting an
/// IPv6 address again. Direct-mapped, 256 entries of 64 bytes (16 KiB);
/// a miss formats the address and replaces the entry.
///
/// Owned like `LineBuffer`: a plain struct over one allocation; whoever
/// creates it calls `deallocate()` once.
public struct AddressTextCache {
    @usableFromInline let base: UnsafeMutableRawPointer

    @usableFromInline static var entries: Int { 256 }
    /// Entry layout: high (8), low (8), length (1, 0 = empty), flags (1: IPv6), text (up to 39) at offset 24.
    @usableFromInline static var entrySize: Int { 64 }

    public init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: Self.entries * Self.entrySize, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.entries * Self.entrySize)
    }

    public func deallocate() { base.deallocate() }

    /// Appends `address` in its text form (the same bytes `appendAddress` writes).
    @inlinable
    public func append(_ address: IPAddress, to buffer: inout LineBuffer) {
        buffer.appendWithReservedCapacity(Self.roomNeeded) { p in write(address, to: p) }
    }

    /// Room `write` needs at its pointer: 40 bytes are copied on a hit.
    @inlinable public static var roomNeeded: Int { 40 }

    /// Writes the text of `address` at `p` (room for `roomNeeded` bytes) and
    /// returns its length: copied from the cache, or formatted and kept.
    /// The hit is inlined into the caller (two per packet); the miss is not.
    @inlinable @inline(__always)
    public func write(_ address: IPAddress, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let mixed = (address.high ^ address.low &* 0x9E37_79B9_7F4A_7C15) &* 0xC2B2_AE3D_27D4_EB4F
        let entry = base + Int(truncatingIfNeeded: mixed >> 56) &* Self.entrySize
        let flags: UInt8 = address.isIPv6 ? 1 : 0
        let length = Int(entry.load(fromByteOffset: 16, as: UInt8.self))
        if length > 0, entry.load(as: UInt64.self) == address.high, entry.load(fromByteOffset: 8, as: UInt64.self) == address.low,
           entry.load(fromByteOffset: 17, as: UInt8.self) == flags {
            // Copy 40 bytes (the text and what follows it); only `length` count.
            let out = UnsafeMutableRawPointer(p)
            for i in stride(from: 0, to: 40, by: 8) {
                out.storeBytes(of: entry.load(fromByteOffset: 24 &+ i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            }
            return length
        }
        return Self.formatAndKeep(address, flags: flags, in: entry, to: p)
    }

    /// A miss: formats the address at `p` and keeps its text in `entry`.
    @usableFromInline @inline(never)
    static func formatAndKeep(_ address: IPAddress, flags: UInt8, in entry: UnsafeMutableRawPointer,
                              to p: UnsafeMutablePointer<UInt8>) -> Int {
        let written = address.writeText(to: p)
        entry.storeBytes(of: address.high, as: UInt64.self)
        entry.storeBytes(of: address.low, toByteOffset: 8, as: UInt64.self)
        entry.storeBytes(of: UInt8(written), toByteOffset: 16, as: UInt8.self)
        entry.storeBytes(of: flags, toByteOffset: 17, as: UInt8.self)
        (entry + 24).copyMemory(from: UnsafeMutableRawPointer(p), byteCount: written)
        return written
    }
}
