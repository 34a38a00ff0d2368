import AnalysisCore

extension MessagePackValue: CustomStringConvertible {
    /// A compact one-line rendering for people: `[1, "a", b"00ff", {k: v}]`.
    public var description: String {
        var out = ""
        write(to: &out, budget: Int.max)
        return out
    }

    /// The rendering cut to about `limit` characters, with an ellipsis where it was cut.
    public func preview(limit: Int) -> String {
        var out = ""
        write(to: &out, budget: limit)
        return out
    }

    private func write(to out: inout String, budget: Int) {
        if out.utf8.count > budget {
            return
        }
        switch self {
        case .nil: out += "nil"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let v): out += String(v)
        case .uint(let v): out += String(v)
        case .float32(let f): out += "\(f)"
        case .float64(let d): out += "\(d)"
        case .string(let s): out += quoted(s)
        case .invalidString(let raw): out += "s\"" + raw.map { String($0, radix: 16) }.joined() + "\""
        case .binary(let data): out += "b\"" + data.hexString + "\""
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += ", " }
                if out.utf8.count > budget { out += "…"; break }
                element.write(to: &out, budget: budget)
            }
            out += "]"
        case .map(let entries):
            out += "{"
            for (i, entry) in entries.enumerated() {
                if i > 0 { out += ", " }
                if out.utf8.count > budget { out += "…"; break }
                entry.key.write(to: &out, budget: budget)
                out += ": "
                if out.utf8.count > budget { out += "…"; break }
                entry.value.write(to: &out, budget: budget)
            }
            out += "}"
        case .ext(let type, let data): out += "ext(\(type), \"\(data.hexString)\")"
        case .timestamp(let seconds, let nanoseconds): out += "timestamp(\(seconds).\(nanoseconds))"
        }
    }

    private func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
