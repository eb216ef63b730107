import PacketlogHost

// MARK: - DNSMessage

/// A parsed view of one DNS message: offsets into bytes the caller owns,
/// nothing copied. `parse` walks and validates the whole message (every
/// name, every record, every rdata as its type) so that a message is either
/// fully well-formed or rejected.
public struct DNSMessage {
    /// The message bytes (offsets below are into these).
    public var bytes: ByteCursor
    public var id: UInt16
    public var flags: UInt16
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16
    /// The first question, when QDCOUNT > 0.
    public var question: Question?
    /// The first answer record, when ANCOUNT > 0.
    public var firstAnswer: Record?
    /// When the first answer is a CNAME: the first later A or AAAA answer.
    public var firstAddressAfterCNAME: Record?

    public struct Question {
        public var nameOffset: Int
        public var type: DNSType
        public var dnsClass: DNSClass
    }

    public struct Record {
        public var nameOffset: Int
        public var type: DNSType
        public var dnsClass: DNSClass
        public var ttl: UInt32
        public var rdataOffset: Int
        public var rdataLength: Int
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: UInt16 { (flags >> 11) & 0x0F }
    public var rcode: UInt16 { flags & 0x0F }

    /// Why a message was rejected.
    public enum Failure: Error {
        case shortHeader, badQuestion, badRecord, badRdata
    }

    /// Parses and validates `bytes` as one DNS message.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<DNSMessage, Failure> {
        let cursor = ByteCursor(bytes)
        guard let id: UInt16 = cursor.getInteger(at: 0), let flags: UInt16 = cursor.getInteger(at: 2),
              let qd: UInt16 = cursor.getInteger(at: 4), let an: UInt16 = cursor.getInteger(at: 6),
              let ns: UInt16 = cursor.getInteger(at: 8), let ar: UInt16 = cursor.getInteger(at: 10) else {
            return .failure(.shortHeader)
        }
        var message = DNSMessage(bytes: cursor, id: id, flags: flags, questionCount: qd, answerCount: an,
                                 authorityCount: ns, additionalCount: ar, question: nil, firstAnswer: nil, firstAddressAfterCNAME: nil)
        var offset = 12
        for i in 0..<Int(qd) {
            guard let afterName = DNSName.skip(in: cursor, at: offset),
                  let type: UInt16 = cursor.getInteger(at: afterName),
                  let dnsClass: UInt16 = cursor.getInteger(at: afterName + 2) else { return .failure(.badQuestion) }
            if i == 0 { message.question = Question(nameOffset: offset, type: DNSType(rawValue: type), dnsClass: DNSClass(rawValue: dnsClass)) }
            offset = afterName + 4
        }
        let records = Int(an) + Int(ns) + Int(ar)
        var discard = DiscardingSink()
        for i in 0..<records {
            guard let afterName = DNSName.skip(in: cursor, at: offset),
                  let type: UInt16 = cursor.getInteger(at: afterName),
                  let dnsClass: UInt16 = cursor.getInteger(at: afterName + 2),
                  let ttl: UInt32 = cursor.getInteger(at: afterName + 4),
                  let rdLength: UInt16 = cursor.getInteger(at: afterName + 8) else { return .failure(.badRecord) }
            let rdataOffset = afterName + 10
            guard Int(rdLength) <= cursor.bytes.count - rdataOffset else { return .failure(.badRecord) }
            let record = Record(nameOffset: offset, type: DNSType(rawValue: type), dnsClass: DNSClass(rawValue: dnsClass),
                                ttl: ttl, rdataOffset: rdataOffset, rdataLength: Int(rdLength))
            guard DNSRdata.format(record.type, in: cursor, at: rdataOffset, length: Int(rdLength), into: &discard) else {
                return .failure(.badRdata)
            }
            if i < Int(an) {
                if i == 0 {
                    message.firstAnswer = record
                } else if message.firstAddressAfterCNAME == nil, message.firstAnswer?.type == .cname,
                          record.type == .a || record.type == .aaaa {
                    message.firstAddressAfterCNAME = record
                }
            }
            offset = rdataOffset + Int(rdLength)
        }
        return .success(message)
    }
}
