import Foundation

/// Where the package, its bundled captures and the built command are.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let captures = packageRoot.appendingPathComponent("Captures")

    /// The `rpc-analyze` built beside the test bundle.
    static var executable: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            var url = directory
            // The test runner may be inside the .xctest bundle.
            for _ in 0..<4 {
                let binary = url.appendingPathComponent("rpc-analyze")
                if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
                url = url.deletingLastPathComponent()
            }
        }
        return packageRoot.appendingPathComponent(".build/debug/rpc-analyze")
    }

    static func bundledCaptures() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: captures.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func temporary(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-analyze-e2e-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}

/// Runs the built command and captures what it says.
struct CommandRun {
    var status: Int32
    var standardOutput: String
    var standardError: String

    /// Runs `rpc-analyze` with `arguments`; with `direct`, the first argument is the program.
    init(_ arguments: [String], input: Data? = nil, direct: Bool = false) throws {
        let process = Process()
        process.executableURL = direct ? URL(fileURLWithPath: arguments[0]) : Paths.executable
        process.arguments = direct ? Array(arguments.dropFirst()) : arguments
        process.currentDirectoryURL = Paths.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        standardOutput = String(decoding: outData, as: UTF8.self)
        standardError = String(decoding: errData, as: UTF8.self)
    }
}
