import Foundation
import Scenario

extension BenchCommand {
    func runHostile() throws {
        if let writeOnly {
            guard let name = shape.first, let only = HostileTraffic(rawValue: name) else {
                throw CouldNotAnalyse("--write-only needs one --shape")
            }
            do { try only.write(to: writeOnly, targetBytes: megabytes * 1_000_000) } catch { throw CouldNotAnalyse(error.description) }
            return
        }
        let shapes = shape.isEmpty ? HostileTraffic.allCases : try shape.map { name in
            guard let known = HostileTraffic(rawValue: name) else {
                throw CouldNotAnalyse("--shape \(name): one of \(HostileTraffic.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return known
        }
        let directory = NSTemporaryDirectory() + "rpc-analyze-hostile-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("hostile captures of about \(megabytes) MB; each analysed once per mode in a child process")
        print("shape                  MB    summary s   MB/s   peak MB   jsonl s   peak MB   time/byte vs ordinary")
        var ordinaryPerByte: Double?
        for shape in ([.ordinary] + shapes.filter { $0 != .ordinary }) {
            let path = "\(directory)/\(shape.rawValue).pcap"
            let written = ChildRun.run(["bench", "--hostile", "--shape", shape.rawValue, "--megabytes", String(megabytes),
                                        "--write-only", path])
            guard written.status == 0 else { throw CouldNotAnalyse("could not write the \(shape.rawValue) capture") }
            let size = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
            let summary = ChildRun.run([path])
            let lines = ChildRun.run([path, "--format", "jsonl"])
            let perByte = summary.seconds / max(size, 1)
            if shape == .ordinary { ordinaryPerByte = perByte }
            let ratio = ordinaryPerByte.map { perByte / $0 } ?? 1
            let failed = [summary, lines].contains { $0.status > 1 } ? "  (exit \(summary.status)/\(lines.status))" : ""
            let name = shape.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
            print(name + String(format: " %5.1f   %8.2f  %6.0f   %7.0f   %7.2f   %7.0f   %6.1fx",
                         size / 1e6, summary.seconds, size / 1e6 / max(summary.seconds, 1e-9),
                         summary.peakMegabytes, lines.seconds, lines.peakMegabytes, ratio) + failed)
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
