import AnalysisCore

/// Requests in flight, keyed by one 64-bit word: the conversation number (which channel, which
/// caller and callee) in the high half and the msgid in the low half. Open addressing with
/// linear probing and a multiplicative hash: two lookups per call make this the hottest table
/// of the analysis, and the standard Dictionary's SipHash costs more than the rest of a lookup.
/// msgids wider than 32 bits go to a Dictionary beside it.
struct PendingTable {
    private struct Slot {
        var key: UInt64 = 0
        var isOccupied = false
        var request = PendingRequest(sequence: 0, methodIndex: 0, origin: .init(number: 0, timeNs: 0), stream: StreamID(0))
    }

    private var slots: [Slot]
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
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
    }

    var totalCount: Int { count + wide.count }

    @inline(__always)
    private static func key(conversation: Int, msgid: UInt64) -> UInt64? {
        guard msgid <= UInt64(UInt32.max), conversation >= 0, conversation <= Int(UInt32.max) else { return nil }
        return UInt64(conversation) << 32 | msgid
    }

    @inline(__always)
    private func home(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Stores `request`; returns the request it replaced, if the key was in flight already.
    mutating func insert(_ request: PendingRequest, conversation: ConversationID, msgid: UInt64) -> PendingRequest? {
        guard let key = Self.key(conversation: conversation.index, msgid: msgid) else {
            return wide.updateValue(request, forKey: WideKey(conversation: conversation.index, msgid: msgid))
        }
        if (count + 1) * 2 > slots.count { grow() }
        var index = home(of: key)
        while slots[index].isOccupied {
            if slots[index].key == key {
                let previous = slots[index].request
                slots[index].request = request
                return previous
            }
            index = (index + 1) & mask
        }
        slots[index] = Slot(key: key, isOccupied: true, request: request)
        count += 1
        return nil
    }

    /// The request in flight under this key, left in place.
    func lookup(conversation: ConversationID, msgid: UInt64) -> PendingRequest? {
        guard let key = Self.key(conversation: conversation.index, msgid: msgid) else {
            return wide[WideKey(conversation: conversation.index, msgid: msgid)]
        }
        var index = home(of: key)
        while slots[index].isOccupied {
            if slots[index].key == key { return slots[index].request }
            index = (index + 1) & mask
        }
        return nil
    }

    mutating func remove(conversation: ConversationID, msgid: UInt64) -> PendingRequest? {
        guard let key = Self.key(conversation: conversation.index, msgid: msgid) else {
            return wide.removeValue(forKey: WideKey(conversation: conversation.index, msgid: msgid))
        }
        var index = home(of: key)
        while slots[index].isOccupied {
            if slots[index].key == key {
                let found = slots[index].request
                slots[index].isOccupied = false
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
        while slots[index].isOccupied {
            let distanceFromHome = (index - home(of: slots[index].key)) & mask
            let distanceToHole = (index - hole) & mask
            if distanceFromHome >= distanceToHole {
                slots[hole] = slots[index]
                slots[index].isOccupied = false
                hole = index
            }
            index = (index + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for slot in old where slot.isOccupied {
            _ = insert(slot.request, conversation: ConversationID(Int(slot.key >> 32)), msgid: slot.key & 0xFFFF_FFFF)
        }
    }

    /// Every request in flight with its key, in no order.
    func inFlight() -> [MadeRequest] {
        var all = slots.filter(\.isOccupied).map {
            MadeRequest(conversation: ConversationID(Int($0.key >> 32)), msgid: $0.key & 0xFFFF_FFFF, sequence: $0.request.sequence)
        }
        for (key, request) in wide {
            all.append(MadeRequest(conversation: ConversationID(key.conversation), msgid: key.msgid, sequence: request.sequence))
        }
        return all
    }

    /// Empties the table, returning every request with its msgid.
    mutating func removeAll() -> [(msgid: UInt64, request: PendingRequest)] {
        var all: [(UInt64, PendingRequest)] = slots.filter(\.isOccupied).map { ($0.key & 0xFFFF_FFFF, $0.request) }
        for (key, request) in wide { all.append((key.msgid, request)) }
        self = PendingTable()
        return all
    }
}
