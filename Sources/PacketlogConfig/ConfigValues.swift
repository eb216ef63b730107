import PacketlogHost
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Where a value came from

/// The layer a setting's value came from. Precedence, highest first:
/// command line, environment, file, built-in default.
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    case builtIn
    case file(String, line: Int)
    case environment(String)
    case commandLine(String)

    public var description: String {
        switch self {
        case .builtIn: return "default"
        case .file(let path, let line): return "file \(path):\(line)"
        case .environment(let name): return "env \(name)"
        case .commandLine(let option): return "cli \(option)"
        }
    }

    /// 0 default, 1 file, 2 environment, 3 command line.
    public var rank: Int {
        switch self {
        case .builtIn: return 0
        case .file: return 1
        case .environment: return 2
        case .commandLine: return 3
        }
    }
}

// MARK: - Values

/// A validated setting value.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case none
    case string(String)
    case int(Int)
    case bool(Bool)
    case list([String])

    /// TOML-like text (`"eth0"`, `64`, `true`, `["auto"]`); `(not set)` for none.
    public var description: String {
        switch self {
        case .none: return "(not set)"
        case .string(let s): return quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .list(let l): return "[" + l.map(quote).joined(separator: ", ") + "]"
        }
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int? { if case .int(let i) = self { return i }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var list: [String]? { if case .list(let l) = self { return l }; return nil }
}

/// One resolved setting: its value and where the value came from.
public struct Setting: Sendable, Equatable {
    public var value: ConfigValue
    public var source: ConfigSource
    public init(_ value: ConfigValue, _ source: ConfigSource) { self.value = value; self.source = source }
}

/// A configuration problem: one line naming where (file:line, variable or
/// option), the key and what is expected. Printed after `packetlog: error: `.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A string in TOML basic-string form.
func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

// MARK: - Raw input

/// A value as the user wrote it, before validation: from TOML (typed) or
/// from an environment variable or option (text, parsed per key).
indirect enum RawValue {
    case text(String)          // environment / command line: parsed by the key's kind
    case string(String)
    case int(Int)
    case bool(Bool)
    case double(String)
    case array([RawValue])
    case table
    case other(String)         // date, time: their type name

    /// `"weekly"`, `12`, `true`, `an array`, `a table`.
    var shown: String {
        switch self {
        case .text(let s), .string(let s): return quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return d
        case .array: return "an array"
        case .table: return "a table"
        case .other(let type): return "a \(type)"
        }
    }
}

// MARK: - Keys

/// How a key's value is checked and converted.
enum KeyKind {
    /// A non-empty string.
    case string
    /// A string; empty or absent: not set.
    case optionalString
    /// An integer in a range.
    case int(ClosedRange<Int>)
    case bool
    /// One of a few words.
    case choice([String])
    /// An octal file mode as a string ("0600").
    case fileMode
    /// A list of "auto" and addresses / CIDR prefixes.
    case addressList
    /// An interface name (a string, or an array of one).
    case interface
    /// An existing user name.
    case user
    /// A module's own option, handed over as text (strings, integers,
    /// booleans, arrays of them joined with ",").
    case moduleOption
}

struct KeySpec {
    let name: String
    let kind: KeyKind
    let defaultValue: ConfigValue
    /// Shown next to a default that is not set (`the module's default`).
    let unsetMeaning: String?
    init(_ name: String, _ kind: KeyKind, _ defaultValue: ConfigValue, unset: String? = nil) {
        self.name = name; self.kind = kind; self.defaultValue = defaultValue; self.unsetMeaning = unset
    }
}

extension KeySpec {
    /// Converts and checks a raw value; the error is the message after `key: `.
    func convert(_ raw: RawValue) -> Result<ConfigValue, ConfigError> {
        func fail(_ expected: String) -> Result<ConfigValue, ConfigError> {
            .failure(ConfigError("expected \(expected), got \(raw.shown)"))
        }
        switch kind {
        case .string, .optionalString:
            guard case .string(let s) = raw.typed(asText: true) else { return fail("a string") }
            if s.isEmpty {
                if case .optionalString = kind { return .success(.none) }
                return fail("a non-empty string")
            }
            if s.contains("\0") { return fail("a string without NUL") }
            return .success(.string(s))
        case .int(let range):
            var value: Int?
            switch raw {
            case .int(let i): value = i
            case .text(let t): value = Int(t.trimmedSpaces)
            default: return fail(range.upperBound == Int.max ? "an integer" : "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            guard let value, range.contains(value) else {
                return fail(range.upperBound == Int.max ? "an integer of at least \(range.lowerBound)"
                                                        : "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return .success(.int(value))
        case .bool:
            switch raw {
            case .bool(let b): return .success(.bool(b))
            case .text(let t):
                switch t.trimmedSpaces.lowercased() {
                case "true", "yes", "on", "1": return .success(.bool(true))
                case "false", "no", "off", "0": return .success(.bool(false))
                default: return fail("true or false")
                }
            default: return fail("true or false")
            }
        case .choice(let words):
            let quoted = words.map(quote)
            let expected = quoted.count > 2 ? quoted.dropLast().joined(separator: ", ") + " or " + quoted.last! : quoted.joined(separator: " or ")
            guard case .string(let s) = raw.typed(asText: true), words.contains(s) else { return fail(expected) }
            return .success(.string(s))
        case .fileMode:
            guard case .string(let s) = raw.typed(asText: true), !s.isEmpty, s.count <= 5,
                  s.allSatisfy({ ("0"..."7").contains($0) }), let mode = Int(s, radix: 8), mode <= 0o7777 else {
                return fail("an octal mode in quotes, like \"0600\"")
            }
            return .success(.string(s))
        case .addressList:
            var items: [String] = []
            switch raw {
            case .text(let t): items = t.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            case .string(let s): items = [s]
            case .array(let elements):
                for element in elements {
                    guard case .string(let s) = element else {
                        return .failure(ConfigError("expected a list of strings (\"auto\" or addresses), got \(element.shown) in the list"))
                    }
                    items.append(s)
                }
            default: return fail("a list of \"auto\" and addresses or CIDR prefixes")
            }
            for item in items where item != "auto" {
                var probe = LocalAddressSet()
                if (try? probe.add(item)) == nil {
                    return .failure(ConfigError("expected \"auto\" or an address or CIDR prefix, got \(quote(item))"))
                }
            }
            return .success(.list(items))
        case .interface:
            var name: String?
            switch raw {
            case .text(let s), .string(let s): name = s
            case .array(let elements):
                if elements.count > 1 {
                    return .failure(ConfigError("one interface per process: use \"any\" for all of them, or run one packetlog per interface"))
                }
                if case .string(let s)? = elements.first { name = s }
            default: break
            }
            guard let name else { return fail("an interface name (a string)") }
            if name.isEmpty { return .success(.none) }
            guard name.utf8.count < 256, !name.contains("/"), !name.contains(" ") else { return fail("an interface name") }
            return .success(.string(name))
        case .user:
            guard case .string(let s) = raw.typed(asText: true) else { return fail("a user name (a string)") }
            if s.isEmpty { return .success(.none) }
            guard getpwnam(s) != nil else {
                return .failure(ConfigError("no such user \(quote(s)): create it (useradd --system \(s)) or name another"))
            }
            return .success(.string(s))
        case .moduleOption:
            func text(_ v: RawValue) -> String? {
                switch v {
                case .text(let s), .string(let s): return s
                case .int(let i): return String(i)
                case .bool(let b): return b ? "true" : "false"
                case .double(let d): return d
                default: return nil
                }
            }
            if case .array(let elements) = raw {
                var parts: [String] = []
                for element in elements {
                    guard let t = text(element) else { return fail("a string, a number or a list of them") }
                    parts.append(t)
                }
                return .success(.string(parts.joined(separator: ",")))
            }
            guard let t = text(raw) else { return fail("a string, a number or a list of them") }
            return .success(.string(t))
        }
    }
}

extension RawValue {
    /// Text from the environment or command line stands for a string.
    func typed(asText: Bool) -> RawValue {
        if case .text(let s) = self { return .string(s) }
        return self
    }
}

extension StringProtocol {
    var trimmedSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
