import AnalysisCore
import Report
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
        #expect(total.findingsByRule[.slowCall] == 2 * Rule.allCases.count)
        #expect(ReportCounts().findings.isEmpty && ReportCounts().findingsByRule.isEmpty)
    }
}
