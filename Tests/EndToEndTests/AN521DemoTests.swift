import Foundation
import Pipeline
import Replay
import Report
import Testing

/// The example firmware on two emulated Cortex-M33 cores (QEMU mps2-an521), recorded by the C
/// recorder over UART1 and read by `rpc-analyze record --serial`: scripts/an521-demo.sh.
@Suite(.serialized)
struct AN521DemoTests {
    static let output: String = {
        let out = Paths.temporary("an521")
        let run = try? CommandRun(["/bin/bash", "scripts/an521-demo.sh", out], direct: true)
        precondition(run?.status == 0, "an521-demo failed: \(run?.standardError ?? "could not run")")
        return out
    }()

    func analyse(_ variant: String) throws -> AnalysisResult<ReportCollector> {
        let board = try BoardFile.load(path: Self.output + "/an521.yaml")
        return try CaptureAnalysis.run(path: Self.output + "/\(variant).pcapng",
                                       options: AnalysisOptions(board: board), sink: ReportCollector.complete)
    }

    @Test func thePlantedBugIsADeviceOverlapOnUART0AndEveryCallIsPaired() throws {
        let result = try analyse("planted")
        let overlaps = result.sink.findings.filter { $0.rule == .deviceOverlap }
        #expect(!overlaps.isEmpty)
        #expect(overlaps.allSatisfy { $0.device == "UART0" && Set($0.cores) == ["cm33-0", "cm33-1"] })
        let calls = result.sink.transactions
        #expect(calls.map(\.method) == ["servo_new", "servo_attach"] + Array(repeating: "servo_write", count: 8))
        #expect(calls.allSatisfy { $0.status == .ok && $0.caller == "cm33-0" && $0.callee == "cm33-1" })
        #expect(calls.first?.result == .uint(0) && calls.dropFirst().first?.result == .bool(true))
    }

    @Test func theFixReportsNothingAndExitsZero() throws {
        let run = try CommandRun([Self.output + "/fixed.pcapng", "--board", Self.output + "/an521.yaml"])
        #expect(run.status == 0, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("Findings  none"))
        let result = try analyse("fixed")
        #expect(result.sink.transactions.count == 10)
        #expect(result.summary.traceEvents > 40, "lock pairs around every print")
    }

    @Test func ringsTooSmallLoseExactlyWhatTheFirmwareCounted() throws {
        let console = try String(contentsOfFile: Self.output + "/tiny-console.txt", encoding: .utf8)
        let line = try #require(console.split(separator: "\n").last { $0.hasPrefix("icrec dropped ") })
        let dropped = try #require(Int(line.split(separator: " ")[2]))
        #expect(dropped > 50)
        let result = try analyse("tiny")
        #expect(result.summary.directions.reduce(0) { $0 + $1.lostRecords } == dropped)
        #expect(result.sink.findings.contains { $0.rule == .captureLoss })
        #expect(!result.sink.findings.contains { $0.rule == .malformedRecord })
    }
}
