import AnalysisCore
import MessagePack
import Pipeline
import RPC

/// The default report, for a person at a terminal: what was captured, every method's calls and
/// latency, and the findings with time and record number.
public enum TextReport {
    public static func render(
        summary: CaptureSummary, statistics: [MethodStatistics], collector: ReportCollector, board: String?,
        palette: Palette = .plain
    ) -> String {
        var lines: [String] = []
        lines.append("Capture  \(summary.file)")
        var shape = "  \(summary.records) records, \(Formatting.bytes(summary.bytes)), "
            + (summary.linkTypes.count > 1
                ? "link types " + zip(summary.linkTypes, summary.linkTypeNames).map { "\($0) (\($1))" }.joined(separator: ", ")
                : "link type \(summary.linkType) (\(summary.linkTypeName))")
        if let first = summary.firstNs {
            shape += ", \(Formatting.duration(summary.durationNs)) from \(Formatting.absolute(first))"
        }
        lines.append(shape)
        if let board {
            lines.append("  board \(board)")
        } else if (147...162).contains(summary.linkType) {
            lines.append("  board generic (no --board): cores core0 and core1, every channel tried as RPC")
        }
        if summary.malformedRecords > 0 || summary.traceEvents > 0 {
            lines.append("  \(summary.malformedRecords) malformed records, \(summary.traceEvents) trace events")
        }
        if let display = summary.display {
            lines.append("  display filter \(display.filter): " + displayShares(display.counts))
        }
        lines.append("")
        lines.append(contentsOf: streamTable(summary))
        lines.append(contentsOf: methodTable(statistics, counts: collector.counts))
        var findings = findingList(collector, start: summary.firstNs, palette: palette)
        var held: [String] = []
        if summary.findingsBaselined > 0 { held.append("\(summary.findingsBaselined) accepted by the baseline") }
        if summary.findingsIgnored > 0 { held.append("\(summary.findingsIgnored) of rules not selected") }
        if !held.isEmpty { findings.insert("  (not shown: \(held.joined(separator: ", ")))", at: 1) }
        lines.append(contentsOf: findings)
        return lines.joined(separator: "\n") + "\n"
    }

    /// "3 of 10 calls, 0 of 2 notifications, 1 of 5 findings shown".
    static func displayShares(_ counts: DisplayFilterCounts) -> String {
        let shares = [(counts.transactions, "calls"), (counts.notifications, "notifications"), (counts.findings, "findings")]
        return shares.map { "\($0.0.shown) of \($0.0.offered) \($0.1)" }.joined(separator: ", ") + " shown"
    }

    /// `-q`: the findings alone (and what to do about them), for a glance or a log.
    public static func findingsOnly(collector: ReportCollector, summary: CaptureSummary, palette: Palette = .plain) -> String {
        findingList(collector, start: summary.firstNs, palette: palette).joined(separator: "\n") + "\n"
    }

    static let streamRows = 40

    static func streamTable(_ summary: CaptureSummary) -> [String] {
        let shown = summary.directions.filter(\.isRPC)
        let unselected = summary.directions.filter { !$0.isSelected }.count
        let hidden = summary.directions.count - shown.count - unselected
        var note: [String] = []
        if unselected > 0 {
            note.append("  (\(unselected) other stream\(unselected == 1 ? " was" : "s were") not selected by --port and "
                + "\(unselected == 1 ? "is" : "are") left out)")
        }
        if hidden > 0 {
            note.append("  (\(hidden) other stream\(hidden == 1 ? "" : "s") carried no MessagePack-RPC and \(hidden == 1 ? "is" : "are") left out)")
        }
        guard !shown.isEmpty else { return ["Streams  none"] + note + [""] }
        var rows = [["stream", "from", "to", "records", "rx-side", "bytes", "lost"]]
        // A person reads a screenful: past it, the busiest streams in capture order, and a count.
        let listed = shown.count <= streamRows ? shown
            : shown.enumerated().sorted { $0.element.payloadBytes > $1.element.payloadBytes }.prefix(streamRows)
                .sorted { $0.offset < $1.offset }.map(\.element)
        for d in listed {
            rows.append([d.names.channel, d.names.from, d.names.to, String(d.records), String(d.receiverSideRecords),
                         String(d.payloadBytes), String(d.lostRecords)])
        }
        let more = shown.count - listed.count
        let moreNote = more > 0 ? ["  (\(more) more RPC streams with less traffic; --format json lists every finding and call)"] : []
        return ["Streams"] + Formatting.table(rows, rightAligned: [3, 4, 5, 6]).map { "  " + $0 } + moreNote + note
            + lineUse(shown, spanNs: summary.durationNs) + [""]
    }

    /// Serial lines: each direction's time on the wire, at the board's baud and framing.
    static func lineUse(_ directions: [DirectionSummary], spanNs: Int64) -> [String] {
        directions.compactMap { direction in
            guard let line = direction.line else { return nil }
            let share = { (value: Double) in String(format: "%.1f%%", value * 100) }
            return "  wire  \(direction.names.channel) \(direction.names.from)→\(direction.names.to) at \(line.baud) baud: "
                + "\(line.bytes) B took \(Formatting.duration(line.busyNs)) (\(share(line.busyFraction(over: spanNs))) of the capture), "
                + "busiest second \(share(line.busiestSecondFraction)), longest busy stretch \(Formatting.duration(line.longestBusyNs))"
        }
    }

    static func methodTable(_ statistics: [MethodStatistics], counts: ReportCounts) -> [String] {
        let lines = ["Calls  \(counts.transactions) transactions (\(counts.errors) errors, \(counts.unanswered) "
            + "unanswered), \(counts.notifications) notifications"]
        guard !statistics.isEmpty else { return lines + [""] }
        // The board's latency budgets, when it gives any: the budget, and the calls over it.
        let budgets = statistics.contains { $0.budgetNs != nil }
        var rows = [["method", "calls", "errors", "unanswered", "min", "p50", "p90", "p99", "max", "mean"]
            + (budgets ? ["budget", "over"] : [])]
        for method in statistics {
            var row = [Formatting.cut(method.method, to: 60), String(method.calls), String(method.errors), String(method.unanswered)]
            if let latency = method.latency {
                row += [latency.min, latency.p50, latency.p90, latency.p99, latency.max, latency.mean]
                    .map(Formatting.duration)
            } else {
                row += Array(repeating: "-", count: 6)
            }
            if budgets {
                row += method.budgetNs.map { [Formatting.duration($0), String(method.overBudget)] } ?? ["-", "-"]
            }
            rows.append(row)
        }
        return lines + Formatting.table(rows, rightAligned: Set(1...11)).map { "  " + $0 } + [""]
            + routedTable(statistics)
    }

    /// Calls through a router, split per leg: where the caller's wait went.
    static func routedTable(_ statistics: [MethodStatistics]) -> [String] {
        let routed = statistics.filter { $0.routed.calls > 0 }
        guard !routed.isEmpty else { return [] }
        var rows = [["method", "routed", "caller waits", "router out", "wire out", "callee", "wire back", "router back",
                     "waited for wire"]]
        for method in routed {
            let times = method.routed
            let forward = times.mean(times.forwardTotalNs), leg = times.mean(times.legTotalNs), back = times.mean(times.backTotalNs)
            let out = times.mean(times.wireOutTotalNs), home = times.mean(times.wireBackTotalNs)
            let serial = times.wireOutTotalNs > 0
            rows.append([Formatting.cut(method.method, to: 60), String(times.calls),
                         Formatting.duration(forward + leg + back), Formatting.duration(forward),
                         serial ? Formatting.duration(out) : "-", Formatting.duration(max(0, leg - out)),
                         serial ? Formatting.duration(home) : "-", Formatting.duration(max(0, back - home)),
                         String(times.waitedForWire)])
        }
        return ["Through the router  (means over the calls answered on both legs: the router passing the call on, its "
                + "bytes on the serial wire, the callee, the answer's bytes on the wire, the router passing it back)"]
            + Formatting.table(rows, rightAligned: Set(1...8)).map { "  " + $0 } + [""]
    }

    /// Both accesses of a synchronisation finding in two columns, then the wire, if any.
    static func sides(of finding: Finding, start: Nanoseconds?, palette: Palette = .plain) -> [String] {
        guard !finding.accesses.isEmpty else { return [] }
        var rows = [[""] + finding.accesses.map(\.core)]
        rows.append(["when"] + finding.accesses.map { "\(Formatting.relative($0.timeNs, from: start)) (#\($0.record))" })
        rows.append(["did"] + finding.accesses.map(\.action))
        rows.append(["locks held"] + finding.accesses.map { $0.locksHeld.isEmpty ? "none" : $0.locksHeld.joined(separator: ", ") })
        var lines = Formatting.table(rows, rightAligned: []).map { "        " + $0 }
        if let wire = finding.wire {
            lines.append(contentsOf: wireLines(wire, sides: finding.accesses.map(\.core), palette: palette))
        }
        return lines
    }

    /// The bytes as they left, one column each, and under them which side wrote each byte
    /// (1 for the first column above, 2 for the second).
    static func wireLines(_ wire: Finding.WireExcerpt, sides: [String], width: Int = 96, palette: Palette = .plain) -> [String] {
        var text = ""
        var marks = ""
        for (byte, writer) in zip(wire.bytes, wire.writers).prefix(width) {
            let shown: String = switch byte {
            case 0x0A: "␊"
            case 0x0D: "␍"
            case 0x09: "␉"
            case 0x20...0x7E: String(Unicode.Scalar(byte))
            default: "·"
            }
            let side = sides.firstIndex(of: writer)
            text += side.map { palette.writer(shown, side: $0) } ?? shown
            marks += side.map { palette.writer(String($0 + 1), side: $0) } ?? "?"
        }
        let more = wire.bytes.count > width ? " … (\(wire.bytes.count) bytes)" : ""
        return [
            "        wire        " + text + more,
            "        written by  " + marks + "   (" + sides.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: ", ") + ")",
        ]
    }

    static func findingList(_ collector: ReportCollector, start: Nanoseconds?, palette: Palette = .plain) -> [String] {
        let counts = collector.counts
        let total = counts.findings.values.reduce(0, +)
        guard total > 0 else { return ["Findings  none"] }
        let bySeverity = Severity.allCases.reversed().compactMap { severity -> String? in
            let n = counts.findings(severity)
            return n > 0 ? "\(n) \(severity.name)\(n == 1 ? "" : "s")" : nil
        }
        var lines = ["Findings  \(bySeverity.joined(separator: ", "))"]
        for finding in collector.findingsInTimeOrder {
            let record = finding.record.map { "#\($0)" } ?? "-"
            lines.append("  \(Formatting.relative(finding.timeNs, from: start))  \(record)  "
                + "\(palette.severity(finding.severity.name, finding.severity))  \(palette.rule(finding.rule.rawValue))  \(finding.message)")
            lines.append(contentsOf: sides(of: finding, start: start, palette: palette))
        }
        let shown = collector.findings.count
        if shown < total {
            lines.append("  … \(total - shown) more findings not listed; by rule: "
                + counts.findingsByRule.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        }
        lines.append("")
        lines.append("What to do")
        for rule in counts.findingsByRule.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            lines.append(contentsOf: LineFitting.fit(line: "  \(rule.rawValue): \(rule.advice)", width: 100, hanging: "    "))
        }
        return lines
    }
}
