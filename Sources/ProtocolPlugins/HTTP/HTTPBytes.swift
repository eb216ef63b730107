// MARK: - Byte classes

/// The byte classes of RFC 9110/9112 that the HTTP scanner needs, as plain
/// functions over `UInt8` (no tables, no allocation).
enum HTTPByte {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let dash = UInt8(ascii: "-")
    static let backslash = UInt8(ascii: "\\")

    /// SP or HTAB (the spec's whitespace for trimming and obs-fold).
    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// The value of a hex digit, or `nil`.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let lower = b | 0x20
        if lower &- 0x61 < 6 { return lower &- 0x61 &+ 10 }
        return nil
    }

    /// RFC 9110 `tchar`: `!#$%&'*+-.^_`|~`, digits and letters.
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}

// MARK: - Searching a payload

extension UnsafeRawBufferPointer {
    /// The index of the first LF at or after `start`, or `nil`.
    @inline(__always)
    func indexOfLineFeed(from start: Int) -> Int? {
        var i = Swift.max(start, 0)
        while i < count {
            if self[i] == HTTPByte.lf { return i }
            i &+= 1
        }
        return nil
    }

    /// The end of the text of the line whose LF is at `lf`: one CR right
    /// before the LF is dropped (the spec's line rule).
    @inline(__always)
    func lineTextEnd(lineStart: Int, lineFeed lf: Int) -> Int {
        (lf > lineStart && self[lf &- 1] == HTTPByte.cr) ? lf &- 1 : lf
    }
}
