// swift-tools-version: 6.1
import PackageDescription

// The pipeline, lowest stage first. Each module imports only the stages above it in this list:
// CPcap → AnalysisCore → Capture → MessagePack → RPC → Pipeline → Report → rpc-analyze.
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
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Shared vocabulary of every stage: findings, times, byte buffers.
        .target(name: "AnalysisCore"),
        // Files, records, link layers, streams. Knows nothing of MessagePack or RPC.
        .target(name: "Capture", dependencies: ["CPcap", "AnalysisCore"]),
        // MessagePack wire scanning, values, encoding. Knows nothing of captures.
        .target(name: "MessagePack", dependencies: ["AnalysisCore"]),
        // MessagePack-RPC framing, correlation, statistics, trace events. Consumes byte chunks.
        .target(name: "RPC", dependencies: [
            "AnalysisCore", "MessagePack",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // Wires a capture into the RPC stage and hands results to a sink.
        .target(name: "Pipeline", dependencies: ["AnalysisCore", "Capture", "MessagePack", "RPC"]),
        // Text, JSON and JSON Lines renderings of what the pipeline found.
        .target(name: "Report", dependencies: ["AnalysisCore", "MessagePack", "RPC", "Pipeline"]),
        // Readable scenario descriptions turned into captures (`synth`, tests, the benchmark).
        // A tool beside the pipeline: it writes captures, it never reads them.
        .target(name: "Scenario", dependencies: [
            "AnalysisCore", "Capture", "MessagePack",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "rpc-analyze", dependencies: [
            "AnalysisCore", "Capture", "MessagePack", "RPC", "Pipeline", "Report", "Scenario",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "MessagePackTests", dependencies: ["MessagePack", "AnalysisCore"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "AnalysisCore", "Scenario"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "MessagePack", "AnalysisCore"]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "Pipeline", "Report", "Capture", "RPC", "MessagePack", "AnalysisCore", "Scenario",
        ]),
    ]
)
