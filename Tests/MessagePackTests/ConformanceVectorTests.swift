import Foundation
import Testing
@testable import MessagePack

/// The public msgpack-test-suite vectors in ../shared/vectors (MIT). The project's own tests
/// stand without them; this one runs when the file is there.
struct ConformanceVectorTests {
    static let vectorsURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/vectors/msgpack-test-suite.json")

    static var vectorsPresent: Bool { FileManager.default.fileExists(atPath: vectorsURL.path) }

    struct Case {
        var group: String
        var expected: [String: Any]
        var encoding: [UInt8]
    }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: vectorsURL)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[String: Any]]])
        var cases: [Case] = []
        for (group, entries) in root.sorted(by: { $0.key < $1.key }) {
            for entry in entries {
                for hex in try #require(entry["msgpack"] as? [String]) {
                    let bytes = try #require([UInt8](hex: hex.replacingOccurrences(of: "-", with: "")))
                    cases.append(Case(group: group, expected: entry, encoding: bytes))
                }
            }
        }
        return cases
    }

    @Test(.enabled(if: vectorsPresent, "shared/vectors is not beside the checkout"))
    func everyEncodingDecodesToItsValue() throws {
        let cases = try Self.cases()
        #expect(cases.count > 100)
        for c in cases {
            let decoded = try #require(MessagePackValue.decode(c.encoding), "\(c.group): \(c.encoding.hexString) did not decode")
            #expect(Self.matches(decoded, c.expected), "\(c.group): \(c.encoding.hexString) decoded as \(decoded)")
            // The incremental path must agree, whatever the record boundaries: one byte per record.
            let sink = assemble(c.encoding.map { [$0] }, anchor: .anyValue)
            #expect(sink.frames == [c.encoding], "\(c.group): assembler framed \(c.encoding.hexString) wrongly")
            #expect(sink.junk.isEmpty)
            // Writing the value again and reading it back gives the same value.
            #expect(MessagePackValue.decode(MessagePackEncoder.encode(decoded)) == decoded)
        }
    }

    static func matches(_ value: MessagePackValue, _ entry: [String: Any]) -> Bool {
        if entry.keys.contains("nil") { return value == .nil }
        if let b = entry["bool"] as? Bool { return value == .bool(b) }
        if let hex = entry["binary"] as? String { return value == .binary([UInt8](hex: hex.replacingOccurrences(of: "-", with: ""))!) }
        if let big = entry["bignum"] as? String { return numeric(value) == big || Double(big).map { doubleOf(value) == $0 } == true }
        if let n = entry["number"] { return matchesJSON(value, n) }
        if let s = entry["string"] as? String { return value == .string(s) }
        if let a = entry["array"] { return matchesJSON(value, a) }
        if let m = entry["map"] { return matchesJSON(value, m) }
        if let t = entry["timestamp"] as? [NSNumber], t.count == 2 {
            return value == .timestamp(seconds: t[0].int64Value, nanoseconds: t[1].uint32Value)
        }
        if let e = entry["ext"] as? [Any], e.count == 2, let type = e[0] as? NSNumber, let hex = e[1] as? String {
            return value == .ext(type: type.int8Value, data: [UInt8](hex: hex.replacingOccurrences(of: "-", with: ""))!)
        }
        return false
    }

    static func numeric(_ value: MessagePackValue) -> String? {
        switch value {
        case .int(let v): String(v)
        case .uint(let v): String(v)
        default: nil
        }
    }

    static func doubleOf(_ value: MessagePackValue) -> Double? {
        switch value {
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        case .float32(let f): Double(f)
        case .float64(let d): d
        default: nil
        }
    }

    static func matchesJSON(_ value: MessagePackValue, _ json: Any) -> Bool {
        switch json {
        case let s as String: return value == .string(s)
        case let n as NSNumber:
            guard let d = doubleOf(value) else { return false }
            return d == n.doubleValue
        case let a as [Any]:
            guard case .array(let elements) = value, elements.count == a.count else { return false }
            return zip(elements, a).allSatisfy { matchesJSON($0, $1) }
        case let m as [String: Any]:
            guard case .map(let entries) = value, entries.count == m.count else { return false }
            return entries.allSatisfy { entry in
                guard case .string(let k) = entry.key, let expected = m[k] else { return false }
                return matchesJSON(entry.value, expected)
            }
        case is NSNull: return value == .nil
        default: return false
        }
    }
}
