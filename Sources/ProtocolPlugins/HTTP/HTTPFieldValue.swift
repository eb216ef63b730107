// MARK: - HTTPFieldValue

/// One header field's value as it lies in the payload: from just after the
/// `:` to the end of the text of its last obs-fold continuation line. The
/// logical value is read through `Segments`: each line's text trimmed of
/// SP/HTAB, lines joined by one SP per fold, leading and trailing blanks gone.
struct HTTPFieldValue {
    /// Start of the raw value (just after the colon).
    var start: Int
    /// End of the raw value (the text end of the last line, CR excluded).
    var end: Int

    // MARK: Segments

    /// One non-empty trimmed line of the value and how many SPs go before it
    /// (0 for the first; one per fold since the previous non-empty line).
    struct Segment {
        var range: Range<Int>
        var spacesBefore: Int
    }

    /// Walks the value line by line without copying.
    struct Segments: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        let end: Int
        var position: Int
        var emittedAny = false
        var pendingFolds = 0
        var finished = false

        mutating func next() -> Segment? {
            while !finished {
                // The current line runs to the next LF inside the value, or to its end.
                var lineEnd = end
                var nextLine = end
                var i = position
                while i < end {
                    if bytes[i] == HTTPByte.lf { lineEnd = bytes.lineTextEnd(lineStart: position, lineFeed: i); nextLine = i &+ 1; break }
                    i &+= 1
                }
                if i >= end { finished = true }
                var low = position
                var high = lineEnd
                while low < high, HTTPByte.isBlank(bytes[low]) { low &+= 1 }
                while high > low, HTTPByte.isBlank(bytes[high &- 1]) { high &-= 1 }
                let spaces = pendingFolds
                position = nextLine
                pendingFolds &+= 1
                if low < high {
                    let first = !emittedAny
                    emittedAny = true
                    pendingFolds = 1
                    return Segment(range: low..<high, spacesBefore: first ? 0 : spaces)
                }
            }
            return nil
        }
    }

    /// The value's non-empty trimmed lines.
    func segments(in bytes: UnsafeRawBufferPointer) -> Segments {
        let clampedEnd = Swift.min(Swift.max(end, 0), bytes.count)
        return Segments(bytes: bytes, end: clampedEnd, position: Swift.min(Swift.max(start, 0), clampedEnd))
    }

    // MARK: Questions the framing and the formatter ask

    /// The logical value is empty (written `-`).
    func isEmpty(in bytes: UnsafeRawBufferPointer) -> Bool {
        var walk = segments(in: bytes)
        return walk.next() == nil
    }

    /// The logical value is exactly `-` (written `\045`).
    func isDash(in bytes: UnsafeRawBufferPointer) -> Bool {
        var walk = segments(in: bytes)
        guard let only = walk.next(), walk.next() == nil else { return false }
        return only.range.count == 1 && bytes[only.range.lowerBound] == HTTPByte.dash
    }

    /// The value as a number when it is plain digits; `nil` otherwise (or when
    /// it does not fit 63 bits, which no segment could hold anyway).
    func plainDigits(in bytes: UnsafeRawBufferPointer) -> Int? {
        var walk = segments(in: bytes)
        guard let only = walk.next(), walk.next() == nil else { return nil }
        var value = 0
        for i in only.range {
            let b = bytes[i]
            guard HTTPByte.isDigit(b) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b &- 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// The last element of the comma-separated value is `chunked`
    /// (case-insensitive), as in `Transfer-Encoding: gzip, chunked`.
    /// Folded lines join with one space, so the last element can begin in
    /// an earlier line (`gzip,` / ` chunked`): it is `chunked` only when
    /// its part there is blank.
    func endsInChunked(in bytes: UnsafeRawBufferPointer) -> Bool {
        /// Where the text after the last comma of `range` starts, if it has one.
        func afterLastComma(_ range: Range<Int>) -> Int? {
            var i = range.upperBound
            while i > range.lowerBound { if bytes[i &- 1] == HTTPByte.comma { return i }; i &-= 1 }
            return nil
        }
        func isBlank(_ range: Range<Int>) -> Bool { range.allSatisfy { HTTPByte.isBlank(bytes[$0]) } }
        var walk = segments(in: bytes)
        var last: Segment? = nil
        // The last element's bytes in the lines before `last` are all blank.
        var earlierPartBlank = true
        while let segment = walk.next() {
            if let previous = last {
                if let start = afterLastComma(previous.range) {
                    earlierPartBlank = isBlank(start..<previous.range.upperBound)
                } else {
                    earlierPartBlank = earlierPartBlank && isBlank(previous.range)
                }
            }
            last = segment
        }
        guard let last else { return false }
        var low = last.range.lowerBound
        var high = last.range.upperBound
        if let start = afterLastComma(last.range) {
            low = start
        } else if !earlierPartBlank {
            return false
        }
        while low < high, HTTPByte.isBlank(bytes[low]) { low &+= 1 }
        while high > low, HTTPByte.isBlank(bytes[high &- 1]) { high &-= 1 }
        return HTTPFieldName.equalsIgnoringCase(bytes, low..<high, "chunked")
    }
}
