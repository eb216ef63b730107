import PacketlogHost
import XCTest
@testable import PacketlogConfig

/// The configuration layers without the binary: the file, the environment,
/// the command line, and every error message with its file:line.
final class ConfigurationLoaderTests: XCTestCase {
    static let modules = [
        ModuleDescriptor(name: "dns", summary: "", defaultFilter: "port 53", configSection: "dns", fileStem: "dns", rotation: .hourly),
        ModuleDescriptor(name: "http", summary: "", defaultFilter: "tcp", configSection: "http", fileStem: "http", rotation: .daily),
        ModuleDescriptor(name: "template", summary: "", defaultFilter: "udp", configSection: "template", fileStem: "template", rotation: .hourly),
    ]

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func loader(env: [String: String] = [:], cli: CommandLineSettings = CommandLineSettings()) -> ConfigurationLoader {
        var l = ConfigurationLoader(modules: Self.modules)
        l.environment = env
        l.commandLine = cli
        l.searchPaths = []
        return l
    }

    func resolve(_ text: String?, env: [String: String] = [:], cli: CommandLineSettings = CommandLineSettings()) throws(ConfigError) -> Configuration {
        try loader(env: env, cli: cli).resolve(text: text, path: text == nil ? nil : "plugins.conf")
    }

    func assertError(_ text: String, _ expected: String, env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try resolve(text, env: env)
            XCTFail("no error; expected: \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, expected, file: file, line: line)
        }
    }

    // MARK: Defaults and the default file

    func testBuiltInDefaults() throws {
        let c = try resolve(nil)
        XCTAssertNil(c.file)
        XCTAssertEqual(c.host["snaplen"], Setting(.int(262_144), .builtIn))
        XCTAssertEqual(c.host["buffer_mb"], Setting(.int(64), .builtIn))
        XCTAssertEqual(c.host["directory"], Setting(.string("/var/log/packetlog"), .builtIn))
        XCTAssertEqual(c.host["local_addresses"], Setting(.list(["auto"]), .builtIn))
        XCTAssertEqual(c.host["tcp_reassembly"], Setting(.bool(true), .builtIn))
        XCTAssertEqual(c.host["filter"]?.value, ConfigValue.none)
        XCTAssertEqual(c.selected, [])
        let dns = try XCTUnwrap(c.module(named: "dns"))
        XCTAssertEqual(dns.files.rotation, .hourly)
        XCTAssertEqual(dns.files.fileMode, 0o600)
        XCTAssertEqual(dns.files.directory, "/var/log/packetlog")
        XCTAssertEqual(dns.files.retention, RetentionPolicy())
        XCTAssertTrue(dns.options.values.isEmpty)
        XCTAssertEqual(c.module(named: "http")?.files.rotation, .daily)
    }

    /// The committed plugins.conf parses and equals the built-in defaults
    /// (only the modules' `enabled` and `ports`, which are the modules' own defaults, differ).
    func testRepositoryDefaultFileEqualsBuiltInDefaults() throws {
        let path = Self.repositoryRoot.appendingPathComponent("plugins.conf").path
        var l = ConfigurationLoader(modules: Self.modules)
        l.configPath = path
        let file = try l.load()
        let defaults = try resolve(nil)
        XCTAssertEqual(file.selected, ["dns"])
        for key in file.host.keys {
            XCTAssertEqual(file.host[key]?.value, defaults.host[key]?.value, "[host] \(key)")
        }
        for (a, b) in zip(file.modules, defaults.modules) {
            for key in a.section.keys where key != "enabled" && key != "ports" {
                XCTAssertEqual(a.section[key]?.value, b.section[key]?.value, "[\(a.section.name)] \(key)")
            }
        }
        XCTAssertEqual(file.module(named: "dns")?.options.values, ["ports": "53"])
        XCTAssertEqual(file.module(named: "http")?.options.values, ["ports": "80,8080"])
        XCTAssertEqual(file.module(named: "template")?.options.values, ["ports": "7"])
        if case .file(_, let line) = file.host["snaplen"]!.source {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertTrue(lines[line - 1].hasPrefix("snaplen = "), String(lines[line - 1]))
        } else {
            XCTFail("snaplen not from the file")
        }
    }

    // MARK: Errors

    func testUnknownSection() {
        assertError("[host]\nsnaplen = 100\n\n[dnss]\nenabled = true\n",
                    "plugins.conf:4: unknown section [dnss] (known: [host], [dns], [http], [template])")
    }

    func testUnknownKey() {
        assertError("[dns]\nenabled = true\nrotaton = \"daily\"\n",
                    "plugins.conf:3: [dns] rotaton: unknown key (known: enabled, ports, filter, directory, split, rotation, file_mode, compress, retention_days, retention_files, rotate_hook)")
        assertError("# comment\n[host]\nsnap_len = 1\n",
                    "plugins.conf:3: [host] snap_len: unknown key (known: \(ConfigSchema.hostKeys.map(\.name).joined(separator: ", ")))")
    }

    func testWrongType() {
        assertError("[host]\nsnaplen = \"big\"\n", "plugins.conf:2: [host] snaplen: expected an integer from 64 to 2147483647, got \"big\"")
        assertError("[dns]\n\n  enabled = \"yes\"\n", "plugins.conf:3: [dns] enabled: expected true or false, got \"yes\"")
        assertError("[dns]\nfile_mode = 600\n", "plugins.conf:2: [dns] file_mode: expected an octal mode in quotes, like \"0600\", got 600")
        assertError("[host]\nlocal_addresses = [1, 2]\n",
                    "plugins.conf:2: [host] local_addresses: expected a list of strings (\"auto\" or addresses), got 1 in the list")
    }

    func testBadValue() {
        let text = (1...11).map { _ in "# filler" }.joined(separator: "\n") + "\n[dns]\nrotation = \"weekly\"\n"
        assertError(text, "plugins.conf:13: [dns] rotation: expected \"hourly\", \"daily\" or \"minutely\", got \"weekly\"")
        assertError("[host]\nsnaplen = 10\n", "plugins.conf:2: [host] snaplen: expected an integer from 64 to 2147483647, got 10")
        assertError("[host]\nlocal_addresses = [\"auto\", \"10.0.0.0/33\"]\n",
                    "plugins.conf:2: [host] local_addresses: expected \"auto\" or an address or CIDR prefix, got \"10.0.0.0/33\"")
        assertError("[host]\nuser = \"no-such-user-here\"\n",
                    "plugins.conf:2: [host] user: no such user \"no-such-user-here\": create it (useradd --system no-such-user-here) or name another")
        assertError("[host]\ninterface = [\"eth0\", \"eth1\"]\n",
                    "plugins.conf:2: [host] interface: one interface per process: use \"any\" for all of them, or run one packetlog per interface")
    }

    func testKeyOutsideSectionAndParseError() {
        assertError("snaplen = 100\n", "plugins.conf:1: snaplen: a key outside any section: put it under [host] or a module's section")
        do {
            _ = try resolve("[host]\nsnaplen = \n")
            XCTFail("no parse error")
        } catch {
            XCTAssertTrue(error.description.hasPrefix("plugins.conf:2: "), error.description)
        }
    }

    func testMissingExplicitConfigFile() {
        var l = loader()
        l.configPath = "/nonexistent/plugins.conf"
        XCTAssertThrowsError(try l.load()) { error in
            XCTAssertEqual((error as? ConfigError)?.description, "cannot read config file '/nonexistent/plugins.conf' (--config): no such file")
        }
    }

    func testReassemblyCapsReachTheReassemblerLimits() throws {
        // Each [host] cap is handed on to the reassembler, from the file and from the environment.
        let c = try resolve("[host]\ntcp_max_out_of_order_segments = 32\ntcp_max_flows = 1000\n",
                            env: ["PACKETLOG_TCP_MAX_BYTES_PER_FLOW": "4096"])
        XCTAssertEqual(c.reassemblyLimits.maxOutOfOrderSegments, 32)
        XCTAssertEqual(c.reassemblyLimits.maxFlows, 1000)
        XCTAssertEqual(c.reassemblyLimits.maxBytesPerFlow, 4096)
        XCTAssertEqual(try resolve(nil).reassemblyLimits.maxOutOfOrderSegments, 256)
    }

    func testConfigPathThatIsADirectoryIsAnError() {
        // fopen and fread succeed on a directory (reading nothing): it was
        // silently taken as an empty file, i.e. no settings at all.
        var l = loader()
        l.configPath = NSTemporaryDirectory()
        XCTAssertThrowsError(try l.load()) { error in
            let text = (error as? ConfigError)?.description ?? ""
            XCTAssertTrue(text.hasPrefix("cannot read config file '\(NSTemporaryDirectory())' (--config): it is a directory; give the file itself"), text)
        }
    }

    func testAbsentDefaultFileMeansDefaults() throws {
        var l = loader()
        l.searchPaths = ["/nonexistent/a.conf", "/nonexistent/b.conf"]
        let c = try l.load()
        XCTAssertNil(c.file)
        XCTAssertEqual(c.host["snaplen"]?.source, .builtIn)
    }

    func testEnvironmentErrors() {
        assertError("[host]\n", "environment variable PACKETLOG_SNAPLEN: expected an integer from 64 to 2147483647, got \"abc\"",
                    env: ["PACKETLOG_SNAPLEN": "abc"])
        assertError("[host]\n", "environment variable PACKETLOG_HTTP_ROTATION: expected \"hourly\", \"daily\" or \"minutely\", got \"weekly\"",
                    env: ["PACKETLOG_HTTP_ROTATION": "weekly"])
    }

    func testDuplicateModuleNamesInRegistry() {
        var l = ConfigurationLoader(modules: Self.modules + [Self.modules[0]])
        l.searchPaths = []
        XCTAssertThrowsError(try l.load()) { error in
            XCTAssertEqual((error as? ConfigError)?.description,
                           "two modules in the registry are named 'dns' (Sources/ProtocolPlugins/ModuleRegistry.swift): each module needs its own name")
        }
    }

    // MARK: Precedence

    func testPrecedenceCommandLineEnvironmentFileDefault() throws {
        let text = "[host]\nsnaplen = 1000\nbuffer_mb = 8\nstats_interval = 5\n[dns]\ndirectory = \"/file/dns\"\n"
        var cli = CommandLineSettings()
        cli.host.append(.init("snaplen", .int(3000), option: "-s/--snaplen"))
        let c = try resolve(text, env: ["PACKETLOG_SNAPLEN": "2000", "PACKETLOG_BUFFER_MB": "16"], cli: cli)
        XCTAssertEqual(c.host["snaplen"], Setting(.int(3000), .commandLine("-s/--snaplen")))
        XCTAssertEqual(c.host["buffer_mb"], Setting(.int(16), .environment("PACKETLOG_BUFFER_MB")))
        XCTAssertEqual(c.host["stats_interval"], Setting(.int(5), .file("plugins.conf", line: 4)))
        XCTAssertEqual(c.host["ip_timeout"], Setting(.int(30), .builtIn))
        XCTAssertEqual(c.module(named: "dns")?.files.directory, "/file/dns")
        XCTAssertEqual(c.module(named: "http")?.files.directory, "/var/log/packetlog")
    }

    func testModuleDirectoryAgainstHostDirectory() throws {
        let text = "[dns]\ndirectory = \"/file/dns\"\n"
        // The environment's global directory beats the file's module directory...
        var c = try resolve(text, env: ["PACKETLOG_DIRECTORY": "/env/all"])
        XCTAssertEqual(c.module(named: "dns")?.section["directory"], Setting(.string("/env/all"), .environment("PACKETLOG_DIRECTORY")))
        // ...a module's variable beats the global one at the same level...
        c = try resolve(text, env: ["PACKETLOG_DIRECTORY": "/env/all", "PACKETLOG_DNS_DIRECTORY": "/env/dns"])
        XCTAssertEqual(c.module(named: "dns")?.files.directory, "/env/dns")
        XCTAssertEqual(c.module(named: "http")?.files.directory, "/env/all")
        // ...and -d beats both.
        var cli = CommandLineSettings()
        cli.host.append(.init("directory", .string("/cli"), option: "-d/--directory"))
        c = try resolve(text, env: ["PACKETLOG_DNS_DIRECTORY": "/env/dns"], cli: cli)
        XCTAssertEqual(c.module(named: "dns")?.section["directory"], Setting(.string("/cli"), .commandLine("-d/--directory")))
    }

    func testLegacyDnslogVariables() throws {
        let env = ["DNSLOG_DEVICE": "eth7", "DNSLOG_SNAPLEN": "1500", "DNSLOG_BUFSIZE": "32", "DNSLOG_FILTER": "not host 192.0.2.1",
                   "DNSLOG_DIR": "/srv/dnslog"]
        let c = try resolve(nil, env: env)
        XCTAssertEqual(c.host["interface"], Setting(.string("eth7"), .environment("DNSLOG_DEVICE")))
        XCTAssertEqual(c.host["snaplen"], Setting(.int(1500), .environment("DNSLOG_SNAPLEN")))
        XCTAssertEqual(c.host["buffer_mb"], Setting(.int(32), .environment("DNSLOG_BUFSIZE")))
        XCTAssertEqual(c.host["filter"], Setting(.string("not host 192.0.2.1"), .environment("DNSLOG_FILTER")))
        XCTAssertEqual(c.module(named: "dns")?.section["directory"], Setting(.string("/srv/dnslog"), .environment("DNSLOG_DIR")))
        XCTAssertEqual(c.module(named: "http")?.files.directory, "/var/log/packetlog")
        // PACKETLOG_* wins over the legacy name.
        let both = try resolve(nil, env: ["DNSLOG_SNAPLEN": "1500", "PACKETLOG_SNAPLEN": "9000"])
        XCTAssertEqual(both.host["snaplen"], Setting(.int(9000), .environment("PACKETLOG_SNAPLEN")))
    }

    func testModuleSelection() throws {
        var c = try resolve("[dns]\nenabled = true\n[http]\nenabled = true\nports = \"8080\"\n")
        XCTAssertEqual(c.selected, ["dns", "http"])
        XCTAssertEqual(c.module(named: "http")?.options.values, ["ports": "8080"])
        var cli = CommandLineSettings()
        cli.protocols = ["http"]
        c = try resolve("[dns]\nenabled = true\n", cli: cli)
        XCTAssertEqual(c.selected, ["http"])
        XCTAssertEqual(c.selectionSource, .commandLine("--protocol"))
        c = try resolve("[dns]\nenabled = true\n", env: ["PACKETLOG_DNS_ENABLED": "false"])
        XCTAssertEqual(c.selected, [])
    }

    func testModuleFilePolicy() throws {
        let c = try resolve("""
        [http]
        split = true
        rotation = "hourly"
        file_mode = "0640"
        compress = true
        retention_days = 7
        retention_files = 100
        rotate_hook = "/usr/local/bin/ship"
        """)
        let f = try XCTUnwrap(c.module(named: "http")?.files)
        XCTAssertTrue(f.split)
        XCTAssertEqual(f.rotation, .hourly)
        XCTAssertEqual(f.fileMode, 0o640)
        XCTAssertTrue(f.compress)
        XCTAssertEqual(f.retention, RetentionPolicy(maxAgeSeconds: 7 * 86_400, maxFiles: 100))
        XCTAssertEqual(f.rotateHook, "/usr/local/bin/ship")
        XCTAssertEqual(f.stem, "http")
    }

    func testModuleOwnErrorIsPlacedAtItsLine() throws {
        let c = try resolve("[dns]\nenabled = true\nports = [53, 0]\n")
        let dns = try XCTUnwrap(c.module(named: "dns"))
        XCTAssertEqual(dns.options.values, ["ports": "53,0"])
        XCTAssertEqual(c.moduleError(dns, key: "ports", message: "'0' is not a port number (1-65535)").description,
                       "plugins.conf:3: [dns] ports: '0' is not a port number (1-65535)")
    }

    func testRenderShowsSources() throws {
        var cli = CommandLineSettings()
        cli.host.append(.init("snaplen", .int(3000), option: "-s/--snaplen"))
        let text = try resolve("[host]\nbuffer_mb = 8\n", env: ["PACKETLOG_USER": "root"], cli: cli).render()
        let lines = text.split(separator: "\n").map(String.init)
        func row(_ prefix: String) -> String? { lines.first { $0.hasPrefix(prefix) } }
        XCTAssertTrue(row("snaplen = 3000")?.hasSuffix("# cli -s/--snaplen") ?? false, text)
        XCTAssertTrue(row("buffer_mb = 8")?.hasSuffix("# file plugins.conf:2") ?? false, text)
        XCTAssertTrue(row("user = \"root\"")?.hasSuffix("# env PACKETLOG_USER") ?? false, text)
        XCTAssertTrue(row("ip_timeout = 30")?.hasSuffix("# default") ?? false, text)
    }
}
