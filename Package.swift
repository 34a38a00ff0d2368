// swift-tools-version: 6.1
import PackageDescription

// The pipeline, lowest stage first. Each module imports only the stages above it in this list:
// CPcap → AnalysisCore → Capture → MessagePack → RPC → Replay → Pipeline → Report → rpc-analyze.
// The per-record path runs through generic stages that are instantiated in the command's module;
// cross-module optimisation lets the compiler specialise them there instead of dispatching
// through runtime metadata on every record.
// Exclusivity is checked statically everywhere and dynamically in debug builds (the tests);
// release builds skip the dynamic checks on class properties read per record.
let optimised: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "rpc-analyze",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rpc-analyze", targets: ["rpc-analyze"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Hands back the first bytes of an input that cannot be rewound (C: fopencookie/funopen).
        .target(name: "CStreamSupport"),
        // Shared vocabulary of every stage: findings, times, byte buffers.
        .target(name: "AnalysisCore", swiftSettings: optimised),
        // Files, records, link layers, streams. Knows nothing of MessagePack or RPC.
        .target(name: "Capture", dependencies: [
            "CPcap", "CStreamSupport", "AnalysisCore", .product(name: "HeapModule", package: "swift-collections"),
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: optimised),
        // MessagePack wire scanning, values, encoding. Knows nothing of captures.
        .target(name: "MessagePack", dependencies: ["AnalysisCore"], swiftSettings: optimised),
        // MessagePack-RPC framing, correlation, statistics. Consumes byte chunks.
        .target(name: "RPC", dependencies: [
            "AnalysisCore", "MessagePack",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: optimised),
        // The board model and the discrete-event replay that checks synchronisation. Consumes
        // events (channel traffic, trace events, calls between cores: `ReplayInput`), never
        // bytes of a capture; trace records' payloads are decoded into its `TraceEvent`s here.
        .target(name: "Replay", dependencies: [
            "AnalysisCore", "MessagePack", "RPC",
            .product(name: "Yams", package: "Yams"),
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: optimised),
        // Wires a capture into the RPC and replay stages and hands results to a sink.
        .target(name: "Pipeline", dependencies: ["AnalysisCore", "Capture", "MessagePack", "RPC", "Replay"], swiftSettings: optimised),
        // Text, JSON and JSON Lines renderings of what the pipeline found.
        .target(name: "Report", dependencies: [
            "AnalysisCore", "MessagePack", "RPC", "Replay", "Pipeline", .product(name: "Rainbow", package: "Rainbow"),
            .product(name: "HeapModule", package: "swift-collections"),
        ], swiftSettings: optimised),
        // Replays a folder of captures against their expected reports (`rpc-analyze test`).
        .target(name: "Regression", dependencies: ["AnalysisCore", "Capture", "Replay", "Pipeline", "Report", "Scenario"]),
        // Live peers: the recording proxy (TCP, Unix sockets), the serial tap, and replay against a running target.
        .target(name: "Live", dependencies: ["Capture", "MessagePack"]),
        // Readable scenario descriptions turned into captures (`synth`, tests, the benchmark).
        // A tool beside the pipeline: it writes captures, it never reads them.
        .target(name: "Scenario", dependencies: [
            "AnalysisCore", "Capture", "MessagePack",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "rpc-analyze", dependencies: [
            "AnalysisCore", "Capture", "MessagePack", "RPC", "Replay", "Pipeline", "Report", "Regression", "Scenario", "Live",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], resources: [.copy("Wireshark/icrpc.lua")], swiftSettings: optimised),
        // libFuzzer target for every reader (scripts/fuzz.sh); built plainly it replays inputs.
        .executableTarget(name: "FuzzReaders", dependencies: ["AnalysisCore", "Capture", "MessagePack", "RPC", "Replay", "Pipeline", "Report"]),
        .testTarget(name: "MessagePackTests", dependencies: ["MessagePack", "AnalysisCore"],
                    exclude: ["specification-formats.tsv"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "AnalysisCore", "Scenario"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "MessagePack", "AnalysisCore"]),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "RPC", "MessagePack", "AnalysisCore"]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "Pipeline", "Report", "Capture", "RPC", "MessagePack", "AnalysisCore", "Scenario", "Replay", "Regression",
        ]),
    ]
)
