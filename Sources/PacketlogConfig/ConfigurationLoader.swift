import PacketlogHost
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

// MARK: - ConfigurationLoader

/// Reads `plugins.conf`, the environment and the command line into one
/// `Configuration`, validating every key of every layer. Any problem is one
/// `ConfigError` naming the file and line (or variable, or option) and key.
public struct ConfigurationLoader {
    /// The registered modules (their names, sections and defaults).
    public var modules: [ModuleDescriptor]
    /// A module's own keys, handed to it as text. Default: `ports`.
    public var optionKeys: (ModuleDescriptor) -> [String] = { _ in ["ports"] }
    public var environment: [String: String] = [:]
    public var commandLine = CommandLineSettings()
    /// `--config PATH`: must exist.
    public var configPath: String?
    /// Tried in order when neither `--config` nor `PACKETLOG_CONFIG` is given; absent = defaults.
    public var searchPaths = ["/etc/packetlog/plugins.conf", "plugins.conf"]

    public init(modules: [ModuleDescriptor]) { self.modules = modules }

    /// Finds and reads the file, then resolves every layer.
    public func load() throws(ConfigError) -> Configuration {
        var path: String?, origin: String?
        if let configPath {
            path = configPath; origin = "--config"
        } else if let fromEnvironment = environment["PACKETLOG_CONFIG"], !fromEnvironment.isEmpty {
            path = fromEnvironment; origin = "PACKETLOG_CONFIG"
        }
        if let path {
            guard access(path, F_OK) == 0 else {
                throw ConfigError("cannot read config file '\(path)' (\(origin!)): no such file")
            }
        } else {
            for candidate in searchPaths where access(candidate, F_OK) == 0 {
                path = candidate; origin = "found by search"; break
            }
        }
        guard let path else { return try resolve(text: nil, path: nil, origin: nil) }
        // A directory opens and reads as empty on Linux: it would silently
        // mean "no settings".
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw ConfigError("cannot read config file '\(path)' (\(origin ?? "found by search")): it is a directory; give the file itself, e.g. --config \(path.hasSuffix("/") ? path : path + "/")plugins.conf")
        }
        let text: String
        do { text = try readFile(path) } catch {
            throw ConfigError("cannot read config file '\(path)': \(String(cString: strerror(errno)))")
        }
        return try resolve(text: text, path: path, origin: origin)
    }

    /// Resolves the layers with `text` as the file's contents (`nil`: no file).
    public func resolve(text: String?, path: String?, origin: String? = "given") throws(ConfigError) -> Configuration {
        try checkRegistry()
        let shownPath = path.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 } ?? "plugins.conf"

        // Defaults.
        var host = ConfigSection(name: ConfigSchema.hostSection, keys: [], settings: [:])
        for spec in ConfigSchema.hostKeys {
            host.keys.append(spec.name)
            host.settings[spec.name] = Setting(spec.defaultValue, .builtIn)
            if let m = spec.unsetMeaning { host.unsetMeaning[spec.name] = m }
        }
        var sections: [ModuleConfiguration] = modules.map { d in
            var s = ConfigSection(name: d.configSection, keys: [], settings: [:])
            for spec in specs(for: d) {
                s.keys.append(spec.name)
                s.settings[spec.name] = Setting(spec.defaultValue, .builtIn)
                if let m = spec.unsetMeaning { s.unsetMeaning[spec.name] = m }
            }
            return ModuleConfiguration(descriptor: d, section: s, optionKeys: optionKeys(d))
        }
        // Module directories given explicitly (else the host's applies).
        var explicitDirectory: [String: Setting] = [:]

        func specFor(_ section: String, _ key: String) -> KeySpec? {
            if section == ConfigSchema.hostSection { return ConfigSchema.hostKeys.first { $0.name == key } }
            guard let d = modules.first(where: { $0.configSection == section }) else { return nil }
            return specs(for: d).first { $0.name == key }
        }
        func set(_ section: String, _ key: String, _ setting: Setting) {
            if section == ConfigSchema.hostSection {
                host.settings[key] = setting
            } else if let i = sections.firstIndex(where: { $0.section.name == section }) {
                if key == "directory" { explicitDirectory[section] = setting }
                sections[i].section.settings[key] = setting
            }
        }

        // The file.
        if let text {
            let locator = KeyLocator(text: text)
            // TOMLKit reads the text as a C string: whatever follows a NUL
            // would be ignored without a word (sections, keys, mistakes).
            if let nul = text.utf8.firstIndex(of: 0) {
                let line = text.utf8[..<nul].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
                throw ConfigError("\(shownPath):\(line): a NUL byte; a configuration file is text (TOML): remove it")
            }
            let table: TOMLTable
            do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
                throw ConfigError("\(shownPath):\(error.source.begin.line): \(error.description)")
            } catch {
                throw ConfigError("\(shownPath): \(error)")
            }
            let known = [ConfigSchema.hostSection] + modules.map(\.configSection)
            // Sections and keys in the order they appear in the file, so the
            // first problem reported is the first in the file.
            var entries: [(line: Int, section: String, key: String?, value: TOMLValueConvertible)] = []
            for name in table.keys {
                guard let value = table[name] else { continue }
                guard let inner = value.table else {
                    entries.append((locator.line(section: nil, key: name), "", name, value))
                    continue
                }
                entries.append((locator.line(section: name, key: nil), name, nil, value))
                for key in inner.keys {
                    guard let v = inner[key] else { continue }
                    entries.append((locator.line(section: name, key: key), name, key, v))
                }
            }
            entries.sort { $0.line < $1.line }
            for entry in entries {
                let place = "\(shownPath):\(entry.line): "
                guard let key = entry.key else {
                    if !known.contains(entry.section) {
                        throw ConfigError(place + "unknown section [\(entry.section)] (known: \(known.map { "[\($0)]" }.joined(separator: ", ")))")
                    }
                    continue
                }
                if entry.section.isEmpty {
                    throw ConfigError(place + "\(key): a key outside any section: put it under [host] or a module's section")
                }
                guard known.contains(entry.section) else { continue }  // reported at its header
                guard let spec = specFor(entry.section, key) else {
                    let names = entry.section == ConfigSchema.hostSection ? ConfigSchema.hostKeys.map(\.name)
                        : specs(for: modules.first { $0.configSection == entry.section }!).map(\.name)
                    throw ConfigError(place + "[\(entry.section)] \(key): unknown key (known: \(names.joined(separator: ", ")))")
                }
                switch spec.convert(RawValue(entry.value)) {
                case .success(let value): set(entry.section, key, Setting(value, .file(shownPath, line: entry.line)))
                case .failure(let error): throw ConfigError(place + "[\(entry.section)] \(key): \(error.description)")
                }
            }
        }

        // The environment: legacy names first, so PACKETLOG_* wins.
        var consumed: Set<String> = []
        var environmentLayer: [(variable: String, section: String, key: String)] = []
        for legacy in ConfigSchema.legacyEnvironment where environment[legacy.variable] != nil {
            if legacy.section == ConfigSchema.hostSection || modules.contains(where: { $0.configSection == legacy.section }) {
                environmentLayer.append(legacy)
            }
        }
        for spec in ConfigSchema.hostKeys {
            environmentLayer.append((ConfigSchema.environmentName(section: ConfigSchema.hostSection, key: spec.name), ConfigSchema.hostSection, spec.name))
        }
        for d in modules {
            for spec in specs(for: d) {
                environmentLayer.append((ConfigSchema.environmentName(section: d.configSection, key: spec.name), d.configSection, spec.name))
            }
        }
        for entry in environmentLayer {
            guard let text = environment[entry.variable], let spec = specFor(entry.section, entry.key) else { continue }
            consumed.insert(entry.variable)
            switch spec.convert(.text(text)) {
            case .success(let value): set(entry.section, entry.key, Setting(value, .environment(entry.variable)))
            case .failure(let error): throw ConfigError("environment variable \(entry.variable): \(error.description)")
            }
        }
        consumed.insert("PACKETLOG_CONFIG")
        let ignored = environment.keys.filter { $0.hasPrefix("PACKETLOG_") && !consumed.contains($0) && $0 != "PACKETLOG_BINARY" }.sorted()

        // The command line.
        for value in commandLine.host {
            guard let spec = specFor(ConfigSchema.hostSection, value.key) else { continue }
            switch spec.convert(RawValue(value.value)) {
            case .success(let v): set(ConfigSchema.hostSection, value.key, Setting(v, .commandLine(value.option)))
            case .failure(let error): throw ConfigError("\(value.option): \(error.description)")
            }
        }
        for value in commandLine.allModules {
            for d in modules {
                guard let spec = specFor(d.configSection, value.key) else { continue }
                switch spec.convert(RawValue(value.value)) {
                case .success(let v): set(d.configSection, value.key, Setting(v, .commandLine(value.option)))
                case .failure(let error): throw ConfigError("\(value.option): \(error.description)")
                }
            }
        }

        // A module's directory: its own if given at the same or a higher
        // level than the host's, else the host's.
        let hostDirectory = host.settings["directory"]!
        for i in sections.indices {
            let name = sections[i].section.name
            if let own = explicitDirectory[name], own.source.rank >= hostDirectory.source.rank { continue }
            sections[i].section.settings["directory"] = hostDirectory
        }

        // Which modules run.
        var selected: [String], selectionSource: ConfigSource
        if !commandLine.protocols.isEmpty {
            selected = commandLine.protocols; selectionSource = .commandLine("--protocol")
        } else {
            let enabled = sections.filter(\.enabled)
            selected = enabled.map(\.descriptor.name)
            selectionSource = enabled.map { $0.section["enabled"]!.source }.max { $0.rank < $1.rank } ?? .builtIn
        }
        return Configuration(file: path.map { _ in shownPath }, fileOrigin: origin, host: host, modules: sections,
                             selected: selected, selectionSource: selectionSource, ignoredEnvironment: ignored, fileText: text)
    }

    func specs(for descriptor: ModuleDescriptor) -> [KeySpec] {
        var all = ConfigSchema.moduleKeys(descriptor)
        let generic = Set(all.map(\.name))
        for key in optionKeys(descriptor) where !generic.contains(key) {
            all.insert(KeySpec(key, .moduleOption, .none, unset: "the module's default"), at: 1)
        }
        return all
    }

    /// The registry must name each module and section once, and no module may be called `host`.
    func checkRegistry() throws(ConfigError) {
        var names: Set<String> = [], sections: Set<String> = [ConfigSchema.hostSection]
        for d in modules {
            guard names.insert(d.name).inserted else {
                throw ConfigError("two modules in the registry are named '\(d.name)' (Sources/ProtocolPlugins/ModuleRegistry.swift): each module needs its own name")
            }
            guard sections.insert(d.configSection).inserted else {
                throw ConfigError("module '\(d.name)' uses the config section [\(d.configSection)], which \(d.configSection == ConfigSchema.hostSection ? "is the host's" : "another module uses"): give it its own configSection")
            }
        }
    }
}

extension ConfigSource {
    var line: Int? { if case .file(_, let line) = self { return line }; return nil }
}

extension RawValue {
    init(_ value: TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .int(value.int ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .double: self = .double(String(value.double ?? 0))
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { RawValue($0) })
        case .table: self = .table
        case .date: self = .other("date")
        case .time: self = .other("time")
        case .dateTime: self = .other("date-time")
        }
    }

    init(_ value: ConfigValue) {
        switch value {
        case .none: self = .text("")
        case .string(let s): self = .text(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .bool(b)
        case .list(let l): self = .array(l.map { .string($0) })
        }
    }
}

// MARK: - Locating keys in the text

/// Finds the line of a section header or of a key (TOMLKit gives positions
/// only for parse errors).
struct KeyLocator {
    let lines: [Substring]
    /// Lines end in LF or CRLF (a Swift `Character` holds "\r\n" as one).
    init(text: String) { lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) }

    /// The line (1-based) of `[section]` (key nil) or of `key =` in that
    /// section (section nil: before any header). Falls back to the header, then 1.
    func line(section: String?, key: String?) -> Int {
        var current: String? = nil
        var headerLine: Int?
        for (index, raw) in lines.enumerated() {
            let t = raw.trimmedSpaces
            if t.hasPrefix("[") {
                current = Self.headerName(t)
                if current == section, headerLine == nil { headerLine = index + 1; if key == nil { return index + 1 } }
                continue
            }
            guard let key else { continue }
            if current == section, Self.assigns(t, key) { return index + 1 }
            // Dotted keys: `dns.enabled = true` before any header, or an inline table.
            if current == nil, let section, Self.assigns(t, section + "." + key) { return index + 1 }
        }
        if let headerLine { return headerLine }
        if let section, key == nil {
            for (index, raw) in lines.enumerated() where Self.assigns(raw.trimmedSpaces, section) { return index + 1 }
        }
        if let section, let key {
            for (index, raw) in lines.enumerated() {
                let t = raw.trimmedSpaces
                if Self.assigns(t, section), t.contains(key) { return index + 1 }
                if Self.assigns(t, section + "." + key) { return index + 1 }
            }
        }
        return 1
    }

    static func headerName(_ t: String) -> String {
        var s = Substring(t)
        while s.first == "[" { s = s.dropFirst() }
        if let end = s.firstIndex(of: "]") { s = s[..<end] }
        var name = s.trimmedSpaces
        if name.count >= 2, let f = name.first, f == "\"" || f == "'", name.last == f { name = String(name.dropFirst().dropLast()) }
        return name
    }

    /// Whether `t` is `key = ...` (bare or quoted key).
    static func assigns(_ t: String, _ key: String) -> Bool {
        for form in [key, "\"\(key)\"", "'\(key)'"] where t.hasPrefix(form) {
            let rest = t.dropFirst(form.count).trimmedSpaces
            if rest.hasPrefix("=") { return true }
        }
        return false
    }
}
