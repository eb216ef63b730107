import ArgumentParser
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

    @Option(name: [.customShort("d"), .customLong("directory")], help: ArgumentHelp("Directory for the log files (created when missing).", valueName: "dir"))
    var directory: String = "/var/log/packetlog"

    @Option(name: [.customShort("f"), .customLong("filter")], help: ArgumentHelp("BPF filter. Default: the enabled modules' filters (DNS: 'port 53').", valueName: "bpf"))
    var filter: String?

    @Option(name: [.customShort("s"), .customLong("snaplen")], help: ArgumentHelp("Bytes captured per packet (live).", valueName: "bytes"))
    var snaplen: Int32 = 262_144

    @Option(name: [.customShort("b"), .customLong("buffer-size")], help: ArgumentHelp("Kernel capture buffer in MiB (live).", valueName: "MB"))
    var bufferMB: Int32 = 64

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

    @Option(name: .customLong("file-mode"), help: ArgumentHelp("Mode of new log files, octal.", valueName: "mode"))
    var fileMode: String = "0600"

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Print the capture set-up and the final summary in detail.")
    var verbose = false

    func validate() throws {
        if protocols.isEmpty { throw ValidationError("name a module with --protocol (known: \(knownNames))") }
        for name in protocols where moduleType(named: name) == nil {
            throw ValidationError("unknown protocol '\(name)' (known: \(knownNames))")
        }
        if Set(protocols).count != protocols.count { throw ValidationError("each --protocol may be given once") }
        if snaplen < 64 { throw ValidationError("--snaplen must be at least 64") }
        if bufferMB < 1 { throw ValidationError("--buffer-size must be at least 1 (MiB)") }
        if interface != nil && readFile != nil { throw ValidationError("-i and -r exclude each other") }
        if let logEvery, logEvery == 0 { throw ValidationError("--log-every must be at least 1") }
        if mode_t(fileMode, radix: 8) == nil { throw ValidationError("--file-mode must be octal, like 0600") }
    }

    var knownNames: String { registeredModules.map { $0.descriptor.name }.joined(separator: ", ") }

    func moduleType(named name: String) -> (any PacketlogModule.Type)? {
        registeredModules.first { $0.descriptor.name == name }
    }

    func run() throws {
        do {
            try runCapture()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileIO.printError("packetlog: error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Opens everything that can fail before any line is written, then runs
    /// the capture with the modules' concrete types.
    func runCapture() throws {
        let types = protocols.map { moduleType(named: $0)! }
        let modules = try ModuleDispatchBuilder.build(types, options: [:], tcpReassembly: !noTCPReassembly,
                                                      limits: TCPReassemblyLimits())
        var settings = CaptureSettings(packetLimit: count, logEvery: logEvery, tcpReassembly: !noTCPReassembly,
                                       ipDefragmentation: !noIPDefragmentation)
        for value in localAddresses { try settings.localAddresses.add(value) }

        let pcap: PcapHandle
        if let readFile {
            pcap = try PcapHandle.openFile(readFile)
        } else {
            guard let device = interface ?? CaptureInterfaces.defaultInterface() else {
                throw UsageError("no default interface found: pass one with -i")
            }
            pcap = try PcapHandle.openLive(device: device, snaplen: snaplen, bufferBytes: bufferMB * 1024 * 1024)
            if localAddresses.isEmpty { settings.localAddresses = LocalAddressSet.addresses(ofInterfaces: [device]) }
        }
        // Live: the user's filter or the modules'. A file is read whole unless
        // the user filters it, so its statistics count every packet.
        if let bpf = filter ?? (pcap.isLive ? modules.filter : nil) { try pcap.setFilter(bpf) }

        let files = modules.descriptors.map {
            ModuleFiles(stem: $0.fileStem, rotation: $0.rotation, directory: directory, split: logSplit,
                        fileMode: mode_t(fileMode, radix: 8)!)
        }
        let target: LogWriter.Target
        if toStandardOutput {
            target = .standardOutput
        } else {
            for dir in Set(files.map(\.directory)) {
                do { try FileIO.makeDirectories(dir) } catch {
                    throw UsageError("cannot write log files in '\(dir)': \(String(cString: strerror(error.errno))); create it or pick another with -d")
                }
            }
            target = .files(files)
        }
        if verbose {
            FileIO.printError("packetlog: \(protocols.joined(separator: ", ")) on \(pcap.source) (link type \(pcap.linkType.rawValue)), filter '\(filter ?? modules.filter)', \(toStandardOutput ? "standard output" : "directory " + directory)")
        }
        try run(modules, files: files, pcap: pcap, target: target, settings: settings)
    }

    /// The capture with a concrete dispatch type (the existential is opened here, once).
    func run<Modules: ModuleDispatch>(_ modules: Modules, files: [OutputRouter.ModuleFiles], pcap: PcapHandle,
                                      target: LogWriter.Target, settings: CaptureSettings) throws {
        Signals.install()
        let writer = LogWriter(target: target)
        writer.start()
        let engine = CaptureEngine(modules: modules, files: files, pcap: pcap, writer: writer, settings: settings,
                                   toStandardOutput: toStandardOutput, report: { FileIO.printError("packetlog: \($0)") })
        let ending = engine.run()
        writer.finish()
        FileIO.printError("packetlog: \(engine.summary())")
        if case .error(let message) = ending {
            FileIO.printError("packetlog: error: \(message)")
            throw ExitCode.failure
        }
    }
}

/// A start-up problem with a message that names the fix.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
