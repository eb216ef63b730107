import ArgumentParser
import Logging
import PacketlogConfig
import PacketlogHost
import ProtocolPlugins
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Command line

@main
struct PacketlogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packetlog",
        abstract: "Log network protocol messages (DNS, ...) from a live interface or a capture file, one text line per message.",
        discussion: """
        Live:   packetlog --protocol dns -i eth0 -d /var/log/packetlog
        File:   packetlog --protocol dns -r capture.pcap --local-address 192.0.2.53 -d out
        Split:  packetlog --protocol dns --log-split -d /var/log/packetlog
        Stdout: packetlog --protocol dns -r capture.pcap --stdout

        Config: packetlog --config /etc/packetlog/plugins.conf -Z packetlog   (see docs/configuration.md)
        Check:  packetlog --check-config   (the effective settings, where each came from, the compiled filter)

        Settings come from the command line, then PACKETLOG_* environment variables, then plugins.conf
        (--config PATH, else /etc/packetlog/plugins.conf, else ./plugins.conf), then built-in defaults.
        Without --protocol, the modules with enabled = true in plugins.conf run.
        Modules: \(registeredModules.map { "\($0.descriptor.name) (\($0.descriptor.summary))" }.joined(separator: "; ")).
        SIGINT/SIGTERM stop the capture, write every captured line and print a summary; SIGHUP reopens the files.
        """
    )

    @Option(name: .customLong("protocol"), help: ArgumentHelp("Protocol module to run.", valueName: "name"))
    var protocols: [String] = []

    @Option(name: [.customShort("i"), .customLong("interface")],
            help: ArgumentHelp("Interface to capture on ('any' for all). Default: the interface of the default route.", valueName: "iface"))
    var interface: String?

    @Option(name: [.customShort("r"), .customLong("read")], help: ArgumentHelp("Read packets from a pcap or pcapng file instead of an interface.", valueName: "file"))
    var readFile: String?

    @Option(name: [.customShort("d"), .customLong("directory")],
            help: ArgumentHelp("Directory for the log files (created when missing). Default: /var/log/packetlog.", valueName: "dir"))
    var directory: String?

    @Option(name: [.customShort("f"), .customLong("filter")],
            help: ArgumentHelp("Extra BPF filter, ANDed with the modules' filters (DNS: 'port 53') live; a capture file is filtered by it alone.", valueName: "bpf"))
    var filter: String?

    @Option(name: [.customShort("s"), .customLong("snaplen")], help: ArgumentHelp("Bytes captured per packet (live). Default: 262144.", valueName: "bytes"))
    var snaplen: Int32?

    @Option(name: [.customShort("b"), .customLong("buffer-size")], help: ArgumentHelp("Kernel capture buffer in MiB (live). Default: 64.", valueName: "MB"))
    var bufferMB: Int32?

    @Option(name: [.customShort("c"), .customLong("count")], help: ArgumentHelp("Stop after this many packets.", valueName: "N"))
    var count: UInt64?

    @Option(name: .customLong("local-address"),
            help: ArgumentHelp("A local address or CIDR prefix deciding CQ/CR/SQ/SR (repeatable). Live default: the capture interface's addresses.", valueName: "addr"))
    var localAddresses: [String] = []

    @Flag(name: .customLong("log-split"), help: "Write four files per period, one per kind (CQ, CR, SQ, SR), without the kind field.")
    var logSplit = false

    @Option(name: .customLong("log-every"), help: ArgumentHelp("Print the counters to standard error every N packets.", valueName: "N"))
    var logEvery: UInt64?

    @Flag(name: .customLong("stdout"), help: "Write the combined line stream to standard output instead of files.")
    var toStandardOutput = false

    @Flag(name: .customLong("no-tcp-reassembly"),
          help: "Read each TCP segment on its own (the per-segment rule) instead of reassembling TCP streams.")
    var noTCPReassembly = false

    @Flag(name: .customLong("no-ip-defragmentation"),
          help: "Count IP fragments without reassembling them (a fragmented datagram is then not logged).")
    var noIPDefragmentation = false

    @Option(name: .customLong("file-mode"), help: ArgumentHelp("Mode of new log files, octal. Default: 0600.", valueName: "mode"))
    var fileMode: String?

    @Option(name: [.customShort("Z"), .customLong("user")],
            help: ArgumentHelp("Drop root to this user once the capture and the log directories are open (the directories are given to it).", valueName: "user"))
    var user: String?

    @Option(name: .customLong("config"),
            help: ArgumentHelp("Configuration file (TOML). Default: /etc/packetlog/plugins.conf, else ./plugins.conf, if present.", valueName: "path"))
    var configPath: String?

    @Flag(name: .customLong("check-config"),
          help: "Print the effective configuration (each value and where it came from) and the compiled BPF filter, then exit.")
    var checkConfig = false

    @Option(name: .customLong("stats-interval"), help: ArgumentHelp("Print the counters to standard error every this many seconds (live).", valueName: "seconds"))
    var statsInterval: Int?

    @Option(name: .customLong("workers"),
            help: ArgumentHelp("Threads running the modules. 0: everything on the capture thread. 1 or more: the capture thread only reads and decodes, N workers run the modules (each flow on one worker) and a merger restores packet order. Default: 1 with 2 or more CPUs, else 0.", valueName: "N"))
    var workers: Int?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Print the capture set-up and the final summary in detail.")
    var verbose = false

    /// Parses and runs. A command-line mistake is one line on standard
    /// error, `packetlog: error: …`, like every other error, and exit code
    /// 64 (EX_USAGE) — not ArgumentParser's three lines with the usage;
    /// `--help` and `--version` print as usual.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            FileIO.printError("packetlog: error: \(message(for: error)) (see packetlog --help)")
            Glibc.exit(code.rawValue)
        }
    }

    func validate() throws {
        for name in protocols where moduleType(named: name) == nil {
            throw ValidationError("unknown protocol '\(name)' (known: \(knownNames))")
        }
        if Set(protocols).count != protocols.count { throw ValidationError("each --protocol may be given once") }
        if let snaplen, snaplen < 64 { throw ValidationError("--snaplen must be at least 64") }
        if let bufferMB, bufferMB < 1 || bufferMB > 2047 { throw ValidationError("--buffer-size must be from 1 to 2047 (MiB)") }
        if interface != nil && readFile != nil { throw ValidationError("-i and -r exclude each other") }
        if let logEvery, logEvery == 0 { throw ValidationError("--log-every must be at least 1") }
        if let count, count == 0 { throw ValidationError("--count must be at least 1") }
        if let fileMode, mode_t(fileMode, radix: 8) == nil { throw ValidationError("--file-mode must be octal, like 0600") }
        if let statsInterval, statsInterval < 0 { throw ValidationError("--stats-interval must be 0 (never) or more (seconds)") }
        if let workers, !(0...16).contains(workers) { throw ValidationError("--workers must be between 0 and 16") }
    }

    var knownNames: String { registeredModules.map { $0.descriptor.name }.joined(separator: ", ") }

    func moduleType(named name: String) -> (any PacketlogModule.Type)? {
        registeredModules.first { $0.descriptor.name == name }
    }

    func run() throws {
        LoggingSystem.bootstrap { _ in PacketlogLogHandler() }
        let log = Logger(label: "packetlog")
        do {
            let config = try loadConfiguration()
            let plan = try RunPlan(config: config)
            if checkConfig {
                try printCheck(config, plan)
                return
            }
            guard !config.selected.isEmpty else { throw ValidationError(noModuleMessage(config)) }
            try runCapture(config, plan, log: log)
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            log.error("\(error)")
            throw ExitCode.failure
        }
    }

    func noModuleMessage(_ config: Configuration) -> String {
        "name a module with --protocol (known: \(knownNames)), or set enabled = true in its section of "
            + (config.file ?? "plugins.conf (none found: /etc/packetlog/plugins.conf, ./plugins.conf)")
    }

    /// The file, the environment and this command line, merged.
    func loadConfiguration() throws(ConfigError) -> Configuration {
        var loader = ConfigurationLoader(modules: registeredModules.map { $0.descriptor })
        loader.configPath = configPath
        loader.environment = Self.processEnvironment()
        var cli = CommandLineSettings()
        cli.protocols = protocols
        if let interface { cli.host.append(.init("interface", .string(interface), option: "-i/--interface")) }
        if let directory { cli.host.append(.init("directory", .string(directory), option: "-d/--directory")) }
        if let filter { cli.host.append(.init("filter", .string(filter), option: "-f/--filter")) }
        if let snaplen { cli.host.append(.init("snaplen", .int(Int(snaplen)), option: "-s/--snaplen")) }
        if let bufferMB { cli.host.append(.init("buffer_mb", .int(Int(bufferMB)), option: "-b/--buffer-size")) }
        if !localAddresses.isEmpty { cli.host.append(.init("local_addresses", .list(localAddresses), option: "--local-address")) }
        if let user { cli.host.append(.init("user", .string(user), option: "-Z/--user")) }
        if let statsInterval { cli.host.append(.init("stats_interval", .int(statsInterval), option: "--stats-interval")) }
        if let workers { cli.host.append(.init("workers", .int(workers), option: "--workers")) }
        if noTCPReassembly { cli.host.append(.init("tcp_reassembly", .bool(false), option: "--no-tcp-reassembly")) }
        if noIPDefragmentation { cli.host.append(.init("ip_defragmentation", .bool(false), option: "--no-ip-defragmentation")) }
        if logSplit { cli.allModules.append(.init("split", .bool(true), option: "--log-split")) }
        if let fileMode { cli.allModules.append(.init("file_mode", .string(fileMode), option: "--file-mode")) }
        loader.commandLine = cli
        return try loader.load()
    }

    static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return result
    }

    /// What the configuration means for this run: the modules' types and
    /// options (every module section is checked by its module, run or not)
    /// and the BPF filter.
    struct RunPlan {
        var types: [any PacketlogModule.Type] = []
        var options: [String: ModuleOptions] = [:]
        var moduleFilters: [String] = []

        init(config: Configuration) throws {
            var filters: [String: String] = [:]
            for type in registeredModules {
                guard let module = config.module(named: type.descriptor.name) else { continue }
                do { filters[type.descriptor.name] = try Self.filter(of: type, options: module.options) } catch let error as ModuleConfigurationError {
                    throw config.moduleError(module, key: error.key, message: error.message)
                }
            }
            for name in config.selected {
                guard let type = registeredModules.first(where: { $0.descriptor.name == name }),
                      let module = config.module(named: name) else { continue }
                types.append(type)
                options[name] = module.options
                moduleFilters.append(module.filterOverride ?? filters[name] ?? type.descriptor.defaultFilter)
            }
        }

        static func filter<M: PacketlogModule>(of type: M.Type, options: ModuleOptions) throws -> String {
            try M(options: options).filter
        }

        /// The modules' filters joined as the module chain joins them.
        var modulesFilter: String {
            guard var result = moduleFilters.first else { return "" }
            for next in moduleFilters.dropFirst() { result = "(\(result)) or (\(next))" }
            return result
        }

        /// IP fragments after the first (IPv4 offset not 0) and every IPv6
        /// fragment: they carry no ports, so no module's port filter lets
        /// them through, and a large answer (DNSSEC, a big TXT) could never
        /// be put together live.
        static let laterFragmentsFilter = "(ip[6:2] & 0x1fff != 0) or (ip6[6] == 44)"

        /// Live: the modules' filter — with the fragments that defragmenting
        /// needs — ANDed with the extra one. A file is read whole unless the
        /// user filters it, so its statistics count every packet.
        func captureFilter(live: Bool, extra: String?, defragmenting: Bool) -> String? {
            if !live { return extra }
            let modules = defragmenting ? "(\(modulesFilter)) or \(Self.laterFragmentsFilter)" : modulesFilter
            guard let extra else { return modules }
            return "(\(modules)) and (\(extra))"
        }
    }

    /// Compiles each configured filter on its own (the modules' `filter`
    /// keys and the `[host]`/`-f` one) for `linkType`, so that a mistake
    /// names the setting it came from — also when reading a file, where the
    /// modules' filters are not installed.
    func validateFilters(_ config: Configuration, linkType: LinkType) throws {
        // Every module's, also of modules that do not run this time (the
        // configuration is checked whole, as docs/configuration.md says).
        for module in config.modules {
            guard let filter = module.filterOverride else { continue }
            do { _ = try BPFCompiler.compile(filter, linkType: linkType) } catch {
                throw config.moduleError(module, key: "filter", message: "\(error); fix it, or remove the key to use the module's own filter")
            }
        }
        if let filter = config.host.string("filter") {
            do { _ = try BPFCompiler.compile(filter, linkType: linkType) } catch {
                throw config.hostError(key: "filter", message: "\(error)")
            }
        }
    }

    /// What a run checks before it writes files: the compression tools on
    /// the PATH, and each log directory made (or there) and writable.
    /// Returns the directories, and those it created (parents first).
    func prepareLogDirectories(_ files: [ModuleFiles]) throws -> (directories: [String], created: [String]) {
        let compressing = files.filter(\.compress).map(\.stem)
        let missing = compressing.isEmpty ? [] : FileMaintenance.missingCompressionTools()
        if !missing.isEmpty {
            throw UsageError("compress = true (\(compressing.joined(separator: ", "))) needs gzip, flock, truncate and stat; not on the PATH: \(missing.joined(separator: ", ")): install them or set compress = false")
        }
        var directories: [String] = [], created: [String] = []
        for dir in Set(files.map(\.directory)).sorted() {
            // A new directory lets in whoever may read its files.
            let mode = files.filter { $0.directory == dir }.reduce(mode_t(0o700)) { $0 | FileIO.directoryMode(forFiles: $1.fileMode) }
            do { created += try FileIO.makeDirectories(dir, mode: mode) } catch {
                throw UsageError("cannot write log files in '\(dir)': \(String(cString: strerror(error.errno))); create it or pick another with -d")
            }
            directories.append(dir)
        }
        return (directories, created)
    }

    /// --check-config: the settings, then the filter compiled for the link
    /// type of the capture (file, interface, else Ethernet).
    func printCheck(_ config: Configuration, _ plan: RunPlan) throws {
        var text = config.render()
        let extra = config.host.string("filter")
        text += "\n# BPF filter\n"
        if config.selected.isEmpty {
            text += "# no module runs: \(noModuleMessage(config))\n"
        }
        let linkType: LinkType, where_: String
        if let readFile {
            linkType = try BPFCompiler.linkType(ofFile: readFile); where_ = "capture file \(readFile)"
        } else {
            let device = config.host.string("interface") ?? CaptureInterfaces.defaultInterface()
            // A typo in the interface is what a run would stop at first.
            if let device, !CaptureInterfaces.exists(device) {
                throw UsageError("unknown interface '\(device)': list interfaces with 'ip link' and pass one with -i")
            }
            if let device, let t = BPFCompiler.linkType(ofInterface: device) {
                linkType = t; where_ = "interface \(device)"
            } else {
                linkType = .ethernet; where_ = device.map { "interface \($0), link type unknown: compiled for Ethernet" } ?? "no interface: compiled for Ethernet"
            }
        }
        try validateFilters(config, linkType: linkType)
        // The log directories as a run would make them (and unmade again).
        if !toStandardOutput && !config.selected.isEmpty {
            let created = try prepareLogDirectories(plan.types.map { config.module(named: $0.descriptor.name)!.files }).created
            for dir in created.reversed() { rmdir(dir) }
        }
        let bpf = config.selected.isEmpty ? extra : plan.captureFilter(live: readFile == nil, extra: extra,
                                                                        defragmenting: config.host.bool("ip_defragmentation") ?? true)
        if let bpf, !bpf.isEmpty {
            let program = try BPFCompiler.compile(bpf, linkType: linkType, snaplen: Int32(config.host.int("snaplen") ?? 262_144))
            text += "filter = \(quoteTOML(bpf))\n"
            text += "# compiled for link type \(program.linkTypeName) (\(where_)): \(program.instructions.count) instructions\n"
            text += program.instructions.joined(separator: "\n") + "\n"
        } else {
            text += "filter = (none: a capture file is read whole; -f or [host] filter narrows it)\n"
        }
        print(text, terminator: "")
        fflush(nil)
        if config.selected.isEmpty { throw ExitCode.failure }
    }

    /// Opens everything that can fail before any line is written, drops
    /// root if asked, then runs the capture with the modules' concrete types.
    func runCapture(_ config: Configuration, _ plan: RunPlan, log: Logger) throws {
        // Before anything is opened or printed: a SIGTERM that arrives during
        // start-up must still end in a clean stop with a summary.
        Signals.install()
        // A closed standard descriptor would be taken by the next file
        // opened (the capture, a log file) and get what was meant for it.
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 {
            if fd == 1 && toStandardOutput { throw UsageError("standard output is closed (>&-): --stdout writes the lines there; give it a file or a pipe, or use -d DIRECTORY") }
            let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0, null != fd { dup2(null, fd); close(null) }
        }
        let host = config.host
        let tcpReassembly = host.bool("tcp_reassembly") ?? true
        let modules = try ModuleDispatchBuilder.build(plan.types, options: plan.options, tcpReassembly: tcpReassembly,
                                                      limits: config.reassemblyLimits)
        let interval = host.int("stats_interval") ?? 0
        var settings = CaptureSettings(packetLimit: count, logEvery: logEvery, tcpReassembly: tcpReassembly,
                                       reassemblyLimits: config.reassemblyLimits,
                                       ipDefragmentation: host.bool("ip_defragmentation") ?? true,
                                       defragmentationLimits: config.defragmentationLimits,
                                       statsIntervalSeconds: interval > 0 ? interval : nil)
        settings.workers = host.int("workers") ?? ConfigSchema.defaultWorkers
        let addresses = host.list("local_addresses") ?? ["auto"]
        for value in addresses where value != "auto" { try settings.localAddresses.add(value) }

        let pcap: PcapHandle
        if let readFile {
            do {
                pcap = try PcapHandle.openFile(readFile)
            } catch where stopRequested.load(ordering: .relaxed) {
                // SIGINT/SIGTERM while a pipe's writer had not sent the header yet.
                log.info("stopped before the capture file's header arrived: no packet read")
                return
            }
        } else {
            guard let device = host.string("interface") ?? CaptureInterfaces.defaultInterface() else {
                throw UsageError("no default interface found: pass one with -i")
            }
            let snaplen = Int32(host.int("snaplen") ?? 262_144), bufferMB = Int32(host.int("buffer_mb") ?? 64)
            pcap = try PcapHandle.openLive(device: device, snaplen: snaplen, bufferBytes: bufferMB * 1024 * 1024)
            if addresses.contains("auto") {
                var merged = LocalAddressSet.addresses(ofInterfaces: [device])
                for value in addresses where value != "auto" { try merged.add(value) }
                settings.localAddresses = merged
            }
        }
        try validateFilters(config, linkType: pcap.linkType)
        let bpf = plan.captureFilter(live: pcap.isLive, extra: host.string("filter"), defragmenting: settings.ipDefragmentation)
        if let bpf { try pcap.setFilter(bpf) }

        let files = plan.types.map { config.module(named: $0.descriptor.name)!.files }
        let target: LogWriter.Target
        var directories: [String] = []
        if toStandardOutput {
            target = .standardOutput
        } else {
            directories = try prepareLogDirectories(files).directories
            target = .files(files)
        }
        if verbose {
            let names = plan.types.map { $0.descriptor.name }.joined(separator: ", ")
            let out = toStandardOutput ? "standard output" : "directory " + Set(files.map(\.directory)).sorted().joined(separator: ", ")
            log.info("\(names) on \(pcap.source) (link type \(pcap.linkType.rawValue)), filter '\(bpf ?? "none")', \(out)")
        }
        if let user = host.string("user") {
            try Privileges.drop(to: user, directories: directories, logStems: files.map(\.stem))
            if verbose { log.info("running as \(user)") }
        }
        try run(modules, files: files, pcap: pcap, target: target, settings: settings, log: log) {
            try ModuleDispatchBuilder.build(plan.types, options: plan.options, tcpReassembly: tcpReassembly, limits: config.reassemblyLimits)
        }
    }

    /// The capture with a concrete dispatch type (the existential is opened here, once).
    func run<Modules: ModuleDispatch>(_ modules: Modules, files: [OutputRouter.ModuleFiles], pcap: PcapHandle,
                                      target: LogWriter.Target, settings: CaptureSettings, log: Logger,
                                      makeModules: () throws -> any ModuleDispatch) throws {
        let writer = LogWriter(target: target)
        writer.start()
        let (ending, summary) = try CaptureRunner.run(modules: modules, makeModules: makeModules, files: files, pcap: pcap,
                                                      writer: writer, settings: settings, toStandardOutput: toStandardOutput,
                                                      report: { log.info("\($0)") })
        log.info("\(summary)")
        if case .error(let message) = ending {
            log.error("\(message)")
            throw ExitCode.failure
        }
        // Lines of a capture file that never reached their file make the
        // run a failure (a script must not take a partial log for a whole
        // one), unless standard output's reader left on purpose (`| head`).
        // A live capture is a service: its losses are reported while they
        // happen and counted in the summary, and a stop is not a failure.
        let lost = writer.linesLost.load(ordering: .relaxed)
        if lost > 0, readFile != nil, !writer.standardOutputClosed.load(ordering: .relaxed) {
            log.error("\(lost) lines could not be written (last error: \(writer.lastErrorText ?? "unknown")); see the messages above for the fix")
            throw ExitCode.failure
        }
    }
}

/// A TOML basic string.
func quoteTOML(_ s: String) -> String {
    "\"" + s.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\""
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// Diagnostics and statistics on standard error, one line each:
/// `packetlog: <message>`, `packetlog: error: <message>` for errors.
struct PacketlogLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix: String
        switch event.level {
        case .error, .critical: prefix = "error: "
        case .warning: prefix = "warning: "
        default: prefix = ""
        }
        FileIO.printError("packetlog: \(prefix)\(event.message)")
    }
}

/// A start-up problem with a message that names the fix.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
