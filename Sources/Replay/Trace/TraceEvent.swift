import AnalysisCore
import MessagePack

/// An instrumentation event a core emitted (capture format kind 3): `[event, args]`.
/// Known names are the capture format's; unknown ones are kept as they came.
public struct TraceEvent: Sendable, Equatable {
    public var core: Int
    public var name: String
    /// The event the name stands for, decided once when the event is read.
    public var kind: Kind
    /// The event with its arguments typed, set when it is decoded; `.unknown` for other names.
    public var action: Action = .unknown
    /// The arguments as they came, for listings and unknown events.
    public var args: [MessagePackValue]
    public var origin: RecordStamp

    /// A known event and its arguments. Locks, devices, interrupts, procedures and regions may
    /// be numbered or named in the capture; they are compared as text ("5", "UART0").
    public enum Action: Sendable, Equatable {
        case coreStart(started: Int64)
        case initDone
        case lockAcquire(String), lockRelease(String)
        case deviceBegin(String), deviceEnd(String)
        case heapAlloc(bytes: Int64)
        case heapLock
        case interruptEnter(String), interruptExit(String)
        case fault(String, text: String)
        case functionEnter(String), functionExit(String)
        case memoryRead(String), memoryWrite(String)
        /// A recorder's name for the party in `src` (docs/capture-format.md).
        case partyName(String)
        case unknown
    }

    /// The events capture format v1 defines, and every other name as `unknown`.
    public enum Kind: String, Sendable, CaseIterable {
        case coreStart = "core.start"
        case initDone = "init.done"
        case lockAcquire = "lock.acquire"
        case lockRelease = "lock.release"
        case deviceBegin = "dev.begin"
        case deviceEnd = "dev.end"
        case heapAlloc = "heap.alloc"
        case heapLock = "heap.lock"
        case interruptEnter = "irq.enter"
        case interruptExit = "irq.exit"
        case fault = "fault"
        case functionEnter = "fn.enter"
        case functionExit = "fn.exit"
        case memoryRead = "mem.read"
        case memoryWrite = "mem.write"
        /// Added by this implementation: a recorder names the party in `src` (the Unix-socket
        /// proxy, an app connection after its program, `python3[4211]`).
        case partyName = "party.name"
        case unknown = ""

        /// What the format says the arguments are, checked when the event is read.
        enum Argument {
            /// A lock, device, interrupt, procedure or region: a string or an integer.
            case name
            case count
            /// A fault's text: a string.
            case text
        }

        /// How many arguments the format gives the event (an event may carry more).
        public var argumentCount: Int {
            switch self {
            case .fault: 2
            case .initDone, .heapLock, .unknown: 0
            default: 1
            }
        }

        var arguments: [Argument] {
            switch self {
            case .coreStart, .heapAlloc: [.count]
            case .lockAcquire, .lockRelease, .deviceBegin, .deviceEnd, .interruptEnter, .interruptExit,
                 .functionEnter, .functionExit, .memoryRead, .memoryWrite: [.name]
            case .fault: [.name, .text]
            case .partyName: [.text]
            case .initDone, .heapLock, .unknown: []
            }
        }
    }

    public init(core: Int, name: String, args: [MessagePackValue], origin: RecordStamp) {
        self.core = core
        self.name = name
        self.kind = Kind(rawValue: name) ?? .unknown
        self.args = args
        self.origin = origin
        if Self.argumentsFit(kind, args) { action = Self.action(kind, args) }
    }

    /// An event of a known kind made again from its parts: named as the format names it, with
    /// the action its arguments make (`action` is trusted, not worked out again).
    public init(core: Int, kind: Kind, action: Action, args: [MessagePackValue], origin: RecordStamp) {
        self.core = core
        name = kind.rawValue
        self.kind = kind
        self.action = action
        self.args = args
        self.origin = origin
    }

    private static func argumentsFit(_ kind: Kind, _ args: [MessagePackValue]) -> Bool {
        args.count >= kind.arguments.count && zip(args, kind.arguments).allSatisfy(fits)
    }

    public var isKnown: Bool { kind != .unknown }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notMessagePack
        case notEventArray
        case wrongArguments(event: String, expected: String)

        public var description: String {
            switch self {
            case .notMessagePack: "trace payload is not one MessagePack value"
            case .notEventArray: "trace payload is not [event, args] with a string event and an array of args"
            case .wrongArguments(let event, let expected): "trace event \(event) takes \(expected)"
            }
        }
    }

    public static func decode(
        payload: UnsafeRawBufferPointer, core: Int, origin: RecordStamp
    ) -> Result<TraceEvent, DecodeError> {
        guard let value = MessagePackValue.decode(payload) else { return .failure(.notMessagePack) }
        guard case .array(let pair) = value, pair.count == 2, let name = pair[0].textValue,
              case .array(let args) = pair[1] else { return .failure(.notEventArray) }
        let event = TraceEvent(core: core, name: name, args: args, origin: origin)
        guard argumentsFit(event.kind, args) else {
            return .failure(.wrongArguments(event: name, expected: Self.describe(event.kind.arguments)))
        }
        return .success(event)
    }

    /// The typed event; its arguments were checked against `Kind.arguments`.
    private static func action(_ kind: Kind, _ args: [MessagePackValue]) -> Action {
        let name = args.first.flatMap { $0.integerValue.map { String($0) } ?? $0.textValue } ?? ""
        let text = kind == .fault ? args[1].textValue ?? "" : ""
        return Action(kind, name: name, count: args.first?.integerValue ?? 0, text: text)
    }

    private static func fits(_ value: MessagePackValue, _ argument: Kind.Argument) -> Bool {
        switch argument {
        case .name: value.textValue != nil || value.integerValue != nil
        case .count: value.integerValue.map { $0 >= 0 } ?? false
        case .text: value.textValue != nil
        }
    }

    private static func describe(_ arguments: [Kind.Argument]) -> String {
        guard !arguments.isEmpty else { return "no arguments" }
        return "[" + arguments.map { argument in
            switch argument {
            case .name: "a name (string or integer)"
            case .count: "a non-negative integer"
            case .text: "a string"
            }
        }.joined(separator: ", ") + "]"
    }
}

extension TraceEvent.Action {
    /// The action of an event of `kind` whose first argument reads as `name` (its text, or its
    /// integer written out) and as `count`; `text`: a fault's second argument.
    public init(_ kind: TraceEvent.Kind, name: String, count: Int64, text: String = "") {
        self = switch kind {
        case .coreStart: .coreStart(started: count)
        case .initDone: .initDone
        case .lockAcquire: .lockAcquire(name)
        case .lockRelease: .lockRelease(name)
        case .deviceBegin: .deviceBegin(name)
        case .deviceEnd: .deviceEnd(name)
        case .heapAlloc: .heapAlloc(bytes: count)
        case .heapLock: .heapLock
        case .interruptEnter: .interruptEnter(name)
        case .interruptExit: .interruptExit(name)
        case .fault: .fault(name, text: text)
        case .functionEnter: .functionEnter(name)
        case .functionExit: .functionExit(name)
        case .memoryRead: .memoryRead(name)
        case .memoryWrite: .memoryWrite(name)
        case .partyName: .partyName(name)
        case .unknown: .unknown
        }
    }
}
