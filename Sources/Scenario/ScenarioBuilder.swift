import AnalysisCore
import Capture
import Foundation
import MessagePack
import Yams

/// Turns the YAML tree of a scenario into records, checking every key.
struct ScenarioBuilder {
    let file: String
    private var scenario = Scenario()
    private var nextSequence: [InterCoreHeader.StreamID: UInt32] = [:]
    private var defaults: [String: Node] = [:]

    init(file: String) {
        self.file = file
    }

    static let topKeys: Set<String> = ["description", "linktype", "precision", "start", "defaults", "records"]
    static let recordKeys: Set<String> = [
        "at", "kind", "channel", "from", "to", "rx", "loss", "seq", "msgpack", "values", "hex", "text",
        "event", "args", "split", "split_gap", "record_hex", "cut_to", "repeat", "every", "note",
    ]

    mutating func build(_ root: Node) throws(ConfigError) -> Scenario {
        guard let mapping = root.mapping else { throw error(root, nil, "the scenario must be a mapping") }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, Self.topKeys.contains(key) else {
                throw error(keyNode, keyNode.string, "unknown key; expected one of \(Self.topKeys.sorted())")
            }
            switch key {
            case "linktype":
                guard let number = value.int, let linkType = LinkType.userLinkType(number) ?? Int32(exactly: number)
                else { throw error(value, key, "expected a link type number") }
                scenario.linkType = linkType
            case "precision":
                guard let text = value.string, ["nano", "micro"].contains(text) else {
                    throw error(value, key, "expected nano or micro")
                }
                scenario.nanosecond = text == "nano"
            case "start":
                scenario.startNs = try startTime(value)
            case "defaults":
                guard let entries = value.mapping else { throw error(value, key, "expected a mapping") }
                for (k, v) in entries {
                    guard let name = k.string, Self.recordKeys.contains(name) else {
                        throw error(k, "defaults.\(k.string ?? "?")", "unknown record key")
                    }
                    defaults[name] = v
                }
            default:
                break
            }
        }
        guard let records = mapping["records"]?.sequence else {
            throw error(root, "records", "missing: a list of records")
        }
        for (index, node) in records.enumerated() {
            try record(node, index: index)
        }
        return scenario
    }

    private func startTime(_ node: Node) throws(ConfigError) -> Nanoseconds {
        if let ns = node.int { return Nanoseconds(ns) }
        if let date = node.timestamp { return Nanoseconds((date.timeIntervalSince1970 * 1e9).rounded()) }
        throw error(node, "start", "expected nanoseconds since the epoch or an ISO 8601 time")
    }

    private mutating func record(_ node: Node, index: Int) throws(ConfigError) {
        let name = "records[\(index)]"
        guard let given = node.mapping else { throw error(node, name, "a record must be a mapping") }
        var fields = defaults
        for (k, v) in given {
            guard let key = k.string, Self.recordKeys.contains(key) else {
                throw error(k, "\(name).\(k.string ?? "?")", "unknown record key; expected one of \(Self.recordKeys.sorted())")
            }
            fields[key] = v
        }
        let fieldReader = FieldReader(file: file, record: name, fields: fields)
        let at = try fieldReader.duration("at") ?? 0
        let repeatCount = try fieldReader.integer("repeat", in: 1...1_000_000) ?? 1
        let every = try fieldReader.duration("every") ?? 0
        for repetition in 0..<repeatCount {
            try emit(fieldReader, at: scenario.startNs + at + Int64(repetition) * every)
        }
    }

    private mutating func emit(_ fields: FieldReader, at time: Nanoseconds) throws(ConfigError) {
        if let raw = try fields.hex("record_hex") {
            scenario.records.append(.init(timeNs: time, bytes: raw, originalLength: nil))
            return
        }
        let kindName = try fields.text("kind") ?? "message"
        guard let kind = ChannelKind.allCases.first(where: { $0.name == kindName }) else {
            throw fields.problem("kind", "expected mailbox, message, uart or trace")
        }
        let channel = UInt8(try fields.integer("channel", in: 0...255) ?? 0)
        let source = UInt8(try fields.integer("from", in: 0...255) ?? 0)
        let destination = UInt8(try fields.integer("to", in: 0...255) ?? (kind == .trace ? 0xFF : 1))
        let receiverSide = try fields.flag("rx") ?? false
        let payload = try fields.payload(kind: kind)
        let chunks = try fields.split(payload)
        let gap = try fields.duration("split_gap") ?? 1_000
        let explicitSequence = try fields.integer("seq", in: 0...Int(UInt32.max)).map { UInt32($0) }
        let loss = try fields.flag("loss") ?? false
        let cut = try fields.integer("cut_to", in: 0...Int.max)
        let stream = InterCoreHeader.StreamID(kind: kind, channel: channel, source: source,
                                              destination: destination, isReceiverSide: receiverSide)
        for (i, chunk) in chunks.enumerated() {
            let sequence = (i == 0 ? explicitSequence : nil) ?? nextSequence[stream] ?? 0
            nextSequence[stream] = sequence &+ 1
            let header = InterCoreHeader(kind: kind, channel: channel, source: source, destination: destination,
                                         isReceiverSide: receiverSide, lossBefore: loss && i == 0, sequence: sequence)
            var bytes = header.encoded + chunk
            var original: Int?
            if let cut, cut < bytes.count {
                original = bytes.count
                bytes = Array(bytes.prefix(cut))
            }
            scenario.records.append(.init(timeNs: time + Int64(i) * gap, bytes: bytes, originalLength: original))
        }
    }

    private func error(_ node: Node, _ key: String?, _ problem: String) -> ConfigError {
        ConfigError(file: file, line: node.mark.map { $0.line }, key: key, problem)
    }
}

extension InterCoreHeader {
    /// A stream of the capture format: the key its `seq` counter runs per.
    public struct StreamID: Hashable {
        public var kind: ChannelKind
        public var channel: UInt8
        public var source: UInt8
        public var destination: UInt8
        public var isReceiverSide: Bool
    }
}
