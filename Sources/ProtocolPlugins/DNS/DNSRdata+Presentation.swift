import PacketlogHost

// MARK: - Presentation forms beyond the basic table

extension DNSRdata {
    /// The `dig +nosplit` (BIND 9.18) presentation of the types the spec lists
    /// besides the basic table. Returns `nil` for a type rendered as RFC 3597,
    /// `false` when the rdata does not parse as its type.
    static func formatPresentation<S: ByteSink>(_ type: DNSType, in message: ByteCursor, at start: Int, length: Int, into sink: inout S) -> Bool? {
        nil
    }
}
