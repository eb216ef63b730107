// swift-tools-version: 6.1
// Allocation guard for packetlog's per-packet path (`make bench-alloc`).
// A separate package: `swift build` of the root package never sees it.
import PackageDescription

let package = Package(
    name: "PacketlogBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "packetlog", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DNSAllocations",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PacketlogHost", package: "packetlog"),
                .product(name: "ProtocolPlugins", package: "packetlog"),
            ],
            path: "Benchmarks/DNSAllocations",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
