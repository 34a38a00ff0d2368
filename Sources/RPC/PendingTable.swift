/// Requests in flight, keyed by one 64-bit word: the conversation number (which channel, which
/// caller and callee) in the high half and the msgid in the low half. Open addressing with
/// linear probing and a multiplicative hash: two lookups per call make this the hottest table
/// of the analysis, and the standard Dictionary's SipHash costs more than the rest of a lookup.
/// msgids wider than 32 bits go to a Dictionary beside it.
struct PendingTable {
    private var keys: [UInt64]
    private var values: [PendingRequest?]
    private var occupied: [Bool]
    private var mask: Int
    private(set) var count = 0
    private var wide: [WideKey: PendingRequest] = [:]

    private struct WideKey: Hashable {
        var conversation: Int
        var msgid: UInt64
    }

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: nil, count: size)
        occupied = Array(repeating: false, count: size)
        mask = size - 1
    }

    var totalCount: Int { count + wide.count }

    @inline(__always)
    private static func key(conversation: Int, msgid: UInt64) -> UInt64? {
        guard msgid <= UInt64(UInt32.max), conversation <= Int(UInt32.max) else { return nil }
        return UInt64(conversation) << 32 | msgid
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Stores `request`; returns the request it replaced, if the key was in flight already.
    mutating func insert(_ request: PendingRequest, conversation: Int, msgid: UInt64) -> PendingRequest? {
        guard let key = Self.key(conversation: conversation, msgid: msgid) else {
            return wide.updateValue(request, forKey: WideKey(conversation: conversation, msgid: msgid))
        }
        if (count + 1) * 2 > keys.count { grow() }
        var index = slot(for: key)
        while occupied[index] {
            if keys[index] == key {
                let previous = values[index]
                values[index] = request
                return previous
            }
            index = (index + 1) & mask
        }
        occupied[index] = true
        keys[index] = key
        values[index] = request
        count += 1
        return nil
    }

    mutating func remove(conversation: Int, msgid: UInt64) -> PendingRequest? {
        guard let key = Self.key(conversation: conversation, msgid: msgid) else {
            return wide.removeValue(forKey: WideKey(conversation: conversation, msgid: msgid))
        }
        var index = slot(for: key)
        while occupied[index] {
            if keys[index] == key {
                let found = values[index]
                values[index] = nil
                occupied[index] = false
                count -= 1
                refill(after: index)
                return found
            }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Backward-shift deletion: moves later entries of the probe run into the hole, so that
    /// lookups never stop early at it.
    private mutating func refill(after hole: Int) {
        var hole = hole
        var index = (hole + 1) & mask
        while occupied[index] {
            let home = slot(for: keys[index])
            let distanceFromHome = (index - home) & mask
            let distanceToHole = (index - hole) & mask
            if distanceFromHome >= distanceToHole {
                keys[hole] = keys[index]
                values[hole] = values[index]
                occupied[hole] = true
                values[index] = nil
                occupied[index] = false
                hole = index
            }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldOccupied = occupied
        let size = keys.count * 2
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: nil, count: size)
        occupied = Array(repeating: false, count: size)
        mask = size - 1
        count = 0
        for i in oldKeys.indices where oldOccupied[i] {
            _ = insert(oldValues[i]!, conversation: Int(oldKeys[i] >> 32), msgid: oldKeys[i] & 0xFFFF_FFFF)
        }
    }

    /// Empties the table, returning every request with its msgid.
    mutating func removeAll() -> [(msgid: UInt64, request: PendingRequest)] {
        var all: [(UInt64, PendingRequest)] = []
        for i in keys.indices where occupied[i] { all.append((keys[i] & 0xFFFF_FFFF, values[i]!)) }
        for (key, request) in wide { all.append((key.msgid, request)) }
        self = PendingTable()
        return all
    }
}
