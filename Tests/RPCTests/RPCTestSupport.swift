import AnalysisCore
import MessagePack
@testable import RPC

struct RecordingSink: RPCSink {
    var wantsValues = true
    var wants: SinkWants { wantsValues ? [.values, .transactions] : [.transactions] }
    var transactions: [Transaction] = []
    var notifications: [Notification] = []
    var findings: [Finding] = []

    mutating func transaction(_ transaction: Transaction) { transactions.append(transaction) }
    mutating func notification(_ notification: Notification) { notifications.append(notification) }
    mutating func finding(_ finding: Finding) { findings.append(finding) }

    func rules() -> [String] { findings.map(\.rule.rawValue) }
}

/// Two cores talking over one channel: stream 0 is core0→core1, stream 1 core1→core0.
struct Conversation {
    var analyzer: RPCAnalyzer<RecordingSink>
    var sink: RecordingSink
    var record: UInt64 = 0
    let forward = StreamID(0)
    let backward = StreamID(1)

    init(wantsValues: Bool = true) {
        sink = RecordingSink(wantsValues: wantsValues)
        analyzer = RPCAnalyzer(wants: sink.wants)
        // Requests core0→core1 travel in conversation 0, core1→core0 in 1; each answers the other.
        analyzer.addStream(forward, requests: ConversationID(0), responses: ConversationID(1),
                           names: DirectionNames(channel: "rpc", from: "M7", to: "M4"))
        analyzer.addStream(backward, requests: ConversationID(1), responses: ConversationID(0),
                           names: DirectionNames(channel: "rpc", from: "M4", to: "M7"))
    }

    /// Sends `bytes` as one record at `timeUs` microseconds.
    mutating func send(_ stream: StreamID, _ bytes: [UInt8], atMicroseconds timeUs: Int64, endsMessage: Bool = false) {
        record += 1
        let stamp = RecordStamp(number: record, timeNs: timeUs * 1000)
        bytes.withUnsafeBytes { analyzer.feed(stream: stream, $0, origin: stamp, endsMessage: endsMessage, into: &sink) }
    }

    mutating func finish() -> RecordingSink {
        analyzer.finish(into: &sink)
        return sink
    }
}

func encode(_ value: MessagePackValue) -> [UInt8] { MessagePackEncoder.encode(value) }

func request(_ msgid: UInt64, _ method: String, _ params: [MessagePackValue] = []) -> [UInt8] {
    encode(.array([.uint(0), .uint(msgid), .string(method), .array(params)]))
}

func response(_ msgid: UInt64, error: MessagePackValue = .nil, result: MessagePackValue = .nil) -> [UInt8] {
    encode(.array([.uint(1), .uint(msgid), error, result]))
}

func notification(_ method: String, _ params: [MessagePackValue] = []) -> [UInt8] {
    encode(.array([.uint(2), .string(method), .array(params)]))
}
