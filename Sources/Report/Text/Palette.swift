import AnalysisCore
@preconcurrency import Rainbow

/// Colour for a person at a terminal: severities, rule names, and the two writers of a UART
/// overlap. `--color auto` colours a terminal and never a pipe; `NO_COLOR` turns it off.
public struct Palette: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    public static let plain = Palette(enabled: false)

    /// `auto`, `always` or `never`, with the environment's NO_COLOR and whether the output is a terminal.
    /// Rainbow's own switch follows the choice: it decides on standard output alone otherwise.
    @MainActor
    public static func resolve(_ choice: String, isTerminal: Bool, environment: [String: String]) -> Palette {
        let palette = switch choice {
        case "always": Palette(enabled: true)
        case "never": Palette.plain
        default: Palette(enabled: isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb")
        }
        Rainbow.enabled = palette.enabled
        // Rainbow also looks at standard output itself; the choice made here is the one that counts.
        Rainbow.outputTarget = palette.enabled ? .console : .unknown
        return palette
    }

    func severity(_ text: String, _ severity: Severity) -> String {
        guard enabled else { return text }
        switch severity {
        case .error: return text.applyingCodes(Color.red, Style.bold)
        case .warning: return text.applyingCodes(Color.yellow, Style.bold)
        case .note: return text.applyingCodes(Color.blue)
        }
    }

    func rule(_ text: String) -> String { enabled ? text.applyingCodes(Color.cyan) : text }

    /// The writer of a UART byte: the first side in one colour, the second in another.
    func writer(_ text: String, side: Int) -> String {
        guard enabled else { return text }
        return text.applyingCodes(side == 0 ? Color.magenta : Color.green)
    }
}
