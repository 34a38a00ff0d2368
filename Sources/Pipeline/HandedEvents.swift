import AnalysisCore
import Capture
import MessagePack
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

/// A trace event as handed to the replay's thread: its kind and its one argument, a name of up
/// to 16 bytes held inline (locks, devices, interrupts and procedures have short names), so
/// that it holds no reference and the event is made again on the replay's thread equal to the
/// one read. Events that would not come back equal (unknown names, more arguments than the
/// kind takes, a fault's two, a longer name) go boxed, as they are.
struct HandedTrace {
    static let nameCapacity = 16

    var origin: RecordStamp
    /// A count or an integer naming a lock or device, as `form` says.
    var argument: Int64
    var name: (UInt64, UInt64)
    var nameLength: UInt8
    var kind: TraceEvent.Kind
    var form: Form
    var core: UInt8

    enum Form: UInt8 {
        case none, name, unsigned, signed
    }

    /// Nil when the event must go as it is.
    @inline(__always)
    init?(_ event: TraceEvent) {
        guard event.kind != .unknown, event.kind != .fault, let core = UInt8(exactly: event.core),
              event.args.count == event.kind.argumentCount else { return nil }
        // An event whose arguments do not fit its kind keeps the unknown action.
        if case .unknown = event.action { return nil }
        origin = event.origin
        kind = event.kind
        self.core = core
        argument = 0
        name = (0, 0)
        nameLength = 0
        guard let first = event.args.first else {
            form = .none
            return
        }
        switch first {
        case .string(var text):
            guard text.utf8.count <= Self.nameCapacity else { return nil }
            form = .name
            nameLength = UInt8(text.utf8.count)
            text.withUTF8 { bytes in
                withUnsafeMutableBytes(of: &name) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
            }
        case .uint(let value):
            guard let value = Int64(exactly: value) else { return nil }
            form = .unsigned
            argument = value
        case .int(let value):
            form = .signed
            argument = value
        default:
            return nil
        }
    }

    /// The event as it was read: its action made from the kind and argument as reading made it.
    func event() -> TraceEvent {
        let name = switch form {
        case .none: ""
        case .name: nameText
        case .unsigned, .signed: String(argument)
        }
        let args: [MessagePackValue] = switch form {
        case .none: []
        case .name: [.string(name)]
        case .unsigned: [.uint(UInt64(argument))]
        case .signed: [.int(argument)]
        }
        return TraceEvent(core: Int(core), kind: kind, action: TraceEvent.Action(kind, name: name, count: argument),
                          args: args, origin: origin)
    }

    private var nameText: String {
        withUnsafeBytes(of: name) { String(decoding: $0.bindMemory(to: UInt8.self).prefix(Int(nameLength)), as: UTF8.self) }
    }
}
