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

/// Where the RPC stage delivers what it finds. Implemented by the report stage's renderers.
public protocol RPCSink: FindingSink {
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
}

extension RPCSink {
    public var wantsMessages: Bool { false }
    public var wantsTransactions: Bool { true }
    public mutating func message(_ message: DecodedMessage) {}
}
