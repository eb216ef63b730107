import PacketlogHost

// MARK: - DNS line formatting

/// Writes the spec's DNS line for a message, walking it once with
/// `DNSMessageReader` (parsing and validation live there): the parts the
/// line shows are read straight into the line, the rest is only validated.
public enum DNSLineFormatter {
    /// `<id> <code> <body>[ T]` — everything after the kind field. Returns
    /// `false` when the message is not well-formed; what was written is then
    /// garbage the caller must discard.
    public static func appendBody<S: ByteSink>(_ reader: inout DNSMessageReader, overTCP: Bool, to sink: inout S) -> Bool {
        let header = reader.header
        var discard = DiscardingSink()
        // `<ID> <code> ` and, for a response, `<qd>/<an>/<ns>/<ar> `: one
        // reservation (the code is 0–15, so always two digits).
        sink.appendWithReservedCapacity(8 + 4 * 6) { p in
            let id = header.id
            p[0] = hexDigitUpper(UInt8(truncatingIfNeeded: id >> 12) & 0x0F)
            p[1] = hexDigitUpper(UInt8(truncatingIfNeeded: id >> 8) & 0x0F)
            p[2] = hexDigitUpper(UInt8(truncatingIfNeeded: id >> 4) & 0x0F)
            p[3] = hexDigitUpper(UInt8(truncatingIfNeeded: id) & 0x0F)
            p[4] = UInt8(ascii: " ")
            let code = UInt8(truncatingIfNeeded: header.isResponse ? header.rcode : header.opcode)
            p[5] = 48 &+ code / 10
            p[6] = 48 &+ code % 10
            p[7] = UInt8(ascii: " ")
            guard header.isResponse else { return 8 }
            let qd = header.questionCount, an = header.answerCount, ns = header.authorityCount, ar = header.additionalCount
            if qd < 10, an < 10, ns < 10, ar < 10 {
                // The usual response: `q/a/n/r ` as one word (eight digits and separators).
                let word = 0x2030_2F30_2F30_2F30 | UInt64(qd) | UInt64(an) << 16 | UInt64(ns) << 32 | UInt64(ar) << 48
                UnsafeMutableRawPointer(p + 8).storeBytes(of: word.littleEndian, as: UInt64.self)
                return 16
            }
            var o = 8
            for (index, count) in [header.questionCount, header.answerCount, header.authorityCount, header.additionalCount].enumerated() {
                o &+= writeDecimal16(count, to: p + o)
                p[o] = index == 3 ? UInt8(ascii: " ") : UInt8(ascii: "/")
                o &+= 1
            }
            return o
        }

        // Questions: the first one is the body of a query and of an answerless response.
        let showsQuestion = !header.isResponse || header.answerCount == 0
        if header.questionCount == 0 {
            if showsQuestion { sink.appendLiteral("- - -") }
        } else {
            if showsQuestion {
                guard let question = reader.readQuestion(nameInto: &sink) else { return false }
                sink.append(UInt8(ascii: " "))
                sink.appendDNSClass(question.dnsClass)
                sink.append(UInt8(ascii: " "))
                sink.appendDNSType(question.type)
            } else {
                guard reader.readQuestion(nameInto: &discard) != nil else { return false }
            }
            for _ in 1..<Int(header.questionCount) {
                guard reader.readQuestion(nameInto: &discard) != nil else { return false }
            }
        }

        // Records: a response shows its first answer and, after a CNAME, the
        // first later A or AAAA answer; everything else is only validated.
        var read = 0
        if header.isResponse, header.answerCount > 0 {
            guard let answer = reader.readRecordHeader(nameInto: &sink) else { return false }
            appendFixedFields(answer, to: &sink)
            guard reader.readRdata(of: answer, into: &sink) else { return false }
            read = 1
            if answer.type == .cname {
                while read < Int(header.answerCount) {
                    guard let record = reader.readRecordHeader(nameInto: &discard) else { return false }
                    read &+= 1
                    if record.type == .a || record.type == .aaaa {
                        guard appendAddressAfterCNAME(record, reader: &reader, to: &sink) else { return false }
                        break
                    }
                    guard reader.readRdata(of: record, into: &discard) else { return false }
                }
            }
        }
        guard reader.skipRecords(header.recordCount &- read) else { return false }
        if overTCP { sink.appendLiteral(" T") }
        return true
    }

    /// ` <class> <type> <ttl> ` between the first answer's owner and rdata.
    static func appendFixedFields<S: ByteSink>(_ record: DNSRecord, to sink: inout S) {
        sink.append(UInt8(ascii: " "))
        sink.appendDNSClass(record.dnsClass)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSType(record.type)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(record.ttl)
        sink.append(UInt8(ascii: " "))
    }

    /// ` (<name> <ttl> <class> <type> <rdata>)`; reads the record's rdata.
    static func appendAddressAfterCNAME<S: ByteSink>(_ record: DNSRecord, reader: inout DNSMessageReader, to sink: inout S) -> Bool {
        sink.appendLiteral(" (")
        // The owner was validated when the record was read; this prints it.
        _ = DNSName.read(in: reader.message, at: record.nameOffset, into: &sink)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(record.ttl)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSClass(record.dnsClass)
        sink.append(UInt8(ascii: " "))
        sink.appendDNSType(record.type)
        sink.append(UInt8(ascii: " "))
        guard reader.readRdata(of: record, into: &sink) else { return false }
        sink.append(UInt8(ascii: ")"))
        return true
    }
}
