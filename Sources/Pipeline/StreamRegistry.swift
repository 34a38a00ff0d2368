import AnalysisCore
import Capture
import MessagePack
import RPC

/// How a stream's bytes are treated.
enum StreamDecoding {
    /// MessagePack-RPC by declaration: a board channel that carries RPC, or the port or filter given.
    case rpc
    /// Assumed to be RPC until shown otherwise; left out of the report unless an RPC message
    /// on it or on its reverse confirms it.
    case probing
    /// Counted in the summary, not decoded: trace channels, channels the board gives no RPC.
    case counted
    /// Neither decoded nor reported: a port other than the one given.
    case ignored
}

/// What the registry needs to know of a stream when it first sees its key.
struct StreamDescription {
    var names: DirectionNames
    /// The summary's word for the link: "mailbox", "tcp", "usb".
    var kind: String
    /// Shared by both directions of one channel, connection or address pair.
    var conversation: StreamKey
    /// The two ends, as numbers the reverse direction has swapped.
    var from: Int
    var to: Int
    var decoding: StreamDecoding
    /// The cores at its ends, for a stream between cores: its calls are told to the replay.
    var cores: CorePair? = nil
    /// The serial line it runs on, when it is one (wire time, the receiver's request limit).
    var line = SerialLine()
}

/// Every stream of a capture, whatever link it came on. Each link family turns its records
/// into `StreamEvent`s; the registry mints a stream's `StreamID` the first time its key comes
/// (under the cap on streams), and the two `ConversationID`s of its ends, keeps its summary
/// row, and owns the RPC stage that decodes it. Every stage keeps its state for a stream at
/// the stream's index. The sink the findings go to is lent for each call.
struct StreamRegistry<Sink: RPCSink> {
    private(set) var rpc: RPCAnalyzer<Sink>
    /// One summary row per stream, at its index.
    var rows: [DirectionSummary] = []
    private var decoding: [StreamDecoding] = []
    private(set) var keys = SmallKeyIndex<StreamKey>()
    /// Requests from one end of a conversation key to the other.
    private struct ConversationKey: Hashable {
        var conversation: StreamKey
        var from: Int
        var to: Int
    }
    private var conversations = SmallKeyIndex<ConversationKey>()
    let caps: AnalysisCaps
    private var capReported = false

    init(limits: FrameLimits, caps: AnalysisCaps, wants: SinkWants, router: RouterSetup? = nil) {
        rpc = RPCAnalyzer(limits: limits, caps: caps, wants: wants, router: router)
        self.caps = caps
    }

    /// Whether `count` more streams fit under the cap.
    func hasRoom(for count: Int) -> Bool { rows.count + count <= caps.streams }

    /// The stream `key`, minted from `describe()` when new; nil when it is new and the cap on
    /// streams is reached (said once, as a finding).
    @inline(__always)
    mutating func stream(_ key: StreamKey, at stamp: RecordStamp, into sink: inout Sink,
                         describe: () -> StreamDescription) -> StreamID? {
        if let known = keys.index(of: key) { return StreamID(known) }
        guard hasRoom(for: 1) else {
            refused(at: stamp, into: &sink)
            return nil
        }
        return open(key, describe())
    }

    /// A new stream was refused for the cap on streams: said the first time.
    mutating func refused(at stamp: RecordStamp, into sink: inout Sink) {
        guard !capReported else { return }
        capReported = true
        sink.finding(caps.reached(.streams, at: stamp.timeNs, record: stamp.number,
                                  consequence: "records of further streams are counted but not decoded or checked"))
    }

    /// A new stream: the caller knows the key is new and that `hasRoom(for: 1)`.
    mutating func open(_ key: StreamKey, _ description: StreamDescription) -> StreamID {
        let stream = StreamID(keys.add(key))
        rows.append(DirectionSummary(names: description.names, kind: description.kind))
        decoding.append(description.decoding)
        let requests = conversations.indexAdding(ConversationKey(conversation: description.conversation,
                                                                 from: description.from, to: description.to))
        let responses = conversations.indexAdding(ConversationKey(conversation: description.conversation,
                                                                  from: description.to, to: description.from))
        let rpcDecoding: RPCAnalyzer<Sink>.Decoding = switch description.decoding {
        case .rpc: .rpc
        case .probing: .probing
        case .counted, .ignored: .notDecoded
        }
        rpc.addStream(stream, requests: ConversationID(requests), responses: ConversationID(responses),
                      names: description.names, decoding: rpcDecoding, cores: description.cores,
                      line: description.line)
        return stream
    }

    /// Whether the RPC stage decodes the stream.
    @inline(__always)
    private func decodes(_ stream: StreamID) -> Bool {
        switch decoding[stream.index] {
        case .rpc, .probing: true
        case .counted, .ignored: false
        }
    }

    /// A message record of a decoded stream is about to be delivered: a record that is one
    /// whole message ends an unfinished value before it.
    @inline(__always)
    mutating func messageRecordStarts(_ stream: StreamID, with payload: UnsafeRawBufferPointer, into sink: inout Sink) {
        guard decodes(stream) else { return }
        rpc.messageRecordStarts(stream: stream, with: payload, into: &sink)
    }

    /// Hands one event of `stream` on: counted in its row, decoded when it is RPC.
    @inline(__always)
    mutating func deliver(_ event: StreamEvent, to stream: StreamID, into sink: inout Sink) {
        let row = stream.index
        switch event.content {
        case .bytes(let bytes, let endsMessage):
            rows[row].records += 1
            rows[row].payloadBytes += bytes.count
            guard decodes(stream) else { return }
            rpc.feed(stream: stream, bytes, origin: event.stamp, endsMessage: endsMessage, into: &sink)
        case .seen(let byteCount):
            rows[row].records += 1
            rows[row].payloadBytes += byteCount
        case .loss(let lost, let interruptsDecoding):
            rows[row].lostRecords += lost.recordCount
            let decoded = decodes(stream)
            if sink.countsFindingsOnly, !decoded || rpc.isConfirmed(stream: stream) {
                // A lossy recorder's gaps, past the findings a summary keeps: counted, not built
                // (a confirmed stream's findings go straight to the sink, as `finding` would).
                // `FindingSink.finding(_:_:)` written out: here, on the per-record path, the
                // protocol extension reached the tap through witnesses that are not specialised
                // (callgrind: +47 M instructions per 10 MB of a lossy recorder).
                sink.countFinding(.captureLoss)
                if decoded, interruptsDecoding { rpc.discontinuity(stream: stream, into: &sink) }
                return
            }
            let names = rows[row].names
            let message = sink.countsFindingsOnly ? "" : Self.lossMessage(lost, names)
            let finding = Finding(
                .captureLoss, at: event.stamp.timeNs, record: event.stamp.number, message,
                cores: [names.from, names.to], channel: names.channel, bytes: lost.byteCount
            )
            guard decoded else { return sink.finding(finding) }
            rpc.finding(finding, stream: stream, into: &sink)
            if interruptsDecoding { rpc.discontinuity(stream: stream, into: &sink) }
        }
    }

    static func lossMessage(_ lost: LostData, _ names: DirectionNames) -> String {
        let route = lost.side.map { "\($0) stream \(names.channel) " } ?? "\(names.channel) stream "
        return "\(route)\(names.from)→\(names.to): \(lost.what); its analysis may be incomplete"
    }

    /// The capture ended: unfinished values and unanswered calls are reported, and streams never
    /// shown to be RPC are left out of the report.
    mutating func finish(into sink: inout Sink) {
        rpc.finish(into: &sink)
        for row in rows.indices {
            switch decoding[row] {
            case .rpc, .probing: if !rpc.isConfirmed(stream: StreamID(row)) { rows[row].isRPC = false }
            case .ignored:
                rows[row].isRPC = false
                rows[row].isSelected = false
            case .counted: break
            }
        }
    }
}
