/// A parsed configuration file, YAML or TOML alike: values with the line they came from, so
/// that a mistake is reported at its place.
public struct ConfigNode: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case list([ConfigNode])
        /// Keys in file order.
        case table([(key: String, node: ConfigNode)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): true
            case (.bool(let a), .bool(let b)): a == b
            case (.int(let a), .int(let b)): a == b
            case (.float(let a), .float(let b)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.list(let a), .list(let b)): a == b
            case (.table(let a), .table(let b)): a.map(\.key) == b.map(\.key) && a.map(\.node) == b.map(\.node)
            default: false
            }
        }
    }

    public var value: Value
    public var line: Int?

    public init(_ value: Value, line: Int?) {
        self.value = value
        self.line = line
    }

    public subscript(key: String) -> ConfigNode? {
        guard case .table(let entries) = value else { return nil }
        return entries.last { $0.key == key }?.node
    }

    public var string: String? {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        default: nil
        }
    }

    public var int: Int? {
        if case .int(let i) = value { return i }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    public var list: [ConfigNode]? {
        if case .list(let l) = value { return l }
        return nil
    }

    public var table: [(key: String, node: ConfigNode)]? {
        if case .table(let t) = value { return t }
        return nil
    }
}
