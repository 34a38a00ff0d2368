/// A decoded MessagePack value: the `Repr` that the rest of the stack works with.
///
/// Integers are normalised by sign, not by encoding: every non-negative integer is `.uint`,
/// every negative one `.int`, whichever of the eight integer formats carried it.
public enum MessagePackValue: Sendable, Hashable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float32(Float)
    case float64(Double)
    case string(String)
    /// A str whose bytes are not valid UTF-8: kept as they came.
    case invalidString([UInt8])
    case binary([UInt8])
    case array([MessagePackValue])
    /// Entries in wire order; keys of any type, duplicates kept.
    case map([MapEntry])
    case ext(type: Int8, data: [UInt8])
    /// The timestamp extension (type -1) in any of its three sizes.
    case timestamp(seconds: Int64, nanoseconds: UInt32)

    public struct MapEntry: Sendable, Hashable {
        public var key: MessagePackValue
        public var value: MessagePackValue

        public init(_ key: MessagePackValue, _ value: MessagePackValue) {
            self.key = key
            self.value = value
        }
    }

    public static func integer(_ value: Int64) -> MessagePackValue {
        value < 0 ? .int(value) : .uint(UInt64(value))
    }

    /// The integer value when it fits in an Int64, whatever its sign case.
    public var integerValue: Int64? {
        switch self {
        case .int(let v): v
        case .uint(let v): v <= UInt64(Int64.max) ? Int64(v) : nil
        default: nil
        }
    }

    /// The text of a str or bin, as RPC method names come either way.
    public var textValue: String? {
        switch self {
        case .string(let s): s
        case .binary(let b), .invalidString(let b): String(decoding: b, as: UTF8.self)
        default: nil
        }
    }

    /// The first string key that a map inside this value repeats, if any: JSON keeps only
    /// its last value, so the report says so.
    public var firstDuplicateStringKey: String? {
        switch self {
        case .array(let elements):
            for element in elements {
                if let key = element.firstDuplicateStringKey { return key }
            }
            return nil
        case .map(let entries):
            var seen = Set<String>()
            for entry in entries {
                if case .string(let key) = entry.key, !seen.insert(key).inserted { return key }
            }
            for entry in entries {
                if let key = entry.key.firstDuplicateStringKey ?? entry.value.firstDuplicateStringKey { return key }
            }
            return nil
        default:
            return nil
        }
    }
}
