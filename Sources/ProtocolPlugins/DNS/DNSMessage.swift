import PacketlogHost

// MARK: - DNSHeader

/// The fixed 12-byte header of a DNS message (RFC 1035 §4.1.1).
public struct DNSHeader {
    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    /// Reads the header at the start of `message`; `nil` when it is shorter than 12 bytes.
    public init?(_ message: ByteCursor) {
        guard message.bytes.count >= 12 else { return nil }
        id = message.getInteger(at: 0)!
        flags = message.getInteger(at: 2)!
        questionCount = message.getInteger(at: 4)!
        answerCount = message.getInteger(at: 6)!
        authorityCount = message.getInteger(at: 8)!
        additionalCount = message.getInteger(at: 10)!
    }

    @inlinable public var isResponse: Bool { flags & 0x8000 != 0 }
    @inlinable public var opcode: UInt16 { (flags >> 11) & 0x0F }
    @inlinable public var rcode: UInt16 { flags & 0x0F }
    /// Answer, authority and additional records together.
    @inlinable public var recordCount: Int { Int(answerCount) + Int(authorityCount) + Int(additionalCount) }
}

// MARK: - Sections

/// One entry of the question section: where its name is, and its type and class.
public struct DNSQuestion {
    public var nameOffset: Int
    public var type: DNSType
    public var dnsClass: DNSClass
}

/// One resource record's fixed fields and where its name and rdata are.
public struct DNSRecord {
    public var nameOffset: Int
    public var type: DNSType
    public var dnsClass: DNSClass
    public var ttl: UInt32
    public var rdataOffset: Int
    public var rdataLength: Int
}

// MARK: - DNSMessageReader

/// Walks one DNS message in wire order, in one pass, without copying: the
/// questions, then every record. Each step validates what it reads (names,
/// record bounds, rdata as its type) and writes the text of the part it reads
/// into the sink it is given — a `DiscardingSink` when the caller only needs
/// it checked. A message is well-formed when every step up to the last record
/// succeeds; the reader says nothing about what a log line shows (that is
/// `DNSLineFormatter`'s job).
///
/// Order of calls: `readQuestion` ×QDCOUNT, then per record
/// `readRecordHeader` followed by `readRdata` (or `skipRecords` for the rest).
public struct DNSMessageReader {
    /// The message bytes (offsets are into these).
    public let message: ByteCursor
    public let header: DNSHeader
    /// Offset of the next unread byte.
    public private(set) var offset = 12

    /// `nil` when the message is shorter than its header.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        message = ByteCursor(bytes)
        guard let header = DNSHeader(message) else { return nil }
        self.header = header
    }

    /// Reads the next question; its name's presentation goes to `sink`.
    public mutating func readQuestion<S: ByteSink>(nameInto sink: inout S) -> DNSQuestion? {
        guard let afterName = DNSName.read(in: message, at: offset, into: &sink),
              let fixed: UInt32 = message.getInteger(at: afterName) else { return nil }
        let question = DNSQuestion(nameOffset: offset, type: DNSType(rawValue: UInt16(truncatingIfNeeded: fixed >> 16)),
                                   dnsClass: DNSClass(rawValue: UInt16(truncatingIfNeeded: fixed)))
        offset = afterName &+ 4
        return question
    }

    /// Reads the next record up to its rdata: the owner name's presentation
    /// goes to `sink`, the fixed fields are read and the rdata is checked to
    /// lie inside the message. `readRdata` must follow.
    public mutating func readRecordHeader<S: ByteSink>(nameInto sink: inout S) -> DNSRecord? {
        // The 10 fixed bytes (type, class, TTL, rdata length) with one bounds check.
        guard let afterName = DNSName.read(in: message, at: offset, into: &sink),
              let typeAndClass: UInt32 = message.getInteger(at: afterName),
              let ttlAndLength: UInt64 = message.getInteger(at: afterName &+ 2) else { return nil }
        let rdLength = Int(truncatingIfNeeded: ttlAndLength & 0xFFFF)
        let rdataOffset = afterName &+ 10
        guard rdLength <= message.bytes.count &- rdataOffset else { return nil }
        let record = DNSRecord(nameOffset: offset, type: DNSType(rawValue: UInt16(truncatingIfNeeded: typeAndClass >> 16)),
                               dnsClass: DNSClass(rawValue: UInt16(truncatingIfNeeded: typeAndClass)),
                               ttl: UInt32(truncatingIfNeeded: ttlAndLength >> 16), rdataOffset: rdataOffset, rdataLength: rdLength)
        offset = rdataOffset
        return record
    }

    /// Validates `record`'s rdata as its type, writing its presentation to
    /// `sink`, and moves past it.
    public mutating func readRdata<S: ByteSink>(of record: DNSRecord, into sink: inout S) -> Bool {
        guard DNSRdata.format(record.type, in: message, at: record.rdataOffset, length: record.rdataLength, into: &sink) else {
            return false
        }
        offset = record.rdataOffset &+ record.rdataLength
        return true
    }

    /// Validates the next `count` records without writing anything.
    public mutating func skipRecords(_ count: Int) -> Bool {
        var discard = DiscardingSink()
        var left = count
        while left > 0 {
            guard let record = readRecordHeader(nameInto: &discard) else { return false }
            // The records most messages carry outside their line (glue
            // addresses, an EDNS OPT without options) are valid by their
            // length alone — what `DNSRdata.format` would check, without its
            // two type switches (their indirect jumps were a fifth of its
            // samples). The header already checked the rdata fits.
            switch (record.type, record.rdataLength) {
            case (.a, 4), (.aaaa, 16), (.opt, 0):
                offset = record.rdataOffset &+ record.rdataLength
            default:
                guard readRdata(of: record, into: &discard) else { return false }
            }
            left &-= 1
        }
        return true
    }
}
