#if canImport(Glibc)
import Glibc
#endif

// MARK: - LocalAddressSet

/// The addresses that count as local for the direction table: plain
/// addresses and CIDR prefixes, IPv4 and IPv6.
public struct LocalAddressSet: Sendable {
    @usableFromInline struct Prefix: Sendable {
        @usableFromInline var address: IPAddress
        @usableFromInline var length: Int
    }
    @usableFromInline var prefixes: [Prefix] = []
    /// Whole addresses (the usual case), checked before any prefix.
    @usableFromInline var exactIPv4: [UInt32] = []
    @usableFromInline var exactIPv6: [IPAddress] = []
    /// Whether any entry is a shorter prefix than a whole address.
    @usableFromInline var hasShortPrefixes = false

    public init() {}

    public var isEmpty: Bool { prefixes.isEmpty }

    /// Adds `ADDR` or `ADDR/LEN`; throws a message naming the bad value.
    public mutating func add(_ text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(text: String(parts[0])) else {
            throw LocalAddressError(value: text)
        }
        let maximum = address.isIPv6 ? 128 : 32
        var length = maximum
        if parts.count == 2 {
            guard let l = Int(parts[1]), l >= 0, l <= maximum else { throw LocalAddressError(value: text) }
            length = l
        }
        add(Prefix(address: address, length: length))
    }

    /// Adds one exact address.
    public mutating func add(_ address: IPAddress) {
        add(Prefix(address: address, length: address.isIPv6 ? 128 : 32))
    }

    mutating func add(_ prefix: Prefix) {
        prefixes.append(prefix)
        if prefix.length == (prefix.address.isIPv6 ? 128 : 32) {
            if prefix.address.isIPv6 { exactIPv6.append(prefix.address) } else { exactIPv4.append(prefix.address.ipv4) }
        } else {
            hasShortPrefixes = true
        }
    }

    @inlinable @inline(__always)
    public func contains(_ address: IPAddress) -> Bool {
        if address.isIPv6 {
            for a in exactIPv6 where a.high == address.high && a.low == address.low { return true }
        } else {
            let v4 = address.ipv4
            for a in exactIPv4 where a == v4 { return true }
        }
        return hasShortPrefixes && containsByPrefix(address)
    }

    @usableFromInline
    func containsByPrefix(_ address: IPAddress) -> Bool {
        for p in prefixes where p.address.isIPv6 == address.isIPv6 {
            if p.length == (address.isIPv6 ? 128 : 32) {
                if p.address.high == address.high && p.address.low == address.low { return true }
                continue
            }
            if address.isIPv6 {
                if matches(p.address.high, address.high, bits: min(p.length, 64)),
                   matches(p.address.low, address.low, bits: max(0, p.length - 64)) { return true }
            } else if matches(p.address.low << 32, address.low << 32, bits: p.length) {
                return true
            }
        }
        return false
    }

    @inlinable
    func matches(_ a: UInt64, _ b: UInt64, bits: Int) -> Bool {
        if bits <= 0 { return true }
        let mask: UInt64 = bits >= 64 ? ~0 : ~(~UInt64(0) >> UInt64(bits))
        return a & mask == b & mask
    }

    /// Every address of the named interfaces (`any`: every interface).
    public static func addresses(ofInterfaces names: [String]) -> LocalAddressSet {
        var set = LocalAddressSet()
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return set }
        defer { freeifaddrs(list) }
        var entry = list
        while let e = entry {
            defer { entry = e.pointee.ifa_next }
            guard let sa = e.pointee.ifa_addr else { continue }
            let name = String(cString: e.pointee.ifa_name)
            guard names.contains("any") || names.contains(name) else { continue }
            if Int32(sa.pointee.sa_family) == AF_INET {
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    set.add(IPAddress(ipv4: UInt32(bigEndian: $0.pointee.sin_addr.s_addr)))
                }
            } else if Int32(sa.pointee.sa_family) == AF_INET6 {
                sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                    withUnsafeBytes(of: s.pointee.sin6_addr) { raw in
                        let c = ByteCursor(raw)
                        if let a = IPAddress.ipv6(in: c, at: 0) { set.add(a) }
                    }
                }
            }
        }
        return set
    }
}

/// A `--local-address` value that is not an address or CIDR prefix.
public struct LocalAddressError: Error, CustomStringConvertible {
    public var value: String
    public var description: String {
        "'\(value)' is not an IPv4/IPv6 address or CIDR prefix (examples: 192.0.2.1, 10.0.0.0/8, 2001:db8::1, fd00::/8)"
    }
}

public extension IPAddress {
    /// Parses IPv4 dotted quad or IPv6 text (start-up only).
    init?(text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(ipv4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let parsed: IPAddress? = withUnsafeBytes(of: v6) { IPAddress.ipv6(in: ByteCursor($0), at: 0) }
            guard let parsed else { return nil }
            self = parsed
            return
        }
        return nil
    }
}
