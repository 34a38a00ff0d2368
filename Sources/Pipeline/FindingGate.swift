import AnalysisCore

/// Decides which findings reach the renderer: the rules selected (`--select`, `--ignore`), and
/// not those a baseline accepts (`--baseline`: each print as many times as it lists). Counts
/// what it held back, and the prints of what it let through (for `--write-baseline`), up to a cap.
public struct FindingGate: Sendable {
    public var selection: FindingSelection
    private var remaining: [FindingPrint: Int]
    public private(set) var ignored = 0
    public private(set) var baselined = 0
    /// Prints of the findings reported, for a new baseline.
    public private(set) var reported: [FindingPrint: Int] = [:]
    public static let maxPrints = 65_536
    /// Whether the prints of reported findings are kept (for `--write-baseline`); without it and
    /// without a baseline, a finding's print is never made.
    public var keepsPrints = false

    public init(selection: FindingSelection = .all, baseline: Baseline? = nil) {
        self.selection = selection
        remaining = baseline?.counts ?? [:]
    }

    /// Whether a finding's rule is all the gate reads of it: no baseline to match, no prints kept.
    var readsRuleOnly: Bool { !keepsPrints && remaining.isEmpty }

    /// Whether the rules let a finding of `rule` through; all a finding only counted is asked
    /// (when `readsRuleOnly`), and the first question for any other.
    mutating func passes(_ rule: Rule) -> Bool {
        guard selection.admits(rule) else {
            ignored += 1
            return false
        }
        return true
    }

    mutating func passes(_ finding: Finding) -> Bool {
        guard passes(finding.rule) else { return false }
        guard keepsPrints || !remaining.isEmpty else { return true }
        let print = FindingPrint(finding)
        if !remaining.isEmpty, let left = remaining[print], left > 0 {
            remaining[print] = left - 1
            baselined += 1
            return false
        }
        if keepsPrints, reported[print] != nil || reported.count < Self.maxPrints { reported[print, default: 0] += 1 }
        return true
    }
}

/// The renderer's sink behind the gate: what the replay engine reports into.
/// With a display filter, only the findings it selects pass too.
struct GatedSink<Inner: AnalysisSink>: FindingSink {
    var inner: Inner
    var gate: FindingGate
    var display: DisplayFilter?
    var displayed = DisplayFilterCounts.Share()

    mutating func finding(_ finding: Finding) {
        guard gate.passes(finding) else { return }
        if let display {
            displayed.offered += 1
            guard display.selects(finding) else { return }
            displayed.shown += 1
        }
        inner.finding(finding)
    }

    var countsFindingsOnly: Bool { display == nil && gate.readsRuleOnly && inner.countsFindingsOnly }

    mutating func countFinding(_ rule: Rule) {
        guard gate.passes(rule) else { return }
        inner.countFinding(rule)
    }
}
