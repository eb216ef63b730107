import PacketlogHost

// MARK: - ServicePorts

/// A module's service ports, from its `ports` option ("53" or "80,8080").
public struct ServicePorts: Sendable {
    let first: UInt16
    let others: [UInt16]

    public init(_ ports: [UInt16]) {
        first = ports.first ?? 0
        others = Array(ports.dropFirst())
    }

    /// Parses a comma- or space-separated list; `default` when absent.
    public init(option: String?, key: String, default defaultPorts: [UInt16]) throws {
        guard let option else { self.init(defaultPorts); return }
        var ports: [UInt16] = []
        for part in option.split(whereSeparator: { $0 == "," || $0 == " " }) {
            // Digits only: `UInt16("+53")` would take a sign no port has.
            guard part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let port = UInt16(part), port > 0 else {
                throw ModuleConfigurationError(key: key, message: "'\(part)' is not a port number (1-65535)")
            }
            ports.append(port)
        }
        guard !ports.isEmpty else { throw ModuleConfigurationError(key: key, message: "no port given") }
        self.init(ports)
    }

    public var all: [UInt16] { [first] + others }

    public func contains(_ port: UInt16) -> Bool {
        if port == first { return true }
        if others.isEmpty { return false }
        return others.contains(port)
    }

    /// `port 53` or `(port 80 or port 8080)`.
    public var bpfFilter: String {
        let terms = all.map { "port \($0)" }
        return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " or ") + ")"
    }
}
