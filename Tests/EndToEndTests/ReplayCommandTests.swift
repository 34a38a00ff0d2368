import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import AnalysisCore
import Regression
import Testing

/// Boards, replay findings, SARIF and the regression command, through the built command.
@Suite(.serialized)
struct ReplayCommandTests {
    @Test func aUARTRaceFailsTheRunAndShowsBothSidesAndTheWire() throws {
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040"])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("device-overlap"))
        #expect(run.standardOutput.contains("written by  "))
        #expect(run.standardOutput.contains("locks held"))
        #expect(run.standardOutput.contains("board rp2040"))
    }

    @Test func withoutReplayTheSameCaptureRaisesNothing() throws {
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040", "--no-replay"])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("Findings  none"))
    }

    @Test func boardsAreListedAndPrintAsFilesThatWorkAsBoards() throws {
        let list = try CommandRun(["boards"])
        #expect(list.status == 0)
        #expect(list.standardOutput.contains("rp2040"))
        #expect(list.standardOutput.contains("giga-r1"))
        let printed = try CommandRun(["boards", "giga-r1"])
        let file = Paths.temporary("giga.yaml")
        try printed.standardOutput.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CommandRun(["Captures/giga-owner-violation.pcap", "--board", file, "--format", "json"])
        #expect(run.status == 1)
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        #expect(report["board"] as? String == "giga-r1")
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.map { $0["rule"] as? String } == ["owner-violation"])
    }

    @Test func aBadBoardIsExitTwoNamingFileLineAndKey() throws {
        let file = Paths.temporary("bad-board.yaml")
        try "name: mine\ncores:\n  - {number: 0, name: main, clok_hz: 1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CommandRun(["Captures/giga-servo.pcap", "--board", file])
        #expect(run.status == 2)
        #expect(run.standardError.contains("bad-board.yaml:3: cores[0].clok_hz: unknown key"))
        let unknown = try CommandRun(["Captures/giga-servo.pcap", "--board", "stm32mp1"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("built-in boards are rp2040, giga-r1"))
    }

    @Test func sarifHasOneRulePerFindingNameAndResultsAtRecords() throws {
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040", "--format", "sarif"])
        let sarif = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
        let sarifRun = try #require((sarif["runs"] as? [[String: Any]])?.first)
        let driver = try #require((sarifRun["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.count == Rule.allCases.count)
        #expect(rules.contains { $0["id"] as? String == "device-overlap" })
        let result = try #require((sarifRun["results"] as? [[String: Any]])?.first)
        #expect(result["ruleId"] as? String == "device-overlap")
        #expect(result["level"] as? String == "error")
        let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 4)
        #expect((result["relatedLocations"] as? [Any])?.count == 1)
    }

    @Test func theRegressionCommandPassesTheBundledFolderAndWritesJUnit() throws {
        let junit = Paths.temporary("junit.xml")
        let run = try CommandRun(["test", "Captures", "--junit", junit])
        #expect(run.status == 0, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("0 failed"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuite name=\"Captures\""))
        #expect(xml.contains("failures=\"0\""))
        _ = try XMLDocument(xmlString: xml)
    }

    @Test func aChangedReportFailsWithAReadableDifferenceAndUpdateRewritesIt() throws {
        let folder = Paths.temporary("suite")
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["uart-unsynchronized.pcap", "uart-unsynchronized.board"] {
            try FileManager.default.copyItem(atPath: Paths.captures.appendingPathComponent(file).path,
                                             toPath: folder + "/" + file)
        }
        let missing = try CommandRun(["test", folder])
        #expect(missing.status == 1)
        #expect(missing.standardOutput.contains("run with --update"))
        #expect(try CommandRun(["test", folder, "--update"]).status == 0)
        #expect(try CommandRun(["test", folder]).status == 0)
        // Expect a different severity count: the difference names the path and both values.
        let expected = folder + "/uart-unsynchronized.expected.json"
        var text = try String(contentsOfFile: expected, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"warning\" : 1", with: "\"warning\" : 0")
        try text.write(toFile: expected, atomically: true, encoding: .utf8)
        let junit = folder + "/junit.xml"
        let failed = try CommandRun(["test", folder, "--junit", junit])
        #expect(failed.status == 1)
        #expect(failed.standardOutput.contains("FAIL     uart-unsynchronized"))
        #expect(failed.standardOutput.contains("$.summary.findings.warning: expected 0, found 1"))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<failure"))
    }

    @Test func aBoardThatDoesNotDescribeTheCaptureSaysSo() throws {
        // uart1 on a capture of uart0, and one core on a capture of two.
        let board = Paths.temporary("wrong-uart.yaml")
        try """
        name: one-uart-board
        cores:
          - {number: 0, name: core0}
        channels:
          - {kind: uart, number: 1, name: uart1, rpc: false, baud: 115200, device: UART1}
        """.write(toFile: board, atomically: true, encoding: .utf8)
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", board, "--format", "json"])
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        let mismatches = (report["findings"] as? [[String: Any]] ?? []).filter { $0["rule"] as? String == "board-mismatch" }
        let messages = mismatches.compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.contains("uart0") && $0.contains("one-uart-board") && $0.contains("uart1") })
        #expect(messages.contains { $0.contains("core 1") })
        #expect(mismatches.allSatisfy { $0["severity"] as? String == "warning" })
        // Once each, however much traffic there is.
        #expect(mismatches.count == 2)
        // The capture's own board raises none.
        let right = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040", "--format", "json"])
        #expect(!right.standardOutput.contains("board-mismatch"))
    }
}
