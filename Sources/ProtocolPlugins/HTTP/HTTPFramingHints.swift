import PacketlogHost

// MARK: - HTTPFramingHints

/// Stream rule: what the point a direction was last consumed up to is — a
/// message boundary, or inside chunked framing (before the line end that
/// precedes a chunk-size line) — so that the next call reads it the same
/// way however the bytes were cut into segments:
///
/// - at a message boundary, a line end is no message start: counted, and
///   the direction ends (`POST … Content-Length: 0`, then `\r\n0\r\n\r\nGET
///   /hidden …` in the next segment logged a request no server read);
/// - inside chunked framing, the line end must come first (chunk data
///   ending a segment, then `HTTP/1.1 200 …` without it, was logged as a
///   response).
///
/// Only ever stricter than no record: a missing or evicted record (more
/// than `capacity` directions at once, or a capture that begins inside a
/// body) falls back to telling the two apart by the first byte (a start
/// line never begins with CR or LF), so no direction loses its lines for
/// want of room here. A record holds only for the TCP sequence number it
/// was made for.
struct HTTPFramingHints {
    struct Entry {
        /// The sequence number of the next stream byte.
        var sequence: UInt32
        /// Inside chunked framing (else at a message boundary).
        var insideChunked: Bool
    }

    static let capacity = 4096
    private(set) var entries: [TCPFlowKey: Entry] = [:]

    /// Room for every entry up front: the table never grows on the per-packet path.
    init() { entries.reserveCapacity(Self.capacity) }

    /// The record for `key`'s stream starting at `sequence`, taken out of
    /// the table: `true` inside chunked framing, `false` at a message
    /// boundary, `nil` when there is none for this point (a record for
    /// another point stays: a call whose sequence is not the stream's start
    /// — a gap filled before held bytes — must not lose it).
    mutating func take(_ key: TCPFlowKey, sequence: UInt32) -> Bool? {
        guard !entries.isEmpty, let entry = entries[key], entry.sequence == sequence else { return nil }
        entries[key] = nil
        return entry.insideChunked
    }

    /// A new connection on `key`'s addresses and ports: the old one's record goes.
    mutating func forget(_ key: TCPFlowKey) {
        if !entries.isEmpty { entries[key] = nil }
    }

    /// Records where `key`'s stream goes on (`sequence`) and what is there.
    mutating func record(_ key: TCPFlowKey, sequence: UInt32, insideChunked: Bool) {
        if entries[key] == nil, entries.count >= Self.capacity {
            entries.remove(at: entries.startIndex)
        }
        entries[key] = Entry(sequence: sequence, insideChunked: insideChunked)
    }
}
