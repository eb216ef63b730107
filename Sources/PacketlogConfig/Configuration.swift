import PacketlogHost
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The keys

/// Every key of `plugins.conf`, its kind and built-in default. The host's
/// keys live in `[host]`; each module has a section named by its
/// `configSection` with the generic keys below plus its own options
/// (`ports`), which are handed to the module as text.
public enum ConfigSchema {
    public static let hostSection = "host"
    public static let defaultDirectory = "/var/log/packetlog"

    /// Module worker threads when nothing says otherwise: one (the capture
    /// thread reads and decodes while a worker runs the modules) when the
    /// process may use two or more CPUs, none on a single CPU.
    public static var defaultWorkers: Int { availableCPUs() >= 2 ? 1 : 0 }

    static let hostKeys: [KeySpec] = [
        KeySpec("interface", .interface, .none, unset: "the interface of the default route"),
        KeySpec("directory", .string, .string(defaultDirectory)),
        KeySpec("snaplen", .int(64...Int(Int32.max)), .int(262_144)),
        KeySpec("buffer_mb", .int(1...2047), .int(64)),
        KeySpec("filter", .optionalString, .none, unset: "only the modules' filters"),
        KeySpec("local_addresses", .addressList, .list(["auto"])),
        KeySpec("user", .user, .none, unset: "stay root"),
        KeySpec("stats_interval", .int(0...86_400), .int(0)),
        KeySpec("workers", .int(0...16), .int(defaultWorkers)),
        KeySpec("tcp_reassembly", .bool, .bool(true)),
        KeySpec("ip_defragmentation", .bool, .bool(true)),
        KeySpec("tcp_max_flows", .int(1...Int(Int32.max)), .int(TCPReassemblyLimits().maxFlows)),
        KeySpec("tcp_max_bytes_per_flow", .int(1...Int(Int32.max)), .int(TCPReassemblyLimits().maxBytesPerFlow)),
        KeySpec("tcp_max_total_bytes", .int(1...Int.max), .int(TCPReassemblyLimits().maxTotalBytes)),
        KeySpec("tcp_max_out_of_order_segments", .int(1...Int(Int32.max)), .int(TCPReassemblyLimits().maxOutOfOrderSegments)),
        KeySpec("tcp_idle_timeout", .int(1...86_400), .int(Int(TCPReassemblyLimits().idleTimeoutSeconds))),
        KeySpec("ip_max_datagrams", .int(1...Int(Int32.max)), .int(IPDefragmentationLimits().maxDatagrams)),
        KeySpec("ip_max_total_bytes", .int(1...Int.max), .int(IPDefragmentationLimits().maxTotalBytes)),
        KeySpec("ip_timeout", .int(1...3600), .int(Int(IPDefragmentationLimits().timeoutSeconds))),
    ]

    /// The keys every module section has (the host applies them).
    static func moduleKeys(_ descriptor: ModuleDescriptor) -> [KeySpec] {
        [
            KeySpec("enabled", .bool, .bool(false)),
            KeySpec("filter", .optionalString, .none, unset: "from the module's ports"),
            KeySpec("directory", .string, .string(defaultDirectory)),
            KeySpec("split", .bool, .bool(false)),
            KeySpec("rotation", .choice(["hourly", "daily", "minutely"]), .string(descriptor.rotation.rawValue)),
            KeySpec("file_mode", .fileMode, .string("0600")),
            KeySpec("compress", .bool, .bool(false)),
            KeySpec("retention_days", .int(0...36_500), .int(0)),
            KeySpec("retention_files", .int(0...1_000_000), .int(0)),
            KeySpec("rotate_hook", .optionalString, .none, unset: "none"),
        ]
    }

    /// Legacy variables of the Go `dnslog` (host key, or module section + key).
    static let legacyEnvironment: [(variable: String, section: String, key: String)] = [
        ("DNSLOG_DEVICE", hostSection, "interface"),
        ("DNSLOG_SNAPLEN", hostSection, "snaplen"),
        ("DNSLOG_BUFSIZE", hostSection, "buffer_mb"),
        ("DNSLOG_FILTER", hostSection, "filter"),
        ("DNSLOG_DIR", "dns", "directory"),
    ]

    /// `PACKETLOG_SNAPLEN`, `PACKETLOG_DNS_DIRECTORY`.
    public static func environmentName(section: String, key: String) -> String {
        let parts = section == hostSection ? [key] : [section, key]
        return "PACKETLOG_" + parts.joined(separator: "_").uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}

// MARK: - The result

/// One section's resolved settings, keys in schema order.
public struct ConfigSection: Sendable {
    public let name: String
    public internal(set) var keys: [String]
    public internal(set) var settings: [String: Setting]
    /// Keys whose "not set" means something (shown by --check-config).
    var unsetMeaning: [String: String] = [:]

    public subscript(key: String) -> Setting? { settings[key] }
    public func string(_ key: String) -> String? { settings[key]?.value.string }
    public func int(_ key: String) -> Int? { settings[key]?.value.int }
    public func bool(_ key: String) -> Bool? { settings[key]?.value.bool }
    public func list(_ key: String) -> [String]? { settings[key]?.value.list }
}

/// One module's settings: the generic keys and its own options.
public struct ModuleConfiguration: Sendable {
    public let descriptor: ModuleDescriptor
    public internal(set) var section: ConfigSection
    /// The module's own keys (`ports`), as given.
    public let optionKeys: [String]

    public var enabled: Bool { section.bool("enabled") ?? false }

    /// The options handed to `init(options:)`: the module's own keys that are set.
    public var options: ModuleOptions {
        var values: [String: String] = [:]
        for key in optionKeys { if let v = section.string(key) { values[key] = v } }
        return ModuleOptions(values: values)
    }

    /// The BPF filter replacing the module's own, if set.
    public var filterOverride: String? { section.string("filter") }

    /// The module's file policy.
    public var files: ModuleFiles {
        let days = section.int("retention_days") ?? 0, count = section.int("retention_files") ?? 0
        return ModuleFiles(stem: descriptor.fileStem,
                           rotation: RotationPeriod(rawValue: section.string("rotation") ?? "") ?? descriptor.rotation,
                           directory: section.string("directory") ?? ConfigSchema.defaultDirectory,
                           split: section.bool("split") ?? false,
                           fileMode: mode_t(section.string("file_mode") ?? "0600", radix: 8) ?? 0o600,
                           compress: section.bool("compress") ?? false,
                           retention: RetentionPolicy(maxAgeSeconds: days > 0 ? Int64(days) * 86_400 : nil,
                                                      maxFiles: count > 0 ? count : nil),
                           rotateHook: section.string("rotate_hook"))
    }
}

/// The effective configuration: built-in defaults, then the file, then the
/// environment, then the command line.
public struct Configuration: Sendable {
    /// The configuration file read, if any.
    public let file: String?
    /// How the file was chosen (`--config`, `PACKETLOG_CONFIG`, `search`).
    public let fileOrigin: String?
    public internal(set) var host: ConfigSection
    /// Every registered module, in registry order.
    public internal(set) var modules: [ModuleConfiguration]
    /// The modules to run, in order, and why.
    public internal(set) var selected: [String]
    public internal(set) var selectionSource: ConfigSource
    /// `PACKETLOG_*` variables that name no key (ignored).
    public internal(set) var ignoredEnvironment: [String]
    /// The file's text (to locate keys for messages).
    let fileText: String?

    public func module(named name: String) -> ModuleConfiguration? { modules.first { $0.descriptor.name == name } }

    public var reassemblyLimits: TCPReassemblyLimits {
        var l = TCPReassemblyLimits()
        l.maxFlows = host.int("tcp_max_flows") ?? l.maxFlows
        l.maxBytesPerFlow = host.int("tcp_max_bytes_per_flow") ?? l.maxBytesPerFlow
        l.maxTotalBytes = host.int("tcp_max_total_bytes") ?? l.maxTotalBytes
        l.maxOutOfOrderSegments = host.int("tcp_max_out_of_order_segments") ?? l.maxOutOfOrderSegments
        l.idleTimeoutSeconds = Int64(host.int("tcp_idle_timeout") ?? Int(l.idleTimeoutSeconds))
        return l
    }

    public var defragmentationLimits: IPDefragmentationLimits {
        var l = IPDefragmentationLimits()
        l.maxDatagrams = host.int("ip_max_datagrams") ?? l.maxDatagrams
        l.maxTotalBytes = host.int("ip_max_total_bytes") ?? l.maxTotalBytes
        l.timeoutSeconds = Int64(host.int("ip_timeout") ?? Int(l.timeoutSeconds))
        return l
    }

    /// A module's own complaint about one of its keys, placed where the
    /// value came from: `plugins.conf:14: [dns] ports: '0' is not a port number (1-65535)`.
    public func moduleError(_ module: ModuleConfiguration, key: String, message: String) -> ConfigError {
        let setting = module.section[key]
        return ConfigError(Self.place(setting?.source ?? .builtIn, section: module.section.name, key: key) + message)
    }

    /// A complaint about one of the `[host]` keys, placed where its value
    /// came from: `-f: libpcap rejects …`, `plugins.conf:9: [host] filter: …`.
    public func hostError(key: String, message: String) -> ConfigError {
        ConfigError(Self.place(host[key]?.source ?? .builtIn, section: host.name, key: key) + message)
    }

    /// The prefix of a message about `[section] key` from `source`.
    static func place(_ source: ConfigSource, section: String, key: String) -> String {
        switch source {
        case .file(let path, let line): return "\(path):\(line): [\(section)] \(key): "
        case .environment(let name): return "environment variable \(name): "
        case .commandLine(let option): return "\(option): "
        case .builtIn: return "[\(section)] \(key): "
        }
    }

    /// The `--check-config` text (without the compiled filter).
    public func render() -> String {
        var out: [String] = []
        out.append("# packetlog effective configuration (precedence: cli > env > file > default)")
        if let file { out.append("# config file: \(file) (\(fileOrigin ?? "given"))") } else {
            out.append("# config file: none found (/etc/packetlog/plugins.conf, ./plugins.conf): built-in defaults")
        }
        for name in ignoredEnvironment { out.append("# ignored: environment variable \(name) names no key") }
        out.append(Self.row("modules = " + ConfigValue.list(selected).description, selectionSource.description))
        let running = Set(selected.compactMap { name in module(named: name)?.section.name })
        for section in [host] + modules.map(\.section) {
            out.append("")
            var header = "[\(section.name)]"
            if section.name != host.name { header += running.contains(section.name) ? "  # runs" : "  # not run" }
            out.append(header)
            for key in section.keys {
                guard let s = section.settings[key] else { continue }
                var value = s.value.description
                if s.value == .none, let meaning = section.unsetMeaning[key] { value = "(not set: \(meaning))" }
                out.append(Self.row("\(key) = \(value)", s.source.description))
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func row(_ left: String, _ source: String) -> String {
        let pad = max(1, 44 - left.count)
        return left + String(repeating: " ", count: pad) + "# " + source
    }
}

// MARK: - Command-line values

/// What the user gave on the command line (nothing here is a default).
public struct CommandLineSettings: Sendable {
    public struct Value: Sendable {
        public var key: String
        public var value: ConfigValue
        public var option: String
        public init(_ key: String, _ value: ConfigValue, option: String) { self.key = key; self.value = value; self.option = option }
    }
    /// `--protocol` names, in order.
    public var protocols: [String] = []
    /// `[host]` keys (`-i`, `-s`, `-d`, ...).
    public var host: [Value] = []
    /// Keys set for every module (`--log-split`, `--file-mode`).
    public var allModules: [Value] = []
    public init() {}
}
