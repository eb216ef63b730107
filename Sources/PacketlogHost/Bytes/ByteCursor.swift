// MARK: - ByteCursor

/// A read-only cursor over bytes the caller owns (a libpcap buffer, a payload
/// slice), named after SwiftNIO's `ByteBuffer`: `read…` methods move the reader
/// index, `get…(at:)` methods do not. Every accessor is bounds-checked and
/// returns `nil` when too few bytes remain; nothing here can trap on input.
///
/// The cursor never copies and never owns: the bytes must outlive it. In the
/// capture path that is "until the packet callback returns".
public struct ByteCursor {
    /// The whole region the cursor may read. Absolute indexes are into this.
    public let bytes: UnsafeRawBufferPointer
    /// Absolute index of the next byte `read…` returns.
    public var readerIndex: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, readerIndex: Int = 0) {
        self.bytes = bytes
        self.readerIndex = readerIndex
    }

    /// Bytes between the reader index and the end.
    @inlinable
    public var readableBytes: Int { bytes.count &- readerIndex }

    /// The readable bytes as a buffer (no copy).
    @inlinable
    public var readableView: UnsafeRawBufferPointer {
        guard readerIndex >= 0, readerIndex <= bytes.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[readerIndex...])
    }

    // MARK: Get (does not move)

    /// One byte at `index`, or `nil` when out of range.
    @inlinable @inline(__always)
    public func getUInt8(at index: Int) -> UInt8? {
        guard index >= 0, index < bytes.count else { return nil }
        return bytes[index]
    }

    /// A big-endian (network order) integer at `index`, or `nil` when out of range.
    @inlinable @inline(__always)
    public func getInteger<T: FixedWidthInteger>(at index: Int, as: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard index >= 0, size <= bytes.count &- index else { return nil }
        return T(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: T.self))
    }

    /// A little-endian integer at `index` (for link headers that use host order).
    @inlinable
    public func getLittleEndianInteger<T: FixedWidthInteger>(at index: Int, as: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard index >= 0, size <= bytes.count &- index else { return nil }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: T.self))
    }

    /// `length` bytes at `index` (no copy), or `nil` when out of range.
    @inlinable @inline(__always)
    public func getBytes(at index: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard index >= 0, length >= 0, length <= bytes.count &- index else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[index..<(index &+ length)])
    }

    /// A pointer to `length` readable bytes at `index` (no copy), or `nil`
    /// when out of range: one bounds check for a fixed-size header whose
    /// fields are then read with `loadBigEndian`.
    @inlinable @inline(__always)
    public func getPointer(at index: Int, length: Int) -> UnsafeRawPointer? {
        guard index >= 0, length >= 0, length <= bytes.count &- index, let base = bytes.baseAddress else { return nil }
        return base + index
    }

    // MARK: Read (moves)

    @inlinable
    public mutating func readUInt8() -> UInt8? {
        guard let value = getUInt8(at: readerIndex) else { return nil }
        readerIndex &+= 1
        return value
    }

    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) -> T? {
        guard let value = getInteger(at: readerIndex, as: T.self) else { return nil }
        readerIndex &+= MemoryLayout<T>.size
        return value
    }

    @inlinable
    public mutating func readBytes(length: Int) -> UnsafeRawBufferPointer? {
        guard let value = getBytes(at: readerIndex, length: length) else { return nil }
        readerIndex &+= length
        return value
    }

    /// A cursor over the next `length` bytes (indexes restart at 0); moves past them.
    @inlinable
    public mutating func readSlice(length: Int) -> ByteCursor? {
        guard let value = readBytes(length: length) else { return nil }
        return ByteCursor(value)
    }

    /// Moves the reader index forward; `false` (and no move) when too few bytes remain.
    @inlinable
    @discardableResult
    public mutating func moveReaderIndex(forwardBy count: Int) -> Bool {
        guard count >= 0, count <= readableBytes else { return false }
        readerIndex &+= count
        return true
    }
}

// MARK: - Fixed-size fields behind a checked pointer

public extension UnsafeRawPointer {
    /// The big-endian integer at `offset` (the caller checked the bounds,
    /// e.g. through `ByteCursor.getPointer(at:length:)`).
    @inlinable @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
