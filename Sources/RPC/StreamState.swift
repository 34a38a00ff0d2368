import AnalysisCore
import MessagePack

/// One direction as the correlator sees it. Kept outside the generic correlator so that
/// touching it needs no generic metadata at run time.
struct StreamState {
    var direction: Direction
    var names: DirectionNames
    /// The cores at its two ends, for a stream between cores (calls on it are told as call events).
    var cores: CorePair?
    /// Number of the (channel, caller, callee) this direction's requests travel on.
    var requestConversation: Int
    /// Number of the conversation its responses answer: the reverse direction's.
    var responseConversation: Int
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
        if case .confirmed = streams[currentStream].detection {
            output.finding(rule, make)
        } else {
            emit(make(), into: &output)
        }
    }

    /// A probing stream's findings wait until it is confirmed.
    mutating func emit(_ finding: Finding, into output: inout Sink) {
        switch streams[currentStream].detection {
        case .confirmed: output.finding(finding)
        case .probing: if streams[currentStream].held.count < 64 { streams[currentStream].held.append(finding) }
        case .ignored: break
        }
    }

    /// Counts bytes against a probing stream's budget; false once it is ignored.
    mutating func spendProbe(stream: Int, bytes: Int) -> Bool {
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
    mutating func confirm(conversation: Int, into output: inout Sink) {
        guard conversation < streamsOfConversation.count else { return }
        for i in streamsOfConversation[conversation] {
            if case .confirmed = streams[i].detection { continue }
            streams[i].detection = .confirmed
            let held = streams[i].held
            streams[i].held = []
            for finding in held { output.finding(finding) }
        }
    }

    mutating func conversation(_ direction: Direction) -> Int {
        if let known = conversations[direction] { return known }
        let number = conversations.count
        conversations[direction] = number
        streamsOfConversation.append([])
        return number
    }

    /// Adds a stream, indexed by both conversations it takes part in.
    mutating func add(_ state: StreamState) -> Int {
        let index = streams.count
        streams.append(state)
        streamsOfConversation[state.requestConversation].append(index)
        if state.responseConversation != state.requestConversation {
            streamsOfConversation[state.responseConversation].append(index)
        }
        return index
    }

    mutating func noteNonRPC(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        if streams[currentStream].nonRPCCount == 0 {
            streams[currentStream].nonRPCOrigin = origin
            streams[currentStream].nonRPCSample.removeAll(keepingCapacity: true)
        }
        let room = Self.sampleLength - streams[currentStream].nonRPCSample.count
        if room > 0 { streams[currentStream].nonRPCSample.append(contentsOf: bytes.prefix(room)) }
        streams[currentStream].nonRPCCount += 1
        streams[currentStream].nonRPCBytes += bytes.count
    }

    mutating func flushNonRPCRun(stream: Int, into output: inout Sink) {
        guard streams[stream].nonRPCCount > 0 else { return }
        let state = streams[stream]
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
        streams[stream].nonRPCCount = 0
        streams[stream].nonRPCBytes = 0
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
