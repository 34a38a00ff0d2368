import AnalysisCore
import Foundation

/// The part of TOML that board files use, read into a `ConfigNode` tree: comments, `key = value`
/// with bare or quoted keys, `[table]` and `[[array.of.tables]]` headers one level deep, and
/// values that are basic or literal strings, integers (with `_`), floats, booleans, inline
/// arrays and inline tables. (TOMLKit, the listed TOML package, needs a package this machine
/// kind does not carry.)
struct TOMLConfig {
    private let file: String
    private var lines: [Substring]
    private var lineNumber = 0
    private var root: [(key: String, node: ConfigNode)] = []

    static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        var parser = TOMLConfig(file: file, lines: text.split(separator: "\n", omittingEmptySubsequences: false))
        return try parser.parseDocument()
    }

    private init(file: String, lines: [Substring]) {
        self.file = file
        self.lines = lines
    }

    private enum Target {
        case root
        case table(String)
        case arrayElement(String)
    }

    private mutating func parseDocument() throws(ConfigError) -> ConfigNode {
        var target = Target.root
        while lineNumber < lines.count {
            let raw = lines[lineNumber]
            lineNumber += 1
            var scanner = Scanner(text: Array(raw.utf8), file: file, line: lineNumber)
            scanner.skipSpace()
            if scanner.atEndOrComment { continue }
            if scanner.peek == UInt8(ascii: "[") {
                target = try parseHeader(&scanner)
                continue
            }
            let key = try scanner.key()
            scanner.skipSpace()
            try scanner.expect(UInt8(ascii: "="))
            let value = try scanner.value()
            scanner.skipSpace()
            guard scanner.atEndOrComment else { throw scanner.error("unexpected text after the value") }
            try insert(key: key, value: value, into: target)
        }
        return ConfigNode(.table(root), line: 1)
    }

    private mutating func parseHeader(_ scanner: inout Scanner) throws(ConfigError) -> Target {
        scanner.advance()
        let isArray = scanner.peek == UInt8(ascii: "[")
        if isArray { scanner.advance() }
        scanner.skipSpace()
        let name = try scanner.key()
        scanner.skipSpace()
        try scanner.expect(UInt8(ascii: "]"))
        if isArray { try scanner.expect(UInt8(ascii: "]")) }
        scanner.skipSpace()
        guard scanner.atEndOrComment else { throw scanner.error("unexpected text after the table header") }
        if isArray {
            var list = root.last(where: { $0.key == name })?.node.list ?? []
            list.append(ConfigNode(.table([]), line: lineNumber))
            set(name, ConfigNode(.list(list), line: root.last(where: { $0.key == name })?.node.line ?? lineNumber))
            return .arrayElement(name)
        }
        guard root.last(where: { $0.key == name }) == nil else {
            throw ConfigError(file: file, line: lineNumber, key: name, "table defined twice")
        }
        set(name, ConfigNode(.table([]), line: lineNumber))
        return .table(name)
    }

    private mutating func insert(key: String, value: ConfigNode, into target: Target) throws(ConfigError) {
        switch target {
        case .root:
            guard root.last(where: { $0.key == key }) == nil else {
                throw ConfigError(file: file, line: value.line, key: key, "key defined twice")
            }
            root.append((key, value))
        case .table(let name):
            var node = root.last { $0.key == name }!.node
            guard case .table(var entries) = node.value else { return }
            guard !entries.contains(where: { $0.key == key }) else {
                throw ConfigError(file: file, line: value.line, key: "\(name).\(key)", "key defined twice")
            }
            entries.append((key, value))
            node.value = .table(entries)
            set(name, node)
        case .arrayElement(let name):
            var node = root.last { $0.key == name }!.node
            guard case .list(var items) = node.value, var last = items.popLast(), case .table(var entries) = last.value
            else { return }
            guard !entries.contains(where: { $0.key == key }) else {
                throw ConfigError(file: file, line: value.line, key: "\(name).\(key)", "key defined twice")
            }
            entries.append((key, value))
            last.value = .table(entries)
            items.append(last)
            node.value = .list(items)
            set(name, node)
        }
    }

    private mutating func set(_ key: String, _ node: ConfigNode) {
        if let index = root.lastIndex(where: { $0.key == key }) {
            root[index].node = node
        } else {
            root.append((key, node))
        }
    }

    /// Reads one line's tokens.
    private struct Scanner {
        let text: [UInt8]
        let file: String
        let line: Int
        var index = 0

        init(text: [UInt8], file: String, line: Int) {
            self.text = text
            self.file = file
            self.line = line
        }

        var peek: UInt8? { index < text.count ? text[index] : nil }
        var atEndOrComment: Bool { peek == nil || peek == UInt8(ascii: "#") || peek == UInt8(ascii: "\r") }

        mutating func advance() { index += 1 }

        mutating func skipSpace() {
            while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { index += 1 }
        }

        func error(_ problem: String) -> ConfigError {
            ConfigError(file: file, line: line, key: nil, problem)
        }

        mutating func expect(_ byte: UInt8) throws(ConfigError) {
            skipSpace()
            guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
            index += 1
        }

        mutating func key() throws(ConfigError) -> String {
            skipSpace()
            if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") { return try quoted() }
            let start = index
            while let c = peek, isBare(c) { index += 1 }
            guard index > start else { throw error("expected a key") }
            return String(decoding: text[start..<index], as: UTF8.self)
        }

        private func isBare(_ c: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: ".")
        }

        mutating func quoted() throws(ConfigError) -> String {
            let quote = peek!
            index += 1
            var bytes: [UInt8] = []
            while let c = peek, c != quote {
                index += 1
                if quote == UInt8(ascii: "\""), c == UInt8(ascii: "\\"), let escaped = peek {
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    default: bytes.append(escaped)
                    }
                } else {
                    bytes.append(c)
                }
            }
            guard peek == quote else { throw error("unterminated string") }
            index += 1
            return String(decoding: bytes, as: UTF8.self)
        }

        mutating func value() throws(ConfigError) -> ConfigNode {
            skipSpace()
            guard let c = peek else { throw error("expected a value") }
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                return ConfigNode(.string(try quoted()), line: line)
            case UInt8(ascii: "["):
                index += 1
                var items: [ConfigNode] = []
                while true {
                    skipSpace()
                    if peek == UInt8(ascii: "]") { index += 1; break }
                    items.append(try value())
                    skipSpace()
                    if peek == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    break
                }
                return ConfigNode(.list(items), line: line)
            case UInt8(ascii: "{"):
                index += 1
                var entries: [(key: String, node: ConfigNode)] = []
                while true {
                    skipSpace()
                    if peek == UInt8(ascii: "}") { index += 1; break }
                    let name = try key()
                    try expect(UInt8(ascii: "="))
                    entries.append((name, try value()))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    break
                }
                return ConfigNode(.table(entries), line: line)
            default:
                let start = index
                while let c = peek, c != UInt8(ascii: ","), c != UInt8(ascii: "]"), c != UInt8(ascii: "}"),
                      c != UInt8(ascii: "#"), c != UInt8(ascii: " "), c != UInt8(ascii: "\t"), c != UInt8(ascii: "\r") {
                    index += 1
                }
                let word = String(decoding: text[start..<index], as: UTF8.self)
                if word == "true" { return ConfigNode(.bool(true), line: line) }
                if word == "false" { return ConfigNode(.bool(false), line: line) }
                let digits = word.replacingOccurrences(of: "_", with: "")
                if let int = Int(digits) { return ConfigNode(.int(int), line: line) }
                if digits.hasPrefix("0x"), let int = Int(digits.dropFirst(2), radix: 16) { return ConfigNode(.int(int), line: line) }
                if let float = Double(digits) { return ConfigNode(.float(float), line: line) }
                throw error("'\(word)' is not a TOML value")
            }
        }
    }
}
