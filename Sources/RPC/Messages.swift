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

    public var latencyNs: Int64? { response.map { $0.timeNs.saturatingSpan(since: request.timeNs) } }
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

/// A call between two cores, as the replay sees it when the request is sent and when the call
/// ends. Plain values: no names to look up on the per-call path. Only calls between cores (not
/// network peers) are told.
public struct CallEvent: Sendable {
    /// Position in request order.
    public var sequence: UInt64
    public var method: String
    /// The method's number in the RPC stage (in order of first call): a key without hashing.
    public var methodIndex: Int
    public var msgid: UInt64
    public var caller: Int
    public var callee: Int
    public var request: RecordStamp
    /// The answer; nil while in flight, and for a call that ended unanswered.
    public var response: RecordStamp?

    public init(sequence: UInt64, method: String, methodIndex: Int = -1, msgid: UInt64, caller: Int, callee: Int,
                request: RecordStamp, response: RecordStamp? = nil) {
        self.sequence = sequence
        self.method = method
        self.methodIndex = methodIndex
        self.msgid = msgid
        self.caller = caller
        self.callee = callee
        self.request = request
        self.response = response
    }
}

/// Where the RPC stage delivers what it finds. Implemented by the report stage's renderers.
public protocol RPCSink: FindingSink {
    // The four `wants` are asked at each call the RPC stage is lent the sink (each record), and
    // hold for the messages of that call.

    /// Whether parameters and results should be decoded into values. A summary that only
    /// counts and times calls says no and keeps the per-message path free of allocation.
    var wantsValues: Bool { get }
    /// Whether every decoded message should be passed to `message(_:)`.
    var wantsMessages: Bool { get }
    /// Whether transactions and notifications should be built and passed on. A summary that
    /// only needs `CallTotals` and the per-method statistics says no.
    var wantsTransactions: Bool { get }
    mutating func message(_ message: DecodedMessage)
    mutating func transaction(_ transaction: Transaction)
    mutating func notification(_ notification: Notification)
    /// Whether calls between cores should be told as they start and end (`callStarted`, `callEnded`).
    var wantsCallEvents: Bool { get }
    /// A request between two cores was sent.
    mutating func callStarted(_ call: CallEvent)
    /// A call between two cores was answered, or given up as unanswered (`response` nil).
    mutating func callEnded(_ call: CallEvent)
}

extension RPCSink {
    public var wantsMessages: Bool { false }
    public var wantsTransactions: Bool { true }
    public mutating func message(_ message: DecodedMessage) {}
    public var wantsCallEvents: Bool { false }
    public mutating func callStarted(_ call: CallEvent) {}
    public mutating func callEnded(_ call: CallEvent) {}
}

// Memory each holds of its own beyond its size, roughly (as `MessagePackValue.heldBytes`): its
// values. Its names are the stream's and the method table's, shared by every call.

extension Transaction {
    public var heldBytes: Int { (params?.heldBytes ?? 0) + (result?.heldBytes ?? 0) + (error?.heldBytes ?? 0) }
}

extension Notification {
    public var heldBytes: Int { params?.heldBytes ?? 0 }
}

extension DecodedMessage {
    public var heldBytes: Int { first.heldBytes + second.heldBytes }
}
