/// Which findings a run reports, as ruff's `--select` and `--ignore` choose rules: by rule name,
/// or by severity name for every rule of that severity.
public struct FindingSelection: Sendable {
    private var admitted: Set<Rule>

    public static var all: FindingSelection { FindingSelection(admitted: Set(Rule.allCases)) }

    private init(admitted: Set<Rule>) {
        self.admitted = admitted
    }

    /// Nil and the first name that is neither a rule nor a severity when one is unknown.
    public init(select: [String], ignore: [String]) throws(SelectionError) {
        admitted = select.isEmpty ? Set(Rule.allCases) : try Self.rules(select)
        admitted.subtract(try Self.rules(ignore))
    }

    public func admits(_ rule: Rule) -> Bool { admitted.contains(rule) }

    private static func rules(_ names: [String]) throws(SelectionError) -> Set<Rule> {
        var rules = Set<Rule>()
        for name in names.flatMap({ $0.split(separator: ",").map { $0.trimmingSpaces } }) where !name.isEmpty {
            if let rule = Rule(rawValue: name) {
                rules.insert(rule)
            } else if let severity = Severity.allCases.first(where: { $0.name == name }) {
                rules.formUnion(Rule.allCases.filter { $0.severity == severity })
            } else {
                throw SelectionError(name: name)
            }
        }
        return rules
    }
}

public struct SelectionError: Error, CustomStringConvertible {
    public var name: String
    public var description: String {
        "\(name) is neither a rule nor a severity (error, warning, note); rules: "
            + Rule.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// What identifies a finding across runs of the same firmware: its rule and where it is
/// (cores, channel, device, lock, procedure, region, method), not when or which msgid.
public struct FindingPrint: Hashable, Sendable {
    public var rule: Rule
    public var cores: [String]
    public var place: [String]

    public init(_ finding: Finding) {
        rule = finding.rule
        cores = finding.cores.sorted()
        place = [finding.channel, finding.device, finding.lock, finding.procedure, finding.region, finding.method]
            .map { $0 ?? "" }
    }

    public init(rule: Rule, cores: [String], place: [String]) {
        self.rule = rule
        self.cores = cores
        self.place = place
    }
}

/// Findings known and accepted: each print with how many times it may occur.
public struct Baseline: Sendable {
    public var counts: [FindingPrint: Int]
    public init(counts: [FindingPrint: Int] = [:]) { self.counts = counts }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
