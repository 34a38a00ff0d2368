import AnalysisCore
import MessagePack
import Replay
import Testing

private func encode(_ value: MessagePackValue) -> [UInt8] { MessagePackEncoder.encode(value) }

struct TraceEventTests {
    @Test func decodesEventsAndRejectsOtherShapes() throws {
        let bytes = encode(.array([.string("lock.acquire"), .array([.uint(3)])]))
        let event = try bytes.withUnsafeBytes {
            try TraceEvent.decode(payload: $0, core: 1, origin: .init(number: 4, timeNs: 9)).get()
        }
        #expect(event.name == "lock.acquire")
        #expect(event.args == [.uint(3)])
        #expect(event.isKnown)
        let wrong = encode(.array([.uint(1), .array([])]))
        let failure = wrong.withUnsafeBytes { TraceEvent.decode(payload: $0, core: 0, origin: .init(number: 1, timeNs: 0)) }
        #expect(throws: TraceEvent.DecodeError.notEventArray) { try failure.get() }
    }
}

/// Trace events are typed once, when read; arguments of the wrong types make the record malformed.
struct TraceEventKindTests {
    static func decode(_ name: String, _ args: [MessagePackValue]) -> Result<TraceEvent, TraceEvent.DecodeError> {
        encode(.array([.string(name), .array(args)])).withUnsafeBytes {
            TraceEvent.decode(payload: $0, core: 1, origin: RecordStamp(number: 1, timeNs: 0))
        }
    }

    @Test func everyEventOfTheFormatHasItsKind() throws {
        for kind in TraceEvent.Kind.allCases where kind != .unknown {
            let args: [MessagePackValue] = switch kind {
            case .coreStart, .heapAlloc: [.uint(1)]
            case .fault: [.uint(3), .string("hard fault")]
            case .partyName: [.string("python3[4211]")]
            case .initDone, .heapLock: []
            default: [.string("motor_state")]
            }
            #expect(try Self.decode(kind.rawValue, args).get().kind == kind)
        }
        #expect(try Self.decode("watchdog.kick", [.uint(7)]).get().kind == .unknown)
        #expect(try Self.decode("fn.enter", [.string("format_line")]).get().isKnown)
    }

    @Test func argumentsOfTheWrongTypesAreMalformed() {
        #expect(throws: TraceEvent.DecodeError.self) { try Self.decode("lock.acquire", []).get() }
        #expect(throws: TraceEvent.DecodeError.self) { try Self.decode("core.start", [.string("one")]).get() }
        #expect(throws: TraceEvent.DecodeError.self) { try Self.decode("dev.begin", [.nil]).get() }
        #expect(throws: TraceEvent.DecodeError.self) { try Self.decode("fault", [.uint(1), .uint(2)]).get() }
        // Locks, devices and interrupts may be numbered or named.
        #expect((try? Self.decode("lock.acquire", [.string("uart")]).get()) != nil)
        #expect((try? Self.decode("irq.enter", [.uint(15)]).get()) != nil)
    }
}

extension TraceEventKindTests {
    @Test func argumentsAreTypedOnceWhenRead() throws {
        #expect(try Self.decode("lock.acquire", [.uint(5)]).get().action == .lockAcquire("5"))
        #expect(try Self.decode("dev.begin", [.string("Servo")]).get().action == .deviceBegin("Servo"))
        #expect(try Self.decode("core.start", [.uint(1)]).get().action == .coreStart(started: 1))
        #expect(try Self.decode("heap.alloc", [.uint(64)]).get().action == .heapAlloc(bytes: 64))
        #expect(try Self.decode("fault", [.uint(3), .string("hard fault")]).get().action == .fault("3", text: "hard fault"))
        #expect(try Self.decode("irq.exit", [.string("TIM2")]).get().action == .interruptExit("TIM2"))
        let unknown = try Self.decode("watchdog.kick", [.uint(7)]).get()
        #expect(unknown.action == .unknown && unknown.name == "watchdog.kick" && unknown.args == [.uint(7)])
    }
}
