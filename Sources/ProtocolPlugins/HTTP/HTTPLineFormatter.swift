import PacketlogHost

// MARK: - HTTPLineFormatter

/// Writes the fields after `<kind> ` of an HTTP line (spec "HTTP/1.x"):
///
///     <method> <target> <version> <host> <user-agent>
///     <version> <code>[ <reason>] <content-length> <content-type>
///
/// Every packet byte goes through `appendEscaped`, so a line holds only
/// bytes 0x20–0x7E and no packet can split or forge a line.
enum HTTPLineFormatter {
    /// How a packet-derived field is escaped.
    enum FieldStyle {
        /// Method, target, host, content-length, content-type: no space.
        case token
        /// User-agent, reason phrase: a space stays a space.
        case freeText
    }

    static func appendBody(_ head: HTTPMessageHead, from bytes: UnsafeRawBufferPointer, to buffer: inout LineBuffer) {
        let fields = head.headerBlock.fields
        switch head.startLine {
        case .request(let method, let target, let version):
            appendEscaped(bytes, method, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            appendEscaped(bytes, target, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            appendEscaped(bytes, version, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            appendField(fields.host, from: bytes, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            appendField(fields.userAgent, from: bytes, style: .freeText, to: &buffer)
        case .status(let version, let code, let reason):
            appendEscaped(bytes, version, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            buffer.appendDecimal(code.rawValue, width: 3)
            if !reason.isEmpty {
                buffer.append(HTTPByte.space)
                appendEscaped(bytes, reason, style: .freeText, to: &buffer)
            }
            buffer.append(HTTPByte.space)
            appendField(fields.contentLength, from: bytes, style: .token, to: &buffer)
            buffer.append(HTTPByte.space)
            appendField(fields.contentType, from: bytes, style: .token, to: &buffer)
        }
    }

    // MARK: Field values

    /// A field value: `-` when absent or empty, `\045` when exactly `-`,
    /// else its trimmed lines joined by one SP per obs-fold, escaped.
    static func appendField(_ value: HTTPFieldValue?, from bytes: UnsafeRawBufferPointer, style: FieldStyle, to buffer: inout LineBuffer) {
        guard let value else { buffer.append(HTTPByte.dash); return }
        var segments = value.segments(in: bytes)
        guard var segment = segments.next() else { buffer.append(HTTPByte.dash); return }
        if value.isDash(in: bytes) { buffer.append("\\045"); return }
        while true {
            for _ in 0..<segment.spacesBefore { appendEscapedByte(HTTPByte.space, style: style, to: &buffer) }
            appendEscaped(bytes, segment.range, style: style, to: &buffer)
            guard let following = segments.next() else { return }
            segment = following
        }
    }

    // MARK: Escaping

    /// `bytes[range]` with `\` as `\\` and every byte outside 0x21–0x7E as
    /// `\DDD` (a space too, unless `style` is `.freeText`). Runs of plain
    /// bytes are copied in one piece.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, style: FieldStyle, to buffer: inout LineBuffer) {
        let low = Swift.max(range.lowerBound, 0)
        let high = Swift.min(range.upperBound, bytes.count)
        guard low < high else { return }
        var runStart = low
        var i = low
        while i < high {
            let b = bytes[i]
            if isPlain(b, style: style) { i &+= 1; continue }
            if runStart < i { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            appendEscapedByte(b, style: style, to: &buffer)
            i &+= 1
            runStart = i
        }
        if runStart < high { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<high])) }
    }

    @inline(__always)
    static func isPlain(_ b: UnsafeRawBufferPointer.Element, style: FieldStyle) -> Bool {
        if b == HTTPByte.backslash { return false }
        if b == HTTPByte.space { return style == .freeText }
        return b >= 0x21 && b <= 0x7E
    }

    @inline(__always)
    static func appendEscapedByte(_ b: UInt8, style: FieldStyle, to buffer: inout LineBuffer) {
        if isPlain(b, style: style) {
            buffer.append(b)
        } else if b == HTTPByte.backslash {
            buffer.append(HTTPByte.backslash); buffer.append(HTTPByte.backslash)
        } else {
            buffer.appendDecimalEscape(b)
        }
    }
}
