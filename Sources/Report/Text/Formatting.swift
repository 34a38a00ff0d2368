import AnalysisCore
import Foundation

/// How times and sizes read in text output.
public enum Formatting {
    /// A duration in the unit that suits it: `870 ns`, `86.8 µs`, `2.004 ms`, `1.250 s`.
    public static func duration(_ ns: Int64) -> String {
        switch ns.magnitude {
        case ..<1_000: return "\(ns) ns"
        case ..<1_000_000: return String(format: "%.1f µs", Double(ns) / 1e3)
        case ..<1_000_000_000: return String(format: "%.3f ms", Double(ns) / 1e6)
        default: return String(format: "%.3f s", Double(ns) / 1e9)
        }
    }

    /// Seconds since the capture's first record, to the nanosecond: `+0.002000000`.
    public static func relative(_ ns: Nanoseconds, from start: Nanoseconds?) -> String {
        let delta = ns.saturatingSpan(since: start ?? ns)
        let sign = delta < 0 ? "-" : "+"
        let magnitude = delta.magnitude
        return sign + String(magnitude / 1_000_000_000) + "." + pad(Int64(magnitude % 1_000_000_000), 9)
    }

    /// An absolute time in UTC: `2026-01-01 00:00:00.000000000 UTC`.
    public static func absolute(_ ns: Nanoseconds) -> String {
        var seconds = ns / 1_000_000_000
        var fraction = ns % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date) + "." + pad(fraction, 9) + " UTC"
    }

    public static func bytes(_ count: UInt64) -> String {
        switch count {
        case ..<10_000: "\(count) B"
        case ..<10_000_000: String(format: "%.1f kB", Double(count) / 1e3)
        case ..<10_000_000_000: String(format: "%.1f MB", Double(count) / 1e6)
        default: String(format: "%.2f GB", Double(count) / 1e9)
        }
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Left-aligned columns separated by two spaces; numeric columns are right-aligned.
    public static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        guard let width = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = row.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? padding + cell : cell + padding
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// `text` cut to `limit` characters for a column, with an ellipsis when cut.
    public static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit, text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
