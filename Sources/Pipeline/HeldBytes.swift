import AnalysisCore
import MessagePack
import Replay
import RPC

/// Roughly what a value handed to the replay's thread holds in memory beyond itself (strings,
/// arrays, boxes), so that the hand-off sends a batch early once its items hold a lot
/// (`HandOff.add(_:holding:)`): a trace event's arguments or a UART record's bytes may be as
/// long as a record. Overestimates small strings, which are stored inline; never walks further
/// than the value goes, which decoding did already.
extension TapCall {
    var heldBytes: Int {
        switch self {
        case .channel, .startedCall, .endedCall, .handedTrace, .counted, .totals, .finishReplay: 0
        case .uart(_, let bytes): bytes.count
        case .methodName(_, let name): name.utf8.count
        case .started(let call), .ended(let call): Self.boxBytes + MemoryLayout<CallEvent>.size + call.method.utf8.count
        case .trace(let event): Self.boxBytes + event.heldBytes
        case .finding(let finding): Self.boxBytes + finding.heldBytes
        case .transaction(let transaction): Self.boxBytes + transaction.heldBytes
        case .notification(let notification): Self.boxBytes + notification.heldBytes
        case .message(let message):
            Self.boxBytes + MemoryLayout<DecodedMessage>.size + message.method.utf8.count
                + message.first.heldBytes + message.second.heldBytes
        case .record(let record):
            Self.boxBytes + MemoryLayout<RecordInfo>.size + (record.kind?.utf8.count ?? 0) + (record.detail?.utf8.count ?? 0)
        }
    }

    /// An allocation's header, as the Swift runtime lays out a box.
    private static let boxBytes = 32
}

extension MessagePackValue {
    var heldBytes: Int {
        switch self {
        case .nil, .bool, .int, .uint, .float32, .float64, .timestamp: 0
        case .string(let text): text.utf8.count
        case .invalidString(let bytes), .binary(let bytes), .ext(_, let bytes): bytes.count
        case .array(let elements):
            elements.reduce(elements.count * MemoryLayout<MessagePackValue>.stride) { $0 + $1.heldBytes }
        case .map(let entries):
            entries.reduce(entries.count * MemoryLayout<MessagePackValue.MapEntry>.stride) { $0 + $1.key.heldBytes + $1.value.heldBytes }
        }
    }
}

extension TraceEvent {
    var heldBytes: Int {
        MemoryLayout<TraceEvent>.size + name.utf8.count
            + args.reduce(args.count * MemoryLayout<MessagePackValue>.stride) { $0 + $1.heldBytes }
    }
}

extension Finding {
    var heldBytes: Int {
        MemoryLayout<Finding>.size + message.utf8.count + cores.reduce(0) { $0 + $1.utf8.count + 16 }
            + calls.count * MemoryLayout<Call>.stride + accesses.count * MemoryLayout<Access>.stride
            + (wire.map { $0.bytes.count + $0.writers.count * 16 } ?? 0)
    }
}

extension Transaction {
    var heldBytes: Int {
        MemoryLayout<Transaction>.size + method.utf8.count
            + (params?.heldBytes ?? 0) + (result?.heldBytes ?? 0) + (error?.heldBytes ?? 0)
    }
}

extension RPC.Notification {
    var heldBytes: Int {
        MemoryLayout<RPC.Notification>.size + method.utf8.count + (params?.heldBytes ?? 0)
    }
}
