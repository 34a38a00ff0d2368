import AnalysisCore
import Testing
@testable import RPC

struct PendingTableTests {
    func request(_ n: Int) -> PendingRequest {
        PendingRequest(sequence: UInt64(n), methodIndex: n % 7, origin: RecordStamp(number: UInt64(n), timeNs: 0),
                       stream: 0)
    }

    /// Random inserts and removes, checked step by step against Dictionary.
    @Test func agreesWithDictionaryUnderChurn() {
        var table = PendingTable(capacity: 4)
        var oracle: [UInt64: UInt64] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<50_000 {
            let conversation = Int.random(in: 0..<3, using: &rng)
            // Mostly small msgids (many collisions in a small table), a few past 32 bits.
            let msgid = Bool.random(using: &rng) && step % 50 == 0
                ? UInt64.random(in: (1 << 32)...(1 << 40), using: &rng) : UInt64.random(in: 0..<200, using: &rng)
            let key = UInt64(conversation) << 56 | msgid
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let removed = table.remove(conversation: conversation, msgid: msgid)
                #expect(removed?.sequence == oracle.removeValue(forKey: key))
            } else {
                let replaced = table.insert(request(step), conversation: conversation, msgid: msgid)
                #expect(replaced?.sequence == oracle.updateValue(UInt64(step), forKey: key))
            }
            if step % 1000 == 0 { #expect(table.totalCount == oracle.count) }
        }
        let drained = table.removeAll()
        #expect(drained.count == oracle.count)
        #expect(Set(drained.map(\.request.sequence)) == Set(oracle.values))
        #expect(table.totalCount == 0)
    }
}
