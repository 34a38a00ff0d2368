import AnalysisCore

/// What a record is for, once its stream is known.
public enum RecordRole: Sendable, Equatable {
    /// Its bytes are the direction's byte stream: decode them.
    case stream
    /// A receiver-side record of a direction whose sender side is recorded: a delivery time,
    /// not bytes to decode again.
    case delivery
}

/// What the stream table learned from one record.
public struct StreamObservation: Sendable, Equatable {
    /// Index of the direction, in order of first appearance.
    public var direction: Int
    /// True when the direction was seen for the first time.
    public var isNewDirection: Bool
    public var role: RecordRole
    /// Records missing before this one, from the `seq` counter (0 when none).
    public var missingRecords: UInt32
    /// The `seq` this stream should have had.
    public var expectedSequence: UInt32
}

/// Tracks the streams of an inter-core capture: sequence counters and which records of a
/// direction carry its bytes.
///
/// A direction is decoded from its sender-side records. While it has shown only receiver-side
/// records, those are decoded instead; from its first sender-side record on, receiver-side
/// records only give delivery times.
public struct StreamTable {
    private struct Counters {
        var hasSenderSide = false
        var senderSequence: UInt32?
        var receiverSequence: UInt32?
    }
    private var counters: [Counters] = []
    /// Directions by their packed key.
    private var keys = SmallKeyIndex<UInt32>()

    public init() {}

    /// Observes a record, adding its direction when new.
    public mutating func observe(_ header: InterCoreHeader) -> StreamObservation {
        observe(header, mayAdd: true)!
    }

    /// Nil when the record starts a new direction and `mayAdd` is false (a cap was reached).
    @inline(__always)
    public mutating func observe(_ header: InterCoreHeader, mayAdd: Bool) -> StreamObservation? {
        let packed = header.directionID
        var isNew = false
        let direction: Int
        if let known = keys.index(of: packed) {
            direction = known
        } else {
            guard mayAdd else { return nil }
            direction = keys.add(packed)
            counters.append(Counters())
            isNew = true
        }
        let expected: UInt32
        let role: RecordRole
        var state = counters[direction]
        if header.isReceiverSide {
            expected = state.receiverSequence ?? header.sequence
            state.receiverSequence = header.sequence &+ 1
            role = state.hasSenderSide ? .delivery : .stream
        } else {
            expected = state.senderSequence ?? header.sequence
            state.senderSequence = header.sequence &+ 1
            state.hasSenderSide = true
            role = .stream
        }
        counters[direction] = state
        return StreamObservation(
            direction: direction, isNewDirection: isNew, role: role,
            missingRecords: header.sequence &- expected, expectedSequence: expected
        )
    }
}
