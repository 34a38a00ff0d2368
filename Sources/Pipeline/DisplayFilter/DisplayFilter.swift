import AnalysisCore
import RPC

/// A display filter (`-Y`, as tshark's): which transactions, notifications and findings are
/// shown and counted, decided after decoding and pairing so that it never breaks a pair.
/// `method == "servo_write" && latency > 2ms`, `rule == "device-overlap" || core == "core1"`.
/// A field an item does not have makes its comparison false, as in tshark.
public struct DisplayFilter: Sendable, CustomStringConvertible {
    public let description: String
    let root: Node

    public init(_ text: String) throws(DisplayFilterError) {
        description = text
        var parser = DisplayFilterParser(text)
        root = try parser.parseWhole()
    }

    indirect enum Node: Sendable {
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case present(Field)
        case compare(Field, Comparison, Operand)
    }

    enum Comparison: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case contains
    }

    enum Operand: Sendable {
        case text(String)
        case number(Int64)
    }

    /// The fields a filter may name, with the kind of value each compares as.
    enum Field: String, CaseIterable, Sendable {
        case type, method, msgid, status, caller, callee, from, to, core, channel, latency, record
        case rule, severity, message, device, lock, procedure, region

        enum Kind { case text, number, duration, severity }

        var kind: Kind {
            switch self {
            case .msgid, .record: .number
            case .latency: .duration
            case .severity: .severity
            default: .text
            }
        }
    }

    public func selects(_ transaction: Transaction) -> Bool { root.holds(for: .transaction(transaction)) }
    public func selects(_ notification: Notification) -> Bool { root.holds(for: .notification(notification)) }
    public func selects(_ finding: Finding) -> Bool { root.holds(for: .finding(finding)) }

    /// The fields, for help text and error messages.
    public static var fieldNames: String { Field.allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A mistake in a display filter, at a column (1-based) of its text.
public struct DisplayFilterError: Error, Sendable, CustomStringConvertible {
    public var column: Int
    public var reason: String
    public var text: String

    /// One line: the column, the reason, and the expression with a mark where it went wrong
    /// (at most 40 characters either side of it).
    public var description: String {
        let offset = min(max(0, column - 1), text.count)
        let before = text.prefix(offset), after = text.dropFirst(offset)
        let shownBefore = before.count > 40 ? "…" + before.suffix(40) : String(before)
        let shownAfter = after.count > 40 ? after.prefix(40) + "…" : String(after)
        return "column \(column): \(reason): \(shownBefore)▶\(shownAfter)"
    }
}

/// One thing a display filter is asked about.
enum DisplayItem {
    case transaction(Transaction)
    case notification(Notification)
    case finding(Finding)

    /// Every value the item has for a field: none when it lacks it, two for `core` of a call.
    func values(_ field: DisplayFilter.Field) -> [DisplayFilter.Operand] {
        func text(_ value: String?) -> [DisplayFilter.Operand] { value.map { [.text($0)] } ?? [] }
        func number<I: BinaryInteger>(_ value: I?) -> [DisplayFilter.Operand] { value.map { [.number(Int64(clamping: $0))] } ?? [] }
        switch (self, field) {
        case (.transaction, .type): return text("transaction")
        case (.notification, .type): return text("notification")
        case (.finding, .type): return text("finding")
        case (.transaction(let t), .method): return text(t.method)
        case (.notification(let n), .method): return text(n.method)
        case (.finding(let f), .method): return text(f.method)
        case (.transaction(let t), .msgid): return number(t.msgid)
        case (.finding(let f), .msgid): return number(f.msgid)
        case (.transaction(let t), .status): return text(t.status.rawValue)
        case (.transaction(let t), .caller): return text(t.caller)
        case (.transaction(let t), .callee): return text(t.callee)
        case (.notification(let n), .from): return text(n.from)
        case (.notification(let n), .to): return text(n.to)
        case (.transaction(let t), .core): return [.text(t.caller), .text(t.callee)]
        case (.notification(let n), .core): return [.text(n.from), .text(n.to)]
        case (.finding(let f), .core): return f.cores.map { .text($0) }
        case (.transaction(let t), .channel): return text(t.channel)
        case (.notification(let n), .channel): return text(n.channel)
        case (.finding(let f), .channel): return text(f.channel)
        case (.transaction(let t), .latency): return number(t.latencyNs)
        case (.transaction(let t), .record): return number(t.request.number) + number(t.response?.number)
        case (.notification(let n), .record): return number(n.origin.number)
        case (.finding(let f), .record): return number(f.record)
        case (.finding(let f), .rule): return text(f.rule.rawValue)
        case (.finding(let f), .severity): return number(f.severity.rawValue)
        case (.finding(let f), .message): return text(f.message)
        case (.finding(let f), .device): return text(f.device)
        case (.finding(let f), .lock): return text(f.lock)
        case (.finding(let f), .procedure): return text(f.procedure)
        case (.finding(let f), .region): return text(f.region)
        default: return []
        }
    }
}

extension DisplayFilter.Node {
    func holds(for item: DisplayItem) -> Bool {
        switch self {
        case .and(let left, let right): left.holds(for: item) && right.holds(for: item)
        case .or(let left, let right): left.holds(for: item) || right.holds(for: item)
        case .not(let inner): !inner.holds(for: item)
        case .present(let field): !item.values(field).isEmpty
        case .compare(let field, let comparison, let operand):
            // Any of the item's values that compares true, as tshark does for repeated fields.
            item.values(field).contains { comparison.holds($0, operand) }
        }
    }
}

extension DisplayFilter.Comparison {
    func holds(_ value: DisplayFilter.Operand, _ operand: DisplayFilter.Operand) -> Bool {
        switch (value, operand) {
        case (.text(let a), .text(let b)):
            switch self {
            case .equal: return a == b
            case .notEqual: return a != b
            case .contains: return a.contains(b)
            default: return false
            }
        case (.number(let a), .number(let b)):
            switch self {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            case .contains: return false
            }
        default:
            return false
        }
    }
}
