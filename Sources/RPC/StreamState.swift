import AnalysisCore
import MessagePack

/// One direction as the correlator sees it. Kept outside the generic correlator so that
/// touching it needs no generic metadata at run time.
struct StreamState {
    var names: DirectionNames
    /// The cores at its two ends, for a stream between cores (calls on it are told as call events).
    var cores: CorePair?
    /// The conversation this direction's requests travel on.
    var requestConversation: ConversationID
    /// The conversation its responses answer: the reverse direction's.
    var responseConversation: ConversationID
    var detection: Detection

    enum Detection {
        case confirmed
        /// Assumed RPC until proven: findings wait in `held`.
        case probing(bytesLeft: Int)
        case ignored
    }

    var held: [Finding] = []
    /// A run of well-formed values that are not RPC messages, reported as one note.
    var nonRPCCount = 0
    var nonRPCBytes = 0
    var nonRPCOrigin = RecordStamp(number: 0, timeNs: 0)
    /// The run's first bytes, to show what it was.
    var nonRPCSample: [UInt8] = []
}

/// Per-stream bookkeeping of the correlator: whether the stream is RPC, findings held while
/// that is unknown, and runs of values that are not RPC messages.
extension Correlator {
    /// `emit`, made only when the sink reads more than the rule (`FindingSink.finding(_:_:)`);
    /// a probing stream's findings are still made and held, as they may be dropped.
    @inline(__always)
    mutating func emit(_ rule: Rule, into output: inout Sink, _ make: () -> Finding) {
        if case .confirmed = streams[currentStream.index].detection {
            output.finding(rule, make)
        } else {
            emit(make(), into: &output)
        }
    }

    /// A probing stream's findings wait until it is confirmed.
    mutating func emit(_ finding: Finding, into output: inout Sink) {
        switch streams[currentStream.index].detection {
        case .confirmed: output.finding(finding)
        case .probing: if streams[currentStream.index].held.count < 64 { streams[currentStream.index].held.append(finding) }
        case .ignored: break
        }
    }

    /// Counts bytes against a probing stream's budget; false once it is ignored.
    mutating func spendProbe(stream: StreamID, bytes: Int) -> Bool {
        let stream = stream.index
        switch streams[stream].detection {
        case .confirmed: return true
        case .ignored: return false
        case .probing(let left):
            guard left > 0 else {
                streams[stream].detection = .ignored
                streams[stream].held = []
                return false
            }
            streams[stream].detection = .probing(bytesLeft: left - bytes)
            return true
        }
    }

    /// An RPC message on one direction confirms both directions of its conversation.
    mutating func confirm(conversation: ConversationID, into output: inout Sink) {
        guard conversation.index < streamsOfConversation.count else { return }
        for stream in streamsOfConversation[conversation.index] {
            let i = stream.index
            if case .confirmed = streams[i].detection { continue }
            streams[i].detection = .confirmed
            let held = streams[i].held
            streams[i].held = []
            for finding in held { output.finding(finding) }
        }
    }

    /// Adds the next stream, listed under both conversations it takes part in.
    mutating func add(_ state: StreamState) {
        let stream = StreamID(streams.count)
        streams.append(state)
        for conversation in [state.requestConversation, state.responseConversation] {
            if conversation.index >= streamsOfConversation.count {
                streamsOfConversation += repeatElement([], count: conversation.index + 1 - streamsOfConversation.count)
            }
            if streamsOfConversation[conversation.index].last != stream {
                streamsOfConversation[conversation.index].append(stream)
            }
        }
    }

    mutating func noteNonRPC(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        if streams[currentStream.index].nonRPCCount == 0 {
            streams[currentStream.index].nonRPCOrigin = origin
            streams[currentStream.index].nonRPCSample.removeAll(keepingCapacity: true)
        }
        let room = Self.sampleLength - streams[currentStream.index].nonRPCSample.count
        if room > 0 { streams[currentStream.index].nonRPCSample.append(contentsOf: bytes.prefix(room)) }
        streams[currentStream.index].nonRPCCount += 1
        streams[currentStream.index].nonRPCBytes += bytes.count
    }

    mutating func flushNonRPCRun(stream: StreamID, into output: inout Sink) {
        guard streams[stream.index].nonRPCCount > 0 else { return }
        let state = streams[stream.index]
        let names = state.names
        let what = state.nonRPCCount == 1
            ? "a MessagePack value that is not an RPC message: \(Self.describe(state.nonRPCSample, total: state.nonRPCBytes))"
            : "\(state.nonRPCCount) MessagePack values (\(state.nonRPCBytes) bytes) that are not RPC messages: "
                + Self.describe(state.nonRPCSample, total: state.nonRPCBytes)
        emit(.nonRPCValue, into: &output) { Finding(
            .nonRPCValue, at: state.nonRPCOrigin.timeNs, record: state.nonRPCOrigin.number,
            "\(what) on \(names.channel) \(names.from)→\(names.to)",
            cores: [names.from, names.to], channel: names.channel, bytes: state.nonRPCBytes
        ) }
        streams[stream.index].nonRPCCount = 0
        streams[stream.index].nonRPCBytes = 0
    }

    static var sampleLength: Int { 48 }

    /// Values are decoded only for renderers that show them, so only those raise this note.

    static func describe(_ sample: [UInt8], total: Int) -> String {
        let more = total > sample.count ? "…" : ""
        let printable = sample.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if printable && sample.count > 1 {
            return MessagePackValue.string(String(decoding: sample, as: UTF8.self)).description + more
        }
        if let value = MessagePackValue.decode(sample) { return value.preview(limit: 60) }
        return "bytes " + sample.hexString + more
    }

    /// Reports every request still in flight, in request order.
}
