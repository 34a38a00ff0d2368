import AnalysisCore
import MessagePack

/// A call and its answer (or the lack of one).
public struct Transaction: Sendable {
    public enum Status: String, Sendable {
        case ok, error, unanswered
    }

    /// Position in request order, from 0.
    public var sequence: UInt64
    public var method: String
    public var msgid: UInt64
    public var caller: String
    public var callee: String
    public var channel: String
    public var request: RecordStamp
    public var response: RecordStamp?
    public var status: Status
    /// Parameters, result and error are decoded only when the sink asks for values.
    public var params: MessagePackValue?
    public var result: MessagePackValue?
    public var error: MessagePackValue?
    /// For a call that crossed a router: each leg, the caller's first (`hops` in the report).
    public var hops: [Hop] = []
    /// The router the call went through.
    public var via: String?
    /// Who produced the error: `router`, or the party that answered.
    public var errorOrigin: String?
    /// Time the request and the answer took on a serial line, at its baud and framing.
    public var wire: WireTime?

    public var latencyNs: Int64? { response.map { $0.timeNs.saturatingSpan(since: request.timeNs) } }
}

/// One leg of a call that crossed a router: the caller to the router, or the router to the
/// party that answered.
public struct Hop: Sendable, Equatable {
    public var from: String
    public var to: String
    public var channel: String
    /// The msgid on this leg (the router rewrites it).
    public var msgid: UInt64
    public var request: RecordStamp
    public var response: RecordStamp?
    public var status: Transaction.Status
    public var wire: WireTime?
    /// How long the leg's request waited for the serial wire behind other messages' bytes,
    /// from when the call came to the router; nil when it did not wait.
    public var wireWaitNs: Int64?

    public var latencyNs: Int64? { response.map { $0.timeNs.saturatingSpan(since: request.timeNs) } }
}

/// A message's time on a serial line: its bytes times the time one byte takes.
public struct WireTime: Sendable, Equatable {
    public var requestNs: Int64
    public var responseNs: Int64?
}

/// How many calls ended how, counted by the RPC stage whatever the sink keeps.
public struct CallTotals: Sendable, Equatable {
    /// Every request: answered, answered with an error, or unanswered.
    public var transactions = 0
    public var errors = 0
    public var unanswered = 0
    public var notifications = 0

    public init() {}
}

/// A one-way message.
public struct Notification: Sendable {
    public var method: String
    public var from: String
    public var to: String
    public var channel: String
    public var origin: RecordStamp
    public var params: MessagePackValue?
}

/// One decoded RPC message, as the detailed listing shows it.
public struct DecodedMessage: Sendable {
    public var kind: Envelope.Kind
    public var msgid: UInt64
    public var method: String
    public var names: DirectionNames
    public var origin: RecordStamp
    public var byteCount: Int
    /// Params (requests, notifications) or error (responses).
    public var first: MessagePackValue
    /// Result (responses).
    public var second: MessagePackValue
}

/// A call between two cores, as the RPC stage tells it when it starts and when it ends: plain
/// numbers, no reference, so that telling it costs no reference counting. Its method is named
/// once, by number, before its first call (`RPCSink.methodNamed`).
public struct CallEvent: Sendable, Equatable {
    /// Position in request order.
    public var sequence: UInt64
    public var msgid: UInt64
    public var request: RecordStamp
    /// The answer; nil while in flight, and for a call that ended unanswered.
    public var response: RecordStamp?
    /// The method's number in the RPC stage (in order of first call).
    public var method: UInt32
    /// Cores are below 0xFE (capture format v1), so a byte holds them.
    public var caller: UInt8
    public var callee: UInt8

    public init(sequence: UInt64, method: UInt32, msgid: UInt64, caller: UInt8, callee: UInt8,
                request: RecordStamp, response: RecordStamp? = nil) {
        self.sequence = sequence
        self.method = method
        self.msgid = msgid
        self.caller = caller
        self.callee = callee
        self.request = request
        self.response = response
    }
}

/// Where the RPC stage delivers what it finds. Implemented by the report stage's renderers.
public protocol RPCSink: FindingSink {
    /// What the sink reads (`SinkWants`), asked once when the stage is built.
    var wants: SinkWants { get }
    mutating func message(_ message: DecodedMessage)
    mutating func transaction(_ transaction: Transaction)
    mutating func notification(_ notification: Notification)
    /// A method's name, told once, before the first call of it between cores (`.callEvents`).
    mutating func methodNamed(_ method: UInt32, _ name: String)
    /// A request between two cores was sent.
    mutating func callStarted(_ call: CallEvent)
    /// A call between two cores was answered, or given up as unanswered (`response` nil).
    mutating func callEnded(_ call: CallEvent)
}

extension RPCSink {
    public var wants: SinkWants { [.transactions] }
    public mutating func message(_ message: DecodedMessage) {}
    public mutating func methodNamed(_ method: UInt32, _ name: String) {}
    public mutating func callStarted(_ call: CallEvent) {}
    public mutating func callEnded(_ call: CallEvent) {}
}
