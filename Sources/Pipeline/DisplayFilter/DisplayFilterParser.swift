import AnalysisCore

/// Reads a display filter: `||`/`or` below `&&`/`and` below `!`/`not`, parentheses, and
/// comparisons `field op value` (==, !=, <, <=, >, >=, contains, and tshark's eq, ne, lt, le,
/// gt, ge). Values are "quoted text", bare words, whole numbers, durations with a unit (2ms,
/// 1.5us, 250ns, 1s) and severity names. Every mistake names its column.
struct DisplayFilterParser {
    private let characters: [Character]
    private let text: String
    private var position = 0
    /// Terms and operators read so far, and parentheses and negations open: both are capped, so
    /// that neither the reading nor the evaluation of a filter can recurse without bound.
    private var nodes = 0
    private var nesting = 0
    static let maxNodes = 4096
    static let maxNesting = 256

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    private enum Token: Equatable {
        case word(String)
        case quoted(String)
        case symbol(String)
        case end
    }

    mutating func parseWhole() throws(DisplayFilterError) -> DisplayFilter.Node {
        let node = try parseOr()
        let (token, column) = try peek()
        guard token == .end else { throw mistake(column, "expected && or || or the end, found \(describe(token))") }
        return node
    }

    private mutating func parseOr() throws(DisplayFilterError) -> DisplayFilter.Node {
        var node = try parseAnd()
        while try takeIf([.symbol("||"), .word("or")]) {
            node = .or(node, try parseAnd())
        }
        return node
    }

    private mutating func parseAnd() throws(DisplayFilterError) -> DisplayFilter.Node {
        var node = try parseNot()
        while try takeIf([.symbol("&&"), .word("and")]) {
            node = .and(node, try parseNot())
        }
        return node
    }

    private mutating func parseNot() throws(DisplayFilterError) -> DisplayFilter.Node {
        let (_, column) = try peek()
        nodes += 1
        guard nodes <= Self.maxNodes else { throw mistake(column, "more than \(Self.maxNodes) terms and operators") }
        if try takeIf([.symbol("!"), .word("not")]) {
            nesting += 1
            defer { nesting -= 1 }
            guard nesting <= Self.maxNesting else { throw mistake(column, "nested deeper than \(Self.maxNesting)") }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(DisplayFilterError) -> DisplayFilter.Node {
        let (token, column) = try take()
        if token == .symbol("(") {
            nesting += 1
            defer { nesting -= 1 }
            guard nesting <= Self.maxNesting else { throw mistake(column, "nested deeper than \(Self.maxNesting)") }
            let inner = try parseOr()
            let (closing, where_) = try take()
            guard closing == .symbol(")") else { throw mistake(where_, "expected ) to close the ( at column \(column)") }
            return inner
        }
        guard case .word(let name) = token else { throw mistake(column, "expected a field, found \(describe(token))") }
        guard let field = DisplayFilter.Field(rawValue: name) else {
            throw mistake(column, "unknown field \"\(name)\" (fields: \(DisplayFilter.fieldNames))")
        }
        let (next, operatorColumn) = try peek()
        guard let comparison = Self.comparison(next) else { return .present(field) }
        _ = try take()
        let (valueToken, valueColumn) = try take()
        let operand = try operand(valueToken, at: valueColumn, for: field, after: comparison)
        if comparison != .equal, comparison != .notEqual, comparison != .contains, field.kind == .text {
            throw mistake(operatorColumn, "\(field.rawValue) is text: compare it with ==, != or contains")
        }
        if comparison == .contains, field.kind != .text {
            throw mistake(operatorColumn, "contains is for text fields; \(field.rawValue) is not text")
        }
        return .compare(field, comparison, operand)
    }

    private static func comparison(_ token: Token) -> DisplayFilter.Comparison? {
        switch token {
        case .symbol(let symbol): DisplayFilter.Comparison(rawValue: symbol)
        case .word("eq"): .equal
        case .word("ne"): .notEqual
        case .word("lt"): .less
        case .word("le"): .lessOrEqual
        case .word("gt"): .greater
        case .word("ge"): .greaterOrEqual
        case .word("contains"): .contains
        default: nil
        }
    }

    private func operand(_ token: Token, at column: Int, for field: DisplayFilter.Field,
                         after comparison: DisplayFilter.Comparison) throws(DisplayFilterError) -> DisplayFilter.Operand {
        let word: String
        switch token {
        case .quoted(let value): word = value
        case .word(let value): word = value
        default: throw mistake(column, "expected a value after \(comparison.rawValue), found \(describe(token))")
        }
        switch field.kind {
        case .text:
            return .text(word)
        case .number:
            guard let number = Int64(word), number >= 0 else { throw mistake(column, "\(field.rawValue) is a whole number, not \"\(word)\"") }
            return .number(number)
        case .severity:
            guard let severity = Severity(name: word) else { throw mistake(column, "a severity is error, warning or note, not \"\(word)\"") }
            return .number(Int64(severity.rawValue))
        case .duration:
            guard let nanoseconds = Self.duration(word) else {
                throw mistake(column, "\(field.rawValue) is a duration: a number with a unit (250ns, 1.5us, 2ms, 1s), not \"\(word)\"")
            }
            return .number(nanoseconds)
        }
    }

    /// `2ms` as nanoseconds; nil without a known unit.
    static func duration(_ word: String) -> Int64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        for (unit, scale) in units where word.hasSuffix(unit) {
            guard let value = Double(word.dropLast(unit.count)), value >= 0, value * scale < 9.2e18 else { return nil }
            return Int64((value * scale).rounded())
        }
        return nil
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): "\"\(word)\""
        case .quoted(let value): "\"\(value)\""
        case .symbol(let symbol): symbol
        case .end: "the end"
        }
    }

    private func mistake(_ column: Int, _ reason: String) -> DisplayFilterError {
        DisplayFilterError(column: column, reason: reason, text: text)
    }

    // MARK: Tokens

    private mutating func takeIf(_ choices: [Token]) throws(DisplayFilterError) -> Bool {
        let (token, _) = try peek()
        guard choices.contains(token) else { return false }
        _ = try take()
        return true
    }

    private mutating func peek() throws(DisplayFilterError) -> (Token, Int) {
        let saved = position
        defer { position = saved }
        return try take()
    }

    private mutating func take() throws(DisplayFilterError) -> (Token, Int) {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
        let column = position + 1
        guard position < characters.count else { return (.end, column) }
        let character = characters[position]
        if character == "\"" {
            var value = ""
            position += 1
            while position < characters.count, characters[position] != "\"" {
                if characters[position] == "\\", position + 1 < characters.count { position += 1 }
                value.append(characters[position])
                position += 1
            }
            guard position < characters.count else { throw mistake(column, "the quote opened here is not closed") }
            position += 1
            return (.quoted(value), column)
        }
        for symbol in ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")"] where matches(symbol) {
            position += symbol.count
            return (.symbol(symbol), column)
        }
        guard Self.isWordCharacter(character) else { throw mistake(column, "unexpected \"\(character)\"") }
        var word = ""
        while position < characters.count, Self.isWordCharacter(characters[position]) {
            word.append(characters[position])
            position += 1
        }
        return (.word(word), column)
    }

    private func matches(_ symbol: String) -> Bool {
        var index = position
        for character in symbol {
            guard index < characters.count, characters[index] == character else { return false }
            index += 1
        }
        return true
    }

    /// Letters, digits and the punctuation of names, rule names and durations (`core1`,
    /// `device-overlap`, `1.5ms`, `sio.fifo`).
    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "_-./:µ".contains(character)
    }
}
