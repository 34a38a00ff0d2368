import AnalysisCore
import Capture
import Foundation
import MessagePack
import Yams

/// A capture described in YAML, record by record. See docs/scenarios.md for the format.
public struct Scenario {
    /// One record of the capture to be, fully resolved.
    public struct Record: Equatable {
        public var timeNs: Nanoseconds
        /// The whole record: the 12-byte header and payload, or raw bytes for malformed cases.
        public var bytes: [UInt8]
        /// Length on the wire, when the recorder is to have cut the record.
        public var originalLength: Int?
    }

    public var linkType: Int32 = LinkType.user0
    public var nanosecond = true
    public var startNs: Nanoseconds = 1_767_225_600_000_000_000 // 2026-01-01T00:00:00Z
    public var records: [Record] = []

    public init() {}

    /// Writes the scenario as a classic pcap file through libpcap, in time order as a recorder
    /// (or mergecap) would; records with the same time keep the order they were listed in.
    public func write(to path: String) throws(CaptureError) {
        let writer = try CaptureWriter(path: path, linkType: linkType, nanosecond: nanosecond)
        let ordered = records.enumerated().sorted { ($0.element.timeNs, $0.offset) < ($1.element.timeNs, $1.offset) }
        for (_, record) in ordered {
            record.bytes.withUnsafeBytes {
                writer.write(timeNs: record.timeNs, bytes: $0, originalLength: record.originalLength)
            }
        }
        writer.close()
    }

    /// Reads a scenario file.
    public static func load(path: String) throws(ConfigError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Parses scenario text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "<scenario>") throws(ConfigError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: nil, key: nil, "empty scenario")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
        var builder = ScenarioBuilder(file: file)
        return try builder.build(root)
    }
}
