import AnalysisCore
import MessagePack

extension JSONWriter {
    /// Writes a MessagePack value as the report contract maps it to JSON.
    public mutating func value(_ value: MessagePackValue) {
        switch value {
        case .nil: null()
        case .bool(let b): bool(b)
        case .int(let v): int(v)
        case .uint(let v): int(v)
        // The value the sender sent, widened exactly: a float32's own shortest text ("0.3") is
        // another number to every JSON reader, which reads doubles (0.30000001192092896 is
        // what msgpack-python, and then json, make of `ca 3e 99 99 9a`).
        case .float32(let f): float(Double(f), text: "\(Double(f))")
        case .float64(let d): float(d, text: "\(d)")
        case .string(let s): string(s)
        case .invalidString(let raw): tagged("$str_hex", raw.hexString)
        case .binary(let data): tagged("$bin", data.hexString)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .map(let entries):
            map(entries)
        case .ext(let type, let data):
            beginObject()
            key("$ext")
            int(type)
            key("data")
            string(data.hexString)
            endObject()
        case .timestamp(let seconds, let nanoseconds):
            beginObject()
            key("$timestamp")
            beginObject()
            key("sec")
            int(seconds)
            key("nsec")
            int(nanoseconds)
            endObject()
            endObject()
        }
    }

    public mutating func optionalValue(_ value: MessagePackValue?) {
        if let value { self.value(value) } else { null() }
    }

    private mutating func float(_ number: Double, text: String) {
        if number.isNaN {
            string("NaN")
        } else if number.isInfinite {
            string(number < 0 ? "-Infinity" : "Infinity")
        } else {
            rawNumber(text)
        }
    }

    private mutating func tagged(_ tag: StaticString, _ hex: String) {
        beginObject()
        key(tag)
        string(hex)
        endObject()
    }

    private mutating func map(_ entries: [MessagePackValue.MapEntry]) {
        let keys = entries.compactMap { entry -> String? in
            if case .string(let s) = entry.key { return s }
            return nil
        }
        guard keys.count == entries.count else {
            beginObject()
            key("$map")
            beginArray()
            for entry in entries {
                beginArray()
                value(entry.key)
                value(entry.value)
                endArray()
            }
            endArray()
            endObject()
            return
        }
        // Duplicate keys: the last one wins, at the place of its first appearance.
        var lastIndex: [String: Int] = [:]
        for (i, k) in keys.enumerated() { lastIndex[k] = i }
        beginObject()
        for (i, k) in keys.enumerated() where lastIndex[k] == i {
            key(named: k)
            value(entries[i].value)
        }
        endObject()
    }
}
