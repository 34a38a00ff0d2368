import Foundation

/// A progress line on standard error while a long analysis reads its capture: bytes of the
/// total, records per second, time left. Only on a terminal, only after the first second, and
/// cleared when the reading is done, so that nothing of it stays in the output.
final class ProgressLine: @unchecked Sendable {
    // Unchecked: the analysis calls it from its one thread, and `finish` runs after it.
    private let total: Int64?
    private let started = Date()
    private var lastShown = Date.distantPast
    private var shown = false

    init(path: String) {
        total = path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).map(Int64.init)
    }

    /// Whether a progress line may be drawn: standard error is a terminal.
    static var wanted: Bool { isatty(2) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }

    func update(records: UInt64, bytesRead: Int64?) {
        guard records != .max else { return finish() }
        let now = Date()
        let elapsed = now.timeIntervalSince(started)
        guard elapsed >= 1, now.timeIntervalSince(lastShown) >= 0.2 else { return }
        lastShown = now
        var text = String(format: "  %.1f M records, %.1f M records/s", Double(records) / 1e6, Double(records) / elapsed / 1e6)
        if let bytesRead, let total, total > 0 {
            let fraction = min(1, Double(bytesRead) / Double(total))
            text = String(format: "  %.1f of %.1f MB (%.0f %%)", Double(bytesRead) / 1e6, Double(total) / 1e6, fraction * 100)
                + String(format: ", %.1f M records/s", Double(records) / elapsed / 1e6)
            if fraction > 0.01 { text += String(format: ", %.0f s left", elapsed * (1 - fraction) / fraction) }
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}
