// swift-tools-version:6.1
import PackageDescription

/// Release builds skip dynamic exclusivity checks: the capture loop's state
/// lives in classes owned by one thread, and the checks cost ~15% per packet.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "packetlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "packetlog", targets: ["packetlog"]),
        .library(name: "PacketlogHost", targets: ["PacketlogHost"]),
        .library(name: "ProtocolPlugins", targets: ["ProtocolPlugins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // libpcap through pkg-config (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // The host: capture, decoding, dispatch, direction, writing, statistics.
        .target(
            name: "PacketlogHost",
            dependencies: [
                "CPcap",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPathSettings
        ),
        // Protocol modules (DNS, HTTP, template) and their registry.
        .target(
            name: "ProtocolPlugins",
            dependencies: ["PacketlogHost"],
            swiftSettings: hotPathSettings
        ),
        // plugins.conf (TOML), environment and command line merged into one
        // configuration. The host itself never sees TOML.
        .target(
            name: "PacketlogConfig",
            dependencies: [
                "PacketlogHost",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The command line.
        .executableTarget(
            name: "packetlog",
            dependencies: [
                "PacketlogHost",
                "PacketlogConfig",
                "ProtocolPlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPathSettings
        ),
        // libFuzzer targets (scripts/fuzz.sh, docs/fuzzing.md). Built with
        // `--sanitize fuzzer --sanitize address -Xswiftc -DPACKETLOG_FUZZING`
        // libFuzzer supplies main; in a plain build each gets a small main
        // that replays the input files it is given.
        .target(
            name: "FuzzSupport",
            dependencies: ["PacketlogHost"],
            path: "Sources/Fuzz/FuzzSupport"
        ),
        .executableTarget(
            name: "FuzzHostDecoding",
            dependencies: ["PacketlogHost", "FuzzSupport"],
            path: "Sources/Fuzz/FuzzHostDecoding",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzTCPReassembly",
            dependencies: ["PacketlogHost", "FuzzSupport"],
            path: "Sources/Fuzz/FuzzTCPReassembly",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzDNS",
            dependencies: ["PacketlogHost", "ProtocolPlugins", "FuzzSupport"],
            path: "Sources/Fuzz/FuzzDNS",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzHTTP",
            dependencies: ["PacketlogHost", "ProtocolPlugins", "FuzzSupport"],
            path: "Sources/Fuzz/FuzzHTTP",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzTemplate",
            dependencies: ["PacketlogHost", "ProtocolPlugins", "FuzzSupport"],
            path: "Sources/Fuzz/FuzzTemplate",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .testTarget(
            name: "PacketlogHostTests",
            dependencies: ["PacketlogHost"]
        ),
        .testTarget(
            name: "ProtocolPluginsTests",
            dependencies: ["ProtocolPlugins", "PacketlogHost"]
        ),
        .testTarget(
            name: "PacketlogConfigTests",
            dependencies: ["PacketlogConfig", "PacketlogHost"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["PacketlogHost"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
