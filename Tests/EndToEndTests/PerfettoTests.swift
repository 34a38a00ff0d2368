import Foundation
import Testing

/// `--format perfetto` read back through Perfetto's own trace protos (Python's perfetto
/// package): well-formed for the UI and trace_processor, and the same calls and findings as
/// the JSON report, on every bundled capture.
struct PerfettoTests {
    static func boardArguments(_ name: String) -> [String] {
        let sidecar = Paths.captures.appendingPathComponent("\(name).board")
        guard let board = try? String(contentsOf: sidecar, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
            return []
        }
        let file = Paths.captures.appendingPathComponent(board).path
        return ["--board", FileManager.default.fileExists(atPath: file) ? file : board]
    }

    /// The capture written as a Perfetto trace and read back by Tests/Fixtures/check_perfetto.py.
    static func traceSummary(of capture: String, _ arguments: [String], name: String) throws -> [String: Any] {
        let trace = Paths.temporary("\(name).pftrace")
        let written = try CommandRun([capture, "--format", "perfetto", "-o", trace] + arguments)
        #expect(written.status <= 1, "\(written.standardError)")
        let check = try CommandRun(["/usr/bin/env", "python3",
                                    Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_perfetto.py").path, trace],
                                   direct: true)
        #expect(check.status == 0, "\(check.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any])
    }

    @Test(arguments: Paths.bundledCaptures())
    func theTraceHoldsTheReportsCallsAndFindings(name: String) throws {
        let capture = Paths.captures.appendingPathComponent("\(name).pcap").path
        let summary = try Self.traceSummary(of: capture, Self.boardArguments(name), name: name)
        #expect((summary["problems"] as? [String]) == [], "\(name): \(summary["problems"] ?? "")")
        let json = try CommandRun([capture, "--format", "json"] + Self.boardArguments(name))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        var methods: [String: Int] = [:]
        for transaction in report["transactions"] as? [[String: Any]] ?? [] { methods[transaction["method"] as! String, default: 0] += 1 }
        var rules: [String: Int] = [:]
        for finding in report["findings"] as? [[String: Any]] ?? [] { rules[finding["rule"] as! String, default: 0] += 1 }
        #expect((summary["calls"] as? [String: Int] ?? [:]) == methods, "\(name)")
        #expect((summary["findings"] as? [String: Int] ?? [:]) == rules, "\(name)")
    }

    @Test func aBoardWithFIFODepthsGetsOccupancyCounters() throws {
        let trace = Paths.temporary("fifo.pftrace")
        let run = try CommandRun([Paths.captures.appendingPathComponent("fifo-overflow.pcap").path, "--board", "rp2040",
                                  "--format", "perfetto", "-o", trace])
        #expect(run.status == 1)
        let check = try CommandRun(["/usr/bin/env", "python3",
                                    Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_perfetto.py").path, trace],
                                   direct: true)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any])
        #expect((summary["counters"] as? Int ?? 0) > 10)
        #expect((summary["processes"] as? [String]) == ["channels", "core0", "core1", "findings"])
    }
}
