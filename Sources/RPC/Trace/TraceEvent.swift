import AnalysisCore
import MessagePack

/// An instrumentation event a core emitted (capture format kind 3): `[event, args]`.
/// Known names are the capture format's; unknown ones are kept as they came.
public struct TraceEvent: Sendable, Equatable {
    public var core: Int
    public var name: String
    public var args: [MessagePackValue]
    public var origin: RecordStamp

    public init(core: Int, name: String, args: [MessagePackValue], origin: RecordStamp) {
        self.core = core
        self.name = name
        self.args = args
        self.origin = origin
    }

    /// The events the capture format defines; replay understands these.
    public static let knownNames: Set<String> = [
        "core.start", "init.done", "lock.acquire", "lock.release", "dev.begin", "dev.end",
        "heap.alloc", "heap.lock", "irq.enter", "irq.exit", "fault",
    ]

    public var isKnown: Bool { Self.knownNames.contains(name) }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notMessagePack
        case notEventArray

        public var description: String {
            switch self {
            case .notMessagePack: "trace payload is not one MessagePack value"
            case .notEventArray: "trace payload is not [event, args] with a string event and an array of args"
            }
        }
    }

    public static func decode(
        payload: UnsafeRawBufferPointer, core: Int, origin: RecordStamp
    ) -> Result<TraceEvent, DecodeError> {
        guard let value = MessagePackValue.decode(payload) else { return .failure(.notMessagePack) }
        guard case .array(let pair) = value, pair.count == 2, let name = pair[0].textValue,
              case .array(let args) = pair[1] else { return .failure(.notEventArray) }
        return .success(TraceEvent(core: core, name: name, args: args, origin: origin))
    }
}
