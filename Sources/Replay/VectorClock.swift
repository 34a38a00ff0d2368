/// Happens-before between cores: one logical clock per core, for cores 0 to 7 (the boards this
/// analyzer models have two). Kept inline, so copying one into a message costs no allocation.
public struct VectorClock: Sendable, Equatable {
    public static let maxCores = 8
    // A SIMD vector: joining two clocks is one lane-wise maximum.
    private var ticks = SIMD8<UInt32>(repeating: 0)

    public init() {}

    public static func covers(_ core: Int) -> Bool { core >= 0 && core < maxCores }

    public subscript(core: Int) -> UInt32 {
        ticks[core]
    }

    public mutating func tick(_ core: Int) {
        ticks[core] &+= 1
    }

    /// Takes in everything `other` has seen.
    public mutating func join(_ other: VectorClock) {
        ticks = pointwiseMax(ticks, other.ticks)
    }

    public static func == (lhs: VectorClock, rhs: VectorClock) -> Bool {
        lhs.ticks == rhs.ticks
    }
}

/// An event of one core, as later checks compare it: the core's own tick then (an epoch, in
/// FastTrack's terms), which is all that is needed to ask whether it happened before another
/// core's present.
public struct Epoch: Sendable, Equatable {
    public var core: Int
    public var tick: UInt32

    /// Whether this event happened before everything a core with clock `clock` does now.
    public func happensBefore(_ clock: VectorClock) -> Bool {
        tick <= clock[core]
    }
}
