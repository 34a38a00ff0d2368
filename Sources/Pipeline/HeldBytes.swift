import AnalysisCore
import Replay
import RPC

/// Roughly what a call handed to the replay's thread holds in memory (its box, strings, arrays),
/// so that the hand-off sends a batch early once its items hold a lot (`HandOff.add(_:holding:)`):
/// a trace event's arguments or a UART record's bytes may be as long as a record. Zero exactly
/// for the calls that hold no allocation: the replay's thread empties only batches of those.
extension TapCall {
    var heldBytes: Int {
        switch self {
        case .channel, .startedCall, .endedCall, .handedTrace, .counted, .totals, .finishReplay: 0
        case .uart(_, let bytes): bytes.count
        case .methodName(_, let name): name.utf8.count
        case .started(let call), .ended(let call): Self.boxed(CallEvent.self) + call.method.utf8.count
        case .trace(let event): Self.boxed(TraceEvent.self) + event.heldBytes
        case .finding(let finding): Self.boxed(Finding.self) + finding.heldBytes
        case .transaction(let transaction): Self.boxed(Transaction.self) + transaction.heldBytes
        case .notification(let notification): Self.boxed(Notification.self) + notification.heldBytes
        case .message(let message): Self.boxed(DecodedMessage.self) + message.heldBytes
        case .record(let record):
            Self.boxed(RecordInfo.self) + (record.kind?.utf8.count ?? 0) + (record.detail?.utf8.count ?? 0)
        }
    }

    /// An `indirect` case's box: the runtime's header and the value.
    private static func boxed<Value>(_: Value.Type) -> Int { 32 + MemoryLayout<Value>.size }
}
