import AnalysisCore
import MessagePack

/// What every call of the RPC stage may read of any stream (a response names the stream its
/// request came on): fixed when the stream is added. Kept outside the generic correlator so
/// that touching it needs no generic metadata at run time.
struct StreamFacts {
    var names: DirectionNames
    /// The cores at its two ends, for a stream between cores (calls on it are told as call events).
    var cores: CorePair?
    /// The conversation this direction's requests travel on.
    var requestConversation: ConversationID
    /// The conversation its responses answer: the reverse direction's.
    var responseConversation: ConversationID
    /// A serial line's time per byte at its baud and framing (0: not a serial line).
    var byteTimeNs: Int64 = 0
    /// The largest request its receiver takes (a board's `max_request`).
    var maxRequest: Int = .max
}

/// What the RPC stage changes of one stream as its bytes come: kept beside the stream's frame
/// assembler (`RPCStream`) and lent to the correlator with every frame, so that the correlator
/// is told which stream each frame is on and holds no stream of its own.
struct StreamState {
    let id: StreamID
    /// False for a stream the stage is never fed (`RPCAnalyzer.Decoding.notDecoded`): a message on
    /// its reverse does not make it RPC.
    let isDecoded: Bool
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
    /// The run's first bytes (up to `sampleLength`), to show what it was.
    var nonRPCSample: [UInt8] = []
    static var sampleLength: Int { 48 }

    init(id: StreamID, isDecoded: Bool, detection: Detection) {
        self.id = id
        self.isDecoded = isDecoded
        self.detection = detection
    }

    var isConfirmed: Bool {
        if case .confirmed = detection { return true }
        return false
    }

    /// Counts bytes against a probing stream's budget; false once it is ignored.
    mutating func spendProbe(bytes: Int) -> Bool {
        switch detection {
        case .confirmed: return true
        case .ignored: return false
        case .probing(let left):
            guard left > 0 else {
                detection = .ignored
                held = []
                return false
            }
            detection = .probing(bytesLeft: left - bytes)
            return true
        }
    }

    /// Confirmed as RPC: the findings it held, to be handed on now.
    mutating func confirm() -> [Finding] {
        guard isDecoded, !isConfirmed else { return [] }
        detection = .confirmed
        defer { held = [] }
        return held
    }

    /// A value that is not an RPC message: counted into the run, its first bytes kept.
    mutating func noteNonRPC(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        if nonRPCCount == 0 {
            nonRPCOrigin = origin
            nonRPCSample.removeAll(keepingCapacity: true)
        }
        let room = Self.sampleLength - nonRPCSample.count
        if room > 0 { nonRPCSample.append(contentsOf: bytes.prefix(room)) }
        nonRPCCount += 1
        nonRPCBytes += bytes.count
    }
}

/// One stream as the RPC stage keeps it: its frame assembler and what correlation changes of
/// it, together, at the stream's index.
struct RPCStream {
    var assembler: FrameAssembler
    var state: StreamState
}

/// Per-stream bookkeeping of the correlator: whether the stream is RPC, findings held while
/// that is unknown, and runs of values that are not RPC messages.
extension Correlator {
    /// `emit`, made only when the sink reads more than the rule (`FindingSink.finding(_:_:)`);
    /// a probing stream's findings are still made and held, as they may be dropped.
    @inline(__always)
    mutating func emit(_ rule: Rule, on stream: inout StreamState, into output: inout Sink, _ make: () -> Finding) {
        if case .confirmed = stream.detection {
            output.finding(rule, make)
        } else {
            emit(make(), on: &stream, into: &output)
        }
    }

    /// A probing stream's findings wait until it is confirmed.
    mutating func emit(_ finding: Finding, on stream: inout StreamState, into output: inout Sink) {
        switch stream.detection {
        case .confirmed: output.finding(finding)
        case .probing: if stream.held.count < 64 { stream.held.append(finding) }
        case .ignored: break
        }
    }

    /// An RPC message on one direction confirms both directions of its conversation: this one
    /// now, the others (not lent to this call) once the record is done (`confirmationsDue`).
    mutating func confirm(_ stream: inout StreamState, into output: inout Sink) {
        for finding in stream.confirm() { output.finding(finding) }
        confirmationsDue.append(directory[stream.id.index].requestConversation)
    }

    /// Adds the next stream, listed under both conversations it takes part in.
    mutating func add(_ facts: StreamFacts) {
        let stream = StreamID(directory.count)
        directory.append(facts)
        router?.add(names: facts.names)
        for conversation in [facts.requestConversation, facts.responseConversation] {
            if conversation.index >= streamsOfConversation.count {
                streamsOfConversation += repeatElement([], count: conversation.index + 1 - streamsOfConversation.count)
            }
            if streamsOfConversation[conversation.index].last != stream {
                streamsOfConversation[conversation.index].append(stream)
            }
        }
    }

    mutating func flushNonRPCRun(_ stream: inout StreamState, into output: inout Sink) {
        guard stream.nonRPCCount > 0 else { return }
        let names = directory[stream.id.index].names
        let (count, bytes, origin) = (stream.nonRPCCount, stream.nonRPCBytes, stream.nonRPCOrigin)
        let what = count == 1
            ? "a MessagePack value that is not an RPC message: \(Self.describe(stream.nonRPCSample, total: bytes))"
            : "\(count) MessagePack values (\(bytes) bytes) that are not RPC messages: "
                + Self.describe(stream.nonRPCSample, total: bytes)
        emit(.nonRPCValue, on: &stream, into: &output) { Finding(
            .nonRPCValue, at: origin.timeNs, record: origin.number,
            "\(what) on \(names.channel) \(names.from)→\(names.to)",
            cores: [names.from, names.to], channel: names.channel, bytes: bytes
        ) }
        stream.nonRPCCount = 0
        stream.nonRPCBytes = 0
        if router != nil { routerSawNonRPC(stream.nonRPCSample, on: stream.id, at: origin, into: &output) }
    }

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
}
