import PacketlogHost

// MARK: - DNS line formatting

/// Writes the spec's DNS line for a parsed message (formatting only; parsing
/// lives in `DNSMessage`).
public enum DNSLineFormatter {
    /// `<id> <code> <body>[ T]` — everything after the kind field.
    public static func appendBody<S: ByteSink>(_ message: DNSMessage, overTCP: Bool, to sink: inout S) {
        sink.appendHexUpper(UInt8(truncatingIfNeeded: message.id >> 8))
        sink.appendHexUpper(UInt8(truncatingIfNeeded: message.id))
        sink.append(UInt8(ascii: " "))
        if message.isResponse {
            sink.appendDecimal(message.rcode, width: 2)
            sink.append(UInt8(ascii: " "))
            sink.appendDecimal(message.questionCount); sink.append(UInt8(ascii: "/"))
            sink.appendDecimal(message.answerCount); sink.append(UInt8(ascii: "/"))
            sink.appendDecimal(message.authorityCount); sink.append(UInt8(ascii: "/"))
            sink.appendDecimal(message.additionalCount); sink.append(UInt8(ascii: " "))
            if let answer = message.firstAnswer {
                appendRecord(answer, in: message.bytes, to: &sink)
                if let address = message.firstAddressAfterCNAME {
                    sink.appendLiteral(" (")
                    _ = DNSName.read(in: message.bytes, at: address.nameOffset, into: &sink)
                    sink.append(UInt8(ascii: " "))
                    sink.appendDecimal(address.ttl)
                    sink.append(UInt8(ascii: " "))
                    sink.appendDNSClass(address.dnsClass)
                    sink.append(UInt8(ascii: " "))
                    sink.appendDNSType(address.type)
                    sink.append(UInt8(ascii: " "))
                    _ = DNSRdata.format(address.type, in: message.bytes, at: address.rdataOffset, length: address.rdataLength, into: &sink)
                    sink.append(UInt8(ascii: ")"))
                }
            } else {
                appendQuestion(message, to: &sink)
            }
        } else {
            sink.appendDecimal(message.opcode, width: 2)
            sink.append(UInt8(ascii: " "))
            appendQuestion(message, to: &sink)
        }
        if overTCP { sink.appendLiteral(" T") }
    }

    /// `<qname> <qclass> <qtype>`, or `- - -` without a question.
    static func appendQuestion<S: ByteSink>(_ message: DNSMessage, to sink: inout S) {
        guard let question = message.question else {
            sink.appendLiteral("- - -")
            return
        }
        _ = DNSName.read(in: message.bytes, at: question.nameOffset, into: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSClass(question.dnsClass)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSType(question.type)
    }

    /// `<owner> <class> <type> <ttl> <rdata>`.
    static func appendRecord<S: ByteSink>(_ record: DNSMessage.Record, in bytes: ByteCursor, to sink: inout S) {
        _ = DNSName.read(in: bytes, at: record.nameOffset, into: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSClass(record.dnsClass)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSType(record.type)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(record.ttl)
        sink.append(UInt8(ascii: " "))
        _ = DNSRdata.format(record.type, in: bytes, at: record.rdataOffset, length: record.rdataLength, into: &sink)
    }
}
