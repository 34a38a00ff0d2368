import AnalysisCore
import Capture
import Foundation
import Pipeline
import Replay
import Report
import Scenario

/// A folder of captures, each with the report it must produce: `NAME.pcap` (or `.pcapng`) and
/// `NAME.expected.json`. The board is named by a sidecar `NAME.board` (a built-in name or a
/// board file's path, relative to the folder), else by the expected report's `board`, else the
/// generic board.
public enum RegressionSuite {
    public struct Case: Sendable {
        public var name: String
        public var capture: String
        public var expected: String
        public var boardSidecar: String?
    }

    public struct Outcome: Sendable {
        public enum Status: Sendable, Equatable {
            case passed
            case failed(differences: [String])
            /// The expected report was rewritten; what changed in it.
            case updated(differences: [String])
            /// The capture is not what its scenario (NAME.yaml beside it) writes today.
            case stale(String)
            case broken(String)
        }

        public var name: String
        public var status: Status
        public var seconds: Double

        public init(name: String, status: Status, seconds: Double) {
            self.name = name
            self.status = status
            self.seconds = seconds
        }

        public var isFailure: Bool {
            switch status {
            case .passed, .updated: false
            case .failed, .broken, .stale: true
            }
        }
    }

    public static func cases(in folder: String) throws(ConfigError) -> [Case] {
        let names: [String]
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw ConfigError(file: folder, line: nil, key: nil,
                              "is a file; test takes a folder of NAME.pcap cases with their NAME.expected.json "
                                + "(to analyse one capture: rpc-analyze \(folder))")
        }
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ConfigError(file: folder, line: nil, key: nil, "cannot list the folder: \(error.localizedDescription)")
        }
        let url = URL(fileURLWithPath: folder)
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { file in
            let name = String(file[..<file.lastIndex(of: ".")!])
            let sidecar = url.appendingPathComponent("\(name).board").path
            return Case(
                name: name, capture: url.appendingPathComponent(file).path,
                expected: url.appendingPathComponent("\(name).expected.json").path,
                boardSidecar: FileManager.default.fileExists(atPath: sidecar) ? sidecar : nil
            )
        }
    }

    /// Analyses one case and compares (or, with `update`, rewrites) its expected report.
    public static func run(_ testCase: Case, update: Bool) -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        func outcome(_ status: Outcome.Status) -> Outcome {
            let elapsed = clock.now - started
            return Outcome(name: testCase.name, status: status,
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let expectedText = try? String(contentsOfFile: testCase.expected, encoding: .utf8)
        let board: Board
        do {
            board = try self.board(for: testCase, expectedText: expectedText)
        } catch {
            return outcome(.broken(error.description))
        }
        let actualText: String
        do {
            actualText = try report(capture: testCase.capture, board: board)
        } catch {
            return outcome(.broken(error.description))
        }
        if let stale = staleness(testCase) { return outcome(.stale(stale)) }
        var differences: [String] = []
        if let expectedText {
            do {
                let expected = withFileName(try JSONDifference.parse(expectedText))
                let actual = withFileName(try JSONDifference.parse(actualText))
                // Fields the report gained since the expected report was written are not a
                // regression (the contract only adds); --update compares strictly, so that it
                // writes them in. An expected report must be one: with its schema.
                guard update || (expected as? [String: Any])?["schema"] != nil else {
                    return outcome(.broken("\(testCase.expected) is not a report (no \"schema\"); run with --update to write it"))
                }
                JSONDifference.differences(expected, actual, addedKeys: !update, into: &differences)
            } catch {
                guard update else { return outcome(.broken("\(testCase.expected) is not JSON: \(error.localizedDescription)")) }
                differences = ["the expected report was not JSON"]
            }
        } else if !update {
            return outcome(.broken("no \((testCase.expected as NSString).lastPathComponent); run with --update to write it"))
        } else {
            differences = ["a new case"]
        }
        guard !differences.isEmpty else { return outcome(.passed) }
        guard update else { return outcome(.failed(differences: differences)) }
        // Only a changed report is rewritten: unchanged files keep their bytes and dates.
        do {
            try pretty(actualText).write(toFile: testCase.expected, atomically: true, encoding: .utf8)
            return outcome(.updated(differences: differences))
        } catch {
            return outcome(.broken("cannot write \(testCase.expected): \(error.localizedDescription)"))
        }
    }

    /// Why the capture is stale, when NAME.yaml beside it writes other bytes today.
    static func staleness(_ testCase: Case) -> String? {
        let base = (testCase.capture as NSString).deletingPathExtension
        let scenarioPath = base + ".yaml"
        guard FileManager.default.fileExists(atPath: scenarioPath), testCase.capture.hasSuffix(".pcap") else { return nil }
        let regenerated = NSTemporaryDirectory() + "rpc-analyze-stale-\(getpid())-\((base as NSString).lastPathComponent).pcap"
        defer { try? FileManager.default.removeItem(atPath: regenerated) }
        do {
            try Scenario.load(path: scenarioPath).write(to: regenerated)
        } catch {
            return "its scenario \((scenarioPath as NSString).lastPathComponent) does not load: \(error)"
        }
        guard FileManager.default.contents(atPath: regenerated) != FileManager.default.contents(atPath: testCase.capture) else {
            return nil
        }
        let name = (base as NSString).lastPathComponent
        return "\(name).pcap is not what \(name).yaml writes today: rpc-analyze synth \(name).yaml -o \(name).pcap"
    }

    /// The JSON report of a capture, exactly as `--format json` writes it.
    public static func report(capture: String, board: Board) throws(CaptureError) -> String {
        let result = try CaptureAnalysis.run(path: capture, options: AnalysisOptions(board: board),
                                             sink: ReportCollector.complete)
        return JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                 board: result.summary.board)
    }

    static func board(for testCase: Case, expectedText: String?) throws(ConfigError) -> Board {
        if let sidecar = testCase.boardSidecar {
            let named = ((try? String(contentsOfFile: sidecar, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !named.isEmpty else { throw ConfigError(file: sidecar, line: 1, key: nil, "names no board") }
            if Board.builtin(named: named) != nil { return try BoardFile.resolve(named) }
            let folder = (sidecar as NSString).deletingLastPathComponent
            return try BoardFile.resolve(named.hasPrefix("/") ? named : (folder as NSString).appendingPathComponent(named))
        }
        if let expectedText, let report = try? JSONDifference.parse(expectedText) as? [String: Any],
           let name = report["board"] as? String {
            guard let builtin = Board.builtin(named: name) else {
                throw ConfigError(file: testCase.expected, line: nil, key: "board",
                                  "board \(name) is not built in: name its file in \(testCase.name).board")
            }
            return builtin
        }
        return .generic
    }

    /// Reports name the capture as given; compare by its file name alone.
    static func withFileName(_ value: Any) -> Any {
        guard var report = value as? [String: Any], var capture = report["capture"] as? [String: Any],
              let file = capture["file"] as? String else { return value }
        capture["file"] = (file as NSString).lastPathComponent
        report["capture"] = capture
        return report
    }

    /// Expected reports are kept indented with sorted keys, so that their diffs read well.
    static func pretty(_ json: String) throws -> String {
        let object = withFileName(try JSONDifference.parse(json))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
