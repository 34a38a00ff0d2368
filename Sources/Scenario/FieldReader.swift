import AnalysisCore
import Capture
import Foundation
import MessagePack
import Yams

/// Reads and checks the fields of one scenario record.
struct FieldReader {
    let file: String
    let record: String
    let fields: [String: Node]

    func problem(_ key: String, _ text: String) -> ConfigError {
        ConfigError(file: file, line: fields[key]?.mark.map { $0.line }, key: "\(record).\(key)", text)
    }

    func text(_ key: String) throws(ConfigError) -> String? {
        guard let node = fields[key] else { return nil }
        guard let value = node.string else { throw problem(key, "expected text") }
        return value
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let node = fields[key] else { return nil }
        guard let value = node.int, range.contains(value) else {
            throw problem(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func flag(_ key: String) throws(ConfigError) -> Bool? {
        guard let node = fields[key] else { return nil }
        guard let value = node.bool else { throw problem(key, "expected true or false") }
        return value
    }

    func hex(_ key: String) throws(ConfigError) -> [UInt8]? {
        guard let node = fields[key] else { return nil }
        guard let text = node.string, let bytes = [UInt8](hex: text) else {
            throw problem(key, "expected hex digits, such as \"93 00 01\"")
        }
        return bytes
    }

    /// A time offset: a whole number of nanoseconds or a number with a unit (`250us`, `1.5ms`, `2s`).
    func duration(_ key: String) throws(ConfigError) -> Int64? {
        guard let node = fields[key] else { return nil }
        if let ns = node.int { return Int64(ns) }
        guard let text = node.string, let ns = Self.parseDuration(text) else {
            throw problem(key, "expected a duration such as 250us, 1.5ms, 2s or 800ns")
        }
        return ns
    }

    static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)),
                  number.isFinite, number >= 0 else { return nil }
            return Int64((number * scale).rounded())
        }
        return nil
    }

    /// The record's payload from whichever of msgpack, values, hex, text or event/args is given.
    func payload(kind: ChannelKind) throws(ConfigError) -> [UInt8] {
        let sources = ["msgpack", "values", "hex", "text", "event"].filter { fields[$0] != nil }
        guard sources.count <= 1 else {
            throw problem(sources[1], "give only one of msgpack, values, hex, text or event")
        }
        if let node = fields["msgpack"] {
            return try ValueReader(file: file, key: "\(record).msgpack").encoded(node)
        }
        if let node = fields["values"] {
            guard let list = node.sequence else { throw problem("values", "expected a list of values") }
            var bytes: [UInt8] = []
            for element in list {
                bytes += try ValueReader(file: file, key: "\(record).values").encoded(element)
            }
            return bytes
        }
        if let bytes = try hex("hex") { return bytes }
        if let text = try text("text") { return Array(text.utf8) }
        if let event = try text("event") {
            let args: MessagePackValue
            if let node = fields["args"] {
                args = try ValueReader(file: file, key: "\(record).args").value(node)
            } else {
                args = .array([])
            }
            return MessagePackEncoder.encode(.array([.string(event), args]))
        }
        if kind == .trace { throw problem("event", "a trace record needs an event") }
        return []
    }

    /// Cuts the payload into chunks: `split: 4` every 4 bytes (one FIFO word per record), or
    /// `split: [3, 5]` chunks of those sizes with the last chunk taking the rest.
    func split(_ payload: [UInt8]) throws(ConfigError) -> [[UInt8]] {
        guard let node = fields["split"] else { return [payload] }
        if let every = node.int {
            guard every > 0 else { throw problem("split", "expected a positive chunk size") }
            return stride(from: 0, to: max(payload.count, 1), by: every).map {
                Array(payload[$0..<min($0 + every, payload.count)])
            }
        }
        guard let sizes = node.sequence?.compactMap({ $0.int }), sizes.count == node.sequence?.count,
              sizes.allSatisfy({ $0 > 0 }), sizes.reduce(0, +) < payload.count || sizes.reduce(0, +) == payload.count
        else { throw problem("split", "expected chunk sizes (positive, adding up to at most the payload's length)") }
        var chunks: [[UInt8]] = []
        var offset = 0
        for size in sizes {
            chunks.append(Array(payload[offset..<offset + size]))
            offset += size
        }
        if offset < payload.count { chunks.append(Array(payload[offset...])) }
        return chunks
    }
}

/// YAML values as MessagePack: numbers, strings, lists and maps as themselves, plus tags for
/// what YAML lacks: `!bin "00ff"`, `!f32 1.5`, `!ext [5, "aabb"]`, `!timestamp [sec, nsec]`,
/// `!raw "c1"` (bytes put in as they are), `!str_hex "ff"` (a str with invalid UTF-8).
struct ValueReader {
    let file: String
    let key: String

    func encoded(_ node: Node) throws(ConfigError) -> [UInt8] {
        if node.tag.rawValue == "!raw" {
            guard let text = node.string, let bytes = [UInt8](hex: text) else { throw fail(node, "!raw takes hex") }
            return bytes
        }
        var encoder = MessagePackEncoder()
        try append(node, to: &encoder)
        return encoder.bytes
    }

    func value(_ node: Node) throws(ConfigError) -> MessagePackValue {
        guard let value = MessagePackValue.decode(try encoded(node)) else { throw fail(node, "not one value") }
        return value
    }

    private func append(_ node: Node, to encoder: inout MessagePackEncoder) throws(ConfigError) {
        let tag = node.tag.rawValue
        switch tag {
        case "!raw":
            guard let text = node.string, let bytes = [UInt8](hex: text) else { throw fail(node, "!raw takes hex") }
            encoder.appendRaw(bytes)
            return
        case "!bin":
            guard let text = node.string, let bytes = [UInt8](hex: text) else { throw fail(node, "!bin takes hex") }
            encoder.append(.binary(bytes))
            return
        case "!str_hex":
            guard let text = node.string, let bytes = [UInt8](hex: text) else { throw fail(node, "!str_hex takes hex") }
            encoder.append(.invalidString(bytes))
            return
        case "!f32":
            guard let number = node.float else { throw fail(node, "!f32 takes a number") }
            encoder.append(.float32(Float(number)))
            return
        case "!ext":
            guard let pair = node.sequence, pair.count == 2, let type = pair[0].int, (-128...127).contains(type),
                  let text = pair[1].string, let data = [UInt8](hex: text)
            else { throw fail(node, "!ext takes [type, \"hex\"]") }
            encoder.append(.ext(type: Int8(type), data: data))
            return
        case "!timestamp":
            guard let pair = node.sequence, pair.count == 2, let seconds = pair[0].int, let nanos = pair[1].int,
                  (0..<1_000_000_000).contains(nanos)
            else { throw fail(node, "!timestamp takes [seconds, nanoseconds]") }
            encoder.append(.timestamp(seconds: Int64(seconds), nanoseconds: UInt32(nanos)))
            return
        default:
            break
        }
        switch node {
        case .scalar:
            switch tag {
            case Tag.Name.null.rawValue: encoder.append(.nil)
            case Tag.Name.bool.rawValue: encoder.append(.bool(node.bool ?? false))
            case Tag.Name.int.rawValue:
                guard let v = node.int else { throw fail(node, "integer out of range") }
                encoder.append(.integer(Int64(v)))
            case Tag.Name.float.rawValue: encoder.append(.float64(node.float ?? 0))
            default: encoder.append(.string(node.string ?? ""))
            }
        case .sequence(let sequence):
            var elements: [MessagePackValue] = []
            for element in sequence {
                var inner = MessagePackEncoder()
                try append(element, to: &inner)
                guard let value = MessagePackValue.decode(inner.bytes) else { throw fail(element, "not a value") }
                elements.append(value)
            }
            encoder.append(.array(elements))
        case .mapping(let mapping):
            var entries: [MessagePackValue.MapEntry] = []
            for (k, v) in mapping {
                var keyEncoder = MessagePackEncoder()
                var valueEncoder = MessagePackEncoder()
                try append(k, to: &keyEncoder)
                try append(v, to: &valueEncoder)
                guard let keyValue = MessagePackValue.decode(keyEncoder.bytes),
                      let valueValue = MessagePackValue.decode(valueEncoder.bytes) else { throw fail(v, "not a value") }
                entries.append(.init(keyValue, valueValue))
            }
            encoder.append(.map(entries))
        case .alias:
            throw fail(node, "aliases are not supported")
        }
    }

    private func fail(_ node: Node, _ problem: String) -> ConfigError {
        ConfigError(file: file, line: node.mark.map { $0.line }, key: key, problem)
    }
}
