import AnalysisCore

/// A number for each direction (kind, channel, from, to) of channel records, in order of first
/// appearance, for the checks that keep state per direction. A record's direction is found by
/// the caller's number for it (`ChannelEvent.direction`, the stream's index) without hashing
/// its key; by the key only the first time, or for a record that comes without a number.
struct DirectionIndex {
    private var keys = SmallKeyIndex<MessageOrdering.DirectionID>()
    /// The caller's numbers to directions, -1 where not yet seen.
    private var byNumber: [Int] = []

    /// The direction's number: a new direction's is the number of directions before it.
    @inline(__always)
    mutating func index(of key: MessageOrdering.DirectionID, number: Int) -> Int {
        if number >= 0, number < byNumber.count {
            let known = byNumber[number]
            if known >= 0 { return known }
        }
        return add(key, number: number)
    }

    @inline(never)
    private mutating func add(_ key: MessageOrdering.DirectionID, number: Int) -> Int {
        let index = keys.indexAdding(key)
        if number >= 0 {
            if number >= byNumber.count { byNumber += Array(repeating: -1, count: number + 1 - byNumber.count) }
            byNumber[number] = index
        }
        return index
    }
}
