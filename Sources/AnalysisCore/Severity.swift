/// How bad a finding is. The names are SARIF's levels, so reports map onto code-scanning pages as they are.
public enum Severity: Int, Comparable, Sendable, CaseIterable {
    case note = 0
    case warning = 1
    case error = 2

    public var name: String {
        switch self {
        case .note: "note"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public init?(name: String) {
        guard let match = Severity.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
}
