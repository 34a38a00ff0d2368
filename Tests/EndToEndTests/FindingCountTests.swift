import AnalysisCore
import Pipeline
import Report
import Scenario
import Testing

/// Findings are counted in arrays indexed by the rule's ordinal: every rule has its own place,
/// and the counts read back as the report's dictionaries.
struct FindingCountTests {
    @Test func everyRuleHasItsOwnOrdinalInDeclarationOrder() {
        #expect(Rule.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
    }

    @Test func countsByRuleAndSeverityReadBackAsDictionaries() {
        var counts = ReportCounts()
        for (i, rule) in Rule.allCases.enumerated() {
            for _ in 0...i { counts.count(rule) }
        }
        #expect(counts.findingsByRule.count == Rule.allCases.count)
        #expect(Rule.allCases.enumerated().allSatisfy { counts.findingsByRule[$0.element] == $0.offset + 1 })
        for severity in Severity.allCases {
            let expected = Rule.allCases.enumerated().filter { $0.element.severity == severity }.map { $0.offset + 1 }.reduce(0, +)
            #expect(counts.findings(severity) == expected)
            #expect(counts.findings[severity] == expected)
        }
        var total = ReportCounts()
        total.addFindings(of: counts)
        total.addFindings(of: counts)
        #expect(total.findingsByRule[Rule.allCases.last!] == 2 * Rule.allCases.count)
        #expect(ReportCounts().findings.isEmpty && ReportCounts().findingsByRule.isEmpty)
    }
}

/// Past the summary's first findings, the stages count findings by rule without building them
/// (loss, junk, duplicate msgids, orphan answers, unanswered calls, non-RPC values): the counts
/// must be those of a report that builds every finding, and the findings kept the same ones.
struct CountedFindingTests {
    @Test(arguments: [HostileTraffic.lossyRecorder, .unanswered, .unpoppedMailbox, .arrayJunk, .siblingRunJunk, .unfinishedValues])
    func countingWithoutBuildingGivesTheCompleteReportsCounts(shape: HostileTraffic) throws {
        let path = Paths.temporary("counted-\(shape.rawValue).pcap")
        try shape.write(to: path, targetBytes: 400_000)
        let summary = try CaptureAnalysis.run(path: path, sink: ReportCollector(wantsValues: false, keepsTransactions: false,
                                                                                findingLimit: 50))
        let complete = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete)
        #expect(complete.sink.findings.count > 50, "\(shape): too few findings to count past the limit")
        #expect(summary.sink.counts.findingsByRule == complete.sink.counts.findingsByRule, "\(shape)")
        #expect(summary.sink.counts.findings == complete.sink.counts.findings, "\(shape)")
        #expect(summary.sink.findings == Array(complete.sink.findings.prefix(50)), "\(shape)")
    }
}
