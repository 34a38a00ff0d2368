/// Lines that fit a terminal: a line wider than the width is broken at spaces, its rest indented
/// under it; a word wider than the width is cut. Escape codes of colour take no width.
public enum LineFitting {
    public static func fit(_ text: String, width: Int?) -> String {
        guard let width, width >= 20 else { return text }
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(contentsOf: fit(line: String(line), width: width))
        }
        return out.joined(separator: "\n")
    }

    /// One line in lines of at most `width`; the rest under it indented by `hanging` (by default
    /// four more than the line's own indent).
    static func fit(line original: String, width: Int, hanging: String? = nil) -> [String] {
        guard visibleWidth(original) > width else { return [original] }
        // A table row too wide for the terminal loses its column padding first: runs of spaces
        // become two, so that what follows wraps at words, not at padding.
        let indent = String(original.prefix { $0 == " " })
        var line = indent
        var spaces = 0
        for character in original.dropFirst(indent.count) {
            if character == " " {
                spaces += 1
                if spaces <= 2 { line.append(character) }
            } else {
                spaces = 0
                line.append(character)
            }
        }
        guard visibleWidth(line) > width else { return [line] }
        let hanging = hanging ?? String(repeating: " ", count: min(indent.count + 4, width / 2))
        var lines: [String] = []
        var current = indent
        var currentWidth = indent.count
        for word in line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: true) {
            let text = String(word)
            let size = visibleWidth(text)
            let prefix = lines.isEmpty ? indent : hanging
            if currentWidth > prefix.count, currentWidth + 1 + size > width {
                lines.append(current)
                current = hanging
                currentWidth = hanging.count
            }
            if currentWidth > (lines.isEmpty ? indent : hanging).count {
                current += " "
                currentWidth += 1
            }
            if size > width - currentWidth {
                current += String(text.prefix(max(1, width - currentWidth - 1))) + "…"
                currentWidth = width
            } else {
                current += text
                currentWidth += size
            }
        }
        lines.append(current)
        return lines
    }

    /// Characters a terminal shows: escape sequences (ESC [ … letter) take none.
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
