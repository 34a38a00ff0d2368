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
}

/// Every stream of a capture, whatever link it came on. Each link family turns its records
/// into `StreamEvent`s; the registry creates a stream the first time its key comes (under the
/// cap on streams), keeps its summary row, and owns the RPC stage that decodes it. The sink
/// the findings go to is lent for each call.
struct StreamRegistry<Sink: RPCSink> {
    private(set) var rpc: RPCAnalyzer<Sink>
    /// One summary row per stream, in order of first appearance; a stream's handle is its row.
    var rows: [DirectionSummary] = []
    private var decoding: [StreamDecoding] = []
    /// The RPC stage's number for each stream; -1 for one that is not decoded.
    private var rpcStream: [Int] = []
    private(set) var keys = SmallKeyIndex<StreamKey>()
    private var conversations = SmallKeyIndex<StreamKey>()
    let caps: AnalysisCaps
    private var capReported = false

    init(limits: FrameLimits, caps: AnalysisCaps, wants: SinkWants) {
        rpc = RPCAnalyzer(limits: limits, caps: caps, wants: wants)
        self.caps = caps
    }

    /// Whether `count` more streams fit under the cap.
    func hasRoom(for count: Int) -> Bool { rows.count + count <= caps.streams }

    /// The handle of the stream `key`, created from `describe()` when new; nil when it is new
    /// and the cap on streams is reached (said once, as a finding).
    @inline(__always)
    mutating func stream(_ key: StreamKey, at stamp: RecordStamp, into sink: inout Sink,
                                        describe: () -> StreamDescription) -> Int? {
        if let known = keys.index(of: key) { return known }
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
    mutating func open(_ key: StreamKey, _ description: StreamDescription) -> Int {
        let handle = keys.add(key)
        rows.append(DirectionSummary(names: description.names, kind: description.kind))
        decoding.append(description.decoding)
        switch description.decoding {
        case .rpc, .probing:
            let conversation = conversations.indexAdding(description.conversation)
            rpcStream.append(rpc.addStream(Direction(channel: conversation, from: description.from, to: description.to),
                                           names: description.names, probing: description.decoding == .probing,
                                           cores: description.cores))
        case .counted, .ignored:
            rpcStream.append(-1)
        }
        return handle
    }

    /// Hands one event of stream `handle` on: counted in its row, decoded when it is RPC.
    @inline(__always)
    mutating func deliver(_ event: StreamEvent, to handle: Int, into sink: inout Sink) {
        let stream = rpcStream[handle]
        switch event.content {
        case .bytes(let bytes, let endsMessage):
            rows[handle].records += 1
            rows[handle].payloadBytes += bytes.count
            guard stream >= 0 else { return }
            rpc.feed(stream: stream, bytes, origin: event.stamp, endsMessage: endsMessage, into: &sink)
        case .seen(let byteCount):
            rows[handle].records += 1
            rows[handle].payloadBytes += byteCount
        case .loss(let lost, let interruptsDecoding):
            rows[handle].lostRecords += lost.recordCount
            if sink.countsFindingsOnly, stream < 0 || rpc.isConfirmed(stream: stream) {
                // A lossy recorder's gaps, past the findings a summary keeps: counted, not built
                // (a confirmed stream's findings go straight to the sink, as `finding` would).
                // `FindingSink.finding(_:_:)` written out: here, on the per-record path, the
                // protocol extension reached the tap through witnesses that are not specialised
                // (callgrind: +47 M instructions per 10 MB of a lossy recorder).
                sink.countFinding(.captureLoss)
                if stream >= 0, interruptsDecoding { rpc.discontinuity(stream: stream, into: &sink) }
                return
            }
            let names = rows[handle].names
            let message = sink.countsFindingsOnly ? "" : Self.lossMessage(lost, names)
            let finding = Finding(
                .captureLoss, at: event.stamp.timeNs, record: event.stamp.number, message,
                cores: [names.from, names.to], channel: names.channel, bytes: lost.byteCount
            )
            guard stream >= 0 else { return sink.finding(finding) }
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
        for handle in rows.indices {
            switch decoding[handle] {
            case .rpc, .probing: if !rpc.isConfirmed(stream: rpcStream[handle]) { rows[handle].isRPC = false }
            case .ignored:
                rows[handle].isRPC = false
                rows[handle].isSelected = false
            case .counted: break
            }
        }
    }
}
