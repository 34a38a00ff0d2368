import AnalysisCore
import Report

/// The text report's closing section when several captures were analysed: a row per capture
/// (calls, findings by severity, its own exit) and the run's verdict.
struct BatchTotal {
    var results: [CaptureBatch.Result]
    var report: CaptureReport

    func render(quiet: Bool) -> String {
        var lines: [String] = []
        var total = ReportCounts()
        var failing = 0, unreadable = 0
        var rows = [["capture", "calls", "notifications", "errors", "unanswered", "error", "warning", "note", "exit"]]
        for result in results {
            switch result {
            case .analysed(let outcome):
                let counts = outcome.counts
                total.calls.transactions += counts.calls.transactions
                total.calls.errors += counts.calls.errors
                total.calls.unanswered += counts.calls.unanswered
                total.calls.notifications += counts.calls.notifications
                total.addFindings(of: counts)
                let fails = report.fails(counts)
                if fails { failing += 1 }
                rows.append(row(outcome.file, counts, exit: fails ? 1 : 0))
            case .failed(let file, _):
                unreadable += 1
                rows.append([file, "-", "-", "-", "-", "-", "-", "-", "2"])
            }
        }
        if !quiet {
            let analysed = results.count - unreadable
            lines.append("Total  \(results.count) captures, \(analysed) analysed")
            rows.append(row("all", total, exit: unreadable > 0 ? 2 : failing > 0 ? 1 : 0))
            lines += Formatting.table(rows, rightAligned: Set(1...8)).map { "  " + $0 }
        }
        if unreadable > 0 {
            lines.append("exit 2: \(unreadable) of \(results.count) captures could not be analysed")
        } else if failing > 0 {
            lines.append("exit 1: findings at or above --fail-on \(report.failOn.rawValue) in \(failing) of \(results.count) captures")
        } else {
            lines.append("exit 0: no finding at or above --fail-on \(report.failOn.rawValue) in \(results.count) captures")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func row(_ name: String, _ counts: ReportCounts, exit: Int) -> [String] {
        let calls = [counts.transactions, counts.notifications, counts.errors, counts.unanswered]
        let findings = [Severity.error, .warning, .note].map { counts.findings($0) }
        return [name] + (calls + findings + [exit]).map { String($0) }
    }
}
