// MARK: - HTTPStatusCode

/// A three-digit status code as sent on a status line (000–999).
struct HTTPStatusCode: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }

    static let noContent = HTTPStatusCode(rawValue: 204)
    static let notModified = HTTPStatusCode(rawValue: 304)

    /// 1xx (interim) responses.
    var isInformational: Bool { rawValue >= 100 && rawValue < 200 }

    /// 1xx, 204 and 304 never carry a body (the spec's framing rule).
    var hasNoBody: Bool { isInformational || self == .noContent || self == .notModified }
}
