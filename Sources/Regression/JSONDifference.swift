import Foundation

/// A readable list of where two JSON documents differ, by path.
public enum JSONDifference {
    public static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// Where `actual` differs from `expected`. A key of an object that `expected` does not have
    /// is a difference only when `addedKeys` is false: the report contract only ever adds
    /// fields, so an expected report written before a field was added still holds.
    public static func differences(_ expected: Any, _ actual: Any, path: String = "$", addedKeys: Bool = false,
                                   into out: inout [String]) {
        switch (expected, actual) {
        case (let e as [String: Any], let a as [String: Any]):
            for key in Set(e.keys).union(a.keys).sorted() {
                switch (e[key], a[key]) {
                case (nil, _?) where addedKeys: break
                case (nil, let v?): out.append("\(path).\(key): unexpected \(render(v))")
                case (let v?, nil): out.append("\(path).\(key): missing, expected \(render(v))")
                case (let x?, let y?): differences(x, y, path: "\(path).\(key)", addedKeys: addedKeys, into: &out)
                default: break
                }
            }
        case (let e as [Any], let a as [Any]):
            if e.count != a.count { out.append("\(path): \(e.count) elements expected, \(a.count) found") }
            for i in 0..<min(e.count, a.count) { differences(e[i], a[i], path: "\(path)[\(i)]", addedKeys: addedKeys, into: &out) }
        default:
            if render(expected) != render(actual) {
                out.append("\(path): expected \(render(expected)), found \(render(actual))")
            }
        }
    }

    public static func render(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
