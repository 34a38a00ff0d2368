/// Fragments of IP datagrams put back together, in whatever order and however often they come.
///
/// Each datagram waiting for fragments has a slot: its bytes in place in one buffer, a bitmap of
/// the bytes that have arrived and their count. A fragment costs the bitmap words its own bytes
/// fall in, whatever the datagram already holds: a copy sent again and again is checked against
/// the bitmap, not against every piece kept, and completeness is one comparison.
///
/// Where fragments overlap, the bytes that arrived first are kept, as common reassemblers do, and
/// the first last fragment fixes the datagram's length: a later copy, whatever its bytes, changes
/// nothing already read (bytes past that length are not kept). At most `maxPendingDatagrams` wait;
/// past that the one that has waited longest is given up. A datagram is at most 64 KiB, so a slot
/// is too, and slots are used again with their buffers.
struct FragmentReassembly {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var id: UInt32
        var transport: UInt8
    }

    /// The largest datagram payload there can be: a fragment's offset and length fit in 16 bits.
    static let maxLength = 65_535

    /// One datagram's fragments so far.
    private struct Slot {
        var key: Key
        /// The datagram's bytes in place; only those marked in `arrived` mean anything.
        var bytes: [UInt8] = []
        /// Bit `i % 64` of word `i / 64`: byte `i` has arrived.
        var arrived: [UInt64] = []
        /// Bit `w % 64` of word `w / 64`: word `w` of `arrived` has a bit set, so that emptying
        /// a slot for its next datagram visits the words its fragments touched, not the bitmap.
        var touched = InlineArray<16, UInt64>(repeating: 0)
        var totalLength: Int?
        /// Bytes arrived below `totalLength` (anywhere while it is unknown).
        var arrivedCount = 0
        /// Neighbours in the order datagrams started, to give up the oldest in constant time.
        var older: Int?
        var newer: Int?

        /// Puts `fragment` at `offset`, keeping the bytes already there; the bitmap words visited.
        mutating func store(_ fragment: UnsafeRawBufferPointer, at offset: Int) -> Int {
            let end = min(offset + fragment.count, totalLength ?? Int.max)
            guard end > offset, let source = fragment.baseAddress else { return 0 }
            if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
            let words = (end + 63) / 64
            if arrived.count < words { arrived.append(contentsOf: repeatElement(0, count: words - arrived.count)) }
            let countedBelow = totalLength ?? Int.max
            var fresh = 0
            bytes.withUnsafeMutableBytes { destination in
                let destination = destination.baseAddress!
                for word in offset / 64..<words {
                    let low = max(offset, word * 64), high = min(end, word * 64 + 64)
                    let mask = Self.bits(low - word * 64, high - word * 64)
                    let new = mask & ~arrived[word]
                    if new == mask {
                        (destination + low).copyMemory(from: source + (low - offset), byteCount: high - low)
                    } else {
                        var rest = new
                        while rest != 0 {
                            let at = word * 64 + rest.trailingZeroBitCount
                            destination.storeBytes(of: source.load(fromByteOffset: at - offset, as: UInt8.self),
                                                   toByteOffset: at, as: UInt8.self)
                            rest &= rest - 1
                        }
                    }
                    arrived[word] |= mask
                    touched[word / 64] |= 1 << UInt64(word % 64)
                    fresh += (new & Self.below(countedBelow - word * 64)).nonzeroBitCount
                }
            }
            arrivedCount += fresh
            return words - offset / 64
        }

        /// The last fragment told the length: only bytes below it count from now on. The bitmap
        /// words visited.
        mutating func setTotalLength(_ length: Int) -> Int {
            totalLength = length
            arrivedCount = 0
            return Self.forEachWord(in: touched) { word in
                arrivedCount += (arrived[word] & Self.below(length - word * 64)).nonzeroBitCount
            }
        }

        var isComplete: Bool { totalLength == arrivedCount }

        /// Empties the slot for the next datagram, keeping its buffers; the bitmap words visited.
        mutating func reset() -> Int {
            totalLength = nil
            arrivedCount = 0
            let visited = Self.forEachWord(in: touched) { arrived[$0] = 0 }
            for index in touched.indices { touched[index] = 0 }
            return visited
        }

        /// Calls `body` with the index of each word marked in `touched`; how many there were.
        private static func forEachWord(in touched: InlineArray<16, UInt64>, _ body: (Int) -> Void) -> Int {
            var visited = 0
            for index in touched.indices {
                var rest = touched[index]
                while rest != 0 {
                    body(index * 64 + rest.trailingZeroBitCount)
                    rest &= rest - 1
                    visited += 1
                }
            }
            return visited
        }

        /// Bits `low..<high` of a word, 0 ≤ low < high ≤ 64.
        private static func bits(_ low: Int, _ high: Int) -> UInt64 {
            (high == 64 ? ~0 : (1 << UInt64(high)) - 1) & ~((1 << UInt64(low)) - 1)
        }

        /// Bits below `count`, which may fall outside the word.
        private static func below(_ count: Int) -> UInt64 {
            count >= 64 ? ~0 : count <= 0 ? 0 : (1 << UInt64(count)) - 1
        }
    }

    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var slotOfKey: [Key: Int] = [:]
    private var oldest: Int?
    private var newest: Int?
    /// The last datagram completed, until the next fragment.
    private var completed: [UInt8] = []
    var maxPendingDatagrams = 64
    private(set) var droppedDatagrams = 0
    /// Bitmap words visited so far: what reassembly has cost. It grows with the fragments'
    /// lengths, never with what a datagram already holds.
    private(set) var work = 0

    var pendingDatagrams: Int { slotOfKey.count }

    /// Bytes of the buffers and bitmaps kept for reassembly, in slots in use or free.
    var heldBytes: Int {
        slots.reduce(completed.count) { $0 + $1.bytes.count + $1.arrived.count * 8 }
    }

    /// Adds a fragment of `key`'s datagram at byte `offset`; `last` if no fragment follows it.
    /// When the datagram is complete, `body` gets its payload (held until the next call).
    mutating func add<Result>(_ key: Key, offset: Int, bytes fragment: UnsafeRawBufferPointer, last: Bool,
                              complete body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        let index = slot(for: key)
        if last, slots[index].totalLength == nil { work += slots[index].setTotalLength(offset + fragment.count) }
        work += slots[index].store(fragment, at: offset)
        guard slots[index].isComplete else { return nil }
        let length = slots[index].totalLength!
        // The slot's buffer becomes the completed datagram's, and the last one's goes to the slot.
        swap(&completed, &slots[index].bytes)
        release(index)
        return completed.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<length])) }
    }

    /// The slot of `key`'s datagram, started if it is new; the oldest is given up at the cap.
    private mutating func slot(for key: Key) -> Int {
        if let index = slotOfKey[key] { return index }
        if slotOfKey.count >= maxPendingDatagrams, let oldest {
            release(oldest)
            droppedDatagrams += 1
        }
        let index: Int
        if let free = freeSlots.popLast() {
            index = free
            slots[index].key = key
        } else {
            index = slots.count
            slots.append(Slot(key: key))
        }
        slotOfKey[key] = index
        slots[index].older = newest
        slots[index].newer = nil
        if let newest { slots[newest].newer = index } else { oldest = index }
        newest = index
        return index
    }

    /// Frees a slot: out of the table and the order, emptied for the next datagram.
    private mutating func release(_ index: Int) {
        slotOfKey.removeValue(forKey: slots[index].key)
        let (older, newer) = (slots[index].older, slots[index].newer)
        if let older { slots[older].newer = newer } else { oldest = newer }
        if let newer { slots[newer].older = older } else { newest = older }
        work += slots[index].reset()
        freeSlots.append(index)
    }
}
