import AnalysisCore
import Capture
import Replay
import RPC

/// A record of a byte channel between cores, as the replay takes it: the header's fields in the
/// widths the capture format gives them (a byte for channel and cores), 29 bytes where the
/// replay's `ChannelEvent` takes 72. Made straight from the record, and handed to the replay's
/// thread as it is; the event is made where the engine runs.
struct ChannelRecord {
    var stamp: RecordStamp
    var byteCount: UInt32
    var direction: Int32
    var kind: Board.ChannelKind
    var isReceiverSide: Bool
    var channel: UInt8
    var from: UInt8
    var to: UInt8

    /// `direction`: the stream table's number for the record's direction (bounded by the cap on
    /// streams); `byteCount`: its payload's (a record's length is 32 bits in every format read).
    @inline(__always)
    init(_ header: InterCoreHeader, kind: Board.ChannelKind, byteCount: Int, stamp: RecordStamp, direction: Int) {
        self.stamp = stamp
        self.byteCount = UInt32(clamping: byteCount)
        self.direction = Int32(clamping: direction)
        self.kind = kind
        isReceiverSide = header.isReceiverSide
        channel = header.channel
        from = header.source
        to = header.destination
    }

    var event: ChannelEvent {
        ChannelEvent(kind: kind, channel: Int(channel), from: Int(from), to: Int(to), isReceiverSide: isReceiverSide,
                     byteCount: Int(byteCount), stamp: stamp, direction: Int(direction))
    }
}

/// A call between cores as handed to the replay's thread: the call event without its method's
/// name (it went before, once per method) and in the widths RPC gives its fields (a msgid fits
/// 32 bits, cores one byte), so that it holds no reference and takes 45 bytes where the event
/// takes 96: copied as bytes, no reference count touched on either thread.
struct HandedCall {
    /// Method numbers a handed call can carry.
    static let methodNumbers = Int(UInt16.max) + 1

    var request: RecordStamp
    /// Meaningful when `answered`.
    var response: RecordStamp
    var sequence: UInt32
    var msgid: UInt32
    var methodIndex: UInt16
    var caller: UInt8
    var callee: UInt8
    var answered: Bool

    /// Nil when a field is wider than its packed width: the event then goes as it is.
    @inline(__always)
    init?(_ call: CallEvent) {
        guard let sequence = UInt32(exactly: call.sequence), let msgid = UInt32(exactly: call.msgid),
              let methodIndex = UInt16(exactly: call.methodIndex),
              let caller = UInt8(exactly: call.caller), let callee = UInt8(exactly: call.callee) else { return nil }
        request = call.request
        response = call.response ?? call.request
        answered = call.response != nil
        self.sequence = sequence
        self.msgid = msgid
        self.methodIndex = methodIndex
        self.caller = caller
        self.callee = callee
    }

    func event(named method: String) -> CallEvent {
        CallEvent(sequence: UInt64(sequence), method: method, methodIndex: Int(methodIndex), msgid: UInt64(msgid),
                  caller: Int(caller), callee: Int(callee), request: request, response: answered ? response : nil)
    }
}
